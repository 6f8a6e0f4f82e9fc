/*
 * stats/pareto.c - Pareto fronts, hypervolume (sweep in 2-D, HSO above) and
 * the exact 2-D EHVI; see stats/pareto.h.  Maximisation throughout.
 */
#include "stats/pareto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int pareto_dominates(const double *a, const double *b, int m)
{
    int strict = 0;
    for (int k = 0; k < m; k++) {
        if (a[k] < b[k]) return 0;
        strict |= a[k] > b[k];
    }
    return strict;
}

/* qsort has no context argument in C11: the sort key travels in the array. */
struct keyed {
    const double *p;
    int m, i;
};

static int lex_desc(const void *x, const void *y)
{
    const struct keyed *a = x, *b = y;
    for (int k = 0; k < a->m; k++)
        if (a->p[k] != b->p[k]) return a->p[k] > b->p[k] ? -1 : 1;
    return a->i - b->i; /* stable: file order among equal points */
}

int pareto_front(const double *pts, int n, int m, int *idx)
{
    struct keyed *v = malloc(sizeof *v * (size_t)(n ? n : 1));
    if (!v) return -1;
    int nv = 0;
    for (int i = 0; i < n; i++) {
        int finite = 1;
        for (int k = 0; k < m; k++) finite &= !isnan(pts[(size_t)i * m + k]);
        if (finite) v[nv++] = (struct keyed){pts + (size_t)i * m, m, i};
    }
    qsort(v, (size_t)nv, sizeof *v, lex_desc);
    /* A point can only be dominated by one before it in this order, and if
     * it is, by one already on the front (dominance is transitive). */
    int nf = 0;
    for (int i = 0; i < nv; i++) {
        int dominated = 0;
        for (int j = 0; j < nf && !dominated; j++) dominated = pareto_dominates(pts + (size_t)idx[j] * m, v[i].p, m);
        if (!dominated) idx[nf++] = v[i].i;
    }
    free(v);
    return nf;
}

static int by_first_desc(const void *x, const void *y)
{
    const double *a = x, *b = y;
    return a[0] > b[0] ? -1 : a[0] < b[0] ? 1 : (a[1] > b[1] ? -1 : a[1] < b[1]);
}

/* Two objectives, points already above ref, as (n, 2): sort by the first
 * objective descending; each point adds the strip its second objective
 * gains over every point before it. */
static double hv2(double *p, int n, const double *ref)
{
    qsort(p, (size_t)n, 2 * sizeof *p, by_first_desc);
    double hv = 0, top = ref[1];
    for (int i = 0; i < n; i++)
        if (p[2 * i + 1] > top) {
            hv += (p[2 * i] - ref[0]) * (p[2 * i + 1] - top);
            top = p[2 * i + 1];
        }
    return hv;
}

static int by_last_desc(const void *x, const void *y)
{
    const struct keyed *a = x, *b = y;
    double u = a->p[a->m - 1], v = b->p[b->m - 1];
    return u > v ? -1 : u < v ? 1 : a->i - b->i;
}

/* HSO: slice along the last objective; between consecutive values the
 * cross-section is the (m-1)-D hypervolume of the points above the slice.
 * p is (n, m), above ref, reordered; scratch holds n*m doubles per level. */
static double hso(double *p, int n, int m, const double *ref, double *scratch)
{
    if (n == 0) return 0;
    if (m == 1) {
        double best = p[0];
        for (int i = 1; i < n; i++)
            if (p[i] > best) best = p[i];
        return best - ref[0];
    }
    if (m == 2) return hv2(p, n, ref);
    struct keyed *order = malloc(sizeof *order * (size_t)n);
    if (!order) return NAN;
    for (int i = 0; i < n; i++) order[i] = (struct keyed){p + (size_t)i * m, m, i};
    qsort(order, (size_t)n, sizeof *order, by_last_desc);
    /* q: the first m-1 objectives of the points in that order; the slice
     * below point i is bounded by the points 0..i */
    double hv = 0;
    double *q = scratch, *copy = scratch + (size_t)n * (m - 1);
    for (int i = 0; i < n; i++) {
        memcpy(q + (size_t)i * (m - 1), order[i].p, sizeof *q * (size_t)(m - 1));
        double lo = i + 1 < n ? order[i + 1].p[m - 1] : ref[m - 1];
        double depth = order[i].p[m - 1] - lo;
        if (depth <= 0) continue;
        memcpy(copy, q, sizeof *q * (size_t)(i + 1) * (m - 1));
        hv += depth * hso(copy, i + 1, m - 1, ref, copy + (size_t)(i + 1) * (m - 1));
    }
    free(order);
    return hv;
}

