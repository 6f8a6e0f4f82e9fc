/*
 * plots/plot.c - gnuplot figures (see plots/plot.h).
 *
 * The script draws the figure once per terminal (pdfcairo, pngcairo, svg)
 * into pdf_out, png_out and svg_out: nasw passes the temporary files of
 * core/outfile.h (put in place only if gnuplot succeeds); run by hand, the
 * script writes STEM.pdf, STEM.png and STEM.svg.  The layout is computed
 * here, in inches (struct layout), and written as fixed screen margins: a
 * panel, the legend and the caption each get their own rectangle, so
 * nothing overlaps whatever gnuplot would choose for itself.  The legend is
 * drawn by hand (a line sample and a label per entry) below the panels.
 * gnuplot runs in DIR (fork, chdir, exec), so the script and the data refer
 * to each other by relative names and can be re-run by hand.
 */
#include "plots/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/outfile.h"
#include "core/status.h"

/* Okabe & Ito (2008), "Color Universal Design": told apart with every
 * common colour-vision deficiency; yellow (#F0E442) is left out, as it
 * vanishes on white.  Each colour has its own dash type, so the lines stay
 * apart in greyscale prints as well. */
static const char *const COLORS[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};
static const char *const DASHES[] = {"solid", "(8,4)", "(2,3)", "(10,4,2,4)", "(5,3,1,3,1,3)", "(14,6)", "(3,6)"};
#define N_STYLES (sizeof COLORS / sizeof *COLORS)
#define GREY "#555555"
#define DPI 150 /* of the PNG */

/* Geometry of a figure, in inches (9 pt text is 0.125 in high). */
#define TICK_CHAR_W 0.08 /* a character of an 8 pt tick label */
#define YLABEL_GAP 0.30 /* the y label's centre, left of the tick labels */
#define PAD_RIGHT 0.2
#define PAD_YLABEL 0.14 /* the y label's left half and a margin */
#define PAD_TICS 0.18   /* tick marks and the space between panels */
#define PAD_TITLE 0.24  /* a line of panel title (drawn 0.8 line lower than
                           gnuplot would, which leaves a line empty) */
#define PAD_XAXIS 0.52  /* x tick labels and the x label */
#define GAP_ROWS 0.1    /* between the x label and the next row's title */
#define LINE_H 0.2    /* a row of the legend or the caption */
#define CHAR_W 0.085   /* a 9 pt character, on average (generously: a line
                           must not run over the figure's edge) */
#define KEY_CHAR_W 0.09 /* the same in the legend (its widest labels decide) */

int plot_have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path) return 0;
    char buf[4096];
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, ":");
        snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)len, p);
        if (len && access(buf, X_OK) == 0) return 1;
        p += len;
        if (*p == ':') p++;
    }
    return 0;
}

/* A gnuplot string: single-quoted ('' escapes a quote), or double-quoted
 * when it has line breaks (a title on two lines). */
static void gp_str(FILE *f, const char *s)
{
    if (s && strchr(s, '\n')) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '\n') fputs("\\n", f);
            else if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
            else fputc(*s, f);
        }
        fputc('"', f);
        return;
    }
    fputc('\'', f);
    for (; s && *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* in, broken into lines of at most maxc characters, into out (n bytes):
 * at a space (replaced), or after a '|', '+' or ',' (kept), the last such
 * place that fits; a longer word stays whole. */
static const char *wrap_text(const char *in, double maxc, char *out, size_t n)
{
    size_t len = 0, line = 0;   /* out's length, its current line's start */
    long brk = -1;              /* out index of the last break place (its char) */
    if (n == 0) return out;
    for (const char *c = in ? in : ""; *c && len + 2 < n; c++) {
        out[len++] = *c;
        if (*c == '\n') {
            line = len, brk = -1;
            continue;
        }
        if (*c == ' ' || *c == '|' || *c == '+' || *c == ',') {
            if ((double)(len - line) <= maxc || brk < 0) brk = (long)len - 1;
        }
        if ((double)(len - line) > maxc && brk >= (long)line) {
            if (out[brk] == ' ') {
                out[brk] = '\n';
            } else {  /* insert a line break after out[brk] */
                memmove(out + brk + 2, out + brk + 1, len - (size_t)brk - 1);
                out[brk + 1] = '\n';
                len++;
                brk++;
            }
            line = (size_t)brk + 1;
            brk = -1;
        }
    }
    out[len] = '\0';
    return out;
}

static int n_lines(const char *s)
{
    int n = 1;
    for (; s && *s; s++) n += *s == '\n';
    return n;
}

/* Run `gnuplot -e "png_out='...'; svg_out='...'" SCRIPT` in dir. */
static int run_gnuplot(const char *dir, const char *script, const char *vars)
{
    fflush(NULL); /* the child must not inherit (and later flush) our buffers */
    pid_t pid = fork();
    if (pid < 0) return nasw_errorf(NASW_EIO, "cannot run gnuplot: %s", strerror(errno));
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) dup2(fd, STDOUT_FILENO);
        if (chdir(dir) != 0) _exit(126);
        execlp("gnuplot", "gnuplot", "-e", vars, script, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return nasw_errorf(NASW_EIO, "cannot wait for gnuplot: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return nasw_errorf(NASW_EIO, "gnuplot failed on '%.200s/%.64s'", dir, script);
    return NASW_OK;
}

/* Append `name='path'` (gnuplot quoting) to buf; path made absolute, since
 * gnuplot runs in another directory. */
static void gp_var(char *buf, size_t n, const char *name, const char *path)
{
    size_t len = strlen(buf);
    char cwd[4096] = "";
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd)) cwd[0] = '\0';
    len += (size_t)snprintf(buf + len, n - len, "%s%s='%s%s", len ? "; " : "", name, cwd, *cwd ? "/" : "");
    for (; *path && len + 3 < n; path++) {
        if (*path == '\'') buf[len++] = '\'';
        buf[len++] = *path;
    }
    if (len + 2 < n) buf[len++] = '\'';
    buf[len < n ? len : n - 1] = '\0';
}

