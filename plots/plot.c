/*
 * plots/plot.c - gnuplot figures (see plots/plot.h).
 *
 * The script plots each panel twice, once per terminal (pngcairo, svg), into
 * png_out and svg_out: nasw passes the temporary files of core/outfile.h
 * (put in place only if gnuplot succeeds); run by hand, the script writes
 * STEM.png and STEM.svg.
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

static const char *const COLORS[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define N_COLORS (sizeof COLORS / sizeof *COLORS)

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

/* gnuplot single-quoted string: '' escapes a quote */
static void gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; s && *s; s++) {
        if (*s == '\'') fputc('\'', f);
        if (*s != '\n') fputc(*s, f);
    }
    fputc('\'', f);
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

/* Run STEM.gp with its PNG and SVG outputs opened by core/outfile.h, and
 * put them in place only if gnuplot succeeds. */
static int render(const char *dir, const char *stem)
{
    if (!plot_have_gnuplot()) return NASW_EUNSUPPORTED;
    const char *ext[2] = {"png", "svg"};
    struct outfile *out[2] = {NULL, NULL};
    char path[4200], gp[4200], vars[3 * 4200] = "";
    int st = NASW_OK;
    for (int i = 0; i < 2 && st == NASW_OK; i++) {
        snprintf(path, sizeof path, "%s/%s.%s", dir, stem, ext[i]);
        char var[16];
        snprintf(var, sizeof var, "%s_out", ext[i]);
        if ((st = outfile_open(&out[i], path)) == NASW_OK) gp_var(vars, sizeof vars, var, outfile_write_path(out[i]));
    }
    snprintf(gp, sizeof gp, "%s.gp", stem);
    if (st == NASW_OK) st = run_gnuplot(dir, gp, vars);
    for (int i = 0; i < 2; i++) {
        if (st == NASW_OK) st = outfile_commit(out[i]);
        else outfile_abort(out[i]);
    }
    return st;
}

/* The gnuplot lines choosing the outputs: the names nasw passes with -e, or
 * STEM.png and STEM.svg when the script is run by hand. */
static void gp_outputs(FILE *f, const char *stem)
{
    fprintf(f, "if (!exists('png_out')) png_out = '%s.png'\nif (!exists('svg_out')) svg_out = '%s.svg'\n", stem, stem);
}

static void write_panels(FILE *f, const char *stem, const struct plot_panel *panels, int n_panels,
                         const struct plot_opts *o)
{
    int index = 0;
    for (int p = 0; p < n_panels; p++) {
        const struct plot_panel *pn = &panels[p];
        fputs("set title ", f);
        gp_str(f, pn->title);
        fputs("\nset xlabel ", f);
        gp_str(f, o->xlabel);
        fputs("\nset ylabel ", f);
        gp_str(f, pn->ylabel);
        fprintf(f, "\n%s\n%s\n", o->logx ? "set logscale x" : "unset logscale x",
                o->logy ? "set logscale y\nset format y '%g'" : "unset logscale y\nset format y '% g'");
        double xmin = INFINITY, xmax = -INFINITY;
        for (int s = 0; s < pn->n_series; s++)
            for (int i = 0; i < pn->series[s].n; i++)
                if (isfinite(pn->series[s].x[i]) && (!o->logx || pn->series[s].x[i] > 0)) {
                    xmin = fmin(xmin, pn->series[s].x[i]);
                    xmax = fmax(xmax, pn->series[s].x[i]);
                }
        if (xmin < xmax) fprintf(f, "set xrange [%.10g:%.10g]\n", xmin, xmax);
        else fputs("set autoscale x\n", f);
        fputs("plot ", f);
        for (int s = 0; s < pn->n_series; s++) {
            const char *c = COLORS[s % N_COLORS];
            if (s) fputs(", \\\n     ", f);
            if (pn->series[s].lo)
                fprintf(f, "'%s.dat' index %d using 1:3:4 with filledcurves lc rgb '%s' fs transparent solid 0.18 noborder notitle, \\\n     ",
                        stem, index, c);
            fprintf(f, "'%s.dat' index %d using 1:2 with lines lw 2 lc rgb '%s' title ", stem, index, c);
            gp_str(f, pn->series[s].label);
            index++;
        }
        if (isfinite(pn->hline)) {
            fprintf(f, "%s%.10g with lines dt 2 lw 1.5 lc rgb 'black' title ", pn->n_series ? ", \\\n     " : "",
                    pn->hline);
            gp_str(f, pn->hline_label ? pn->hline_label : "");
        }
        fputs("\n", f);
    }
}