double pareto_hv(const double *pts, int n, int m, const double *ref)
{
    /* keep the points strictly above ref (the others bound no volume) */
    double *p = malloc(sizeof *p * (size_t)(n ? n : 1) * (size_t)m);
    if (!p) return NAN;
    int k = 0;
    for (int i = 0; i < n; i++) {
        int above = 1;
        for (int j = 0; j < m; j++) above &= pts[(size_t)i * m + j] > ref[j];
        if (above) memcpy(p + (size_t)k++ * m, pts + (size_t)i * m, sizeof *p * (size_t)m);
    }
    double hv;
    if (m <= 2) {
        hv = k == 0 ? 0 : m == 1 ? hso(p, k, 1, ref, NULL) : hv2(p, k, ref);
    } else {
        /* scratch: each level of the recursion copies at most n points */
        double *scratch = malloc(sizeof *scratch * (size_t)(k ? k : 1) * (size_t)m * (size_t)(2 * m));
        hv = scratch ? hso(p, k, m, ref, scratch) : NAN;
        free(scratch);
    }
    free(p);
    return hv;
}

/* E[(a - Y)^+] for Y ~ N(mu, sd^2). */
static double expected_below(double a, double mu, double sd)
{
    if (isinf(a)) return a > 0 ? INFINITY : 0;
    if (!(sd > 0)) return a > mu ? a - mu : 0;
    double z = (a - mu) / sd;
    double pdf = exp(-0.5 * z * z) * 0.39894228040143267794 /* 1/sqrt(2 pi) */, cdf = 0.5 * erfc(-z / sqrt(2));
    return sd * pdf + (a - mu) * cdf;
}

double pareto_ehvi2(const double *front, int n, const double *ref, const double *mu, const double *sd)
{
    /* In minimisation form (negated): y = -point, r = -ref, Y = -new point.
     * With the front's non-dominated points sorted by y1 ascending (y2
     * descending), strip i covers y1 in [y1(i-1), y1(i)) (y1(0) = -inf,
     * y1(k+1) = r1) where the front leaves y2 < c_i = y2(i-1) (y2(0) = r2)
     * free; the improvement there is |strip ∩ [Y1, inf)| * (c_i - Y2)^+,
     * and with Y1, Y2 independent its expectation factorises. */
    double *p = malloc(sizeof *p * 2 * (size_t)(n ? n : 1));
    int *idx = malloc(sizeof *idx * (size_t)(n ? n : 1));
    if (!p || !idx) {
        free(p);
        free(idx);
        return NAN;
    }
    int k = 0;
    for (int i = 0; i < n; i++)
        if (front[2 * i] > ref[0] && front[2 * i + 1] > ref[1]) {
            p[2 * k] = front[2 * i];
            p[2 * k + 1] = front[2 * i + 1];
            k++;
        }
    int nf = pareto_front(p, k, 2, idx);
    if (nf < 0) {
        free(p);
        free(idx);
        return NAN;
    }
    /* idx is in descending order of the first objective = ascending y1 */
    double m1 = -mu[0], m2 = -mu[1], r1 = -ref[0], r2 = -ref[1], ehvi = 0;
    double lo = -INFINITY, c = r2;
    for (int i = 0; i <= nf; i++) {
        double hi = i < nf ? -p[2 * idx[i]] : r1;
        if (hi > lo) {
            double len = expected_below(hi, m1, sd[0]) - (isinf(lo) ? 0 : expected_below(lo, m1, sd[0]));
            ehvi += len * expected_below(c, m2, sd[1]);
        }
        if (i < nf) {
            lo = hi;
            c = -p[2 * idx[i] + 1];
        }
    }
    free(p);
    free(idx);
    return ehvi;
}