static const char *const EXT[3] = {"pdf", "png", "svg"};

/* Run STEM.gp with its outputs opened by core/outfile.h, and put them in
 * place only if gnuplot succeeds.  An output gnuplot left empty (the PDF of
 * a gnuplot without pdfcairo; the script said so) is not put in place. */
static int render(const char *dir, const char *stem)
{
    if (!plot_have_gnuplot()) return NASW_EUNSUPPORTED;
    struct outfile *out[3] = {NULL, NULL, NULL};
    char path[4200], gp[4200], vars[4 * 4200] = "";
    int st = NASW_OK;
    for (int i = 0; i < 3 && st == NASW_OK; i++) {
        snprintf(path, sizeof path, "%s/%s.%s", dir, stem, EXT[i]);
        char var[16];
        snprintf(var, sizeof var, "%s_out", EXT[i]);
        if ((st = outfile_open(&out[i], path)) == NASW_OK) gp_var(vars, sizeof vars, var, outfile_write_path(out[i]));
    }
    snprintf(gp, sizeof gp, "%s.gp", stem);
    if (st == NASW_OK) st = run_gnuplot(dir, gp, vars);
    for (int i = 0; i < 3; i++) {
        if (st == NASW_OK && out[i]) {
            FILE *f = outfile_stream(out[i]);
            if (fseek(f, 0, SEEK_END) == 0 && ftell(f) == 0) {
                outfile_abort(out[i]);
                continue;
            }
            st = outfile_commit(out[i]);
        } else {
            outfile_abort(out[i]);
        }
    }
    return st;
}

/* Whole-figure layout: the panels' grid, the legend and caption rows. */
struct layout {
    double w, h;                /* inches */
    int rows, cols;
    double pw, ph;              /* one panel */
    double top, legend_h, cap_h;
    int key_cols;
    double key_colw;            /* inches */
    double gap_x;               /* between panels of a row */
    double pad_left, ylabel_x;  /* left of the first column; the y label's
                                   centre, left of its panel */
};

/* Does panel p show its y label?  Not when the panel left of it in the row
 * has the same one: a row shares its label, which leaves the panels room. */
static int show_ylabel(const struct plot_panel *panels, int p, int cols)
{
    if (p % cols == 0) return 1;
    const char *a = panels[p - 1].ylabel ? panels[p - 1].ylabel : "", *b = panels[p].ylabel ? panels[p].ylabel : "";
    return strcmp(a, b) != 0;
}

/* The legend: one entry per distinct series label (first appearance
 * order; the colour index of a label is its entry), then the reference
 * lines. */
struct legend {
    const char *label[64];
    enum plot_style style[64];
    int n;
    const char *hline_label;
    int diagonal;
};

static int legend_find(const struct legend *L, const char *label)
{
    for (int i = 0; i < L->n; i++)
        if (!strcmp(L->label[i], label)) return i;
    return -1;
}

static void legend_build(struct legend *L, const struct plot_panel *panels, int n_panels)
{
    memset(L, 0, sizeof *L);
    for (int p = 0; p < n_panels; p++) {
        for (int s = 0; s < panels[p].n_series; s++) {
            const struct plot_series *sr = &panels[p].series[s];
            const char *lab = sr->label ? sr->label : "";
            if (legend_find(L, lab) >= 0 || L->n == 64) continue;
            L->label[L->n] = lab;
            L->style[L->n++] = sr->style;
        }
        if (isfinite(panels[p].hline) && !L->hline_label)
            L->hline_label = panels[p].hline_label ? panels[p].hline_label : "reference";
        L->diagonal |= panels[p].diagonal;
    }
}

