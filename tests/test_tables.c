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
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "core/arch.h"
#include "core/bench.h"
#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
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

/* A chain of 30 layers with 9 choices (9^30 ~ 4e28, beyond a 64-bit
 * mixed-radix key) loads from a small table; its bench samples, mutates and
 * caches among the 49 rows, and a search runs on it. */
static void test_wide_chain(void **state)
{
    (void)state;
    struct table *t = load(FIX "chain30.csv");
    const struct space *ts = table_space(t);
    assert_int_equal(ts->kind, SPACE_CHAIN);
    assert_int_equal(ts->n_dims, 30);
    assert_true(ts->wide);
    struct arch a = parse(t, "888888888888888888888888888888");
    long row = table_find(t, 0, arch_key(ts, &a));
    assert_true(row >= 0);
    struct bench *b;
    assert_int_equal(table_bench_new(&b, t, 0), NASW_OK);
    const struct space *s = bench_space(b);
    assert_int_equal(space_count(s), 49);
    assert_int_equal(arch_key(s, &a), arch_key(ts, &a)); /* the bench's space shares the keys */
    struct rng *r = rng_new(8);
    struct hashmap seen = {0};
    for (int i = 0; i < 500; i++) {
        struct arch m, n;
        arch_sample(s, r, &m);
        assert_true(table_find(t, 0, arch_key(s, &m)) >= 0);
        assert_int_equal(hashmap_put(&seen, arch_key(s, &m), 1), NASW_OK);
        if (arch_mutate(s, r, &m, &n) == NASW_OK) assert_true(table_find(t, 0, arch_key(s, &n)) >= 0);
    }
    assert_int_equal(seen.n, 49); /* 500 draws among 49 rows cover them all */
    /* the first row has 15 one-decision neighbours in the table */
    struct arch nb[300], first = *table_row_arch(t, 0);
    assert_int_equal(arch_neighbours(s, &first, nb, 300), 15);
    for (const char *const *name = (const char *const[]){"random", "evolution", "local", "bo", NULL}; *name; name++) {
        struct search_spec spec;
        struct search_trace tr;
        assert_int_equal(search_spec_parse(*name, &spec), NASW_OK);
        struct search_run_opts o = {.budget = 49, .seed = 2};
        assert_int_equal(search_run(b, &spec, &o, &tr), NASW_OK);
        hashmap_clear(&seen);
        for (long i = 0; i < tr.n; i++) assert_int_equal(hashmap_put(&seen, tr.steps[i].key, 1), NASW_OK);
        if (tr.n != 49 || seen.n != 49) fail_msg("%s: %ld queries, %zu distinct", *name, tr.n, seen.n);
        search_trace_release(&tr);
    }
    hashmap_release(&seen);
    rng_free(r);
    bench_free(b);
    table_free(t);
}

/* --noise seed: a table with test_acc_run1..3 (NAS-Bench-Macro's layout)
 * answers a query with the drawn seed's value, the report stays the mean;
 * runs are reproducible per seed and draw several seeds; a table without
 * per-seed columns is refused with the columns it looked for. */
