/*
 * tests/test_stats.c - stats/ and plots/.
 *
 * Reference values are derived by hand in the comments (and agree with R's
 * wilcox.test and SciPy's kendalltau/spearmanr on the same data).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>

#include "core/rng.h"
#include "core/status.h"
#include "plots/plot.h"
#include "stats/stats.h"

#define CLOSE(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static void test_descriptive(void **state)
{
    (void)state;
    double x[5] = {1, 2, 3, 4, 5};
    CLOSE(stats_mean(x, 5), 3, 1e-15);
    CLOSE(stats_sd(x, 5), sqrt(2.5), 1e-15);
    /* t(0.975, 4) = 2.7764451; 2.7764451 * 1.5811388 / sqrt(5) = 1.9632432 */
    CLOSE(stats_ci95(x, 5), 1.9632432, 1e-6);
    double y[4] = {4, 1, 3, 2};
    CLOSE(stats_median(x, 5), 3, 0);
    CLOSE(stats_median(y, 4), 2.5, 0);
    assert_true(y[0] == 4); /* not modified */
    assert_true(stats_ci95(x, 1) == 0);
}

static void test_wilcoxon(void **state)
{
    (void)state;
    double zero[6] = {0};
    struct wilcoxon w;
    /* all five differences positive: W+ = 15, exact p = 2/32 */
    double a[5] = {1, 2, 3, 4, 5};
    stats_wilcoxon(a, zero, 5, &w);
    assert_true(w.exact && w.n == 5);
    CLOSE(w.w_plus, 15, 0);
    CLOSE(w.p, 0.0625, 1e-12);
    /* d = 1.5 -2 3 4 5 6: W- = 2; subsets of 1..6 summing to <= 2: {}, {1}, {2}
     * -> p = 2 * 3/64 */
    double b[6] = {1.5, -2, 3, 4, 5, 6};
    stats_wilcoxon(b, zero, 6, &w);
    CLOSE(w.w_plus, 19, 0);
    CLOSE(w.p, 0.09375, 1e-12);
    /* ties: d = 1 1 2 2 3 -1: ranks 2 2 4.5 4.5 6 (2); W+ = 19; var = 6*7*13/24 -
     * (24+6)/48 = 22.125; z = (19 - 10.5 - 0.5)/sqrt(22.125) = 1.700780;
     * p = 2 (1 - Phi(z)) = 0.0889842 (R: V = 19, p-value = 0.08898) */
    double c[6] = {1, 1, 2, 2, 3, -1};
    stats_wilcoxon(c, zero, 6, &w);
    assert_false(w.exact);
    CLOSE(w.w_plus, 19, 0);
    CLOSE(w.p, 0.0889842, 1e-6);
    /* zero differences are dropped; identical samples give p = 1 */
    double d[3] = {1, 2, 3};
    stats_wilcoxon(d, d, 3, &w);
    assert_int_equal(w.n, 0);
    assert_true(w.p == 1);
    /* symmetric: swapping a and b keeps p */
    double p1, p2;
    stats_wilcoxon(b, zero, 6, &w);
    p1 = w.p;
    stats_wilcoxon(zero, b, 6, &w);
    p2 = w.p;
    CLOSE(p1, p2, 1e-15);
}

static void test_bootstrap(void **state)
{
    (void)state;
    struct rng *r = rng_new(1);
    double a[50], b[50], lo, hi;
    for (int i = 0; i < 50; i++) {
        a[i] = i + 2.0;
        b[i] = i;
    }
    stats_bootstrap_diff(a, b, 50, 1000, r, &lo, &hi);
    CLOSE(lo, 2, 1e-12);
    CLOSE(hi, 2, 1e-12);
    for (int i = 0; i < 50; i++) a[i] = b[i] + 1.0 + rng_gaussian(r, 1.0);
    double m = 0;
    for (int i = 0; i < 50; i++) m += (a[i] - b[i]) / 50;
    stats_bootstrap_diff(a, b, 50, 2000, r, &lo, &hi);
    assert_true(lo < m && m < hi);
    assert_true(hi - lo > 0.3 && hi - lo < 1.0); /* ~ 2 * 1.96 / sqrt(50) = 0.55 */
    rng_free(r);
}

