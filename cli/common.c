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

#include "api/predictor.h"
#include "cli/cli.h"
#include "core/outfile.h"
#include "core/status.h"
#include "plots/plot.h"
#include "search/search.h"

const char *cli_command_line = "";
int cli_verbosity = CLI_NORMAL;
struct cli_progress *cli_live_progress;

int cli_verbosity_option(const char *cmd, int c)
{
    if (c != 'q' && c != 'v') return 0;
    int want = c == 'q' ? CLI_QUIET : CLI_VERBOSE;
    /* the short forms bypass cli_option_once (it sees long options only) */
    if (cli_verbosity == want) {
        cli_usage_error(cmd, "option '--%s' given more than once", c == 'q' ? "quiet" : "verbose");
        return -1;
    }
    if (cli_verbosity != CLI_NORMAL) {
        cli_usage_error(cmd, "options '--quiet' and '--verbose' cannot be used together");
        return -1;
    }
    cli_verbosity = want;
    return 1;
}

FILE *cli_text(FILE *f)
{
    static FILE *null; /* one per process, closed at exit */
    if (cli_verbosity != CLI_QUIET) return f;
    if (!null) null = fopen("/dev/null", "w");
    return null ? null : f;
}

int cli_quiet_stdout(int data_on_stdout)
{
    if (cli_verbosity != CLI_QUIET || data_on_stdout) return 0;
    fflush(stdout);
    if (!freopen("/dev/null", "w", stdout)) return cli_error("cannot silence standard output: %s", strerror(errno));
    return 0;
}

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

int cli_usage_hint(const char *cmd, const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("error: ", fmt, ap);
    va_end(ap);
    if (hint && *hint) fprintf(stderr, "hint: %s\n", hint);
    fprintf(stderr, "see 'nasw %s -h'\n", cmd);
    return CLI_USAGE;
}

/* Levenshtein distance of a and b (two rows of the DP table), capped at
 * cap + 1: only "within 2 edits" matters, and option and strategy names
 * are short, so longer words are cut at 63 characters. */
static int edit_distance(const char *a, const char *b, int cap)
{
    int na = (int)strnlen(a, 63), nb = (int)strnlen(b, 63);
    if (abs(na - nb) > cap) return cap + 1;
    int row[2][64];
    for (int j = 0; j <= nb; j++) row[0][j] = j;
    for (int i = 1; i <= na; i++) {
        int *prev = row[(i - 1) & 1], *cur = row[i & 1];
        cur[0] = i;
        for (int j = 1; j <= nb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    }
    int d = row[na & 1][nb];
    return d > cap ? cap + 1 : d;
}

const char *cli_nearest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int bd = 3, ties = 0;
    for (int i = 0; i < n; i++) {
        if (!cands[i] || !strcmp(cands[i], word)) continue;
        int d = edit_distance(word, cands[i], 2);
        if (d < bd) {
            bd = d;
            best = cands[i];
            ties = 0;
        } else if (d == bd && best && strcmp(best, cands[i]))
            ties = 1;
    }
    return bd <= 2 && !ties ? best : NULL;
}