/* Colour/dash index of a legend entry: the coloured styles in order. */
static int legend_color(const struct legend *L, int entry)
{
    int k = 0;
    for (int i = 0; i < entry; i++) k += L->style[i] == PLOT_LINES || L->style[i] == PLOT_POINTS;
    return k % (int)N_STYLES;
}

/* A tick step for a linear axis over `range` with at most max_ticks
 * intervals: 1, 2 or 5 times a power of ten. */
static double nice_step(double range, double max_ticks)
{
    double raw = range / (max_ticks >= 1 ? max_ticks : 1), mag = pow(10, floor(log10(raw)));
    const double m[] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++)
        if (m[i] * mag >= raw * (1 - 1e-9)) return m[i] * mag;
    return 10 * mag;
}

/* The widest y tick label of a panel, in characters: its powers of ten
 * (log axis) or the multiples of its tick step (gp_axes); 6 when gnuplot
 * chooses (no range). */
static int ytick_chars(const struct plot_panel *pn, const struct plot_opts *o)
{
    if (!(pn->ymin < pn->ymax) || !isfinite(pn->ymin) || !isfinite(pn->ymax)) return 6;
    char b[64];
    int w = 1;
    if (o && o->logy) {
        if (!(pn->ymin > 0)) return 6;
        for (double k = floor(log10(pn->ymin)); k <= ceil(log10(pn->ymax)); k++) {
            int n = snprintf(b, sizeof b, "%g", pow(10, k));
            if (n > w) w = n;
        }
        return w;
    }
    double step = nice_step(pn->ymax - pn->ymin, 1.9 / 0.28); /* a typical panel height */
    int k = 0; /* a step below the values' precision would not advance v */
    for (double v = ceil(pn->ymin / step) * step; v <= pn->ymax && k < 100; v += step, k++) {
        int n = snprintf(b, sizeof b, "%g", fabs(v) < step * 1e-9 ? 0.0 : v);
        if (n > w) w = n;
    }
    return w;
}

static int layout_compute(struct layout *g, const struct plot_panel *panels, int n_panels, const struct legend *L,
                          const struct plot_opts *o, int square)
{
    int maxc = o && o->cols > 0 ? o->cols : 3;
    g->cols = n_panels <= maxc ? n_panels : maxc;
    g->rows = (n_panels + g->cols - 1) / g->cols;
    g->w = o && o->width_in > 0 ? o->width_in : g->cols == 1 ? 3.5 : 7.0;
    /* legend: as many columns as the widest entry allows */
    size_t widest = 1;
    int entries = L->n + (L->hline_label != NULL) + L->diagonal;
    for (int i = 0; i < L->n; i++)
        if (strlen(L->label[i]) > widest) widest = strlen(L->label[i]);
    if (L->hline_label && strlen(L->hline_label) > widest) widest = strlen(L->hline_label);
    g->key_cols = (int)((g->w - 0.2) / (0.75 + (double)widest * KEY_CHAR_W));
    if (g->key_cols < 1) g->key_cols = 1;
    if (g->key_cols > entries) g->key_cols = entries ? entries : 1;
    g->key_colw = fmin((g->w - 0.2) / g->key_cols, 0.75 + (double)widest * KEY_CHAR_W);
    g->legend_h = entries ? LINE_H * ((entries + g->key_cols - 1) / g->key_cols) + 0.12 : 0;
    char buf[1024];
    g->cap_h = o && o->caption && *o->caption ? LINE_H * n_lines(wrap_text(o->caption, (g->w - 0.2) / CHAR_W, buf, sizeof buf)) + 0.04 : 0;
    double bottom = PAD_XAXIS + g->legend_h + g->cap_h;
    /* room for the widest y tick label of any panel, then the y label */
    int chars = 1;
    for (int p = 0; p < n_panels; p++) {
        int c = ytick_chars(&panels[p], o);
        if (c > chars) chars = c;
    }
    g->ylabel_x = chars * TICK_CHAR_W + YLABEL_GAP;
    g->pad_left = g->ylabel_x + PAD_YLABEL;
    g->gap_x = chars * TICK_CHAR_W + PAD_TICS;
    for (int p = 0; p < n_panels; p++)
        if (p % g->cols != 0 && show_ylabel(panels, p, g->cols)) g->gap_x = g->pad_left;
    g->pw = (g->w - g->pad_left - PAD_RIGHT - (g->cols - 1) * g->gap_x) / g->cols;
    int title_lines = 1;
    for (int p = 0; p < n_panels; p++) {
        int k = n_lines(wrap_text(panels[p].title, g->pw / KEY_CHAR_W, buf, sizeof buf));
        if (k > title_lines) title_lines = k;
    }
    g->top = PAD_TITLE + (title_lines - 1) * LINE_H;
    if (o && o->height_in > 0) g->h = o->height_in;
    else g->h = g->rows * (square ? g->pw : g->cols == 1 ? 2.2 : 1.9) + g->top + bottom + (g->rows - 1) * (g->top + PAD_XAXIS + GAP_ROWS);
    g->ph = (g->h - g->top - bottom - (g->rows - 1) * (g->top + PAD_XAXIS + GAP_ROWS)) / g->rows;
    if (g->pw < 0.8 || g->ph < 0.6)
        return nasw_errorf(NASW_EINVAL, "a figure of %g x %g in is too small for %d panel(s) and the legend", g->w,
                           g->h, n_panels);
    return NASW_OK;
}

