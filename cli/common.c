/*
 * cli/common.c - helpers shared by the subcommands: messages, strict number
 * parsing, the table flags, the progress bar.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/outfile.h"
#include "core/status.h"

const char *cli_command_line = "";

static void report(const char *prefix, const char *fmt, va_list ap)
{
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("error: ", fmt, ap);
    va_end(ap);
    return CLI_ERROR;
}

int cli_error_status(int status)
{
    const char *m = nasw_errmsg();
    return cli_error("%s", *m ? m : nasw_strstatus(status));
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("error: ", fmt, ap);
    va_end(ap);
    fprintf(stderr, "see 'nasw %s -h'\n", cmd);
    return CLI_USAGE;
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("warning: ", fmt, ap);
    va_end(ap);
}

void cli_csv_num(FILE *f, const char *fmt, double x)
{
    if (isfinite(x)) fprintf(f, fmt, x);
}

int cli_plot_failed(int status, const char *dir, const char *stem)
{
    if (status == NASW_OK) return 0;
    if (status == NASW_EUNSUPPORTED) {
        cli_warn("gnuplot not found: wrote %.200s/%s.dat and .gp only", dir, stem);
        return 0;
    }
    const char *m = nasw_errmsg();
    cli_warn("no plot '%.200s/%s': %s", dir, stem, *m ? m : nasw_strstatus(status));
    return 1;
}

int cli_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s) return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cli_parse_long(const char *s, long *out)
{
    char *end;
    if (!s || !*s) return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

int cli_option_once(const char *cmd, const struct option *longopts, int *longindex, struct cli_seen *s)
{
    static const char *const always[] = {"maximize", "minimize", NULL};
    int li = *longindex;
    *longindex = -1;
    if (li < 0) return 0;
    const char *name = longopts[li].name;
    int val = longopts[li].val;
    /* repeatable by design: one constraint per flag (their number is
     * checked where they are parsed) */
    if (!strcmp(name, "constraint")) return 0;
    for (int i = 0; i < s->n; i++) {
        /* aliases (--dataset, --datasets) share a value: one option */
        if (s->val[i] == val) {
            if (strcmp(s->name[i], name))
                return cli_usage_error(cmd, "option '--%s' given more than once (also as '--%s')", name, s->name[i]);
            return cli_usage_error(cmd, "option '--%s' given more than once", name);
        }
        for (int k = 0; k < 2; k++)
            for (const char *const *p = k ? s->excl : always; p && p[0] && p[1]; p += 2)
                if ((!strcmp(name, p[0]) && !strcmp(s->name[i], p[1])) ||
                    (!strcmp(name, p[1]) && !strcmp(s->name[i], p[0])))
                    return cli_usage_error(cmd, "options '--%s' and '--%s' cannot be used together", s->name[i],
                                           name);
    }
    if (s->n < (int)(sizeof s->val / sizeof s->val[0])) {
        s->val[s->n] = val;
        s->name[s->n++] = name;
    }
    return 0;
}

int cli_table_option(int opt, const char *arg, struct table_opts *o)
{
    switch (opt) {
    case 0x1001: o->search_metric = arg; return 1;
    case 0x1002: o->report_metric = arg; return 1;
    case 0x1003: o->cost_metric = arg; return 1;
    case 0x1004: o->direction = +1; return 1;
    case 0x1005: o->direction = -1; return 1;
    case 0x1006: o->curves_path = arg; return 1;
    case 0x1007: o->dataset = arg; return 1;
    case 0x1008: o->no_sidecar = 1; return 1;
    default: return 0;
    }
}

void cli_table_options_help(FILE *f)
{
    fputs("table options (override the sidecar TABLE.meta.json and detection):\n"
          "  --metric NAME         column searched on (default: val_acc, ...)\n"
          "  --report NAME         column reported (default: test_acc, ...)\n"
          "  --cost NAME           column of training seconds (default: cost_s, ...)\n"
          "  --maximize|--minimize direction of the search metric\n"
          "  --curves FILE         long-format learning-curve file to attach\n"
          "  --table-dataset NAME  dataset name when the table has no dataset column\n"
          "  --no-sidecar          ignore TABLE.meta.json\n",
          f);
}

struct table *cli_load_table(const char *path, const struct table_opts *o)
{
    struct table *t = NULL;
    int st = table_load(&t, path, o);
    if (st) {
        cli_error_status(st);
        return NULL;
    }
    return t;
}

FILE *cli_out_open(struct outfile **o, const char *dir, const char *name)
{
    char path[4200];
    if (dir) snprintf(path, sizeof path, "%s/%s", dir, name);
    int st = outfile_open(o, dir ? path : name);
    if (st) {
        cli_error_status(st);
        return NULL;
    }
    return outfile_stream(*o);
}

int cli_out_commit(struct outfile *o)
{
    int st = outfile_commit(o);
    return st ? cli_error_status(st) : CLI_OK;
}

struct cli_progress {
    char label[64];
    double total, last_frac;
    struct timespec t0;
    int tty;
};

struct cli_progress *cli_progress_new(const char *label, double total)
{
    struct cli_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total > 0 ? total : 1;
    p->last_frac = -1;
    p->tty = isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
    return p;
}

void cli_progress_set(struct cli_progress *p, double done)
{
    if (!p || !p->tty) return;
    double frac = done / p->total;
    if (frac > 1) frac = 1;
    if (frac - p->last_frac < 0.005 && frac < 1) return;
    p->last_frac = frac;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double el = (double)(t.tv_sec - p->t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - p->t0.tv_nsec);
    int w = 30, fill = (int)(frac * w + 0.5);
    char bar[64];
    for (int i = 0; i < w; i++) bar[i] = i < fill ? '#' : '.';
    bar[w] = '\0';
    fprintf(stderr, "\r%s [%s] %3.0f%% %.1fs", p->label, bar, 100 * frac, el);
    if (done > 0 && el > 0) /* rate and ETA, from the mean rate so far */
        fprintf(stderr, " %.3g/s ETA %.0fs ", done / el, (p->total - done) * el / done);
    fflush(stderr);
}

void cli_progress_done(struct cli_progress *p)
{
    if (!p) return;
    if (p->tty && p->last_frac >= 0) fputs("\r\033[K", stderr);
    free(p);
}

int cli_parse_budget(const char *s, double *budget, int *kind)
{
    char buf[64];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, s, n + 1);
    *kind = 0;
    if (buf[n - 1] == 's' || buf[n - 1] == 'e') {
        *kind = buf[n - 1] == 's' ? 1 : 2;
        buf[n - 1] = '\0';
    }
    double v;
    if (cli_parse_double(buf, &v) || v <= 0) return -1;
    if (*kind != 1 && v != floor(v)) return -1;
    *budget = v;
    return 0;
}

int cli_split_list(const char *s, char ***items, int *n)
{
    *items = NULL;
    *n = 0;
    char *copy = strdup(s);
    if (!copy) return -1;
    int cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    char **v = calloc((size_t)cap, sizeof *v);
    if (!v) {
        free(copy);
        return -1;
    }
    int k = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!(v[k] = strdup(tok))) break;
        k++;
    }
    free(copy);
    *items = v;
    *n = k;
    return 0;
}

void cli_free_list(char **items, int n)
{
    for (int i = 0; i < n; i++) free(items[i]);
    free(items);
}
