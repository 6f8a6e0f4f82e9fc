/*
 * cli/confirm.c - `nasw confirm`: retrain the top architectures of a search
 * or a comparison with the live trainer and compare prediction and
 * measurement (Kendall tau, Spearman, MAE, does the winner hold).
 *
 * Input: a comparison directory (its best.csv: the best architecture of
 * every run, with the table's values) or a run log of `nasw search --out`
 * (every query).  Candidates are the distinct architectures, ranked by the
 * predicted search metric; the top K are trained through the live bench,
 * whose journal makes a rerun resume.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/status.h"
#include "plots/plot.h"
#include "stats/stats.h"
#include "train/live.h"

struct cand {
    char arch[ARCH_STR_MAX];
    double pval, ptest;
    int found; /* runs that ended on it */
};

struct cands {
    struct cand *v;
    int n, cap;
};

static int add_cand(struct cands *c, const char *arch, double val, double test)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].arch, arch)) {
            c->v[i].found++;
            return 0;
        }
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 64;
        struct cand *p = realloc(c->v, sizeof *p * (size_t)cap);
        if (!p) return -1;
        c->v = p;
        c->cap = cap;
    }
    struct cand *x = &c->v[c->n++];
    snprintf(x->arch, sizeof x->arch, "%s", arch);
    x->pval = val;
    x->ptest = test;
    x->found = 1;
    return 0;
}

