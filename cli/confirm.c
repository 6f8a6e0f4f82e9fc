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
 *
 * Predictor mode (--predictor P --table T): the candidates are a seeded
 * random pool of architectures of T's space that are not rows of T, ranked
 * by predictor P (a `nasw predict` spec, api/predictor.h) fitted on every
 * row of T: the search metric for the ranking and predicted_val, the report
 * metric for predicted_test.  From there on both modes share one path
 * (confirm_train_report).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "api/predictor.h"
#include "core/io.h"
#include "core/rng.h"
#include "core/status.h"
#include "plots/plot.h"
#include "stats/stats.h"
#include "train/live.h"

struct cand {
    char arch[ARCH_STR_MAX];
    double pval, ptest;
    int found; /* runs that ended on it (0: drawn unseen, predictor mode) */
};

struct cands {
    struct cand *v;
    int n, cap;
    char dataset[128]; /* of the predictions ("" unknown) */
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
    FILE *f;
    if (nasw_open_input(&f, path, NULL, 0)) return cli_error("%s (is it a nasw compare directory?)", nasw_errmsg());
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
    snprintf(c->dataset, sizeof c->dataset, "%s", dataset ? dataset : first_ds);
    if (rc == CLI_OK && c->n == 0) rc = cli_error("no runs on dataset '%.64s' in '%.200s'", dataset ? dataset : first_ds, path);
    return rc;
}

/* a run log of nasw search --out: every query record */
static int read_runlog(const char *path, struct cands *c)
{
    FILE *f;
    if (nasw_open_input(&f, path, NULL, 0)) return cli_error_status(NASW_EIO);
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
        const char *ds = json_string_value(json_object_get(o, "dataset"));
        if (type && !strcmp(type, "header") && ds) snprintf(c->dataset, sizeof c->dataset, "%s", ds);
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

/* IN is a comparison directory (*is_dir = 1) or a run log */
static int read_input(const char *in, const char *dataset, struct cands *c, int *is_dir)
{
    struct stat sb;
    if (stat(in, &sb) != 0) return cli_error("cannot open '%.200s': %s", in, strerror(errno));
    *is_dir = S_ISDIR(sb.st_mode);
    return *is_dir ? read_best(in, dataset, c) : read_runlog(in, c);
}

int confirm_read_input(const char *in, const char *dataset, int *n)
{
    struct cands c = {0};
    int is_dir, rc = read_input(in, dataset, &c, &is_dir);
    *n = c.n;
    free(c.v);
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
          "                    [--journal FILE] [--train-seed K] [--size W,H] [--dir OUTDIR]\n"
          "   or: nasw confirm --predictor P --table T [--dataset D] [--top K] [--pool N] [--seed S]\n"
          "                    [--bench live:fmnist[:PRESET]] [--journal FILE] [--train-seed K] [--dir OUTDIR]\n"
          "\n"
          "Retrain the top-K architectures of a comparison (DIR/best.csv: the best of every run)\n"
          "or of a search run log with the live trainer, and compare the predicted (table)\n"
          "with the measured accuracy: Kendall tau, Spearman, MAE, and whether the predicted\n"
          "winner is the measured winner.  Writes OUTDIR/confirm.csv (one row per architecture),\n"
          "OUTDIR/confirm_stats.csv (the statistics) and OUTDIR/confirm.pdf (.png, .svg):\n"
          "measured against predicted on one y = x axis when both are of one dataset, rank\n"
          "against rank when the predictions are of another (said on stdout).\n"
          "  --top K       architectures to retrain, best predicted first (default 5)\n"
          "  --dataset D   the comparison's dataset to take runs from (default: the first)\n"
          "  --bench B     live bench (default live:fmnist:proxy); --journal makes reruns resume\n"
          "  --dir OUTDIR  default: DIR/confirm, or confirm-out for a run log or a predictor\n"
          "  --size W,H    size of the figure in inches (as nasw plot --size)\n"
          "Predictor mode: fit P (gp[:options] or lstm[:key=value], as in nasw predict) on every\n"
          "row of table T, predict a seeded random pool of architectures of T's space that are\n"
          "not in T, and retrain the top K by predicted search metric.\n"
          "  --pool N      unseen architectures drawn (default 200, at most all unseen ones)\n"
          "  --seed S      seed of the pool and of the predictor (default 1)\n"
          CLI_VERBOSITY_HELP,
          f);
}

/* OUTDIR (created) and the journal (default OUTDIR/journal.csv, in jbuf) */
static int prepare_out(const char *outdir, const char **journal, char *jbuf, size_t n)
{
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) return cli_error("cannot create '%.200s': %s", outdir, strerror(errno));
    if (!*journal) {
        snprintf(jbuf, n, "%s/journal.csv", outdir);
        *journal = jbuf;
    }
    return CLI_OK;
}