/* The gnuplot style of one series (its colour by legend entry), in buf. */
static const char *series_style(char *buf, size_t n, const struct legend *L, const struct plot_series *sr, int band)
{
    int k = legend_color(L, legend_find(L, sr->label ? sr->label : ""));
    switch (sr->style) {
    case PLOT_GREY: snprintf(buf, n, "lc rgb '#999999' lw 1 dt solid"); break;
    case PLOT_BLACK: snprintf(buf, n, "lc rgb 'black' lw 2.2 dt solid"); break;
    default:
        if (band) snprintf(buf, n, "lc rgb '%s'", COLORS[k]);
        else if (sr->style == PLOT_POINTS) snprintf(buf, n, "pt 7 ps 0.6 lc rgb '%s' lw 1.2 dt solid", COLORS[k]);
        else snprintf(buf, n, "lc rgb '%s' lw 1.5 dt %s", COLORS[k], DASHES[k]);
    }
    return buf;
}

/* Axis scales and ranges: x from the finite data, y from the panel's
 * range if it has one; tick marks at the data if asked, else on a linear
 * axis no closer than 0.45 in (x) and 0.28 in (y): gnuplot's own choice
 * does not know the panel's size and crowds a small one. */
static void gp_axes(FILE *f, const struct plot_panel *pn, const struct plot_opts *o, const struct layout *g)
{
    fprintf(f, "%s\n%s\n", o->logx ? "set logscale x" : "unset logscale x", o->logy ? "set logscale y" : "unset logscale y");
    double xmin = INFINITY, xmax = -INFINITY;
    for (int s = 0; s < pn->n_series; s++)
        for (int i = 0; i < pn->series[s].n; i++) {
            double x = pn->series[s].x[i];
            if (isfinite(x) && (!o->logx || x > 0) && isfinite(pn->series[s].y[i])) {
                xmin = fmin(xmin, x);
                xmax = fmax(xmax, x);
            }
        }
    if (pn->diagonal && pn->ymin < pn->ymax) {
        fprintf(f, "set xrange [%.10g:%.10g]\nset yrange [%.10g:%.10g]\n", pn->ymin, pn->ymax, pn->ymin, pn->ymax);
    } else {
        /* points at the right end (a last-epoch prediction) would be cut
         * in half by the border */
        int points = 0;
        for (int s = 0; s < pn->n_series; s++) points |= pn->series[s].style == PLOT_POINTS;
        if (points && xmin < xmax && !o->logx) xmax += 0.03 * (xmax - xmin);
        if (xmin < xmax) fprintf(f, "set xrange [%.10g:%.10g]\n", xmin, xmax);
        else if (xmin == xmax) fputs("set autoscale x\n", f);
        else fputs(o->logx ? "set xrange [1:10]\n" : "set xrange [0:1]\n", f); /* no point: an empty panel, not a gnuplot error */
        if (pn->ymin < pn->ymax) fprintf(f, "set yrange [%.10g:%.10g]\n", pn->ymin, pn->ymax);
        else if (isfinite(xmin)) fputs("set autoscale y\n", f);
        else fputs(o->logy ? "set yrange [1:10]\n" : "set yrange [0:1]\n", f);
    }
    if (pn->diagonal && pn->ymin < pn->ymax) xmin = pn->ymin, xmax = pn->ymax;
    /* whole numbers (ranks, epochs) get whole steps */
    int whole_x = 1, whole_y = 1;
    for (int s = 0; s < pn->n_series; s++)
        for (int i = 0; i < pn->series[s].n; i++) {
            double x = pn->series[s].x[i], y = pn->series[s].y[i];
            if (isfinite(x) && x != floor(x)) whole_x = 0;
            if (isfinite(y) && y != floor(y)) whole_y = 0;
        }
    if (!o->logx && xmin < xmax)
        fprintf(f, "set xtics %.10g\n", fmax(nice_step(xmax - xmin, g->pw / 0.45), whole_x ? 1 : 0));
    else fputs("set xtics autofreq\n", f);
    if (!o->logy && pn->ymin < pn->ymax)
        fprintf(f, "set ytics %.10g\n", fmax(nice_step(pn->ymax - pn->ymin, g->ph / 0.28), whole_y ? 1 : 0));
    else fputs("set ytics autofreq\n", f);
    if (o->xtics_at_data) {
        /* every distinct x of the data, when there are few: a log axis over
         * one decade would label a single tick */
        double u[16];
        int nu = 0, many = 0;
        for (int s = 0; s < pn->n_series && !many; s++)
            for (int i = 0; i < pn->series[s].n && !many; i++) {
                double x = pn->series[s].x[i];
                if (!isfinite(x)) continue;
                int seen = 0;
                for (int j = 0; j < nu; j++) seen |= u[j] == x;
                if (seen) continue;
                if (nu == 16) many = 1;
                else u[nu++] = x;
            }
        if (!many && nu) {
            fputs("set xtics (", f);
            for (int j = 0; j < nu; j++) fprintf(f, "%s%.10g", j ? ", " : "", u[j]);
            fputs(")\n", f);
        }
    }
}

