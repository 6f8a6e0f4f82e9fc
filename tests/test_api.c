/*
 * tests/test_api.c - the public C API (api/nasw.h) as a C program uses it:
 * a table, a registered strategy, a strategy of the caller's through the
 * ask/tell callbacks (repeats told but not counted, the incumbent kept by
 * the library), the helpers, and errors with their messages.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/nasw.h"

#define MINI "tests/fixtures/cli/mini.csv"

struct walk {
    const nasw_table *t;
    int d, k, told;
    double best;
};

/* the dataset's rows in file order, each proposed twice */
static int ask(void *user, char *arch, size_t n)
{
    struct walk *w = user;
    if (nasw_table_arch(w->t, w->d, w->k / 2, arch, n) != 0) return 1;
    w->k++;
    return 0;
}

static int tell(void *user, const char *arch, double score, double val, double test)
{
    struct walk *w = user;
    double v, t;
    assert_int_equal(nasw_table_query(w->t, w->d, arch, &v, &t), 0);
    assert_true(v == val && t == test && score == val);
    if (val > w->best) w->best = val;
    w->told++;
    return 0;
}

static void test_api(void **state)
{
    (void)state;
    nasw_table *t;
    assert_int_equal(nasw_table_open(&t, MINI, NULL, NULL), 0);
    assert_true(nasw_table_rows(t) > 0);
    int d = nasw_table_dataset_index(t, "alpha");
    assert_true(d >= 0);
    assert_string_equal(nasw_table_dataset(t, d), "alpha");
    nasw_step *steps;
    long n;
    /* a registered strategy, deterministic for its seed */
    assert_int_equal(nasw_search(t, d, "evolution:population=10:sample=3", NULL, NULL, NULL, 3, 20, &steps, &n), 0);
    assert_int_equal(n, 20);
    nasw_step *again;
    long n2;
    assert_int_equal(nasw_search(t, d, "evolution:population=10:sample=3", NULL, NULL, NULL, 3, 20, &again, &n2), 0);
    assert_memory_equal(steps, again, sizeof *steps * (size_t)n);
    for (long i = 1; i < n; i++) assert_true(steps[i].best_val >= steps[i - 1].best_val);
    nasw_free(steps);
    nasw_free(again);
    /* the caller's strategy */
    struct walk w = {t, d, 0, 0, -1e300};
    assert_int_equal(nasw_search(t, d, NULL, ask, tell, &w, 1, 8, &steps, &n), 0);
    assert_int_equal(n, 8);
    assert_int_equal(w.told, 15); /* 8 distinct + 7 repeats */
    char a[1024];
    for (long i = 0; i < n; i++) {
        assert_int_equal(nasw_table_arch(t, d, i, a, sizeof a), 0);
        assert_string_equal(steps[i].arch, a);
    }
    assert_true(steps[n - 1].best_val == w.best);
    nasw_free(steps);
    /* helpers */
    char s1[1024], s2[1024], m[1024];
    assert_int_equal(nasw_sample(t, d, 9, s1, sizeof s1), 0);
    assert_int_equal(nasw_sample(t, d, 9, s2, sizeof s2), 0);
    assert_string_equal(s1, s2);
    assert_int_equal(nasw_mutate(t, d, s1, 4, m, sizeof m), 0);
    int diff = 0;
    for (size_t i = 0; s1[i]; i++) diff += s1[i] != m[i];
    assert_int_equal(diff, 1);
    /* errors */
    assert_true(nasw_search(t, d, "nope", NULL, NULL, NULL, 1, 5, &steps, &n) < 0);
    assert_non_null(strstr(nasw_errmsg(), "unknown strategy 'nope'"));
    assert_true(nasw_table_query(t, d, "9999", NULL, NULL) < 0);
    assert_true(nasw_search(t, 7, "random", NULL, NULL, NULL, 1, 5, &steps, &n) < 0);
    assert_string_equal(nasw_errmsg(), "dataset index 7 out of range (0..1)");
    nasw_table_free(t);
    nasw_table *bad;
    assert_true(nasw_table_open(&bad, "tests/fixtures/none.csv", NULL, NULL) < 0);
    assert_non_null(strstr(nasw_errmsg(), "none.csv"));
    nasw_table_free(NULL);
}

/* nasw_run: the budget units, the same trajectory as nasw_search for
 * queries, a seconds budget crossed by the last query only, and errors */