/* DIR/best.csv of nasw compare (our own format: no quoted fields in the columns used) */
static int read_best(const char *dir, const char *dataset, struct cands *c)
{
    char path[4200], line[8192];
    snprintf(path, sizeof path, "%s/best.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return cli_error("cannot open '%.200s': %s (is it a nasw compare directory?)", path, strerror(errno));
    long ln = 0;
    int rc = CLI_OK;
    char first_ds[128] = "";
    while (fgets(line, sizeof line, f)) {
        if (ln++ == 0) continue;
        char *fld[7], *save = NULL;
        int n = 0;
        line[strcspn(line, "\n")] = '\0';
        for (char *t = strtok_r(line, ",", &save); t && n < 7; t = strtok_r(NULL, ",", &save)) fld[n++] = t;
        if (n != 7) {
            rc = cli_error("%.200s:%ld: expected 7 fields", path, ln);
            break;
        }
        if (!first_ds[0]) snprintf(first_ds, sizeof first_ds, "%s", fld[0]);
        if (strcmp(fld[0], dataset ? dataset : first_ds)) continue;
        if (add_cand(c, fld[3], strtod(fld[4], NULL), strtod(fld[5], NULL))) {
            rc = cli_error("out of memory");
            break;
        }
    }
    fclose(f);
    if (rc == CLI_OK && c->n == 0) rc = cli_error("no runs on dataset '%.64s' in '%.200s'", dataset ? dataset : first_ds, path);
    return rc;
}

/* a run log of nasw search --out: every query record */
static int read_runlog(const char *path, struct cands *c)
{
    FILE *f = fopen(path, "r");
    if (!f) return cli_error("cannot open '%.200s': %s", path, strerror(errno));
    char line[8192];
    long ln = 0;
    int rc = CLI_OK;
    while (fgets(line, sizeof line, f)) {
        ln++;
        json_error_t err;
        json_t *o = json_loads(line, 0, &err);
        if (!o) {
            rc = cli_error("%.200s:%ld: %s", path, ln, err.text);
            break;
        }
        const char *type = json_string_value(json_object_get(o, "type"));
        if (type && !strcmp(type, "query")) {
            const char *arch = json_string_value(json_object_get(o, "arch"));
            json_t *v = json_object_get(o, "val"), *t = json_object_get(o, "test");
            if (arch && json_is_number(v) && add_cand(c, arch, json_number_value(v), json_is_number(t) ? json_number_value(t) : NAN)) {
                json_decref(o);
                rc = cli_error("out of memory");
                break;
            }
        }
        json_decref(o);
    }
    fclose(f);
    if (rc == CLI_OK && c->n == 0) rc = cli_error("no query records in '%.200s'", path);
    return rc;
}

static int by_pval(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    return x->pval < y->pval ? 1 : x->pval > y->pval ? -1 : strcmp(x->arch, y->arch);
}

static void help(FILE *f)
{
    fputs("usage: nasw confirm DIR|RUN.jsonl [--top K] [--dataset D] [--bench live:fmnist[:PRESET]]\n"
          "                    [--journal FILE] [--train-seed K] [--out OUTDIR]\n"
          "\n"
          "Retrain the top-K architectures of a comparison (DIR/best.csv: the best of every run)\n"
          "or of a search run log with the live trainer, and compare the predicted (table)\n"
          "with the measured accuracy: Kendall tau, Spearman, MAE, and whether the predicted\n"
          "winner is the measured winner.  Writes OUTDIR/confirm.csv and OUTDIR/confirm.png.\n"
          "  --top K       architectures to retrain, best predicted first (default 5)\n"
          "  --dataset D   the comparison's dataset to take runs from (default: the first)\n"
          "  --bench B     live bench (default live:fmnist:proxy); --journal makes reruns resume\n"
          "  --out OUTDIR  default: DIR/confirm, or confirm-out for a run log\n",
          f);
}

int cmd_confirm(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"top", required_argument, 0, 'k'},     {"dataset", required_argument, 0, 'd'},
        {"bench", required_argument, 0, 'B'},   {"journal", required_argument, 0, 'J'},
        {"train-seed", required_argument, 0, 'K'}, {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    long top = 5, train_seed = 0;
    const char *dataset = NULL, *spec = "live:fmnist:proxy", *journal = NULL, *outdir = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (cli_parse_long(optarg, &top) || top < 2 || top > 100000) return cli_usage_error("confirm", "bad --top '%.64s' (>= 2)", optarg);
            break;
        case 'd': dataset = optarg; break;
        case 'B': spec = optarg; break;
        case 'J': journal = optarg; break;
        case 'K':
            if (cli_parse_long(optarg, &train_seed) || train_seed < 0) return cli_usage_error("confirm", "bad --train-seed '%.64s'", optarg);
            break;
        case 'o': outdir = optarg; break;
        case 'h': help(stdout); return CLI_OK;
        default: return cli_usage_error("confirm", "unknown or incomplete option '%.64s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return cli_usage_error("confirm", "expected one comparison directory or run log");
    if (strncmp(spec, "live:", 5)) return cli_usage_error("confirm", "--bench must be a live bench (live:fmnist[:PRESET])");
    const char *in = argv[optind];
    struct stat sb;
    if (stat(in, &sb) != 0) return cli_error("cannot open '%.200s': %s", in, strerror(errno));
    int is_dir = S_ISDIR(sb.st_mode);
    struct cands cs = {0};
    int rc = is_dir ? read_best(in, dataset, &cs) : read_runlog(in, &cs);
    if (rc) {
        free(cs.v);
        return rc;
    }
    char outbuf[4200], jbuf[4300];
    if (!outdir) {
        if (is_dir) snprintf(outbuf, sizeof outbuf, "%s/confirm", in);
        else snprintf(outbuf, sizeof outbuf, "confirm-out");
        outdir = outbuf;
    }
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        free(cs.v);
        return cli_error("cannot create '%.200s': %s", outdir, strerror(errno));
    }
    if (!journal) {
        snprintf(jbuf, sizeof jbuf, "%s/journal.csv", outdir);
        journal = jbuf;
    }
    qsort(cs.v, (size_t)cs.n, sizeof *cs.v, by_pval);
    int k = cs.n < top ? cs.n : (int)top;
    struct cli_benches cb;
    if (cli_benches_open(&cb, spec, NULL, 0, NULL, journal, train_seed)) {
        free(cs.v);
        return CLI_ERROR;
    }
    struct bench *b = cb.b[0];
    double *pv = malloc(sizeof(double) * (size_t)k * 4);
    if (!pv) {
        cli_benches_close(&cb);
        free(cs.v);
        return cli_error("out of memory");
    }
    double *pt = pv + k, *mv = pt + k, *mt = mv + k;
    printf("confirm: top %d of %d candidate architectures, retrained with %s (journal %s)\n", k, cs.n, b->name, journal);
    printf("  %-4s %10s %10s %10s %10s  %s\n", "rank", "pred_val", "pred_test", "meas_val", "meas_test", "arch");
    for (int i = 0; i < k && rc == CLI_OK; i++) {
        struct arch a;
        struct bench_result r;
        int st = arch_parse(bench_space(b), cs.v[i].arch, &a);
        if (!st) st = bench_query(b, &a, 0, &r);
        if (st) {
            rc = cli_error_status(st);
            break;
        }
        pv[i] = cs.v[i].pval;
        pt[i] = cs.v[i].ptest;
        mv[i] = r.val;
        mt[i] = r.test;
        printf("  %-4d %10.4f %10.4f %10.4f %10.4f  %s\n", i + 1, pv[i], pt[i], mv[i], mt[i], cs.v[i].arch);
        fflush(stdout);
    }
    if (rc == CLI_OK) {
        double tau = stats_kendall(pt, mt, (size_t)k), rho = stats_spearman(pt, mt, (size_t)k);
        double tau_v = stats_kendall(pv, mv, (size_t)k), mae = 0;
        int win = 0;
        for (int i = 0; i < k; i++) {
            mae += fabs(pt[i] - mt[i]) / k;
            if (mv[i] > mv[win]) win = i;
        }
        printf("\npredicted vs measured report metric over %d architectures:\n", k);
        printf("  Kendall tau %.3f, Spearman %.3f, MAE %.3f (search metric: Kendall tau %.3f)\n", tau, rho, mae, tau_v);
        printf("  winner %s: the best predicted architecture is %s by measured %s\n", win == 0 ? "holds" : "does not hold",
               win == 0 ? "also the best" : "not the best", b->search_metric);
        char path[4300], tmp[4300];
        snprintf(path, sizeof path, "%s/confirm.csv", outdir);
        snprintf(tmp, sizeof tmp, "%s/confirm.csv.tmp", outdir);
        FILE *f = fopen(tmp, "w");
        if (!f) rc = cli_error("cannot write '%.200s': %s", tmp, strerror(errno));
        else {
            fputs("rank,arch,predicted_val,predicted_test,measured_val,measured_test,runs\n", f);
            for (int i = 0; i < k; i++)
                fprintf(f, "%d,%s,%.10g,%.10g,%.10g,%.10g,%d\n", i + 1, cs.v[i].arch, pv[i], pt[i], mv[i], mt[i], cs.v[i].found);
            fprintf(f, "# kendall_tau=%.6f spearman=%.6f mae=%.6f winner_holds=%d\n", tau, rho, mae, win == 0);
            int bad = ferror(f);
            if (fclose(f) != 0 || bad || rename(tmp, path) != 0) rc = cli_error("cannot write '%.200s'", path);
        }
        int st = plot_scatter(outdir, "confirm", "predicted vs measured", "predicted (table)", "measured (live)", pt, mt, k);
        if (st == NASW_EUNSUPPORTED) cli_warn("gnuplot not found: wrote %s/confirm.dat and .gp only", outdir);
        else if (st) rc = cli_error_status(st);
        if (rc == CLI_OK) printf("wrote %s/confirm.csv and confirm.png\n", outdir);
    }
    free(pv);
    cli_benches_close(&cb);
    free(cs.v);
    return rc;
}