static void write_panel(FILE *f, const char *stem, const struct plot_panel *panels, int p, int *index,
                        const struct plot_opts *o, const struct layout *g, const struct legend *L)
{
    const struct plot_panel *pn = &panels[p];
    int r = p / g->cols, c = p % g->cols;
    double l = g->pad_left + c * (g->pw + g->gap_x), t = g->h - g->top - r * (g->ph + g->top + PAD_XAXIS + GAP_ROWS);
    fprintf(f, "set lmargin at screen %.5f\nset rmargin at screen %.5f\n", l / g->w, (l + g->pw) / g->w);
    fprintf(f, "set tmargin at screen %.5f\nset bmargin at screen %.5f\n", t / g->h, (t - g->ph) / g->h);
    char buf[1024];
    fputs("set title ", f);
    gp_str(f, wrap_text(pn->title, g->pw / KEY_CHAR_W, buf, sizeof buf));
    fputs(" offset 0,-0.8\nset xlabel ", f);
    gp_str(f, o->xlabel);
    /* the y label at a fixed place: gnuplot's own, with fixed margins, is
     * put as far left as the widest tick label it could have */
    if (show_ylabel(panels, p, g->cols)) {
        fputs("\nset label 2 ", f);
        gp_str(f, pn->ylabel);
        fprintf(f, " at screen %.5f, screen %.5f center rotate by 90\n", (l - g->ylabel_x) / g->w,
                (t - g->ph / 2) / g->h);
    } else {
        fputs("\nunset label 2\n", f);
    }
    gp_axes(f, pn, o, g);
    fputs("plot ", f);
    int any = 0;
    char style[128];
    /* bands first, so no line is under another series' shading */
    for (int pass = 0; pass < 2; pass++)
        for (int s = 0; s < pn->n_series; s++) {
            const struct plot_series *sr = &pn->series[s];
            int idx = *index + s, band = sr->lo && sr->hi;
            if (pass == 0) {
                if (!band || sr->style == PLOT_POINTS) continue;
                fprintf(f, "%s'%s.dat' index %d using 1:3:4 with filledcurves ", any++ ? ", \\\n     " : "", stem, idx);
                fputs(series_style(style, sizeof style, L, sr, 1), f);
                fputs(" fs transparent solid 0.18 noborder notitle", f);
                continue;
            }
            fprintf(f, "%s'%s.dat' index %d ", any++ ? ", \\\n     " : "", stem, idx);
            if (sr->style == PLOT_POINTS)
                fputs(band ? "using 1:2:3:4 with yerrorbars " : "using 1:2 with points ", f);
            else fputs("using 1:2 with lines ", f);
            fputs(series_style(style, sizeof style, L, sr, 0), f);
            fputs(" notitle", f);
        }
    *index += pn->n_series;
    if (isfinite(pn->hline))
        fprintf(f, "%s%.10g with lines lc rgb '%s' lw 1 dt (3,3) notitle", any++ ? ", \\\n     " : "", pn->hline, GREY);
    if (pn->diagonal) fprintf(f, "%sx with lines lc rgb '%s' lw 1 dt (3,3) notitle", any++ ? ", \\\n     " : "", GREY);
    if (!any) fputs("NaN notitle", f);
    fputc('\n', f);
}

/* The legend below the panels and the caption line under it, drawn by
 * hand (a line sample and a label per entry, row by row): gnuplot's own key
 * at a screen position ignores maxcols and would stack the entries in one
 * column, cut at the bottom of the figure.  Then an empty plot of the whole
 * figure to draw them on. */