static void test_run(void **state)
{
    (void)state;
    nasw_table *t;
    assert_int_equal(nasw_table_open(&t, MINI, NULL, NULL), 0);
    int d = nasw_table_dataset_index(t, "beta");
    nasw_step *a, *b;
    long na, nb;
    nasw_run_opts o = {.seed = 5, .budget = 12, .unit = NASW_BUDGET_QUERIES};
    assert_int_equal(nasw_run(t, d, "local", &o, &a, &na), 0);
    assert_int_equal(nasw_search(t, d, "local", NULL, NULL, NULL, 5, 12, &b, &nb), 0);
    assert_int_equal(na, 12);
    assert_int_equal(nb, 12);
    assert_memory_equal(a, b, sizeof *a * (size_t)na);
    nasw_free(a);
    nasw_free(b);
    o = (nasw_run_opts){.seed = 2, .budget = 120, .unit = NASW_BUDGET_SECONDS};
    assert_int_equal(nasw_run(t, d, "random", &o, &a, &na), 0);
    assert_true(na >= 2);
    assert_true(a[na - 1].total_cost_s >= 120 && a[na - 2].total_cost_s < 120);
    for (long i = 1; i < na; i++) assert_true(a[i].total_cost_s > a[i - 1].total_cost_s);
    nasw_free(a);
    /* errors, each with its message, nothing returned */
    o = (nasw_run_opts){.seed = 1, .budget = 4, .unit = NASW_BUDGET_EPOCHS};
    assert_true(nasw_run(t, d, "random", &o, &a, &na) < 0);
    assert_non_null(strstr(nasw_errmsg(), "no curves"));
    assert_null(a);
    assert_int_equal(na, 0);
    o = (nasw_run_opts){.seed = 1, .budget = 4, .unit = 7};
    assert_true(nasw_run(t, d, "random", &o, &a, &na) < 0);
    assert_string_equal(nasw_errmsg(), "budget unit 7 (0 queries, 1 seconds, 2 epochs)");
    o = (nasw_run_opts){.seed = 1, .budget = 2.5, .unit = NASW_BUDGET_QUERIES};
    assert_true(nasw_run(t, d, "random", &o, &a, &na) < 0);
    o.budget = 0;
    assert_true(nasw_run(t, d, "random", &o, &a, &na) < 0);
    assert_true(nasw_run(t, d, NULL, &o, &a, &na) < 0);
    /* the live bench needs a live spec and a journal; no rows for a table's calls */
    nasw_table *live;
    assert_true(nasw_live_open(&live, "table:" MINI, "j.csv", 1) < 0);
    assert_non_null(strstr(nasw_errmsg(), "not a live bench"));
    assert_true(nasw_live_open(&live, "live:fmnist:micro", NULL, 1) < 0);
    assert_string_equal(nasw_errmsg(), "the live bench needs a journal file");
    assert_null(live);
    nasw_table_free(t);
}

/* nasw_compare: a row per (dataset, strategy) whose mean is that of the
 * nasw_run trajectories of seeds 1..N at the budget; nasw_predictor: a GP
 * ranks a table's rows, reproducibly, and a column predictor is the column */
