/*
 * api/compare.h - not installed: the statistics of a comparison, shared by
 * `nasw compare` (its summary.csv and the table on stdout) and the public
 * nasw_compare() (api/nasw.h), so the two are one computation.
 *
 * A cell is one (dataset, strategy) at one checkpoint x of the budget's
 * axis (queries, cumulative seconds or epochs charged): over the runs (one
 * per seed) the best-so-far report metric's mean, sd and 95% t half-width,
 * the best-so-far search metric's mean, and, when the dataset's
 * validation-selection ceiling is known, how many runs found the
 * best-by-search-metric architecture by x (and the mean queries they took)
 * and the regret of the mean.  docs/outputs-columns.md says which are
 * undefined (NAN) when.
 */
#ifndef NASW_API_COMPARE_H
#define NASW_API_COMPARE_H

#include "search/search.h"

struct api_cell {
    int seeds;               /* runs with a finite report metric by x */
    double test_mean, test_std, test_ci95, val_mean;
    double queries_to_best;  /* NAN unless every run found the best */
    int found_best;
    double regret_mean;      /* NAN without a ceiling */
};

/* Where step i of a run lies on the budget's axis (enum budget_kind). */
double api_step_x(const struct search_trace *tr, long i, int kind);
/* The best-so-far step of a run at checkpoint x: the last step within it;
 * NULL if the run had no query by then. */
const struct search_step *api_step_at(const struct search_trace *tr, double x, int kind);

/* The cell of runs[0..n-1] at x.  has_ceiling, ceil_val, ceil_test: the
 * dataset's ceiling (bench_oracle); report_hib: the report metric's
 * direction (for the regret).  NASW_OK or NASW_ENOMEM. */
int api_compare_cell(const struct search_trace *const *runs, int n, double x, int kind, int has_ceiling,
                     double ceil_val, double ceil_test, int report_hib, struct api_cell *out);

#endif