static void test_noise_seed(void **state)
{
    (void)state;
    struct table *t = load(FIX "seeds.csv");
    struct bench *b;
    assert_int_equal(table_bench_new(&b, t, 0), NASW_OK);
    assert_string_equal(b->search_metric, "test_acc_mean");
    assert_int_equal(bench_set_noise(b), NASW_OK);
    assert_int_equal(b->noise_seeds, 3);
    int run[3] = {table_metric_index(t, "test_acc_run1"), table_metric_index(t, "test_acc_run2"),
                  table_metric_index(t, "test_acc_run3")};
    int mean = table_metric_index(t, "test_acc_mean");
    struct arch a = parse(t, "021");
    long row = table_find(t, 0, arch_key(table_space(t), &a));
    struct bench_result r;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(bench_query_seed(b, &a, 0, k, &r), NASW_OK);
        assert_true(r.val == table_value(t, row, run[k]));
        assert_true(r.test == table_value(t, row, mean));
    }
    assert_int_equal(bench_query_seed(b, &a, 0, -1, &r), NASW_OK);
    assert_true(r.val == table_value(t, row, mean));
    struct search_spec spec;
    assert_int_equal(search_spec_parse("random", &spec), NASW_OK);
    struct search_trace x, y;
    struct search_run_opts o = {.budget = 27, .seed = 5};
    assert_int_equal(search_run(b, &spec, &o, &x), NASW_OK);
    assert_int_equal(search_run(b, &spec, &o, &y), NASW_OK);
    int used[3] = {0};
    for (long i = 0; i < x.n; i++) {
        assert_true(x.steps[i].key == y.steps[i].key && x.steps[i].val == y.steps[i].val);
        struct arch m;
        arch_from_key(bench_space(b), x.steps[i].key, &m);
        long rr = table_find(t, 0, arch_key(table_space(t), &m));
        int hit = 0;
        for (int k = 0; k < 3; k++)
            if (x.steps[i].val == table_value(t, rr, run[k])) hit = 1, used[k]++;
        assert_true(hit);
        assert_true(x.steps[i].test == table_value(t, rr, mean));
    }
    for (int k = 0; k < 3; k++) assert_true(used[k] >= 3); /* 27 draws: each seed about 9 times */
    search_trace_release(&x);
    search_trace_release(&y);
    bench_free(b);
    table_free(t);
    t = load(FIX "chain.csv");
    assert_int_equal(table_bench_new(&b, t, 0), NASW_OK);
    nasw_errclear();
    assert_int_equal(bench_set_noise(b), NASW_EUNSUPPORTED);
    assert_string_equal(nasw_errmsg(), "table '" FIX "chain.csv' holds no per-seed results of 'test_acc_mean' (columns "
                                       "test_acc_run1, test_acc_run2, ... or test_acc_seed1, ...)");
    assert_int_equal(b->noise_seeds, 0);
    bench_free(b);
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

/* --- bad input (issue 12, section 3) ---------------------------------------- */

/* A scratch directory for files written by the tests (binary content such
 * as NUL bytes, directories, FIFOs), removed by scratch_done. */
static char scratch_dir[64];

static const char *scratch_path(const char *name)
{
    static char bufs[8][256]; /* a few live at once */
    static int next;
    char *buf = bufs[next++ % 8];
    if (!scratch_dir[0]) {
        snprintf(scratch_dir, sizeof scratch_dir, "%s", "/tmp/nasw-test-tables.XXXXXX");
        assert_non_null(mkdtemp(scratch_dir));
    }
    snprintf(buf, sizeof bufs[0], "%s/%s", scratch_dir, name);
    return buf;
}

static const char *write_file(const char *name, const char *data, size_t len)
{
    const char *p = scratch_path(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return p;
}
#define WRITE(name, lit) write_file(name, lit, sizeof lit - 1)

static int scratch_done(void **state)
{
    (void)state;
    if (scratch_dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch_dir);
        if (system(cmd) != 0) return -1;
    }
    return 0;
}

/* The load fails with `status` and exactly the message `want` (a format
 * whose %s are the scratch directory). */
static void expect_message(const char *path, const struct table_opts *o, int status, const char *want_fmt)
{
    char want[1024];
    struct table *t = NULL;
    snprintf(want, sizeof want, want_fmt, scratch_dir, scratch_dir, scratch_dir);
    nasw_errclear();
    int st = table_load(&t, path, o);
    if (st != status) fail_msg("%s: status %d, wanted %d (%s)", path, st, status, nasw_errmsg());
    assert_null(t);
    assert_string_equal(nasw_errmsg(), want);
}

/* The sidecar's "columns": per metric label and unit (a unit "" kept as
 * "no unit", an absent one NULL), the inline meta of a JSON table alike,
 * and a name that is not a numeric column refused with the entry's line. */
