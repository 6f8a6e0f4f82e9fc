/*
 * cli/tables.c - `nasw tables info TABLE` and `nasw tables query TABLE ARCH`.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/moo.h"
#include "core/status.h"
#include "stats/stats.h"

static void help(FILE *f)
{
    fputs("usage: nasw tables info TABLE [--objectives L [--constraint C]...] [table options]\n"
          "       nasw tables query TABLE ARCH|INDEX [--dataset D] [--epochs E] [table options]\n"
          "       nasw tables build --space nb201 --sample N|all --preset P --out T.csv\n"
          "       nasw tables import --format FMT IN --out T.csv\n"
          "\n"
          "info   rows, datasets, metrics (direction; search/report/cost roles), the detected\n"
          "       search space, and per dataset best/median/worst of the search and report\n"
          "       metrics and the validation-selection ceiling (report metric of the\n"
          "       best-by-search-metric architecture); with --objectives, the exact Pareto\n"
          "       front's size and hypervolume (reference: the worst value of each objective),\n"
          "       feasible rows only under --constraint, also for the reported columns\n"
          "query  every metric of one architecture (on every dataset, or --dataset D) and its\n"
          "       canonical form under isomorphism; INDEX: the row whose arch_index is INDEX\n"
          "       (the benchmarks' query_by_index); --epochs E: the learning-curve values\n"
          "       after epoch E (numbered as in the curve file)\n"
          "build  train architectures with the live trainer into a table (see 'nasw tables build -h')\n"
          "import convert NASLib JSON, NATS-Bench CSV, NAS-Bench-Macro JSON or another CSV to a\n"
          "       table (see 'nasw tables import -h')\n"
          CLI_VERBOSITY_HELP,
          f);
    cli_table_options_help(f);
}

static int parse(int argc, char **argv, struct table_opts *o, const char **dataset, long *epoch, int want_dataset,
                 struct objectives *obj)
{
    static const struct option longopts[] = {{"dataset", required_argument, 0, 'd'},
                                             {"epochs", required_argument, 0, 'e'},
                                             {"help", no_argument, 0, 'h'},
                                             CLI_TABLE_LONGOPTS,
                                             CLI_MOO_LONGOPTS,
                                             CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};
    int c, mrc;
    optind = 1;
    opterr = 0;
    struct cli_seen seen = {0};
    int li = -1;
    while ((c = getopt_long(argc, argv, "hqv", longopts, &li)) != -1) {
        if (cli_option_once("tables", longopts, &li, &seen)) return CLI_USAGE;
        int vq = cli_verbosity_option("tables", c);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
        if (cli_table_option(c, optarg, o)) continue;
        if (want_dataset && (c == 0x1101 || c == 0x1102))
            return cli_usage_error("tables", "option '%s' is for 'tables info' only",
                                   c == 0x1101 ? "--objectives" : "--constraint");
        if (cli_moo_option(c, optarg, obj, "tables", &mrc)) {
            if (mrc) return mrc;
            continue;
        }
        if (c == 'd' && want_dataset) {
            *dataset = optarg;
            continue;
        }
        if (c == 'e' && want_dataset) {
            if (cli_parse_long(optarg, epoch) || *epoch < 0)
                return cli_usage_error("tables", "bad value '%.64s' for --epochs (an epoch number >= 0)", optarg);
            continue;
        }
        if (c == 'h') {
            help(stdout);
            return -1;
        }
        return cli_bad_option("tables", longopts, c, argv[optind - 1]);
    }
    return 0;
}

static void summary_line(const struct table *t, int d, int m, const char *role)
{
    long n = table_dataset_rows(t, d), k = 0;
    double *v = malloc(sizeof *v * (size_t)(n ? n : 1));
    if (!v) return;
    double best = NAN, worst = NAN;
    int hib = table_metric_higher_is_better(t, m);
    for (long r = 0; r < table_n_rows(t); r++) {
        if (table_row_dataset(t, r) != d) continue;
        double x = table_value(t, r, m);
        v[k++] = x;
        if (isnan(best) || (hib ? x > best : x < best)) best = x;
        if (isnan(worst) || (hib ? x < worst : x > worst)) worst = x;
    }
    printf("    %-7s %-16s best %-12.6g median %-12.6g worst %.6g\n", role, table_metric_name(t, m), best,
           stats_median(v, (size_t)k), worst);
    free(v);
}

/* The exact fronts of dataset d (objectives already checked). */
static void front_lines(const struct table *t, int d, const struct objectives *o)
{
    struct moo_truth m;
    if (moo_truth_of(t, d, o, &m)) return;
    char list[512];
    objectives_format(o, list, sizeof list);
    printf("    pareto  %s: front %ld architectures, hypervolume %.10g (reference", list, m.front, m.hv);
    for (int k = 0; k < o->n; k++) printf(" %s %.6g", o->name[k], o->maximize[k] ? m.ref[k] : -m.ref[k]);
    printf(")\n    pareto  reported:");
    for (int k = 0; k < o->n; k++) {
        int c = table_metric_index(t, o->name[k]);
        printf(" %s", table_metric_name(t, c == table_search_metric(t) ? table_report_metric(t) : c));
    }
    printf(": front %ld architectures, hypervolume %.10g\n", m.front_report, m.hv_report);
}

