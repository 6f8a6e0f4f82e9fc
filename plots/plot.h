/*
 * plots/plot.h - gnuplot figures for papers: data files + scripts, PDF, PNG
 * and SVG.
 *
 * plot_lines() writes DIR/STEM.dat (gnuplot data blocks) and DIR/STEM.gp (a
 * self-contained script) and, when gnuplot is on the PATH, runs it to make
 * DIR/STEM.pdf (pdfcairo), DIR/STEM.png (pngcairo, 150 dpi) and DIR/STEM.svg,
 * all three of the same figure: the size in inches, fonts in points (9 pt
 * text, 8 pt tick labels), so a PDF placed at 100% in a paper has 9 pt type.
 * A gnuplot without the pdfcairo terminal makes the PNG and SVG only (the
 * script says so on stderr).  Without gnuplot the .dat and .gp files are
 * still written and NASW_EUNSUPPORTED is returned (the caller warns).  All
 * files, the images too, go through core/outfile.h (a temporary file renamed
 * into place; the images only if gnuplot succeeds).
 *
 * Layout: one panel per dataset (at most 3 a row), titles broken over lines
 * to fit (at spaces, or after '|', '+' or ',' in long names), one legend for the whole
 * figure below the panels (never over a curve), then the caption line.  A
 * series keeps its colour and dash type in every panel (matched by label):
 * the Okabe-Ito colour-blind-safe palette, each colour with its own dash
 * type, so the lines stay apart in greyscale too.  Optional shaded band,
 * horizontal reference line (e.g. the validation-selection ceiling), log
 * axes, fixed y range.
 */
#ifndef NASW_PLOTS_PLOT_H
#define NASW_PLOTS_PLOT_H

#include <stddef.h>

enum plot_style {
    PLOT_LINES = 0,  /* a coloured line, its band shaded */
    PLOT_POINTS,     /* coloured points, the band as error bars */
    PLOT_GREY,       /* a thin grey line (e.g. the held-out part of a curve) */
    PLOT_BLACK       /* a thick black line (the observed part of a curve, an exact front) */
};

struct plot_series {
    const char *label;
    int n;
    const double *x, *y;
    const double *lo, *hi;   /* band, or NULL */
    enum plot_style style;
};

struct plot_panel {
    const char *title;
    const char *ylabel;
    double hline;            /* NaN: none */
    const char *hline_label;
    int n_series;
    const struct plot_series *series;
    double ymin, ymax;       /* y range; auto unless ymin < ymax */
    int diagonal;            /* draw y = x and use one range for both axes */
};

struct plot_opts {
    const char *xlabel;
    int logx, logy;
    double width_in, height_in; /* figure size in inches (0: 3.5 wide for one
                                   panel, 7 for more; 2.3 a row of panels
                                   plus the legend and caption) */
    const char *caption;     /* a line under the legend, or NULL */
    int xtics_at_data;       /* x tick marks at the x values of the data
                                (few distinct values, e.g. training sizes) */
    int cols;                /* panels a row (0: up to 3) */
};

/* Figure size limits of plot_opts (and of --size): 1 to 20 inches. */
#define PLOT_MIN_INCHES 1.0
#define PLOT_MAX_INCHES 20.0

int plot_lines(const char *dir, const char *stem, const struct plot_panel *panels,
               int n_panels, const struct plot_opts *o);

/* Scatter of (x, y) points with the y = x diagonal, one panel: x, y are in
 * the same units (the caller converts them to ranks when the scales
 * differ).  Non-finite points are left out.  o: size and caption (xlabel
 * ignored; NULL: defaults). */
int plot_scatter(const char *dir, const char *stem, const char *title, const char *xlabel,
                 const char *ylabel, const double *x, const double *y, int n, const struct plot_opts *o);

/* Parse a figure size "W,H" in inches ("3.5,2.6"); -1 if malformed or out of
 * [PLOT_MIN_INCHES, PLOT_MAX_INCHES]. */
int plot_parse_size(const char *s, double *w, double *h);

/* An axis label for a table column, with its unit: "val_acc" with percent
 * values (percent != 0) is "validation accuracy (%)", "cost_s" "training
 * cost (s)", "latency_ms" "latency (ms)"; a column nasw knows nothing of
 * keeps its name.  Written into buf (n bytes), returned. */
const char *plot_metric_label(const char *column, int percent, char *buf, size_t n);
/* The same with the words and/or the unit given (a table's sidecar
 * "columns", docs/tables.md): label NULL = the words derived from the name,
 * unit NULL = the derived unit, "" = none.  "label (unit)" or "label". */
const char *plot_axis_label(const char *column, int percent, const char *label, const char *unit, char *buf,
                            size_t n);

/* 1 if gnuplot can be run. */
int plot_have_gnuplot(void);

#endif
