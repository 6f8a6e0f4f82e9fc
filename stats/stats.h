/*
 * stats/stats.h - the statistics of strategy comparisons and predictor checks.
 *
 * Descriptive statistics and t confidence intervals (GSL), the Wilcoxon
 * signed-rank test for paired samples (exact null distribution for n <= 50
 * without ties, normal approximation with tie and continuity correction
 * otherwise; zero differences dropped, as R's wilcox.test), a paired
 * bootstrap confidence interval of the mean difference, and rank
 * correlations (Spearman with average ranks, Kendall tau-b).
 */
#ifndef NASW_STATS_STATS_H
#define NASW_STATS_STATS_H

#include <stddef.h>

struct rng;

double stats_mean(const double *x, size_t n);
double stats_sd(const double *x, size_t n);          /* sample sd (n-1); 0 if n < 2 */
/* Half-width of the two-sided 95% t interval of the mean (0 if n < 2). */
double stats_ci95(const double *x, size_t n);
double stats_median(const double *x, size_t n);      /* x is not modified */

struct wilcoxon {
    size_t n;        /* pairs with a non-zero difference */
    double w_plus;   /* sum of ranks of positive differences (a - b > 0) */
    double p;        /* two-sided p-value (1 if n == 0) */
    int exact;       /* 1 if the exact distribution was used */
};
int stats_wilcoxon(const double *a, const double *b, size_t n, struct wilcoxon *out);

/* Percentile bootstrap 95% CI of mean(a - b) over `reps` resamples of pairs. */
int stats_bootstrap_diff(const double *a, const double *b, size_t n, int reps,
                         struct rng *r, double *lo, double *hi);

/* NAN when undefined: n < 2, or x or y constant (the correlation divides
 * by zero); callers write it as an empty field, not "nan". */
double stats_spearman(const double *x, const double *y, size_t n);
double stats_kendall(const double *x, const double *y, size_t n);  /* tau-b */

/* Average ranks of x[0..n-1] into rank (1 = the smallest; ties share their
 * mean rank), as the rank correlations use them.  NASW_OK or NASW_ENOMEM. */
int stats_ranks(const double *x, size_t n, double *rank);

#endif