static int info(struct table *t, const struct objectives *obj)
{
    char buf[1024];
    /* check the objectives on every dataset before printing anything */
    for (int d = 0; (obj->n > 0 || obj->n_con > 0) && d < table_n_datasets(t); d++) {
        struct bench *b;
        int st = table_bench_new(&b, t, d);
        if (!st) st = bench_set_objectives(b, obj);
        bench_free(b);
        if (st) return cli_error_status(st);
    }
    if (obj->n_con > 0 && obj->n < 2)
        return cli_usage_error("tables", "--constraint needs --objectives here (the front to report)");
    const struct space *s = table_space(t);
    space_describe(s, buf, sizeof buf);
    printf("table     %s\n", table_path(t));
    printf("checksum  %s\n", table_checksum(t));
    printf("rows      %ld\n", table_n_rows(t));
    printf("space     %s\n", buf);
    printf("datasets  %d:", table_n_datasets(t));
    for (int d = 0; d < table_n_datasets(t); d++)
        printf(" %s (%ld)", table_dataset_name(t, d), table_dataset_rows(t, d));
    printf("\nmetrics  ");
    for (int m = 0; m < table_n_metrics(t); m++) {
        printf(" %s", table_metric_name(t, m));
        if (table_metric_is_id(t, m)) printf("[id]");
        else printf("[%s%s%s%s]", table_metric_higher_is_better(t, m) ? "max" : "min",
                    m == table_search_metric(t) ? ",search" : "", m == table_report_metric(t) ? ",report" : "",
                    m == table_cost_metric(t) ? ",cost" : "");
    }
    printf("\n");
    if (table_n_strings(t)) {
        printf("text     ");
        for (int i = 0; i < table_n_strings(t); i++) printf(" %s", table_string_name(t, i));
        printf("\n");
    }
    if (table_no_validation(t))
        printf("note      no validation split: searching on the report metric '%s'\n",
               table_metric_name(t, table_search_metric(t)));
    if (table_has_curves(t)) {
        int maxlen = 0;
        for (long r = 0; r < table_n_rows(t); r++) {
            const double *v;
            int len = table_curve(t, r, table_search_metric(t), &v, NULL);
            if (len > maxlen) maxlen = len;
        }
        printf("curves    up to %d epochs per architecture\n", maxlen);
    }
    int sm = table_search_metric(t), rm = table_report_metric(t);
    for (int d = 0; d < table_n_datasets(t); d++) {
        printf("\n%s (%ld architectures)\n", table_dataset_name(t, d), table_dataset_rows(t, d));
        summary_line(t, d, sm, "search");
        if (rm != sm) summary_line(t, d, rm, "report");
        struct bench *b;
        double cv, ct;
        if (table_bench_new(&b, t, d) == NASW_OK) {
            if (bench_oracle(b, &cv, &ct) == NASW_OK) {
                /* the architecture reaching the ceiling */
                long best = -1;
                for (long r = 0; r < table_n_rows(t); r++)
                    if (table_row_dataset(t, r) == d && table_value(t, r, sm) == cv) {
                        best = r;
                        break;
                    }
                char a[ARCH_STR_MAX] = "";
                if (best >= 0) arch_format(s, table_row_arch(t, best), a, sizeof a);
                printf("    ceiling %s %.6g at %s %.6g: %s\n", table_metric_name(t, rm), ct,
                       table_metric_name(t, sm), cv, a);
            }
            bench_free(b);
        }
        if (obj->n >= 2) front_lines(t, d, obj);
    }
    return CLI_OK;
}

/* The architecture of a query: its string, or (when that does not parse
 * and the table has an arch_index column) the official index, as the
 * benchmarks' query_by_index.  0 or a printed error. */
static int query_arch(struct table *t, const char *arch_s, struct arch *a)
{
    const struct space *s = table_space(t);
    int st = arch_parse(s, arch_s, a);
    if (st == NASW_OK) return CLI_OK;
    long idx;
    int m = table_metric_index(t, "arch_index");
    if (m < 0 || cli_parse_long(arch_s, &idx) || idx < 0) return cli_error_status(st);
    for (long r = 0; r < table_n_rows(t); r++)
        if (table_value(t, r, m) == (double)idx) {
            *a = *table_row_arch(t, r);
            return CLI_OK;
        }
    return cli_error("no architecture with arch_index %ld in table '%.200s'", idx, table_path(t));
}