/* confirm.pdf/.png/.svg: measured against predicted report metric.  Values
 * on one y = x axis only when both are of one dataset; a table of another
 * dataset (CIFAR-10 accuracies against Fashion-MNIST retrains) has another
 * scale, so the plot is rank against rank (1 = best), and says so on
 * stdout and in its title.  lt: the table whose sidecar labels the metric
 * (predictor mode), or NULL. */
static int plot_confirm(const char *outdir, const char *pred_ds, const struct bench *b, const char *pred_label,
                        const double *pt, const double *mt, int k, double tau, const struct table *lt, double w,
                        double h)
{
    int same = pred_ds[0] && !strcasecmp(pred_ds, b->dataset);
    char xl[320], yl[320], title[320], cap[320], unit[96];
    struct plot_opts po = {.caption = cap, .width_in = w, .height_in = h};
    snprintf(cap, sizeof cap, "top %d architectures by prediction%s%.127s; Kendall tau %.3f", k,
             pred_ds[0] ? ", predicted on " : "", pred_ds, tau);
    if (same) {
        int pct = 0;
        for (int i = 0; i < k; i++) pct |= fabs(mt[i]) > 1.5;
        cli_column_label(lt, b->report_metric, pct, unit, sizeof unit);
        snprintf(xl, sizeof xl, "%.128s, %.95s", pred_label, unit);
        snprintf(yl, sizeof yl, "measured (%.63s), %.95s", b->dataset, unit);
        snprintf(title, sizeof title, "predicted vs measured");
        return plot_scatter(outdir, "confirm", title, xl, yl, pt, mt, k, &po);
    }
    double *r = malloc(sizeof *r * (size_t)(k ? k : 1) * 4), *a = r + k, *rp = a + k, *rm = rp + k;
    if (!r) return nasw_errorf(NASW_ENOMEM, "out of memory");
    /* rank 1 = the best: rank the negated values (higher is better) */
    int st = NASW_OK;
    for (int i = 0; i < k; i++) a[i] = b->report_higher_is_better ? -pt[i] : pt[i];
    st = stats_ranks(a, (size_t)k, rp);
    for (int i = 0; i < k && !st; i++) a[i] = b->report_higher_is_better ? -mt[i] : mt[i];
    if (!st) st = stats_ranks(a, (size_t)k, rm);
    printf("  confirm.pdf plots ranks (1 = best), not values: the predictions are for dataset '%s', the "
           "measurements on '%s'\n",
           pred_ds[0] ? pred_ds : "unknown", b->dataset);
    snprintf(xl, sizeof xl, "rank by %.128s on %.127s", pred_label, pred_ds[0] ? pred_ds : "the table");
    snprintf(yl, sizeof yl, "rank by measured %.63s on %.63s", b->report_metric, b->dataset);
    snprintf(title, sizeof title, "ranks: %.127s vs %.63s (different datasets)", pred_ds[0] ? pred_ds : "table",
             b->dataset);
    if (!st) st = plot_scatter(outdir, "confirm", title, xl, yl, rp, rm, k, &po);
    free(r);
    return st;
}

/* Both modes: retrain the top `top` candidates by predicted search metric
 * through the live bench b and report predicted vs measured. */