static void legend_entry(FILE *f, const struct layout *g, int i, const char *style, const char *label, int point)
{
    int r = i / g->key_cols, c = i % g->key_cols;
    double x0 = (g->w - g->key_cols * g->key_colw) / 2 + c * g->key_colw, y = g->cap_h + g->legend_h - 0.1 - (r + 0.5) * LINE_H;
    if (point)
        fprintf(f, "set label %d '' at screen %.5f, screen %.5f point %s\n", 10 + 2 * i, (x0 + 0.2) / g->w, y / g->h,
                style);
    else
        fprintf(f, "set arrow %d from screen %.5f, screen %.5f to screen %.5f, screen %.5f nohead %s\n", 10 + 2 * i,
                x0 / g->w, y / g->h, (x0 + 0.4) / g->w, y / g->h, style);
    fprintf(f, "set label %d ", 11 + 2 * i);
    gp_str(f, label);
    fprintf(f, " at screen %.5f, screen %.5f left\n", (x0 + 0.48) / g->w, y / g->h);
}

static void write_legend(FILE *f, const struct plot_opts *o, const struct layout *g, const struct legend *L)
{
    fputs("set lmargin at screen 0\nset rmargin at screen 1\nset tmargin at screen 1\nset bmargin at screen 0\n"
          "unset label 2\nunset title\nunset xlabel\nunset ylabel\nunset logscale\nunset border\nunset tics\nunset grid\nunset key\n"
          "set xrange [0:1]\nset yrange [0:1]\n",
          f);
    if (o->caption && *o->caption) {
        char buf[1024];
        fputs("set label 1 ", f);
        gp_str(f, wrap_text(o->caption, (g->w - 0.2) / CHAR_W, buf, sizeof buf));
        /* a label's position is its first line's */
        fprintf(f, " at screen 0.5, screen %.5f center\n", (g->cap_h - 0.5 * LINE_H - 0.02) / g->h);
    }
    char style[128];
    int e = 0;
    for (int i = 0; i < L->n; i++, e++) {
        struct plot_series sr = {.label = L->label[i], .style = L->style[i]};
        series_style(style, sizeof style, L, &sr, 0);
        legend_entry(f, g, e, style, L->label[i], sr.style == PLOT_POINTS);
    }
    snprintf(style, sizeof style, "lc rgb '%s' lw 1 dt (3,3)", GREY);
    if (L->hline_label) legend_entry(f, g, e++, style, L->hline_label, 0);
    if (L->diagonal) legend_entry(f, g, e++, style, "y = x", 0);
    fputs("plot 2 notitle\nunset label\nunset arrow\nset border\nset tics\n", f);
}

/* Open DIR/STEM.EXT (core/outfile.h). */
static FILE *open_out(struct outfile **o, const char *dir, const char *stem, const char *ext)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.%s", dir, stem, ext);
    return outfile_open(o, path) == NASW_OK ? outfile_stream(*o) : NULL;
}

/* STEM.gp: the figure once per terminal (PDF, PNG, SVG) of one size. */
static int write_script(const char *dir, const char *stem, const struct plot_panel *panels, int n_panels,
                        const struct plot_opts *o, const struct legend *L, const struct layout *g)
{
    struct outfile *out;
    FILE *f = open_out(&out, dir, stem, "gp");
    if (!f) return NASW_EIO;
    fprintf(f, "# written by nasw; run with: gnuplot %s.gp (makes %s.pdf, %s.png, %s.svg)\n", stem, stem, stem, stem);
    fprintf(f, "# figure %.3g x %.3g in, text 9 pt, tick labels 8 pt; Okabe-Ito colours, one dash type each\n", g->w, g->h);
    for (int i = 0; i < 3; i++)
        fprintf(f, "if (!exists('%s_out')) %s_out = '%s.%s'\n", EXT[i], EXT[i], stem, EXT[i]);
    fputs("set encoding utf8\nset datafile missing 'NaN'\nset grid lc rgb '#dddddd' lw 0.6 dt solid\nset border lw 0.8\n"
          "set tics font ',8' nomirror out scale 0.6\nset format y '%g'\nset format x '%g'\n",
          f);
    fputs("has_pdf = strstrt(GPVAL_TERMINALS, 'pdfcairo') > 0\n"
          "if (!has_pdf) print 'gnuplot has no pdfcairo terminal: no PDF made (install gnuplot-nox 5 or later)'\n"
          "do for [term = (has_pdf ? 1 : 2):3] {\n",
          f);
    fprintf(f, "if (term == 1) { set terminal pdfcairo size %.4fin,%.4fin font 'sans,9' noenhanced; set output pdf_out }\n",
            g->w, g->h);
    fprintf(f, "if (term == 2) { set terminal pngcairo size %d,%d font 'sans,9' fontscale %.4f linewidth %.4f noenhanced; "
               "set output png_out }\n",
            (int)lround(g->w * DPI), (int)lround(g->h * DPI), DPI / 72.0, DPI / 72.0);
    fprintf(f, "if (term == 3) { set terminal svg size %d,%d font 'sans,9' dynamic noenhanced; set output svg_out }\n",
            (int)lround(g->w * 72), (int)lround(g->h * 72));
    fputs("set multiplot\n", f);
    int index = 0;
    fputs("unset ylabel\n", f);
    for (int p = 0; p < n_panels; p++) write_panel(f, stem, panels, p, &index, o, g, L);
    write_legend(f, o, g, L);
    fputs("unset multiplot\nset output\n}\n", f);
    return outfile_commit(out);
}

