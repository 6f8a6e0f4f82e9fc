/*
 * stats/stats.c - statistics of comparisons (see stats/stats.h).
 *
 * Wilcoxon signed-rank follows R's wilcox.test(paired = TRUE): zero
 * differences are dropped; with n < 50, no ties and no zeros the exact null
 * distribution of W+ (counted by dynamic programming over subsets of ranks)
 * gives the p-value; otherwise the normal approximation with the tie
 * correction of the variance and a continuity correction.
 */
#include "stats/stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"

double stats_mean(const double *x, size_t n) { return n ? gsl_stats_mean(x, 1, n) : NAN; }

double stats_sd(const double *x, size_t n) { return n < 2 ? 0.0 : gsl_stats_sd(x, 1, n); }

double stats_ci95(const double *x, size_t n)
{
    if (n < 2) return 0.0;
    return gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * stats_sd(x, n) / sqrt((double)n);
}

double stats_median(const double *x, size_t n)
{
    if (n == 0) return NAN;
    double *c = malloc(n * sizeof *c);
    if (!c) return NAN;
    memcpy(c, x, n * sizeof *c);
    gsl_sort(c, 1, n);
    double m = gsl_stats_median_from_sorted_data(c, 1, n);
    free(c);
    return m;
}

/* Average ranks (1-based) of x; returns the tie correction sum(t^3 - t). */
static double avg_ranks(const double *x, size_t n, double *rank)
{
    size_t *idx = malloc(n * sizeof *idx);
    double ties = 0;
    if (!idx) return NAN;
    gsl_sort_index(idx, x, 1, n);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && x[idx[j + 1]] == x[idx[i]]) j++;
        double r = 0.5 * (double)(i + j) + 1.0, t = (double)(j - i + 1);
        for (size_t k = i; k <= j; k++) rank[idx[k]] = r;
        ties += t * t * t - t;
        i = j + 1;
    }
    free(idx);
    return ties;
}

int stats_ranks(const double *x, size_t n, double *rank)
{
    if (n == 0) return NASW_OK;
    return isnan(avg_ranks(x, n, rank)) ? nasw_errorf(NASW_ENOMEM, "out of memory") : NASW_OK;
}

int stats_wilcoxon(const double *a, const double *b, size_t n, struct wilcoxon *out)
{
    memset(out, 0, sizeof *out);
    out->p = 1.0;
    double *d = malloc(n * sizeof *d + 1), *ad = malloc(n * sizeof *ad + 1), *rk = malloc(n * sizeof *rk + 1);
    if (!d || !ad || !rk) {
        free(d);
        free(ad);
        free(rk);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    size_t m = 0;
    int zeros = 0;
    for (size_t i = 0; i < n; i++) {
        double x = a[i] - b[i];
        if (x == 0) zeros = 1;
        else {
            d[m] = x;
            ad[m++] = fabs(x);
        }
    }
    out->n = m;
    if (m == 0) goto done;
    double ties = avg_ranks(ad, m, rk), w = 0;
    for (size_t i = 0; i < m; i++)
        if (d[i] > 0) w += rk[i];
    out->w_plus = w;
    if (m < 50 && ties == 0 && !zeros) {
        /* exact: count subsets of {1..m} by rank sum */
        size_t max = m * (m + 1) / 2;
        double *c = calloc(max + 1, sizeof *c);
        if (!c) {
            free(d);
            free(ad);
            free(rk);
            return nasw_errorf(NASW_ENOMEM, "out of memory");
        }
        c[0] = 1;
        for (size_t k = 1; k <= m; k++)
            for (size_t s = max; s >= k; s--) c[s] += c[s - k];
        double total = ldexp(1.0, (int)m), lower = 0, upper = 0;
        size_t wi = (size_t)w;
        for (size_t s = 0; s <= max; s++) {
            if (s <= wi) lower += c[s];
            if (s >= wi) upper += c[s];
        }
        free(c);
        double p = 2 * fmin(lower, upper) / total;
        out->p = p > 1 ? 1 : p;
        out->exact = 1;
    } else {
        double mm = (double)m, z = w - mm * (mm + 1) / 4;
        double sigma = sqrt(mm * (mm + 1) * (2 * mm + 1) / 24 - ties / 48);
        double corr = z > 0 ? 0.5 : z < 0 ? -0.5 : 0;
        if (sigma > 0) {
            z = (z - corr) / sigma;
            out->p = 2 * fmin(gsl_cdf_ugaussian_P(z), gsl_cdf_ugaussian_Q(z));
            if (out->p > 1) out->p = 1;
        }
    }
done:
    free(d);
    free(ad);
    free(rk);
    return NASW_OK;
}

int stats_bootstrap_diff(const double *a, const double *b, size_t n, int reps, struct rng *r, double *lo,
                         double *hi)
{
    *lo = *hi = NAN;
    if (n == 0 || reps < 2) return NASW_OK;
    double *m = malloc(sizeof *m * (size_t)reps);
    if (!m) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int k = 0; k < reps; k++) {
        double s = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = (size_t)rng_int(r, n);
            s += a[j] - b[j];
        }
        m[k] = s / (double)n;
    }
    gsl_sort(m, 1, (size_t)reps);
    *lo = gsl_stats_quantile_from_sorted_data(m, 1, (size_t)reps, 0.025);
    *hi = gsl_stats_quantile_from_sorted_data(m, 1, (size_t)reps, 0.975);
    free(m);
    return NASW_OK;
}

double stats_spearman(const double *x, const double *y, size_t n)
{
    if (n < 2) return NAN;
    double *rx = malloc(n * sizeof *rx), *ry = malloc(n * sizeof *ry);
    double rho = NAN;
    if (rx && ry) {
        avg_ranks(x, n, rx);
        avg_ranks(y, n, ry);
        rho = gsl_stats_correlation(rx, 1, ry, 1, n);
    }
    free(rx);
    free(ry);
    return rho;
}

double stats_kendall(const double *x, const double *y, size_t n)
{
    /* tau-b, O(n^2): fine for the few thousand points of a predictor test */
    double conc = 0, disc = 0, tx = 0, ty = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j];
            if (dx == 0 && dy == 0) continue;
            if (dx == 0) tx++;
            else if (dy == 0) ty++;
            else if ((dx > 0) == (dy > 0)) conc++;
            else disc++;
        }
    double den = sqrt((conc + disc + tx) * (conc + disc + ty));
    return den > 0 ? (conc - disc) / den : NAN;
}
