/*
 * tests/test_api.c - the public C API (api/nasw.h) as a C program uses it:
 * a table, a registered strategy, a strategy of the caller's through the
 * ask/tell callbacks (repeats told but not counted, the incumbent kept by
 * the library), the helpers, and errors with their messages.
 */
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_api)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