static void test_compare_predictor(void **state)
{
    (void)state;
    nasw_table *t;
    assert_int_equal(nasw_table_open(&t, MINI, NULL, NULL), 0);
    nasw_run_opts o = {.budget = 15, .unit = NASW_BUDGET_QUERIES};
    nasw_compare_row *rows;
    long n;
    assert_int_equal(nasw_compare(t, "random,local", 4, &o, &rows, &n), 0);
    assert_int_equal(n, 2 * nasw_table_datasets(t));
    for (long r = 0; r < n; r++) {
        int d = nasw_table_dataset_index(t, rows[r].dataset);
        double sum = 0;
        for (int k = 1; k <= 4; k++) {
            nasw_step *s;
            long ns;
            o.seed = (uint64_t)k;
            assert_int_equal(nasw_run(t, d, rows[r].strategy, &o, &s, &ns), 0);
            sum += s[ns - 1].test_at_best;
            nasw_free(s);
        }
        assert_int_equal(rows[r].seeds, 4);
        /* the mean of the same four numbers (a running mean: rounding of the
         * order of 4 ulps) */
        assert_true(fabs(rows[r].test_mean - sum / 4) <= 4 * 4 * DBL_EPSILON * fabs(sum / 4));
        assert_true(rows[r].test_std >= 0 && rows[r].test_ci95 > 0);
        assert_true(isfinite(rows[r].regret_mean)); /* the table has a ceiling */
    }
    assert_string_equal(rows[0].strategy, "random");
    assert_string_equal(rows[1].strategy, "local");
    nasw_free(rows);
    assert_true(nasw_compare(t, "random,nope", 2, &o, &rows, &n) < 0);
    assert_non_null(strstr(nasw_errmsg(), "nope"));
    assert_true(nasw_compare(t, "random", 0, &o, &rows, &n) < 0);
    assert_null(rows);

    int d = nasw_table_dataset_index(t, "alpha");
    long m = nasw_table_dataset_rows(t, d);
    assert_true(m >= 40);
    char buf[40][1024];
    const char *archs[40];
    double y[40], p1[20], p2[20], col[20];
    for (int i = 0; i < 40; i++) {
        assert_int_equal(nasw_table_arch(t, d, i, buf[i], sizeof buf[i]), 0);
        archs[i] = buf[i];
        assert_int_equal(nasw_table_query(t, d, archs[i], &y[i], NULL), 0);
    }
    nasw_predictor *p;
    assert_int_equal(nasw_predictor_new(&p, t, d, "gp", 7), 0);
    assert_int_equal(nasw_predictor_fit_predict(p, archs, y, 20, archs + 20, 20, p1), 0);
    nasw_predictor_seed(p, 7);
    assert_int_equal(nasw_predictor_fit_predict(p, archs, y, 20, archs + 20, 20, p2), 0);
    assert_memory_equal(p1, p2, sizeof p1);
    /* better than chance: more concordant than discordant pairs */
    int conc = 0, disc = 0;
    for (int i = 20; i < 40; i++)
        for (int j = i + 1; j < 40; j++) {
            double a = (p1[i - 20] - p1[j - 20]) * (y[i] - y[j]);
            conc += a > 0, disc += a < 0;
        }
    assert_true(conc > disc);
    nasw_predictor_free(p);
    assert_int_equal(nasw_predictor_new(&p, t, d, "test_acc", 1), 0);
    assert_int_equal(nasw_predictor_fit_predict(p, NULL, NULL, 0, archs + 20, 20, col), 0);
    for (int i = 0; i < 20; i++) {
        double v, te;
        assert_int_equal(nasw_table_query(t, d, archs[20 + i], &v, &te), 0);
        assert_true(col[i] == te);
    }
    nasw_predictor_free(p);
    assert_true(nasw_predictor_new(&p, t, d, "lstm:epochs=-1", 1) < 0);
    assert_string_equal(nasw_errmsg(), "bad lstm epochs '-1' (0..100000, an integer)");
    assert_null(p);
    nasw_predictor_free(NULL);
    nasw_table_free(t);
}

/* nasw_lcurve_*: a curve saturating at 80 (within its range), reseeding
 * replays, "last" has no interval, errors */
static void test_lcurve(void **state)
{
    (void)state;
    double y[12], out[4], again[4];
    for (int e = 0; e < 12; e++) y[e] = 80 - 60 * pow(e + 1, -0.8);
    nasw_lcurve *x;
    assert_int_equal(nasw_lcurve_new(&x, 4, 0), 0);
    for (int i = 0; nasw_lcurve_method(i); i++) {
        const char *m = nasw_lcurve_method(i);
        int rc = nasw_lcurve_extrapolate(x, m, y, 6, 12, 1, 0, 100, out);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) continue; /* a family that cannot fit within the constraints */
        /* the truth at epoch 12 is 75.1: every method lands near it (a pure
         * power law: pow3 is the right family) */
        assert_true(out[0] > 60 && out[0] < 100);
        if (!strcmp(m, "last")) {
            assert_true(out[0] == y[5] && isnan(out[1]) && isnan(out[2]) && isnan(out[3]));
        } else if (isfinite(out[2])) {
            assert_true(out[2] <= out[0] && out[0] <= out[3] && out[2] >= 0 && out[3] <= 100);
        }
        if (!strcmp(m, "pow3")) assert_true(fabs(out[0] - y[11]) < 0.01 * y[11]);
    }
    nasw_lcurve_seed(x, 11);
    assert_int_equal(nasw_lcurve_extrapolate(x, "mcmc", y, 6, 12, 1, 0, 100, out), 0);
    nasw_lcurve_seed(x, 11);
    assert_int_equal(nasw_lcurve_extrapolate(x, "mcmc", y, 6, 12, 1, 0, 100, again), 0);
    assert_memory_equal(out, again, sizeof out);
    assert_true(nasw_lcurve_extrapolate(x, "pow9", y, 6, 12, 1, 0, 100, out) < 0);
    assert_non_null(strstr(nasw_errmsg(), "'pow9'"));
    assert_true(nasw_lcurve_extrapolate(x, "pow3", y, 6, 5, 1, 0, 100, out) < 0);
    y[2] = NAN;
    assert_true(nasw_lcurve_extrapolate(x, "pow3", y, 6, 12, 1, 0, 100, out) < 0);
    assert_string_equal(nasw_errmsg(), "epoch 3 of the curve is not a finite number");
    nasw_lcurve_free(x);
    nasw_lcurve_free(NULL);
    assert_true(nasw_lcurve_new(&x, 1, -1) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_api), cmocka_unit_test(test_run),
                                       cmocka_unit_test(test_lcurve), cmocka_unit_test(test_compare_predictor)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