static void test_sidecar_columns(void **state)
{
    (void)state;
    const char *p = WRITE("lab.csv", "arch,val_acc,test_acc,score,note\n00,1,2,3,a\n01,2,3,4,b\n");
    WRITE("lab.csv.meta.json", "{\"columns\": {\"val_acc\": {\"label\": \"held-out accuracy\", \"unit\": \"%\"},\n"
                               "             \"score\": {\"unit\": \"\"}}}\n");
    struct table *t = load(p);
    int v = table_metric_index(t, "val_acc"), s = table_metric_index(t, "score"), te = table_metric_index(t, "test_acc");
    assert_string_equal(table_metric_label(t, v), "held-out accuracy");
    assert_string_equal(table_metric_unit(t, v), "%");
    assert_null(table_metric_label(t, s));
    assert_string_equal(table_metric_unit(t, s), "");
    assert_null(table_metric_label(t, te));
    assert_null(table_metric_unit(t, te));
    table_free(t);
    /* without the sidecar: nothing */
    struct table_opts o;
    table_default_opts(&o);
    o.no_sidecar = 1;
    assert_int_equal(table_load(&t, p, &o), NASW_OK);
    assert_null(table_metric_label(t, v));
    assert_null(table_metric_unit(t, v));
    table_free(t);
    const char *j = WRITE("lab.json", "{\"meta\": {\"columns\": {\"test_acc\": {\"label\": \"final\"}}},\n"
                                      " \"rows\": [{\"arch\": \"00\", \"val_acc\": 1, \"test_acc\": 2}]}\n");
    t = load(j);
    assert_string_equal(table_metric_label(t, table_metric_index(t, "test_acc")), "final");
    table_free(t);
    const char *b = WRITE("lab2.csv", "arch,val_acc,note\n00,1,a\n");
    WRITE("lab2.csv.meta.json", "{\n \"columns\": {\n  \"val_acc\": {\"unit\": \"%\"},\n  \"note\": {\"unit\": \"x\"}}}\n");
    expect_message(b, NULL, NASW_EPARSE,
                   "%s/lab2.csv.meta.json:4: \"columns\": 'note' is not a numeric column of '%s/lab2.csv' (numeric: val_acc)");
}

/* "path:line: inner message": the place is put in front of the inner
 * message, never by formatting the message buffer into itself (that gave
 * "f.csv:2: f.csv:2:  (more than 2^63 architectures)"). */
