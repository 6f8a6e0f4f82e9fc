/*
 * tests/test_tables.c - tables/: CSV and JSON loading, detection, sidecars,
 * curves, restriction of the bench space, one fixture per error class (the
 * message must name the file and the exact line), and the real NB201 and
 * NAS-Bench-Macro files when $NASW_DATA has them (skipped otherwise).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arch.h"
#include "core/bench.h"
#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "tables/table.h"

#define FIX "tests/fixtures/tables/"

static struct table *load(const char *path)
{
    struct table *t = NULL;
    int st = table_load(&t, path, NULL);
    if (st) fail_msg("loading %s: %s", path, nasw_errmsg());
    return t;
}

static struct arch parse(const struct table *t, const char *s)
{
    struct arch a;
    assert_int_equal(arch_parse(table_space(t), s, &a), NASW_OK);
    return a;
}

static void test_partial_cells_restrict(void **state)
{
    (void)state;
    struct table *t = load(FIX "partial.csv");
    assert_int_equal(table_n_rows(t), 120);
    assert_int_equal(table_row_line(t, 0), 2);
    assert_int_equal(table_row_line(t, 119), 121);
    assert_int_equal(table_n_datasets(t), 2);
    const struct space *s = table_space(t);
    assert_int_equal(s->kind, SPACE_CELL);
    assert_int_equal(s->n_ops, 4); /* the table's vocabulary: no avg_pool */
    assert_int_equal(table_cost_metric(t), table_metric_index(t, "cost_s"));
    struct bench *b;
    assert_int_equal(table_bench_new(&b, t, 1), NASW_OK);
    assert_int_equal((int)space_count(b->space), 60);
    assert_true(b->has_cost);
    struct rng *r = rng_new(1);
    for (int i = 0; i < 10000; i++) {
        struct arch a, m;
        arch_sample(b->space, r, &a);
        assert_true(table_find(t, 1, arch_key(s, &a)) >= 0);
        if (arch_mutate(b->space, r, &a, &m) == NASW_OK) assert_true(table_find(t, 1, arch_key(s, &m)) >= 0);
    }
    /* a query of a row returns its values; a non-member is an error */
    struct arch a;
    arch_from_key(b->space, b->space->members[0], &a);
    struct bench_result res;
    assert_int_equal(bench_query(b, &a, 0, &res), NASW_OK);
    long row = table_find(t, 1, arch_key(s, &a));
    assert_true(res.val == table_value(t, row, table_search_metric(t)));
    assert_true(res.test == table_value(t, row, table_report_metric(t)));
    assert_true(res.score == res.val);
    for (uint64_t k = 0; k < s->size; k++)
        if (table_find(t, 1, k) < 0) {
            arch_from_key(s, k, &a);
            assert_int_equal(bench_query(b, &a, 0, &res), NASW_ENOTFOUND);
            break;
        }
    rng_free(r);
    bench_free(b);
    table_free(t);
}