/* Open DIR/STEM.EXT (core/outfile.h). */
static FILE *open_out(struct outfile **o, const char *dir, const char *stem, const char *ext)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.%s", dir, stem, ext);
    return outfile_open(o, path) == NASW_OK ? outfile_stream(*o) : NULL;
}

int plot_lines(const char *dir, const char *stem, const struct plot_panel *panels, int n_panels,
               const struct plot_opts *o)
{
    struct outfile *out;
    FILE *f = open_out(&out, dir, stem, "dat");
    if (!f) return NASW_EIO;
    for (int p = 0; p < n_panels; p++)
        for (int s = 0; s < panels[p].n_series; s++) {
            const struct plot_series *sr = &panels[p].series[s];
            fprintf(f, "# %s | %s\n", panels[p].title, sr->label);
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
    int st = outfile_commit(out);
    if (st) return st;
    if (!(f = open_out(&out, dir, stem, "gp"))) return NASW_EIO;
    int w = o->width > 0 ? o->width : 640, h = o->height > 0 ? o->height : 420;
    int cols = n_panels <= 3 ? n_panels : 3, rows = (n_panels + cols - 1) / cols;
    fprintf(f, "# written by nasw; run with: gnuplot %s.gp\n", stem);
    fputs("set key bottom right noenhanced\nset grid\nset datafile missing 'NaN'\n", f);
    gp_outputs(f, stem);
    const char *term[2] = {"pngcairo noenhanced font ',10'", "svg noenhanced font ',10' dynamic"};
    const char *ext[2] = {"png", "svg"};
    for (int k = 0; k < 2; k++) {
        fprintf(f, "set terminal %s size %d,%d\nset output %s_out\n", term[k], w * cols, h * rows, ext[k]);
        fprintf(f, "set multiplot layout %d,%d\n", rows, cols);
        write_panels(f, stem, panels, n_panels, o);
        fputs("unset multiplot\nset output\n", f);
    }
    if ((st = outfile_commit(out))) return st;
    return render(dir, stem);
}

int plot_scatter(const char *dir, const char *stem, const char *title, const char *xlabel, const char *ylabel,
                 const double *x, const double *y, int n)
{
    struct outfile *out;
    FILE *f = open_out(&out, dir, stem, "dat");
    if (!f) return NASW_EIO;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) continue;
        fprintf(f, "%.10g %.10g\n", x[i], y[i]);
        lo = fmin(lo, fmin(x[i], y[i]));
        hi = fmax(hi, fmax(x[i], y[i]));
    }
    int st = outfile_commit(out);
    if (st) return st;
    if (!(f = open_out(&out, dir, stem, "gp"))) return NASW_EIO;
    if (!(lo < hi)) {
        lo = 0;
        hi = 1;
    }
    const char *term[2] = {"pngcairo noenhanced font ',10'", "svg noenhanced font ',10' dynamic"};
    const char *ext[2] = {"png", "svg"};
    fputs("set grid\nset key top left noenhanced\n", f);
    gp_outputs(f, stem);
    for (int k = 0; k < 2; k++) {
        fprintf(f, "set terminal %s size 560,520\nset output %s_out\nset title ", term[k], ext[k]);
        gp_str(f, title);
        fputs("\nset xlabel ", f);
        gp_str(f, xlabel);
        fputs("\nset ylabel ", f);
        gp_str(f, ylabel);
        fprintf(f, "\nset xrange [%.10g:%.10g]\nset yrange [%.10g:%.10g]\n", lo, hi, lo, hi);
        fprintf(f, "plot '%s.dat' using 1:2 with points pt 7 ps 0.5 lc rgb '#1f77b4' notitle, x with lines dt 2 lc rgb 'black' title 'y = x'\nset output\n", stem);
    }
    if ((st = outfile_commit(out))) return st;
    return render(dir, stem);
}