static int confirm_train_report(struct bench *b, struct cands *cs, long top, const char *journal, const char *outdir,
                                const char *pred_label, const struct table *lt, double w, double h)
{
    int rc = CLI_OK;
    qsort(cs->v, (size_t)cs->n, sizeof *cs->v, by_pval);
    int k = cs->n < top ? cs->n : (int)top;
    double *pv = malloc(sizeof(double) * (size_t)k * 4);
    if (!pv) return cli_error("out of memory");
    double *pt = pv + k, *mv = pt + k, *mt = mv + k;
    printf("confirm: top %d of %d candidate architectures, retrained with %s (journal %s)\n", k, cs->n, b->name, journal);
    printf("  %-4s %10s %10s %10s %10s  %s\n", "rank", "pred_val", "pred_test", "meas_val", "meas_test", "arch");
    fflush(stdout);
    /* per-epoch progress: the live bench reports its epochs (cli/bench.c);
     * a journaled architecture counts its epochs at once */
    int E = b->max_epochs > 0 ? b->max_epochs : 1;
    struct cli_progress *prog = cli_live_progress = cli_progress_new("confirm", (double)k * E);
    for (int i = 0; i < k && rc == CLI_OK; i++) {
        struct arch a;
        struct bench_result r;
        int st = arch_parse(bench_space(b), cs->v[i].arch, &a);
        cli_progress_base(prog, (double)i * E);
        if (!st) st = bench_query(b, &a, 0, &r);
        cli_progress_line(prog);
        if (st) {
            rc = cli_error_status(st);
            break;
        }
        pv[i] = cs->v[i].pval;
        pt[i] = cs->v[i].ptest;
        mv[i] = r.val;
        mt[i] = r.test;
        printf("  %-4d %10.4f %10.4f %10.4f %10.4f  %s\n", i + 1, pv[i], pt[i], mv[i], mt[i], cs->v[i].arch);
        fflush(stdout);
        cli_progress_set(prog, (double)(i + 1) * E);
    }
    cli_live_progress = NULL;
    cli_progress_done(prog);
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
        struct outfile *o;
        FILE *f = cli_out_open(&o, outdir, "confirm.csv");
        if (!f) rc = CLI_ERROR;
        else {
            fputs("rank,arch,predicted_val,predicted_test,measured_val,measured_test,runs\n", f);
            for (int i = 0; i < k; i++) {
                double v[4] = {pv[i], pt[i], mv[i], mt[i]};
                fprintf(f, "%d,%s", i + 1, cs->v[i].arch);
                for (int j = 0; j < 4; j++) {
                    fputc(',', f);
                    cli_csv_num(f, "%.10g", v[j]); /* undefined: empty */
                }
                fprintf(f, ",%d\n", cs->v[i].found);
            }
            rc = cli_out_commit(o);
        }
        /* the statistics in a file of their own: confirm.csv stays one
         * table that any CSV reader loads as it is */
        if (rc == CLI_OK && !(f = cli_out_open(&o, outdir, "confirm_stats.csv"))) rc = CLI_ERROR;
        else if (rc == CLI_OK) {
            fputs("architectures,kendall_tau,spearman,mae,kendall_tau_val,winner_holds\n", f);
            fprintf(f, "%d,", k);
            double v[4] = {tau, rho, mae, tau_v};
            for (int j = 0; j < 4; j++) {
                cli_csv_num(f, "%.6f", v[j]);
                fputc(',', f);
            }
            fprintf(f, "%d\n", win == 0);
            rc = cli_out_commit(o);
        }
        int st = plot_confirm(outdir, cs->dataset, b, pred_label, pt, mt, k, tau, lt, w, h);
        if (st == NASW_EUNSUPPORTED) cli_warn("gnuplot not found: wrote %s/confirm.dat and .gp only", outdir);
        else if (st) rc = cli_error_status(st);
        if (rc == CLI_OK) printf("wrote %s/confirm.csv, confirm_stats.csv and confirm.pdf (.png, .svg)\n", outdir);
    }
    free(pv);
    return rc;
}

/* The live bench trains cells of its own vocabulary: T must be a cell space
 * with the bench's node count whose ops the bench knows. */
static int check_space(const struct space *ts, const struct space *bs, const char *tpath, const char *bname)
{
    char td[256], bd[256];
    space_describe(ts, td, sizeof td);
    space_describe(bs, bd, sizeof bd);
    int ok = ts->kind == SPACE_CELL && bs->kind == SPACE_CELL && ts->n_nodes == bs->n_nodes;
    for (int i = 0; ok && i < ts->n_ops; i++) {
        int found = 0;
        for (int j = 0; j < bs->n_ops; j++) found |= !strcmp(ts->ops[i], bs->ops[j]);
        ok = found;
    }
    if (!ok)
        return cli_error("the space of table '%.200s' (%s) cannot be trained by %s (%s)", tpath, td, bname, bd);
    return CLI_OK;
}

/* Predictor mode: a seeded pool of `pool` unseen architectures of T's space
 * (pool 0: min(200, unseen)), predicted by p fitted on every row of dataset
 * d; appended to cs with found = 0. */