static const struct plot_opts NO_OPTS;

/* The y range of a panel without one: the data, bands and reference line,
 * padded 5% (log: a factor 1.5).  gnuplot's autoscale would widen it to
 * its own tick marks, which are not ours (gp_axes). */
static void auto_yrange(struct plot_panel *pn, const struct plot_opts *o)
{
    if (pn->ymin < pn->ymax) return;
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < pn->n_series; s++) {
        const struct plot_series *sr = &pn->series[s];
        for (int i = 0; i < sr->n; i++) {
            double v[3] = {sr->y[i], sr->lo ? sr->lo[i] : NAN, sr->hi ? sr->hi[i] : NAN};
            if (!isfinite(sr->x[i]) || !isfinite(v[0]) || (o->logx && sr->x[i] <= 0)) continue;
            for (int k = 0; k < 3; k++)
                if (isfinite(v[k]) && (!o->logy || v[k] > 0)) lo = fmin(lo, v[k]), hi = fmax(hi, v[k]);
        }
    }
    if (isfinite(pn->hline) && (!o->logy || pn->hline > 0)) lo = fmin(lo, pn->hline), hi = fmax(hi, pn->hline);
    if (!(lo < hi)) return; /* one value or none: gnuplot's autoscale */
    if (o->logy) pn->ymin = lo / 1.5, pn->ymax = hi * 1.5;
    else pn->ymin = lo - 0.05 * (hi - lo), pn->ymax = hi + 0.05 * (hi - lo);
}

/* plot_lines() of panels with their y ranges. */
static int lines_ranged(const char *dir, const char *stem, const struct plot_panel *panels, int n_panels,
                        const struct plot_opts *o)
{
    /* the layout first: a figure too small for its panels writes nothing */
    struct legend L;
    struct layout g;
    legend_build(&L, panels, n_panels);
    int st = layout_compute(&g, panels, n_panels, &L, o, 0);
    if (st) return st;
    struct outfile *out;
    FILE *f = open_out(&out, dir, stem, "dat");
    if (!f) return NASW_EIO;
    for (int p = 0; p < n_panels; p++)
        for (int s = 0; s < panels[p].n_series; s++) {
            const struct plot_series *sr = &panels[p].series[s];
            fputs("# ", f);
            for (const char *c = panels[p].title ? panels[p].title : ""; *c; c++) fputc(*c == '\n' ? ' ' : *c, f);
            fprintf(f, " | %s\n", sr->label ? sr->label : "");
            int any = 0;
            for (int i = 0; i < sr->n; i++) {
                double y = sr->y[i], lo = sr->lo ? sr->lo[i] : y, hi = sr->hi ? sr->hi[i] : y;
                if (!isfinite(sr->x[i]) || !isfinite(y) || (o->logy && y <= 0) || (o->logx && sr->x[i] <= 0))
                    continue; /* missing points are left out */
                if (o->logy) {
                    if (lo <= 0) lo = y / 10;
                    if (hi <= 0) hi = y;
                }
                fprintf(f, "%.10g %.10g %.10g %.10g\n", sr->x[i], y, lo, hi);
                any = 1;
            }
            if (!any) fputs("NaN NaN NaN NaN\n", f); /* keep the index numbering */
            fputs("\n\n", f);
        }
    if ((st = outfile_commit(out))) return st;
    if ((st = write_script(dir, stem, panels, n_panels, o, &L, &g))) return st;
    return render(dir, stem);
}

int plot_lines(const char *dir, const char *stem, const struct plot_panel *panels_in, int n_panels,
               const struct plot_opts *o)
{
    if (!o) o = &NO_OPTS;
    struct plot_panel *panels = malloc(sizeof *panels * (size_t)(n_panels > 0 ? n_panels : 1));
    if (!panels) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int p = 0; p < n_panels; p++) {
        panels[p] = panels_in[p];
        auto_yrange(&panels[p], o);
    }
    int st = lines_ranged(dir, stem, panels, n_panels, o);
    free(panels);
    return st;
}

