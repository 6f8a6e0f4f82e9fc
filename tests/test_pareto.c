/*
 * tests/test_pareto.c - stats/pareto (dominance, fronts, hypervolume, 2-D
 * EHVI) and core/objective (parsing objectives and constraints).
 *
 * Hypervolumes are checked against fronts computed by hand (in the comments)
 * and, for random sets, against inclusion-exclusion over all subsets (an
 * independent exact method); the EHVI against its deterministic limit and
 * against Monte Carlo within 5 standard errors of the estimate.
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

#include "core/objective.h"
#include "core/rng.h"
#include "core/status.h"
#include "stats/pareto.h"

/* relative tolerance for sums of `terms` products of magnitude `scale` */
#define CLOSE_REL(a, b, scale, terms) assert_true(fabs((a) - (b)) <= 8 * (terms) * 2.2e-16 * (scale))

static void test_dominance_and_front(void **state)
{
    (void)state;
    double a[2] = {2, 1}, b[2] = {1, 1}, c[2] = {2, 1};
    assert_true(pareto_dominates(a, b, 2));
    assert_false(pareto_dominates(b, a, 2));
    assert_false(pareto_dominates(a, c, 2)); /* equal: neither dominates */
    /* (3,1) (2,2) (1,3) are the front; (1,1) and (2,1) are dominated; the
     * repeated (2,2) stays; NaN never counts */
    double p[] = {1, 1, 3, 1, 2, 2, 2, 1, 1, 3, 2, 2, NAN, 9};
    int idx[7];
    int nf = pareto_front(p, 7, 2, idx);
    assert_int_equal(nf, 4);
    assert_int_equal(idx[0], 1); /* lexicographically descending */
    assert_int_equal(idx[1], 2);
    assert_int_equal(idx[2], 5);
    assert_int_equal(idx[3], 4);
    assert_int_equal(pareto_front(p, 0, 2, idx), 0);
}

static void test_hv_by_hand(void **state)
{
    (void)state;
    double ref2[2] = {0, 0};
    /* staircase 3*1 + 2*1 + 1*1 = 6; a dominated point and one below the
     * reference add nothing */
    double p2[] = {1, 3, 3, 1, 2, 2, 1, 1, -1, 10};
    assert_true(pareto_hv(p2, 3, 2, ref2) == 6);
    assert_true(pareto_hv(p2, 5, 2, ref2) == 6);
    assert_true(pareto_hv(p2, 0, 2, ref2) == 0);
    double ref1[1] = {1};
    double p1[] = {3, 5, 2};
    assert_true(pareto_hv(p1, 3, 1, ref1) == 4);
    double ref3[3] = {0, 0, 0};
    double one[] = {1, 2, 3};
    assert_true(pareto_hv(one, 1, 3, ref3) == 6);
    /* boxes 2x1x1 and 1x2x1 overlap in 1x1x1: 2 + 2 - 1 = 3 */
    double two[] = {2, 1, 1, 1, 2, 1};
    assert_true(pareto_hv(two, 2, 3, ref3) == 3);
    /* three boxes of volume 2, pairwise overlaps 1, triple overlap 1: 6 - 3 + 1 */
    double three[] = {1, 1, 2, 2, 1, 1, 1, 2, 1};
    assert_true(pareto_hv(three, 3, 3, ref3) == 4);
    /* a reference point that is not the origin: shifts every box */
    double ref3b[3] = {-1, -1, -1};
    assert_true(pareto_hv(two, 2, 3, ref3b) == 3 * 2 * 2 + 2 * 3 * 2 - 2 * 2 * 2);
}

/* Hypervolume by inclusion-exclusion: sum over non-empty subsets of
 * (-1)^(|S|+1) * volume of the box up to their componentwise minimum. */
static double hv_incl_excl(const double *p, int n, int m, const double *ref)
{
    double hv = 0;
    for (unsigned mask = 1; mask < (1u << n); mask++) {
        double vol = 1;
        int bits = 0;
        for (int k = 0; k < m; k++) {
            double lo = INFINITY;
            for (int i = 0; i < n; i++)
                if (mask & (1u << i)) lo = fmin(lo, p[i * m + k]);
            vol *= lo > ref[k] ? lo - ref[k] : 0;
        }
        for (int i = 0; i < n; i++) bits += (mask >> i) & 1;
        hv += bits % 2 ? vol : -vol;
    }
    return hv;
}