int cli_bad_option(const char *cmd, const struct option *longopts, int c, const char *arg)
{
    char name[64] = "";
    if (!strncmp(arg, "--", 2)) snprintf(name, sizeof name, "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
    int out_on_dir = c == CLI_OUT_NOT_DIR;
    const char *cands[128];
    int n = 0;
    for (int i = 0; longopts[i].name && n < 128; i++) {
        if (longopts[i].val == CLI_OUT_NOT_DIR) {
            if (!strcmp(name, longopts[i].name)) out_on_dir = 1; /* "--out" with no value */
            continue;                                             /* never suggested */
        }
        cands[n++] = longopts[i].name;
    }
    char hint[200];
    if (out_on_dir) {
        snprintf(hint, sizeof hint, "%s writes a directory; use --dir DIR", cmd);
        return cli_usage_hint(cmd, hint, "option '--out' names a file; %s writes a directory", cmd);
    }
    const char *near = *name ? cli_nearest(name, cands, n) : NULL;
    hint[0] = '\0';
    if (near) snprintf(hint, sizeof hint, "did you mean '--%s'?", near);
    return cli_usage_hint(cmd, hint, "unknown or incomplete option '%.64s'", arg);
}

int cli_spec_error(const char *cmd, const char *specs)
{
    char msg[1024], hint[200] = "";
    snprintf(msg, sizeof msg, "%s", nasw_errmsg());
    const char *names[128];
    int n = 0;
    while (search_registry[n] && n < 128) {
        names[n] = search_registry[n]->name;
        n++;
    }
    /* the item the parser refused (the first that does not parse): a near
     * miss of a strategy name or of one of its parameter keys */
    const char *p = specs;
    for (;;) {
        size_t len = strcspn(p, ",");
        char item[512];
        struct search_spec tmp;
        snprintf(item, sizeof item, "%.*s", (int)(len < sizeof item ? len : sizeof item - 1), p);
        int last = !p[len];
        p += len + !last;
        if (search_spec_parse(item, &tmp) == NASW_OK) {
            if (last) break;
            continue;
        }
        char *save = NULL, *nm = strtok_r(item, ":", &save);
        const struct search_type *t = nm ? search_find(nm) : NULL;
        if (!t) {
            const char *near = nm ? cli_nearest(nm, names, n) : NULL;
            if (near) snprintf(hint, sizeof hint, "did you mean '%s'?", near);
            break;
        }
        const char *keys[SEARCH_MAX_PARAMS];
        int nk = 0;
        for (int i = 0; t->params && t->params[i].name && nk < SEARCH_MAX_PARAMS; i++) keys[nk++] = t->params[i].name;
        for (char *kv = strtok_r(NULL, ":", &save); kv && !*hint; kv = strtok_r(NULL, ":", &save)) {
            kv[strcspn(kv, "=")] = '\0';
            int known = 0;
            for (int i = 0; i < nk; i++) known |= !strcmp(keys[i], kv);
            const char *near = known ? NULL : cli_nearest(kv, keys, nk);
            if (near) snprintf(hint, sizeof hint, "did you mean '%s:%s=...'?", t->name, near);
        }
        break;
    }
    return cli_usage_hint(cmd, hint, "%s", msg);
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
    static const char *const always[] = {"maximize", "minimize", "quiet", "verbose", NULL};
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

/* Progress (docs/cli.md): a bar on a terminal, lines under -v, nothing
 * under -q or when stderr is not a terminal.  NASW_FORCE_TTY=1 draws the
 * bar into a file or pipe too (tests, `script` logs). */
struct cli_progress {
    char label[64];
    double total, last_frac, base;
    struct timespec t0;
    int mode;  /* 0 off, 1 bar, 2 lines */
    int drawn; /* the bar is on screen: a line printed now must clear it first */
};

static int force_tty(void)
{
    const char *e = getenv("NASW_FORCE_TTY");
    return e && *e && strcmp(e, "0");
}

struct cli_progress *cli_progress_new(const char *label, double total)
{
    struct cli_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total > 0 ? total : 1;
    p->last_frac = -1;
    /* -v prints lines of its own (tables build: per epoch): progress as
     * lines too, never a bar they would be printed through */
    p->mode = cli_verbosity == CLI_QUIET ? 0 : cli_verbosity == CLI_VERBOSE ? 2
            : isatty(STDERR_FILENO) || force_tty() ? 1 : 0;
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
    return p;
}

void cli_progress_set_frac(struct cli_progress *p, double done, double frac)
{
    if (!p || !p->mode) return;
    if (!(frac >= 0)) frac = 0;
    if (frac > 1) frac = 1;
    /* the bar is redrawn by 0.5% steps (and after a line cleared it), a
     * line is printed at each 10% crossed */
    if (p->mode == 1 && p->drawn && frac - p->last_frac < 0.005 && !(frac == 1 && p->last_frac < 1)) return;
    if (p->mode == 2 && floor(frac * 10) <= floor((p->last_frac < 0 ? 0 : p->last_frac) * 10)) return;
    p->last_frac = frac;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double el = (double)(t.tv_sec - p->t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - p->t0.tv_nsec);
    char eta[64] = "";
    /* rate in the caller's units; ETA from the work-weighted fraction */
    if (done > 0 && el > 0 && frac > 0)
        snprintf(eta, sizeof eta, " %.3g/s ETA %.0fs", done / el, (1 - frac) * el / frac);
    if (p->mode == 2) {
        fprintf(stderr, "%s: %3.0f%% (%.0f/%.0f) %.1fs%s\n", p->label, 100 * frac, done, p->total, el, eta);
        return;
    }
    int w = 30, fill = (int)(frac * w + 0.5);
    char bar[64];
    for (int i = 0; i < w; i++) bar[i] = i < fill ? '#' : '.';
    bar[w] = '\0';
    fprintf(stderr, "\r%s [%s] %3.0f%% %.1fs%s \033[K", p->label, bar, 100 * frac, el, eta);
    fflush(stderr);
    p->drawn = 1;
}

void cli_progress_set(struct cli_progress *p, double done)
{
    if (p) cli_progress_set_frac(p, done, done / p->total);
}

void cli_progress_line(struct cli_progress *p)
{
    if (!p || p->mode != 1 || !p->drawn) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->drawn = 0;
}

void cli_progress_base(struct cli_progress *p, double base)
{
    if (p) p->base = base;
}

void cli_progress_epoch(void *ctx, int epoch, int epochs)
{
    struct cli_progress *p = *(struct cli_progress **)ctx;
    (void)epochs;
    if (p) cli_progress_set(p, p->base + epoch);
}

void cli_progress_done(struct cli_progress *p)
{
    if (!p) return;
    cli_progress_line(p);
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

int cli_size_option(const char *cmd, const char *arg, double *w, double *h)
{
    if (plot_parse_size(arg, w, h))
        return cli_usage_error(cmd, "bad --size '%.64s' (W,H in inches, each %g to %g)", arg, PLOT_MIN_INCHES,
                               PLOT_MAX_INCHES);
    return 0;
}

const char *cli_column_label(const struct table *t, const char *column, int percent, char *buf, size_t n)
{
    int m = t && column ? table_metric_index(t, column) : -1;
    if (m < 0) return plot_metric_label(column, percent, buf, n);
    return plot_axis_label(column, percent, table_metric_label(t, m), table_metric_unit(t, m), buf, n);
}

int cli_predictor_parse(const char *cmd, const char *s, const struct table *t, struct api_predictor *p)
{
    int st = api_predictor_parse(s, t, p);
    if (st == NASW_ENOMEM) return cli_error("out of memory");
    if (st) return cli_usage_error(cmd, "%s", nasw_errmsg());
    if (p->model == PRED_SUPERNET && strcmp(cmd, "predict"))
        return cli_usage_error(cmd, "predictor 'supernet' is for nasw predict only (it trains per trial)");
    return CLI_OK;
}