static void test_curves(void **state)
{
    (void)state;
    struct table *t = load(FIX "curves.csv");
    assert_int_equal(table_n_rows(t), 3);
    assert_true(table_has_curves(t));
    struct arch a = parse(t, "1111");
    long row = table_find(t, 0, arch_key(table_space(t), &a));
    assert_true(row >= 0);
    int vm = table_metric_index(t, "val_acc"), cm = table_cost_metric(t);
    assert_true(table_value(t, row, vm) == 35); /* the last epoch, though listed first */
    const double *v;
    int first;
    assert_int_equal(table_curve(t, row, vm, &v, &first), 3);
    assert_int_equal(first, 1);
    assert_true(v[0] == 15 && v[1] == 25 && v[2] == 35);
    /* per-epoch cost: the table row holds the total, the curve the running sum */
    assert_true(table_value(t, row, cm) == 18);
    assert_int_equal(table_curve(t, row, cm, &v, NULL), 3);
    assert_true(v[0] == 6 && v[1] == 12);
    struct bench *b;
    assert_int_equal(table_bench_new(&b, t, 0), NASW_OK);
    assert_int_equal(b->max_epochs, 3);
    struct bench_result r;
    assert_int_equal(bench_query(b, &a, 2, &r), NASW_OK);
    assert_true(r.val == 25 && r.test == 26 && r.cost_s == 12 && r.epochs == 2);
    assert_int_equal(bench_query(b, &a, 0, &r), NASW_OK);
    assert_true(r.val == 35 && r.cost_s == 18);
    double best, test;
    assert_int_equal(bench_oracle(b, &best, &test), NASW_OK);
    assert_true(best == 35 && test == 36);
    bench_free(b);
    table_free(t);

    /* a final table with the curve file attached */
    struct table_opts o;
    table_default_opts(&o);
    o.curves_path = FIX "curves.csv";
    assert_int_equal(table_load(&t, FIX "final.csv", &o), NASW_OK);
    assert_true(table_has_curves(t));
    a = parse(t, "2222");
    row = table_find(t, 0, arch_key(table_space(t), &a));
    assert_int_equal(table_curve(t, row, table_search_metric(t), &v, NULL), 3);
    assert_true(v[1] == 22);
    table_free(t);
    /* a table without curves refuses partial-training queries */
    t = load(FIX "final.csv");
    assert_int_equal(table_bench_new(&b, t, 0), NASW_OK);
    assert_int_equal(b->max_epochs, 0);
    a = parse(t, "2222");
    assert_int_equal(bench_query(b, &a, 1, &r), NASW_EUNSUPPORTED);
    assert_non_null(strstr(nasw_errmsg(), "has no learning curves"));
    assert_int_equal(bench_query(b, &a, 0, &r), NASW_OK);
    assert_int_equal(r.epochs, 0);
    double c[4];
    assert_int_equal(bench_curve(b, &a, c, 4), -NASW_EUNSUPPORTED);
    bench_free(b);
    table_free(t);
}

static unsigned long long fnv_of_files(const char *a, const char *b)
{
    uint64_t h = NASW_FNV_OFFSET;
    const char *files[2] = {a, b};
    for (int i = 0; i < 2 && files[i]; i++) {
        FILE *f = fopen(files[i], "rb");
        assert_non_null(f);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) h = nasw_fnv1a(h, buf, n);
        fclose(f);
    }
    return (unsigned long long)h;
}