static void test_hv_random_sets(void **state)
{
    (void)state;
    struct rng *r = rng_new(7);
    assert_non_null(r);
    for (int m = 2; m <= 4; m++)
        for (int rep = 0; rep < 30; rep++) {
            int n = 1 + (int)rng_int(r, 9);
            double p[9 * 4], ref[4] = {0.1, 0.0, 0.2, 0.05};
            for (int i = 0; i < n * m; i++) p[i] = rng_uniform(r);
            double want = hv_incl_excl(p, n, m, ref), got = pareto_hv(p, n, m, ref);
            /* 2^n terms of magnitude <= 1 */
            CLOSE_REL(got, want, 1.0, 1 << n);
        }
    /* 3-D points on one plane: the 2-D hypervolume times the depth */
    double p3[5 * 3], p2[5 * 2], ref3[3] = {0, 0, 0}, ref2[2] = {0, 0};
    for (int i = 0; i < 5; i++) {
        p2[2 * i] = p3[3 * i] = rng_uniform(r);
        p2[2 * i + 1] = p3[3 * i + 1] = rng_uniform(r);
        p3[3 * i + 2] = 2.5;
    }
    CLOSE_REL(pareto_hv(p3, 5, 3, ref3), 2.5 * pareto_hv(p2, 5, 2, ref2), 2.5, 10);
    rng_free(r);
}

static void test_ehvi2(void **state)
{
    (void)state;
    double front[] = {3, 1, 2, 2, 1, 3, 1.5, 1.5}, ref[2] = {0, 0};
    double base = pareto_hv(front, 4, 2, ref);
    /* known objectives (sd 0): the improvement itself */
    double mu[2] = {2.5, 2.5}, sd0[2] = {0, 0};
    double all[10];
    memcpy(all, front, sizeof front);
    all[8] = mu[0];
    all[9] = mu[1];
    CLOSE_REL(pareto_ehvi2(front, 4, ref, mu, sd0), pareto_hv(all, 5, 2, ref) - base, 10.0, 10);
    double dom[2] = {1, 1};
    assert_true(pareto_ehvi2(front, 4, ref, dom, sd0) == 0);
    /* an empty front: E[(Y1 - r1)^+] E[(Y2 - r2)^+] */
    double ehvi_empty = pareto_ehvi2(front, 0, ref, mu, sd0);
    CLOSE_REL(ehvi_empty, 2.5 * 2.5, 6.25, 4);
    /* uncertain objectives: Monte Carlo within 5 standard errors */
    double sd[2] = {0.8, 1.3};
    struct rng *r = rng_new(11);
    assert_non_null(r);
    int n = 200000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        all[8] = mu[0] + rng_gaussian(r, sd[0]);
        all[9] = mu[1] + rng_gaussian(r, sd[1]);
        double g = pareto_hv(all, 5, 2, ref) - base;
        s += g;
        s2 += g * g;
    }
    double mean = s / n, se = sqrt((s2 / n - mean * mean) / n);
    double e = pareto_ehvi2(front, 4, ref, mu, sd);
    assert_true(fabs(e - mean) <= 5 * se);
    assert_true(e > 0);
    rng_free(r);
}

static void test_objective_parsing(void **state)
{
    (void)state;
    struct objectives o;
    memset(&o, 0, sizeof o);
    assert_int_equal(objectives_parse(&o, "val_acc:max,fpga_latency:min"), NASW_OK);
    assert_int_equal(o.n, 2);
    assert_string_equal(o.name[1], "fpga_latency");
    assert_int_equal(o.maximize[0], 1);
    assert_int_equal(o.maximize[1], 0);
    assert_int_equal(objectives_parse(&o, "val_acc,lat:min"), NASW_EINVAL);
    assert_string_equal(nasw_errmsg(), "objective 'val_acc' has no direction (expected 'val_acc:max' or 'val_acc:min')");
    assert_int_equal(objectives_parse(&o, "val_acc:up,lat:min"), NASW_EINVAL);
    assert_int_equal(objectives_parse(&o, "val_acc:max"), NASW_EINVAL);
    assert_int_equal(objectives_parse(&o, "a:max,a:min"), NASW_EINVAL);
    assert_int_equal(objectives_parse(&o, "a:max,,b:min"), NASW_EINVAL);
    assert_int_equal(objectives_parse(&o, "a:max,b:min,c:min,d:max,e:min"), NASW_EINVAL);
    assert_int_equal(objectives_add_constraint(&o, "fpga_latency<=5"), NASW_OK);
    assert_int_equal(objectives_add_constraint(&o, " params > 1e6 "), NASW_OK);
    assert_int_equal(o.n_con, 2);
    assert_string_equal(o.con_name[1], "params");
    assert_int_equal(o.con_op[1], OBJ_GT);
    assert_true(objectives_satisfies(&o, 0, 5));
    assert_false(objectives_satisfies(&o, 0, 5.0001));
    assert_false(objectives_satisfies(&o, 0, NAN));
    assert_false(objectives_satisfies(&o, 1, 1e6));
    const char *bad[] = {"lat", "lat<=", "lat<=5x", "<=5", "lat=5", "lat==5", "lat<=nan", "lat<=1e999", "la t<=5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(objectives_add_constraint(&o, bad[i]), NASW_EINVAL);
    char buf[256];
    objectives_format(&o, buf, sizeof buf);
    assert_string_equal(buf, "val_acc:max,fpga_latency:min;fpga_latency<=5;params>1000000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dominance_and_front), cmocka_unit_test(test_hv_by_hand),
        cmocka_unit_test(test_hv_random_sets),      cmocka_unit_test(test_ehvi2),
        cmocka_unit_test(test_objective_parsing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