static int query(struct table *t, const char *arch_s, const char *dataset, long epoch)
{
    const struct space *s = table_space(t);
    struct arch a;
    int rc = query_arch(t, arch_s, &a);
    if (rc) return rc;
    if (epoch >= 0 && !table_has_curves(t))
        return cli_error("table '%.200s' has no learning curves (--epochs needs them)", table_path(t));
    int d0 = 0, d1 = table_n_datasets(t);
    if (dataset) {
        d0 = table_dataset_index(t, dataset);
        if (d0 < 0) {
            char list[1024];
            size_t len = 0;
            list[0] = '\0';
            for (int d = 0; d < table_n_datasets(t) && len < sizeof list; d++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", d ? ", " : "", table_dataset_name(t, d));
            return cli_error("dataset '%.64s' not in table '%.200s' (datasets: %s)", dataset, table_path(t), list);
        }
        d1 = d0 + 1;
    }
    char canon[ARCH_STR_MAX], fmt[ARCH_STR_MAX];
    arch_format(s, &a, fmt, sizeof fmt);
    if (arch_canonical(s, &a, canon, sizeof canon) != NASW_OK) canon[0] = '\0';
    int found = 0;
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    if (!out) return cli_error("out of memory");
    fprintf(out, "arch       %s\n", fmt);
    if (s->kind == SPACE_CELL) fprintf(out, "canonical  %s\n", canon);
    for (int d = d0; d < d1; d++) {
        long r = table_find(t, d, arch_key(s, &a));
        if (r < 0) continue;
        if (epoch >= 0) {
            /* the curves' values at that epoch (numbered as in the file) */
            int shown = 0;
            for (int m = 0; m < table_n_metrics(t); m++) {
                const double *v;
                int first, len = table_curve(t, r, m, &v, &first);
                if (len <= 0 || epoch < first || epoch - first >= len) continue;
                if (!shown++) fprintf(out, "\n%s, epoch %ld\n", table_dataset_name(t, d), epoch);
                fprintf(out, "  %-16s %.10g\n", table_metric_name(t, m), v[epoch - first]);
            }
            if (shown) found++;
            continue;
        }
        found++;
        fprintf(out, "\n%s\n", table_dataset_name(t, d));
        for (int m = 0; m < table_n_metrics(t); m++)
            fprintf(out, "  %-16s %.10g\n", table_metric_name(t, m), table_value(t, r, m));
        for (int i = 0; i < table_n_strings(t); i++)
            fprintf(out, "  %-16s %s\n", table_string_name(t, i), table_string(t, r, i));
    }
    fclose(out);
    if (found) fwrite(text, 1, text_len, stdout);
    free(text);
    if (!found && epoch >= 0)
        return cli_error("architecture '%.64s' has no epoch %ld in table '%.200s'%s%s", arch_s, epoch, table_path(t),
                         dataset ? " for dataset " : "", dataset ? dataset : "");
    if (!found)
        return cli_error("architecture '%.64s' not in table '%.200s'%s%s", arch_s, table_path(t),
                         dataset ? " for dataset " : "", dataset ? dataset : "");
    return CLI_OK;
}

int cmd_tables(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error("tables", "expected a subcommand: info or query");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        help(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "build")) return cmd_tables_build(argc - 1, argv + 1);
    if (!strcmp(argv[1], "import")) return cmd_tables_import(argc - 1, argv + 1);
    int is_info = !strcmp(argv[1], "info"), is_query = !strcmp(argv[1], "query");
    if (!is_info && !is_query)
        return cli_usage_error("tables", "unknown subcommand '%.64s' (info, query, build, import)", argv[1]);
    struct table_opts o;
    table_default_opts(&o);
    const char *dataset = NULL;
    long epoch = -1;
    struct objectives obj = {0};
    int rc = parse(argc - 1, argv + 1, &o, &dataset, &epoch, is_query, &obj);
    if (rc < 0) return CLI_OK; /* help printed */
    if (rc) return rc;
    int want = is_info ? 1 : 2;
    if (argc - 1 - optind != want)
        return cli_usage_error("tables", is_info ? "usage: nasw tables info TABLE" : "usage: nasw tables query TABLE ARCH");
    struct table *t = cli_load_table(argv[1 + optind], &o);
    if (!t) return CLI_ERROR;
    rc = is_info ? info(t, &obj) : query(t, argv[2 + optind], dataset, epoch);
    table_free(t);
    return rc;
}