int plot_scatter(const char *dir, const char *stem, const char *title, const char *xlabel, const char *ylabel,
                 const double *x, const double *y, int n, const struct plot_opts *o)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) continue;
        lo = fmin(lo, fmin(x[i], y[i]));
        hi = fmax(hi, fmax(x[i], y[i]));
    }
    if (!(lo < hi)) {
        lo = isfinite(lo) ? lo - 1 : 0;
        hi = isfinite(hi) ? hi + 1 : 1;
    }
    double pad = 0.03 * (hi - lo);
    struct plot_series s = {"architecture", n, x, y, NULL, NULL, PLOT_POINTS};
    struct plot_panel p = {title, ylabel, NAN, NULL, 1, &s, lo - pad, hi + pad, 1};
    struct plot_opts so = o ? *o : NO_OPTS;
    so.xlabel = xlabel;
    so.logx = so.logy = so.xtics_at_data = 0;
    struct legend L;
    struct layout g;
    legend_build(&L, &p, 1);
    int st = layout_compute(&g, &p, 1, &L, &so, 1);
    if (st) return st;
    struct outfile *out;
    FILE *f = open_out(&out, dir, stem, "dat");
    if (!f) return NASW_EIO;
    fprintf(f, "# %s | %s against %s\n", title ? title : "", ylabel ? ylabel : "", xlabel ? xlabel : "");
    int any = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) fprintf(f, "%.10g %.10g %.10g %.10g\n", x[i], y[i], y[i], y[i]), any = 1;
    if (!any) fputs("NaN NaN NaN NaN\n", f);
    if ((st = outfile_commit(out))) return st;
    if ((st = write_script(dir, stem, &p, 1, &so, &L, &g))) return st;
    return render(dir, stem);
}

int plot_parse_size(const char *s, double *w, double *h)
{
    char *end;
    if (!s || !*s) return -1;
    errno = 0;
    *w = strtod(s, &end);
    if (end == s || *end != ',' || errno) return -1;
    const char *t = end + 1;
    if (!*t) return -1;
    *h = strtod(t, &end);
    if (end == t || *end || errno) return -1;
    if (!(*w >= PLOT_MIN_INCHES && *w <= PLOT_MAX_INCHES && *h >= PLOT_MIN_INCHES && *h <= PLOT_MAX_INCHES)) return -1;
    return 0;
}

/* Ends with suffix? */
static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* The words and the unit ("" if none) nasw derives from a column name. */
static void metric_words(const char *c, int percent, char *words, size_t n, const char **unit)
{
    /* the split a metric was measured on, from the usual prefixes */
    const char *split = !strncmp(c, "val", 3) || strstr(c, "valid") ? "validation "
                        : !strncmp(c, "test", 4)                     ? "test "
                        : !strncmp(c, "train", 5)                    ? "training "
                                                                     : "";
    *unit = "";
    if (strstr(c, "acc")) snprintf(words, n, "%saccuracy", split), *unit = percent ? "%" : "fraction";
    else if (strstr(c, "loss")) snprintf(words, n, "%sloss", split);
    else if (strstr(c, "latency")) snprintf(words, n, "latency"), *unit = ends_with(c, "_s") ? "s" : "ms";
    else if (ends_with(c, "_ms")) snprintf(words, n, "%.*s", (int)strlen(c) - 3, c), *unit = "ms";
    else if (!strcmp(c, "cost_s") || !strcmp(c, "time_s")) snprintf(words, n, "training time"), *unit = "s";
    else if (ends_with(c, "_s")) snprintf(words, n, "%.*s", (int)strlen(c) - 2, c), *unit = "s";
    else if (!strcmp(c, "params_m") || !strcmp(c, "params"))
        snprintf(words, n, "parameters"), *unit = ends_with(c, "_m") ? "millions" : "";
    else if (!strcmp(c, "flops_m") || !strcmp(c, "flops"))
        snprintf(words, n, "FLOPs"), *unit = ends_with(c, "_m") ? "millions" : "";
    else snprintf(words, n, "%s", c);
}

const char *plot_axis_label(const char *column, int percent, const char *label, const char *unit, char *buf, size_t n)
{
    char words[256];
    const char *derived;
    metric_words(column ? column : "", percent, words, sizeof words, &derived);
    const char *w = label ? label : words, *u = unit ? unit : derived;
    if (*u) snprintf(buf, n, "%s (%s)", w, u);
    else snprintf(buf, n, "%s", w);
    return buf;
}

const char *plot_metric_label(const char *column, int percent, char *buf, size_t n)
{
    return plot_axis_label(column, percent, NULL, NULL, buf, n);
}