static int predict_pool(const struct api_predictor *p, const struct table *t, int d, long pool, int pool_set,
                        long seed, struct cands *cs)
{
    const struct space *ts = table_space(t);
    struct space *full = NULL;
    struct rng *r = NULL;
    struct hashmap drawn = {0};
    struct arch *archs = NULL;
    double *x = NULL, *xt = NULL, *y = NULL, *mean = NULL;
    int *tok = NULL, *tokt = NULL, rc = CLI_ERROR, st;
    long n = table_dataset_rows(t, d);
    if ((st = space_cell_new(&full, ts->n_nodes, (const char *const *)ts->ops, ts->n_ops))) {
        rc = cli_error_status(st);
        goto out;
    }
    if (full->wide) { /* its keys are interned: the table's keys and the pool's would not compare */
        rc = cli_error("the cell space of '%.200s' has more than 2^63 architectures: confirm needs a smaller one",
                       table_path(t));
        goto out;
    }
    long unseen = (long)full->size - n;
    if (!pool_set) pool = unseen < 200 ? unseen : 200;
    if (pool > unseen || pool < 1) {
        rc = cli_error("--pool %ld: the space of '%.200s' has %ld architectures that are not in the table", pool,
                       table_path(t), unseen);
        goto out;
    }
    long w = api_predictor_width(p, ts), rows = n > pool ? n : pool;
    archs = malloc(sizeof *archs * (size_t)pool);
    x = malloc(sizeof *x * (size_t)(n * w + 1));
    xt = malloc(sizeof *xt * (size_t)(pool * w + 1));
    tok = malloc(sizeof *tok * (size_t)(n * w + 1));
    tokt = malloc(sizeof *tokt * (size_t)(pool * w + 1));
    y = malloc(sizeof *y * (size_t)n);
    mean = malloc(sizeof *mean * (size_t)rows * 2);
    r = rng_new((uint64_t)seed);
    if (!archs || !x || !xt || !tok || !tokt || !y || !mean || !r || hashmap_init(&drawn, (size_t)pool)) {
        rc = cli_error("out of memory");
        goto out;
    }
    /* rejection sampling: the expected draws stay small unless the table
     * holds nearly the whole space, and the pool is bounded by the unseen */
    for (long i = 0; i < pool;) {
        arch_sample(full, r, &archs[i]);
        uint64_t key = arch_key(full, &archs[i]);
        if (table_find(t, d, key) >= 0 || hashmap_get(&drawn, key, NULL)) continue;
        if (hashmap_put(&drawn, key, i)) {
            rc = cli_error("out of memory");
            goto out;
        }
        api_predictor_encode(p, ts, &archs[i], i, xt, tokt);
        i++;
    }
    long k = 0;
    for (long i = 0; i < table_n_rows(t); i++)
        if (table_row_dataset(t, i) == d) api_predictor_encode(p, ts, table_row_arch(t, i), k++, x, tok);
    /* search metric, then report metric (the same fit when they coincide) */
    int m[2] = {table_search_metric(t), table_report_metric(t)};
    for (int q = 0; q < 2; q++) {
        double *out = mean + (size_t)q * (size_t)rows;
        if (q == 1 && m[1] == m[0]) {
            memcpy(out, mean, sizeof *out * (size_t)pool);
            continue;
        }
        k = 0;
        for (long i = 0; i < table_n_rows(t); i++)
            if (table_row_dataset(t, i) == d) y[k++] = table_value(t, i, m[q]);
        if ((st = api_predictor_fit_predict(p, ts, x, tok, y, (int)n, xt, tokt, (int)pool, out, NULL, NULL, NULL, NULL, r))) {
            rc = cli_error_status(st);
            goto out;
        }
    }
    for (long i = 0; i < pool; i++) {
        char a[ARCH_STR_MAX];
        if ((st = arch_format(full, &archs[i], a, sizeof a))) {
            rc = cli_error_status(st);
            goto out;
        }
        if (add_cand(cs, a, mean[i], mean[rows + i])) {
            rc = cli_error("out of memory");
            goto out;
        }
        cs->v[cs->n - 1].found = 0;
    }
    printf("confirm: %s fitted on %ld rows of %s (%s), %ld unseen architectures predicted\n", p->name, n,
           table_path(t), table_dataset_name(t, d), pool);
    rc = CLI_OK;
out:
    hashmap_release(&drawn);
    space_free(full);
    rng_free(r);
    free(archs);
    free(x);
    free(xt);
    free(tok);
    free(tokt);
    free(y);
    free(mean);
    return rc;
}

