/*
 * plots/plot.h - gnuplot figures: data files + scripts, PNG and SVG.
 *
 * plot_lines() writes DIR/STEM.dat (gnuplot data blocks) and DIR/STEM.gp (a
 * self-contained script) and, when gnuplot is on the PATH, runs it to make
 * DIR/STEM.png and DIR/STEM.svg.  Without gnuplot the .dat and .gp files are
 * still written and NASW_EUNSUPPORTED is returned (the caller warns).  All
 * files, the images too, go through core/outfile.h (a temporary file renamed
 * into place; the images only if gnuplot succeeds).
 *
 * Layout: one panel per dataset (multiplot), one line per strategy with a
 * shaded 95% band, optional horizontal reference line (e.g. the
 * validation-selection ceiling), optional log-scaled x axis.
 */
#ifndef NASW_PLOTS_PLOT_H
#define NASW_PLOTS_PLOT_H

struct plot_series {
    const char *label;
    int n;
    const double *x, *y;
    const double *lo, *hi;   /* band, or NULL */
};

struct plot_panel {
    const char *title;
    const char *ylabel;
    double hline;            /* NaN: none */
    const char *hline_label;
    int n_series;
    const struct plot_series *series;
};

struct plot_opts {
    const char *xlabel;
    int logx, logy;
    int width, height;       /* pixels of the PNG per panel (0: 640x420) */
};

int plot_lines(const char *dir, const char *stem, const struct plot_panel *panels,
               int n_panels, const struct plot_opts *o);

/* Scatter of (x, y) points with the y = x diagonal, one panel. */
int plot_scatter(const char *dir, const char *stem, const char *title, const char *xlabel,
                 const char *ylabel, const double *x, const double *y, int n);

/* 1 if gnuplot can be run. */
int plot_have_gnuplot(void);

#endif