static void test_attached_curves(void **state)
{
    (void)state;
    char want[32];
    /* the sidecar's "curves" is relative to the sidecar's directory */
    struct table *t = load(FIX "final_sc.csv");
    assert_true(table_has_curves(t));
    assert_string_equal(table_curves_path(t), FIX "curves.csv");
    snprintf(want, sizeof want, "%016llx", fnv_of_files(FIX "final_sc.csv", FIX "curves.csv"));
    assert_string_equal(table_checksum(t), want); /* covers both files */
    struct arch a = parse(t, "1111");
    long row = table_find(t, 0, arch_key(table_space(t), &a));
    assert_int_equal(table_curve_epochs(t, row), 3);
    struct bench *b;
    struct bench_result r;
    assert_int_equal(table_bench_new(&b, t, 0), NASW_OK);
    assert_int_equal(b->max_epochs, 3);
    assert_int_equal(bench_query(b, &a, 1, &r), NASW_OK);
    assert_true(r.val == 15 && r.test == 16 && r.epochs == 1);
    double c[8];
    assert_int_equal(bench_curve(b, &a, c, 8), 3);
    assert_true(c[0] == 15 && c[2] == 35);
    assert_int_equal(bench_curve(b, &a, c, 2), 2);
    bench_free(b);
    table_free(t);
    t = load(FIX "final.csv");
    snprintf(want, sizeof want, "%016llx", fnv_of_files(FIX "final.csv", NULL));
    assert_string_equal(table_checksum(t), want);
    assert_null(table_curves_path(t));
    table_free(t);

    /* a curve file without the cost or report column: cost pro-rated, test NaN;
     * 0-based epochs; no dataset column on either side */
    struct table_opts o;
    table_default_opts(&o);
    o.curves_path = FIX "curves_nocost.csv";
    assert_int_equal(table_load(&t, FIX "final_cost.csv", &o), NASW_OK);
    assert_string_equal(table_dataset_name(t, 0), "default");
    assert_int_equal(table_cost_metric(t), table_metric_index(t, "train_time_s"));
    a = parse(t, "01");
    const double *v;
    int first;
    row = table_find(t, 0, arch_key(table_space(t), &a));
    assert_int_equal(table_curve(t, row, table_search_metric(t), &v, &first), 4);
    assert_int_equal(first, 0);
    assert_int_equal(table_curve(t, row, table_report_metric(t), &v, &first), 0);
    assert_int_equal(table_bench_new(&b, t, 0), NASW_OK);
    assert_true(b->has_cost);
    assert_int_equal(bench_query(b, &a, 1, &r), NASW_OK);
    assert_true(r.val == 15 && isnan(r.test) && r.cost_s == 50 && r.epochs == 1);
    assert_int_equal(bench_query(b, &a, 3, &r), NASW_OK);
    assert_true(r.val == 35 && r.cost_s == 150);
    assert_int_equal(bench_query(b, &a, 9, &r), NASW_OK); /* at least the whole curve: the final row */
    assert_true(r.val == 50 && r.test == 51 && r.cost_s == 200 && r.epochs == 4);
    bench_free(b);
    table_free(t);

    /* curves of architectures the table lacks */
    o.curves_path = FIX "bad_attach.csv";
    nasw_errclear();
    assert_int_equal(table_load(&t, FIX "final.csv", &o), NASW_EINVAL);
    assert_null(t);
    assert_string_equal(nasw_errmsg(), FIX "bad_attach.csv:4: architecture '2200' on dataset 'd1' is not a row of "
                                           "table '" FIX "final.csv'");
    /* ... except the last curve, an architecture still in training (a journal) */
    o.curves_path = FIX "journal_curves.csv";
    assert_int_equal(table_load(&t, FIX "final.csv", &o), NASW_OK);
    assert_int_equal(table_n_rows(t), 3);
    assert_true(table_has_curves(t));
    table_free(t);
    /* a curve file cannot take curves */
    o.curves_path = FIX "curves.csv";
    assert_int_equal(table_load(&t, FIX "curves.csv", &o), NASW_EINVAL);
    o.curves_path = FIX "final.csv";
    assert_int_equal(table_load(&t, FIX "final_cost.csv", &o), NASW_EINVAL);
    assert_non_null(strstr(nasw_errmsg(), "no 'epoch' column"));
}