int cmd_confirm(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"top", required_argument, 0, 'k'},     {"dataset", required_argument, 0, 'd'},
        {"bench", required_argument, 0, 'B'},   {"journal", required_argument, 0, 'J'},
        {"train-seed", required_argument, 0, 'K'}, CLI_DIR_LONGOPTS,
        {"predictor", required_argument, 0, 'P'}, {"table", required_argument, 0, 't'},
        {"pool", required_argument, 0, 'N'},    {"seed", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},          CLI_SIZE_LONGOPT,
        CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};
    double size_w = 0, size_h = 0;
    long top = 5, train_seed = CLI_DEFAULT_SEED, pool = 0, seed = CLI_DEFAULT_SEED;
    int pool_set = 0;
    const char *dataset = NULL, *spec = "live:fmnist:proxy", *journal = NULL, *outdir = NULL, *pred_s = NULL,
               *tpath = NULL;
    int c;
    optind = 1;
    opterr = 0;
    struct cli_seen seen = {0};
    int li = -1;
    while ((c = getopt_long(argc, argv, "hqv", longopts, &li)) != -1) {
        if (cli_option_once("confirm", longopts, &li, &seen)) return CLI_USAGE;
        int vq = cli_verbosity_option("confirm", c);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
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
        case 'P': pred_s = optarg; break;
        case 't': tpath = optarg; break;
        case 'N':
            if (cli_parse_long(optarg, &pool) || pool < 2) return cli_usage_error("confirm", "bad --pool '%.64s' (>= 2)", optarg);
            pool_set = 1;
            break;
        case 's':
            if (cli_parse_long(optarg, &seed) || seed < 0) return cli_usage_error("confirm", "bad --seed '%.64s'", optarg);
            break;
        case CLI_SIZE_OPT:
            if (cli_size_option("confirm", optarg, &size_w, &size_h)) return CLI_USAGE;
            break;
        case 'h': help(stdout); return CLI_OK;
        default: return cli_bad_option("confirm", longopts, c, argv[optind - 1]);
        }
    }
    int pmode = pred_s || tpath;
    if (pmode) {
        if (optind != argc) return cli_usage_error("confirm", "unexpected argument '%.64s' with --predictor", argv[optind]);
        if (!pred_s || !tpath) return cli_usage_error("confirm", "--predictor and --table go together");
    } else {
        if (pool_set) return cli_usage_error("confirm", "--pool needs --predictor and --table");
        if (optind != argc - 1) return cli_usage_error("confirm", "expected one comparison directory or run log");
    }
    if (cli_quiet_stdout(0)) return CLI_ERROR;
    if (strncmp(spec, "live:", 5)) return cli_usage_error("confirm", "--bench must be a live bench (live:fmnist[:PRESET])");
    struct api_predictor pr = {0};
    if (pmode) {
        int prc = cli_predictor_parse("confirm", pred_s, NULL, &pr);
        if (prc) {
            api_predictor_release(&pr);
            return prc;
        }
    }
    struct cands cs = {0};
    struct cli_benches tb = {0}, cb = {0};
    char outbuf[4200], jbuf[4300];
    int rc, is_dir = 0;
    const char *in = pmode ? NULL : argv[optind];
    if (!pmode) {
        if ((rc = read_input(in, dataset, &cs, &is_dir))) goto out;
    } else {
        char *dl[1] = {(char *)dataset};
        if ((rc = cli_benches_open(&tb, tpath, dl, dataset ? 1 : 0, NULL, NULL, 0))) goto out;
        if (tb.live) {
            rc = cli_usage_error("confirm", "--table must be a table, not '%.64s'", tpath);
            goto out;
        }
        if (tb.n > 1) {
            rc = cli_usage_error("confirm", "table has %d datasets: choose one with --dataset", tb.n);
            goto out;
        }
        if (!table_higher_is_better(tb.t)) {
            rc = cli_error("the search metric of '%.200s' is minimised; confirm ranks by predicted accuracy", tpath);
            goto out;
        }
    }
    if (!outdir) {
        if (is_dir) snprintf(outbuf, sizeof outbuf, "%s/confirm", in);
        else snprintf(outbuf, sizeof outbuf, "confirm-out");
        outdir = outbuf;
    }
    if ((rc = prepare_out(outdir, &journal, jbuf, sizeof jbuf))) goto out;
    if (cli_benches_open(&cb, spec, NULL, 0, NULL, journal, train_seed)) {
        rc = CLI_ERROR;
        goto out;
    }
    if (pmode) {
        int d = table_dataset_index(tb.t, tb.names[0]);
        if ((rc = check_space(table_space(tb.t), bench_space(cb.b[0]), tpath, cb.b[0]->name))) goto out;
        if ((rc = predict_pool(&pr, tb.t, d, pool, pool_set, seed, &cs))) goto out;
        snprintf(cs.dataset, sizeof cs.dataset, "%s", tb.names[0]);
    }
    char label[160];
    snprintf(label, sizeof label, "predicted (%s)", pmode ? pr.name : "table");
    rc = confirm_train_report(cb.b[0], &cs, top, journal, outdir, label, pmode ? tb.t : NULL, size_w, size_h);
out:
    cli_benches_close(&cb);
    cli_benches_close(&tb);
    api_predictor_release(&pr);
    free(cs.v);
    return rc;
}