static void test_message_prefix(void **state)
{
    (void)state;
    nasw_errorf(NASW_EPARSE, "inner %d", 1);
    assert_int_equal(nasw_errorf(NASW_EINVAL, "a.csv:2: %s", nasw_errmsg()), NASW_EINVAL);
    assert_string_equal(nasw_errmsg(), "a.csv:2: inner 1");
    assert_int_equal(nasw_errprefix(NASW_EPARSE, "x.csv:%d", 3), NASW_EPARSE);
    assert_string_equal(nasw_errmsg(), "x.csv:3: a.csv:2: inner 1");
    /* a prefix longer than the buffer is cut, never overflows */
    char big[1500];
    memset(big, 'p', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nasw_errprefix(NASW_EPARSE, "%s", big);
    assert_int_equal(strlen(nasw_errmsg()), 1023);

    /* a 20-layer chain of 10^20 codes is a space like any other (interned
     * keys); a genotype breaking the DARTS rules names its line */
    struct table *wide = load(WRITE("big.csv", "arch,val_acc\n99999999999999999999,1\n00000000000000000000,2\n"));
    assert_true(table_space(wide)->wide);
    table_free(wide);
    const char *p = WRITE("darts.csv", "arch,val_acc\n"
                                       "\"[[(0, 3), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)], "
                                       "[(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]\",1\n"
                                       "\"[[(0, 3), (0, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)], "
                                       "[(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]\",2\n");
    expect_message(p, NULL, NASW_EPARSE,
                   "%s/darts.csv:3: DARTS genotype '[[(0, 3), (0, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)': "
                   "normal cell node 0 takes input 0 twice");
    /* a curve whose architecture does not parse in the table's space */
    const char *fin = WRITE("fin.csv", "arch,dataset,val_acc\n|a~0|+|a~0|b~1|,d,1\n|b~0|+|a~0|b~1|,d,2\n");
    WRITE("cur.csv", "arch,dataset,epoch,val_acc\n|a~0|+|a~0|b~1|,d,1,1\n|a~0|+|a~0|c~1|,d,1,1\n");
    struct table_opts o;
    table_default_opts(&o);
    o.curves_path = scratch_path("cur.csv");
    expect_message(fin, &o, NASW_EPARSE, "%s/cur.csv:3: unknown op 'c' in architecture '|a~0|+|a~0|c~1|'");
}

/* Directories, devices and FIFOs where a file is needed: refused at once
 * (a directory was "out of memory", an ASan abort from ftell(); /dev/zero
 * was read until memory ran out; a FIFO blocked). */
static void test_not_regular(void **state)
{
    (void)state;
    const char *dir = scratch_path("adir");
    assert_int_equal(mkdir(dir, 0700), 0);
    expect_message(dir, NULL, NASW_EIO, "table '%s/adir' is not a regular file");
    struct stat sb;
    if (stat("/dev/zero", &sb) == 0 && S_ISCHR(sb.st_mode))
        expect_message("/dev/zero", NULL, NASW_EIO, "table '/dev/zero' is not a regular file");
    const char *fifo = scratch_path("fifo.csv");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    expect_message(fifo, NULL, NASW_EIO, "table '%s/fifo.csv' is not a regular file");
    /* a sidecar that is a directory is an error, not "no sidecar" */
    const char *t = WRITE("t.csv", "arch,val_acc\n00,1\n01,2\n");
    assert_int_equal(mkdir(scratch_path("t.csv.meta.json"), 0700), 0);
    expect_message(t, NULL, NASW_EIO, "sidecar '%s/t.csv.meta.json' is not a regular file");
    struct table_opts o;
    table_default_opts(&o);
    o.no_sidecar = 1;
    o.curves_path = dir;
    expect_message(t, &o, NASW_EIO, "curves file '%s/adir' is not a regular file");
    /* a missing sidecar is still fine */
    struct table *tb;
    o.curves_path = NULL;
    o.no_sidecar = 0;
    const char *u = WRITE("u.csv", "arch,val_acc\n00,1\n01,2\n");
    assert_int_equal(table_load(&tb, u, &o), NASW_OK);
    table_free(tb);
}

/* Column types come from every row: a typo in the first data row used to
 * make val_acc a text column, and the search silently ran on another. */
static void test_types_from_all_rows(void **state)
{
    (void)state;
    const char *p = WRITE("typo.csv", "arch,val_acc,valid_acc,test_acc\n00,9O.5,1,2\n01,91,2,3\n02,92,3,4\n");
    expect_message(p, NULL, NASW_EPARSE, "%s/typo.csv:2: column 'val_acc': '9O.5' is not a number");
    p = WRITE("late.csv", "arch,val_acc,test_acc\n00,90,1\n01,91,2\n02,n/a,3\n");
    expect_message(p, NULL, NASW_EPARSE, "%s/late.csv:4: column 'val_acc': 'n/a' is not a number");
    p = WRITE("report.csv", "arch,val_acc,test_acc\n00,90,1\n01,91,-\n");
    expect_message(p, NULL, NASW_EPARSE, "%s/report.csv:3: column 'test_acc': '-' is not a number");
    p = WRITE("cost.csv", "arch,val_acc,cost_s\n00,90,1\n01,91,\n");
    expect_message(p, NULL, NASW_EPARSE, "%s/cost.csv:3: column 'cost_s': empty value");
    p = WRITE("allempty.csv", "arch,val_acc,test_acc\n00,,1\n01,,2\n");
    expect_message(p, NULL, NASW_EPARSE, "%s/allempty.csv:2: column 'val_acc': empty value");
    /* a column named by flag or sidecar that holds text */
    p = WRITE("named.csv", "arch,score,test_acc,note\n00,1,2,x\n01,2,3,y\n");
    struct table_opts o;
    table_default_opts(&o);
    o.search_metric = "note";
    expect_message(p, &o, NASW_EPARSE, "%s/named.csv:2: column 'note': 'x' is not a number");
    /* other columns may be text whatever their first value */
    p = WRITE("mixed.csv", "arch,val_acc,test_acc,note\n00,1,2,7\n01,2,3,seven\n");
    struct table *t = load(p);
    assert_int_equal(table_n_metrics(t), 2);
    assert_int_equal(table_string_index(t, "note"), 0);
    assert_string_equal(table_string(t, 1, 0), "seven");
    assert_int_equal(table_search_metric(t), table_metric_index(t, "val_acc"));
    table_free(t);
    /* an architecture-valued column named as the metric */
    p = WRITE("archcol.csv", "arch,val_acc,canonical_arch\n00,1,00\n01,2,01\n");
    o.search_metric = "canonical_arch";
    expect_message(p, &o, NASW_EINVAL, "%s/archcol.csv: column 'canonical_arch' holds architectures, not a metric");
}

/* NUL bytes, a byte order mark, an unterminated quote. */
static void test_bytes_and_quotes(void **state)
{
    (void)state;
    const char *p = WRITE("nul.csv", "arch,val_acc\n00,1\n01,2\0009\n");
    expect_message(p, NULL, NASW_EPARSE, "%s/nul.csv:3: column 'val_acc': NUL byte in the value");
    p = WRITE("nulhdr.csv", "arch,val\000acc\n00,1\n");
    expect_message(p, NULL, NASW_EPARSE, "%s/nulhdr.csv:1: column 2: NUL byte in the column name");
    /* a BOM is skipped (it used to glue itself to the first column name);
     * the checksum is still that of the file's bytes */
    static const char bom[] = "\xef\xbb\xbf" "arch,val_acc\n00,1\n01,2\n";
    p = write_file("bom.csv", bom, sizeof bom - 1);
    struct table *t = load(p);
    assert_int_equal(table_n_rows(t), 2);
    char want[32];
    snprintf(want, sizeof want, "%016llx", fnv_of_files(p, NULL));
    assert_string_equal(table_checksum(t), want);
    table_free(t);
    static const char bomjson[] = "\xef\xbb\xbf[{\"arch\": \"00\", \"val_acc\": 1}, {\"arch\": \"01\", \"val_acc\": 2}]";
    t = load(write_file("bom.json", bomjson, sizeof bomjson - 1));
    assert_int_equal(table_n_rows(t), 2);
    table_free(t);
    static const char bomside[] = "\xef\xbb\xbf{\"search_metric\": \"b\"}";
    write_file("side.csv.meta.json", bomside, sizeof bomside - 1);
    t = load(WRITE("side.csv", "arch,a,b\n00,1,2\n01,2,1\n"));
    assert_int_equal(table_search_metric(t), table_metric_index(t, "b"));
    table_free(t);
    /* the quote opened on line 3 is reported there, not at the last line */
    p = WRITE("quote.csv", "arch,val_acc,note\n00,1,\"a\nb\"\n01,2,\"c\n02,3,d\n03,4,e\n");
    expect_message(p, NULL, NASW_EPARSE, "%s/quote.csv:4: unterminated quoted field (its closing '\"' is missing)");
    p = WRITE("quote2.csv", "arch,val_acc,note\n00,1,x\n01,2,\"c\n02,3,d\n03,4,e");
    expect_message(p, NULL, NASW_EPARSE, "%s/quote2.csv:3: unterminated quoted field (its closing '\"' is missing)");
    /* a quoted last field without a final newline is fine */
    t = load(WRITE("quote3.csv", "arch,val_acc,note\n00,1,x\n01,2,\"c\nd\""));
    assert_string_equal(table_string(t, 1, 0), "c\nd");
    table_free(t);
}

static void test_json_booleans(void **state)
{
    (void)state;
    const char *p = WRITE("b.json", "[{\"arch\": \"00\", \"val_acc\": 1}, {\"arch\": \"01\", \"val_acc\": true}]");
    expect_message(p, NULL, NASW_EPARSE, "%s/b.json: rows[1]: column 'val_acc': true is not a number");
    p = WRITE("b2.json", "{\"rows\": [{\"arch\": \"00\", \"val_acc\": 1, \"is_ok\": false}]}");
    expect_message(p, NULL, NASW_EPARSE, "%s/b2.json: rows[0]: column 'is_ok': false is not a number");
}

/* 200,000 columns: the duplicate check was pairwise (over a minute).  The
 * bound is on CPU time (not wall time, so a busy machine does not matter)
 * and 100x above the linear check even under ASan. */
static void test_wide_header(void **state)
{
    (void)state;
    enum { N = 200000 };
    size_t cap = (size_t)N * 32 + 64, len = 0; /* 2 JSON rows of ', "c199999": 1' */
    char *buf = malloc(cap);
    assert_non_null(buf);
    len += (size_t)snprintf(buf + len, cap - len, "arch,val_acc");
    for (int i = 0; i < N; i++) len += (size_t)snprintf(buf + len, cap - len, ",c%d", i);
    len += (size_t)snprintf(buf + len, cap - len, ",c%d\n00,1", N - 7);
    for (int i = 0; i <= N; i++) len += (size_t)snprintf(buf + len, cap - len, ",1");
    len += (size_t)snprintf(buf + len, cap - len, "\n");
    const char *p = write_file("wide.csv", buf, len);
    clock_t c0 = clock();
    char want[64];
    snprintf(want, sizeof want, "%%s/wide.csv:1: duplicate column 'c%d'", N - 7);
    expect_message(p, NULL, NASW_EPARSE, want);
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    if (cpu > 10) fail_msg("duplicate check of %d columns took %.1f s of CPU", N, cpu);
    /* the same without the duplicate loads, and a JSON row with an extra key */
    len = 0;
    len += (size_t)snprintf(buf + len, cap - len, "[{\"arch\": \"00\"");
    for (int i = 0; i < N; i++) len += (size_t)snprintf(buf + len, cap - len, ", \"c%d\": 1", i);
    len += (size_t)snprintf(buf + len, cap - len, "}, {\"arch\": \"01\", \"zz\": 2");
    for (int i = 0; i < N; i++) len += (size_t)snprintf(buf + len, cap - len, ", \"c%d\": 1", i);
    len += (size_t)snprintf(buf + len, cap - len, "}]");
    p = write_file("wide.json", buf, len);
    c0 = clock();
    expect_message(p, NULL, NASW_EPARSE, "%s/wide.json: rows[1]: key 'zz' is not in rows[0]");
    cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    if (cpu > 10) fail_msg("extra-key check of %d keys took %.1f s of CPU", N, cpu);
    free(buf);
}

/* Many datasets: every one found by name. */
static void test_many_datasets(void **state)
{
    (void)state;
    enum { N = 3000 };
    size_t cap = (size_t)N * 32 + 64, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    len += (size_t)snprintf(buf + len, cap - len, "arch,dataset,val_acc\n");
    for (int i = 0; i < N; i++) len += (size_t)snprintf(buf + len, cap - len, "%d,ds%d,%d\n", i % 10, i / 2, i);
    struct table *t = load(write_file("many.csv", buf, len));
    free(buf);
    assert_int_equal(table_n_datasets(t), N / 2);
    for (int d = 0; d < N / 2; d++) {
        char name[32];
        snprintf(name, sizeof name, "ds%d", d);
        assert_int_equal(table_dataset_index(t, name), d);
        assert_int_equal(table_dataset_rows(t, d), 2);
    }
    assert_int_equal(table_dataset_index(t, "ds"), -1);
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
        cmocka_unit_test(test_wide_chain),
        cmocka_unit_test(test_noise_seed),
        cmocka_unit_test(test_json_sidecar_direction), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nb201),                  cmocka_unit_test(test_other_real_tables),
        cmocka_unit_test(test_message_prefix),         cmocka_unit_test(test_not_regular),
        cmocka_unit_test(test_sidecar_columns),
        cmocka_unit_test(test_types_from_all_rows),    cmocka_unit_test(test_bytes_and_quotes),
        cmocka_unit_test(test_json_booleans),          cmocka_unit_test(test_wide_header),
        cmocka_unit_test(test_many_datasets),
    };
    return cmocka_run_group_tests(tests, NULL, scratch_done);
}