static void test_rank_correlations(void **state)
{
    (void)state;
    double x[4] = {1, 2, 3, 4}, y[4] = {1, 3, 2, 4};
    /* 5 concordant, 1 discordant pair: tau = 4/6; rho = 1 - 6*2/(4*15) */
    CLOSE(stats_kendall(x, y, 4), 4.0 / 6.0, 1e-15);
    CLOSE(stats_spearman(x, y, 4), 0.8, 1e-15);
    /* ties: tau-b = 4 / sqrt(5*5); rho of average ranks = 3.75/4.5 */
    double u[4] = {1, 1, 2, 3}, v[4] = {1, 2, 2, 3};
    CLOSE(stats_kendall(u, v, 4), 0.8, 1e-15);
    CLOSE(stats_spearman(u, v, 4), 3.75 / 4.5, 1e-12);
    double z[4] = {4, 3, 2, 1};
    CLOSE(stats_kendall(x, z, 4), -1, 1e-15);
    /* undefined (a constant side, or one pair): NAN, written as an empty field */
    double c[4] = {5, 5, 5, 5};
    assert_true(isnan(stats_kendall(x, c, 4)) && isnan(stats_kendall(c, y, 4)));
    assert_true(isnan(stats_spearman(x, c, 4)) && isnan(stats_spearman(c, y, 4)));
    assert_true(isnan(stats_spearman(x, y, 1)) && isnan(stats_kendall(x, y, 1)));
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_plots(void **state)
{
    (void)state;
    char dir[] = "/tmp/nasw_test_plotXXXXXX";
    assert_non_null(mkdtemp(dir));
    double x[3] = {1, 2, 4}, y[3] = {10, 20, NAN}, lo[3] = {9, 19, 0}, hi[3] = {11, 21, 0};
    struct plot_series s[2] = {{"evo'lution:population=5", 3, x, y, lo, hi, PLOT_LINES},
                               {"random", 3, x, x, NULL, NULL, PLOT_LINES}};
    struct plot_panel p = {"cifar_10", "test_acc", 15.5, "ceiling", 2, s, NAN, NAN, 0};
    struct plot_opts o = {.xlabel = "queries", .logx = 1};
    int st = plot_lines(dir, "t", &p, 1, &o);
    char path[256];
    snprintf(path, sizeof path, "%s/t.dat", dir);
    char *dat = slurp(path);
    assert_non_null(dat);
    assert_non_null(strstr(dat, "1 10 9 11\n2 20 19 21\n\n\n")); /* the NaN point is left out */
    assert_non_null(strstr(dat, "1 1 1 1\n2 2 2 2\n4 4 4 4\n"));
    snprintf(path, sizeof path, "%s/t.gp", dir);
    char *gp = slurp(path);
    assert_non_null(gp);
    assert_non_null(strstr(gp, "'evo''lution:population=5'")); /* quotes escaped */
    assert_non_null(strstr(gp, "15.5 with lines"));
    if (plot_have_gnuplot()) {
        assert_int_equal(st, NASW_OK);
        snprintf(path, sizeof path, "%s/t.png", dir);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        unsigned char sig[8];
        assert_int_equal(fread(sig, 1, 8, f), 8);
        fclose(f);
        assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
        snprintf(path, sizeof path, "%s/t.svg", dir);
        assert_non_null(strstr(slurp(path), "<svg"));
        double a[3] = {1, 2, 3}, b[3] = {1.1, 1.9, 3.2};
        assert_int_equal(plot_scatter(dir, "sc", "pred", "true", "predicted", a, b, 3, NULL), NASW_OK);
    } else {
        assert_int_equal(st, NASW_EUNSUPPORTED);
        print_message("skip: gnuplot not installed, images not checked\n");
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Axis labels with units, figure sizes: the parts of plots/ without gnuplot. */
static void test_plot_labels(void **state)
{
    (void)state;
    char b[96];
    assert_string_equal(plot_metric_label("val_acc", 1, b, sizeof b), "validation accuracy (%)");
    assert_string_equal(plot_metric_label("valid_acc", 0, b, sizeof b), "validation accuracy (fraction)");
    assert_string_equal(plot_metric_label("test_acc", 1, b, sizeof b), "test accuracy (%)");
    assert_string_equal(plot_metric_label("train_loss", 0, b, sizeof b), "training loss");
    assert_string_equal(plot_metric_label("cost_s", 0, b, sizeof b), "training time (s)");
    assert_string_equal(plot_metric_label("latency_ms", 0, b, sizeof b), "latency (ms)");
    assert_string_equal(plot_metric_label("fit_ms", 0, b, sizeof b), "fit (ms)");
    assert_string_equal(plot_metric_label("params_m", 0, b, sizeof b), "parameters (millions)");
    assert_string_equal(plot_metric_label("synflow", 0, b, sizeof b), "synflow");
    double w, h;
    assert_int_equal(plot_parse_size("3.5,2.6", &w, &h), 0);
    assert_true(w == 3.5 && h == 2.6);
    const char *badsz[] = {"", "3", "3,", ",3", "3,2,1", "0.5,2", "3,21", "nan,2", "inf,2", "3,1e999", "3 ,2", "x,2"};
    for (size_t i = 0; i < sizeof badsz / sizeof *badsz; i++) assert_int_equal(plot_parse_size(badsz[i], &w, &h), -1);
}

/* Average ranks, ties sharing their mean rank (as R's rank()). */
static void test_ranks(void **state)
{
    (void)state;
    double x[6] = {3, 1, 4, 1, 5, 9}, r[6];
    assert_int_equal(stats_ranks(x, 6, r), NASW_OK);
    const double want[6] = {3, 1.5, 4, 1.5, 5, 6};
    for (int i = 0; i < 6; i++) assert_true(r[i] == want[i]);
    assert_int_equal(stats_ranks(x, 0, r), NASW_OK);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptive), cmocka_unit_test(test_wilcoxon),
        cmocka_unit_test(test_bootstrap),   cmocka_unit_test(test_rank_correlations),
        cmocka_unit_test(test_plots),       cmocka_unit_test(test_plot_labels),
        cmocka_unit_test(test_ranks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