static void test_chain(void **state)
{
    (void)state;
    struct table *t = load(FIX "chain.csv");
    const struct space *s = table_space(t);
    assert_int_equal(s->kind, SPACE_CHAIN);
    assert_int_equal(s->n_dims, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(s->n_choices[i], 3);
    assert_int_equal(table_n_datasets(t), 1);
    assert_string_equal(table_dataset_name(t, 0), "default");
    /* search and report on the only accuracy; canonical_arch stays text with
     * its leading zeros; is_canonical is an id */
    assert_true(table_no_validation(t));
    assert_int_equal(table_search_metric(t), table_metric_index(t, "test_acc_mean"));
    assert_int_equal(table_report_metric(t), table_search_metric(t));
    assert_int_equal(table_metric_index(t, "canonical_arch"), -1);
    assert_true(table_metric_is_id(t, table_metric_index(t, "is_canonical")));
    assert_false(table_metric_is_id(t, table_metric_index(t, "params")));
    int ca = table_string_index(t, "canonical_arch");
    assert_true(ca >= 0);
    struct arch a = parse(t, "0102");
    long row = table_find(t, 0, arch_key(s, &a));
    assert_int_equal(table_row_line(t, row), 3);
    assert_string_equal(table_string(t, row, ca), "0012");
    char buf[ARCH_STR_MAX];
    arch_format(s, table_row_arch(t, row), buf, sizeof buf);
    assert_string_equal(buf, "0102");
    long best = table_best_row(t, 0, table_search_metric(t));
    arch_format(s, table_row_arch(t, best), buf, sizeof buf);
    assert_string_equal(buf, "0210");
    /* ties keep the first row in file order */
    struct table_opts o;
    table_default_opts(&o);
    o.search_metric = "params";
    o.direction = -1;
    table_free(t);
    assert_int_equal(table_load(&t, FIX "chain.csv", &o), NASW_OK);
    assert_int_equal(table_best_row(t, 0, table_search_metric(t)), 2);
    /* the dataset of a table without a dataset column can be named */
    o.dataset = "mine";
    table_free(t);
    assert_int_equal(table_load(&t, FIX "chain.csv", &o), NASW_OK);
    assert_string_equal(table_dataset_name(t, 0), "mine");
    table_free(t);
}

static void test_json_sidecar_direction(void **state)
{
    (void)state;
    struct table *t = load(FIX "rows.json");
    assert_int_equal(table_n_rows(t), 3);
    assert_int_equal(table_search_metric(t), table_metric_index(t, "val_acc"));
    assert_int_equal(table_report_metric(t), table_metric_index(t, "test_acc"));
    assert_string_equal(table_dataset_name(t, 0), "x");
    assert_int_equal(table_row_line(t, 2), 2); /* JSON rows are numbered from 0 */
    assert_true(table_value(t, 1, table_search_metric(t)) == 2.5);
    table_free(t);

    t = load(FIX "meta.json");
    assert_string_equal(table_dataset_name(t, 0), "only");
    assert_int_equal(table_search_metric(t), table_metric_index(t, "score"));
    assert_int_equal(table_report_metric(t), table_metric_index(t, "final"));
    assert_false(table_higher_is_better(t));
    struct bench *b;
    assert_int_equal(table_bench_new(&b, t, 0), NASW_OK);
    double best, test;
    bench_oracle(b, &best, &test);
    assert_true(best == 1 && test == 10); /* lower is better */
    struct arch a = parse(t, "01");
    struct bench_result r;
    bench_query(b, &a, 0, &r);
    assert_true(r.score == -1);
    bench_free(b);
    table_free(t);

    t = load(FIX "sidecar.csv");
    assert_int_equal(table_search_metric(t), table_metric_index(t, "acc2"));
    assert_false(table_higher_is_better(t));
    table_free(t);
    /* flags override the sidecar */
    struct table_opts o;
    table_default_opts(&o);
    o.search_metric = "acc1";
    o.direction = +1;
    assert_int_equal(table_load(&t, FIX "sidecar.csv", &o), NASW_OK);
    assert_int_equal(table_search_metric(t), table_metric_index(t, "acc1"));
    assert_true(table_higher_is_better(t));
    table_free(t);

    /* losses: lower is better, detected from the names; opaque ids: a set space */
    t = load(FIX "loss.csv");
    assert_false(table_higher_is_better(t));
    assert_int_equal(table_space(t)->kind, SPACE_SET);
    assert_int_equal(table_search_metric(t), table_metric_index(t, "val_loss"));
    assert_int_equal(table_report_metric(t), table_metric_index(t, "test_loss"));
    table_free(t);
}

/* every error class: status and "path:line:" prefix */
static void expect_error(const char *file, int status, const char *prefix, const char *needle)
{
    struct table *t = NULL;
    nasw_errclear();
    int st = table_load(&t, file, NULL);
    if (st != status) fail_msg("%s: status %d, wanted %d (%s)", file, st, status, nasw_errmsg());
    assert_null(t);
    if (strncmp(nasw_errmsg(), prefix, strlen(prefix)) != 0)
        fail_msg("%s: message '%s' does not start with '%s'", file, nasw_errmsg(), prefix);
    if (needle && !strstr(nasw_errmsg(), needle))
        fail_msg("%s: message '%s' lacks '%s'", file, nasw_errmsg(), needle);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error(FIX "bad_short.csv", NASW_EPARSE, FIX "bad_short.csv:3:", "expected 4 fields, got 3");
    expect_error(FIX "bad_dup.csv", NASW_EPARSE, FIX "bad_dup.csv:4:", "first at line 2");
    expect_error(FIX "bad_nan.csv", NASW_EPARSE, FIX "bad_nan.csv:3:", "val_acc");
    expect_error(FIX "bad_empty.csv", NASW_EPARSE, FIX "bad_empty.csv:3:", "empty value");
    expect_error(FIX "bad_nonnum.csv", NASW_EPARSE, FIX "bad_nonnum.csv:4:", "'abc' is not a number");
    expect_error(FIX "bad_arch.csv", NASW_EPARSE, FIX "bad_arch.csv:3:", "nodes");
    expect_error(FIX "bad_sidecar_col.csv", NASW_ENOTFOUND, FIX "bad_sidecar_col.csv.meta.json:3:",
                 "unknown column 'accuracy' (columns: acc)");
    expect_error(FIX "bad_sidecar_key.csv", NASW_EPARSE, FIX "bad_sidecar_key.csv.meta.json:3:", "unknown key 'colour'");
    expect_error(FIX "bad_malformed.json", NASW_EPARSE, FIX "bad_malformed.json:2:", NULL);
    expect_error(FIX "bad_dupepoch.csv", NASW_EPARSE, FIX "bad_dupepoch.csv:4:", "duplicate epoch 2 for architecture '00' on dataset 'd' (first at line 3)");
    expect_error(FIX "bad_gap.csv", NASW_EPARSE, FIX "bad_gap.csv:5:", "jump from 1 to 3");
    expect_error(FIX "bad_noarch.csv", NASW_EPARSE, FIX "bad_noarch.csv:1:", "no 'arch' column (columns: architecture, dataset, val_acc)");
    expect_error(FIX "bad_long.csv", NASW_EPARSE, FIX "bad_long.csv:4:", "expected 4 fields, got 5");
    expect_error(FIX "bad_inf.csv", NASW_EPARSE, FIX "bad_inf.csv:4:", "column 'val_acc': 'inf' is not a finite number");
    expect_error(FIX "bad_multiline.csv", NASW_EPARSE, FIX "bad_multiline.csv:5:", "column 'val_acc': 'x' is not a number");
    expect_error(FIX "bad_rows.json", NASW_EPARSE, FIX "bad_rows.json: rows[2]:", "column 'val_acc': 'high' is not a number");
    expect_error(FIX "bad_quote.csv", NASW_EPARSE, FIX "bad_quote.csv:3:", NULL);
    expect_error(FIX "does_not_exist.csv", NASW_EIO, "cannot open table '" FIX "does_not_exist.csv'", "No such file");
    struct table_opts o;
    table_default_opts(&o);
    o.report_metric = "nope";
    struct table *t;
    assert_int_equal(table_load(&t, FIX "final.csv", &o), NASW_ENOTFOUND);
    assert_string_equal(nasw_errmsg(), FIX "final.csv: unknown column 'nope' (columns: val_acc, test_acc)");
    /* flags override the sidecar, even a broken one */
    o.report_metric = NULL;
    o.search_metric = "acc";
    assert_int_equal(table_load(&t, FIX "bad_sidecar_col.csv", &o), NASW_OK);
    table_free(t);
    o.search_metric = NULL;
    o.no_sidecar = 1;
    assert_int_equal(table_load(&t, FIX "bad_sidecar_key.csv", &o), NASW_EINVAL); /* "acc": nothing to detect */
    assert_non_null(strstr(nasw_errmsg(), "--metric"));
    o.search_metric = "acc";
    assert_int_equal(table_load(&t, FIX "bad_sidecar_key.csv", &o), NASW_OK);
    table_free(t);
}

/* --- real data ---------------------------------------------------------- */

static const char *data_path(const char *rel, char *buf, size_t n)
{
    const char *dir = getenv("NASW_DATA");
    snprintf(buf, n, "%s/%s", dir ? dir : "../shared/data", rel);
    FILE *f = fopen(buf, "r");
    if (!f) return NULL;
    fclose(f);
    return buf;
}

static void test_nb201(void **state)
{
    (void)state;
    char p[4096];
    if (!data_path("nasbench201/nb201_final.csv", p, sizeof p)) {
        print_message("skip: NB201 data not found (set NASW_DATA)\n");
        skip();
    }
    struct table *t = load(p);
    assert_int_equal(table_n_rows(t), 46875);
    assert_int_equal(table_n_datasets(t), 3);
    const struct space *s = table_space(t);
    assert_int_equal((int)s->size, 15625);
    const char *ds[3] = {"cifar10", "cifar100", "ImageNet16-120"};
    const double cval[3] = {91.57, 73.26, 47.333333333333336}, ctest[3] = {94.29666666666667, 73.48, 46.44444444444444};
    for (int d = 0; d < 3; d++) {
        int di = table_dataset_index(t, ds[d]);
        assert_true(di >= 0);
        assert_int_equal(table_dataset_rows(t, di), 15625);
        struct bench *b;
        assert_int_equal(table_bench_new(&b, t, di), NASW_OK);
        double v, te;
        bench_oracle(b, &v, &te);
        assert_true(fabs(v - cval[d]) < 1e-6);
        assert_true(fabs(te - ctest[d]) < 1e-6);
        bench_free(b);
    }
    /* the canonical form equals NATS-Bench's unique_str on every row */
    int us = -1;
    for (int i = 0; i < table_n_strings(t); i++)
        if (!strcmp(table_string_name(t, i), "unique_str")) us = i;
    assert_true(us >= 0);
    struct hashmap classes = {0};
    char buf[ARCH_STR_MAX];
    for (long r = 0; r < table_n_rows(t); r++) {
        arch_canonical(s, table_row_arch(t, r), buf, sizeof buf);
        if (strcmp(buf, table_string(t, r, us)))
            fail_msg("row %ld: canonical '%s' != unique_str '%s'", r, buf, table_string(t, r, us));
        if (table_row_dataset(t, r) == 0) hashmap_put(&classes, nasw_fnv1a(NASW_FNV_OFFSET, buf, strlen(buf)), 1);
    }
    assert_int_equal((int)classes.n, 6466);
    hashmap_release(&classes);
    table_free(t);
}

static void test_other_real_tables(void **state)
{
    (void)state;
    char p[4096];
    if (!data_path("nasbench_macro/nasbench_macro_cifar10.csv", p, sizeof p)) {
        print_message("skip: benchmark data not found (set NASW_DATA)\n");
        skip();
    }
    struct table *t = load(p);
    assert_int_equal(table_n_rows(t), 6561);
    assert_int_equal(table_space(t)->kind, SPACE_CHAIN);
    assert_int_equal(table_space(t)->n_dims, 8);
    assert_int_equal(table_search_metric(t), table_metric_index(t, "test_acc_mean"));
    assert_int_equal(table_report_metric(t), table_search_metric(t));
    assert_true(table_no_validation(t));
    struct arch a = parse(t, "22212220");
    assert_true(fabs(table_value(t, table_find(t, 0, arch_key(table_space(t), &a)), table_search_metric(t)) - 93.1267) < 1e-3);
    table_free(t);

    if (!data_path("nasbench201/nb201_lc_cifar10-valid_200archs.csv", p, sizeof p)) skip();
    t = load(p);
    assert_int_equal(table_n_rows(t), 200);
    assert_true(table_has_curves(t));
    const double *v;
    int first;
    int vm = table_metric_index(t, "val_acc");
    assert_int_equal(table_curve(t, 0, vm, &v, &first), 200);
    assert_int_equal(first, 0);
    assert_true(table_value(t, 0, vm) == v[199]);
    table_free(t);

    if (!data_path("nasbench201/nb201_zc_subset.csv", p, sizeof p)) skip();
    t = load(p);
    assert_int_equal(table_n_rows(t), 2173);
    assert_int_equal(table_report_metric(t), table_metric_index(t, "val_acc"));
    assert_int_equal(table_dataset_rows(t, table_dataset_index(t, "cifar100")), 725);
    table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partial_cells_restrict), cmocka_unit_test(test_curves),
        cmocka_unit_test(test_attached_curves),        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_json_sidecar_direction), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nb201),                  cmocka_unit_test(test_other_real_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
