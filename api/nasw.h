/*
 * nasw.h - the public C API of libnasw (installed as <nasw.h>).
 *
 * A small, stable surface over the workbench: open a table bench or the
 * live trainer, look architectures up, and run searches - with a
 * registered strategy ("evolution", "bo:encoding=path", ...) to completion
 * for a seed and a budget in queries, seconds or epochs, or with a strategy
 * of your own driving the same loop through two callbacks (ask/tell), so
 * that the budget, the repeat cache, the incumbent and the trajectory are
 * kept exactly as for nasw's own strategies - compare strategies over
 * seeds, fit predictors and extrapolate learning curves.  The Python
 * module (python/nasw) is a client of this API; `nasw lcurve`, `nasw
 * predict`, `nasw confirm` and `nasw compare` use its implementation for
 * their extrapolations, predictors and statistics (docs/library.md says
 * which command uses which call).
 *
 * Conventions: every function returns 0 on success or a negative status,
 * and then nasw_errmsg() holds a one-line message (per thread).  Handles are
 * opaque; nasw_*_free(NULL) is a no-op.  Architectures are strings in the
 * table's format (NB201 cells, digit chains, NB101 graphs, opaque ids).
 * Thread safety: a table may be shared by threads; a search is used by one.
 */
#ifndef NASW_H
#define NASW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NASW_API_VERSION 2

typedef struct nasw_table nasw_table;

/* The last error of this thread ("" if none). */
const char *nasw_errmsg(void);
/* The library's version (as `nasw --version` prints it). */
const char *nasw_version(void);

/* Open a table (CSV or JSON, in nasw's schema or with a sidecar).
 * metric / report: NULL for the detected columns. */
int nasw_table_open(nasw_table **t, const char *path, const char *metric, const char *report);
void nasw_table_free(nasw_table *t);
/* Open the live trainer instead (since version 2): spec
 * "live:fmnist[:PRESET][:nodes=K][:ops=a+b]" (presets nb201, proxy, micro),
 * one dataset, "fmnist".  Every training is appended to the journal (a table
 * in nasw's schema, required), so reopening it resumes and retrains nothing
 * that is done; train_seed is the base seed of the trainings.  The handle is
 * used like a table's: nasw_table_query trains the architecture (or reads
 * it from the journal), nasw_search/nasw_run train as they go; it has no
 * rows (nasw_table_rows and nasw_table_dataset_rows are 0, nasw_table_arch
 * fails).  Needs the Fashion-MNIST files (NASW_FMNIST or the Debian
 * package).  Not thread safe: one thread at a time uses a live handle. */
int nasw_live_open(nasw_table **t, const char *spec, const char *journal, uint64_t train_seed);
long nasw_table_rows(const nasw_table *t);
int nasw_table_datasets(const nasw_table *t);
const char *nasw_table_dataset(const nasw_table *t, int d);
/* Index of a dataset by name, or a negative status. */
int nasw_table_dataset_index(const nasw_table *t, const char *name);
/* Search and report metric of arch on dataset d (NULL outputs allowed). */
int nasw_table_query(const nasw_table *t, int d, const char *arch, double *val, double *test);
/* The architecture of row r on dataset d's rows in file order (r < rows of d). */
int nasw_table_arch(const nasw_table *t, int d, long r, char *buf, size_t n);
long nasw_table_dataset_rows(const nasw_table *t, int d);

/* One query of a search, as recorded in its trajectory. */
typedef struct {
    char arch[1024];
    double val, test;        /* this architecture */
    double best_val;         /* incumbent after this query (search metric) */
    double test_at_best;     /* its report metric */
    double total_cost_s;     /* cumulative training seconds charged */
} nasw_step;

/* A strategy of the caller's: ask writes the next architecture (a string
 * of the table's format) and returns 0, or 1 when it has nothing left to
 * propose; tell receives every result (score = the search metric oriented so
 * that higher is better).  Repeats are answered from the cache and told
 * again, uncounted. */
typedef int (*nasw_ask_fn)(void *user, char *arch, size_t n);
typedef int (*nasw_tell_fn)(void *user, const char *arch, double score, double val, double test);

/* Run one search on dataset d: spec is a strategy spec of the registry, or
 * NULL to use ask/tell; budget in distinct queries.  On success *steps is a
 * malloc'd array of *n_steps entries (free with nasw_free). */
int nasw_search(const nasw_table *t, int d, const char *spec, nasw_ask_fn ask, nasw_tell_fn tell, void *user,
                uint64_t seed, long budget, nasw_step **steps, long *n_steps);
void nasw_free(void *p);

/* Run a registered strategy to completion (since version 2): the budget in
 * distinct queries (NASW_BUDGET_QUERIES), in the table's simulated training
 * seconds (NASW_BUDGET_SECONDS: needs a cost column; the last query may
 * cross the budget) or in training epochs (NASW_BUDGET_EPOCHS: needs
 * curves).  The trajectory is that of `nasw search --seed SEED` and of the
 * matching run of `nasw compare`, bit for bit.  *steps as for nasw_search. */
enum { NASW_BUDGET_QUERIES = 0, NASW_BUDGET_SECONDS = 1, NASW_BUDGET_EPOCHS = 2 };
typedef struct {
    uint64_t seed;
    double budget;
    int unit;                /* NASW_BUDGET_* */
} nasw_run_opts;
int nasw_run(const nasw_table *t, int d, const char *spec, const nasw_run_opts *o, nasw_step **steps, long *n_steps);

/* A comparison (since version 2): every strategy of the comma-separated
 * spec list on every dataset of t, with seeds 1..n_seeds (o->seed is not
 * used), each run as nasw_run's - the runs of `nasw compare --strategies
 * LIST --seeds N --budget B` - and one row per (dataset, strategy) at the
 * budget: the statistics of that comparison's summary.csv, computed by
 * the same code (docs/outputs-columns.md: a NAN is an empty field there).
 * Rows in summary.csv's order (datasets, then strategies as listed);
 * *rows is malloc'd (free with nasw_free).  The runs are made one after
 * the other on the calling thread; names longer than the fields are cut. */
typedef struct {
    char dataset[128];
    char strategy[512];      /* the spec as written (summary.csv's strategy) */
    double budget;
    int seeds;               /* runs with a result */
    double test_mean, test_std, test_ci95;   /* best-so-far report metric */
    double val_mean;                          /* best-so-far search metric */
    double queries_to_best;  /* mean queries to the best-by-search-metric
                                architecture (NAN unless every run found it) */
    int found_best;          /* runs that found it */
    double regret_mean;      /* ceiling - test_mean (NAN without a ceiling) */
} nasw_compare_row;
int nasw_compare(const nasw_table *t, const char *strategies, int n_seeds, const nasw_run_opts *o,
                 nasw_compare_row **rows, long *n_rows);

/* Learning-curve extrapolation (since version 2; surrogate/lcurve, Domhan
 * et al. 2015).  An extrapolator holds the random stream of the fits (MCMC
 * and the least-squares starts) and their settings; calls on one handle
 * continue its stream, so a sequence of calls is reproducible from the
 * seed.  starts: least-squares starts per family (0: the default, 4).
 * One handle per thread. */
typedef struct nasw_lcurve nasw_lcurve;
int nasw_lcurve_new(nasw_lcurve **x, uint64_t seed, int starts);
/* Restart the stream from seed (as a new handle would). */
void nasw_lcurve_seed(nasw_lcurve *x, uint64_t seed);
void nasw_lcurve_free(nasw_lcurve *x);
/* Observe y[0..k-1] (epochs 1..k) and predict epoch target (> k, or = k).
 * method: "last" (the last value), a family (vapor, ilog2, weibull, pow3,
 * pow4, loglog, mmf, janoschek, hill3, logpower, exp4), "ensemble" (their
 * weighted combination) or "mcmc" (its Bayesian posterior).  The metric's
 * direction and range (lo/hi: NAN if unbounded, e.g. 0 and 100 for an
 * accuracy in percent) constrain the curves.  out[0..3]: mean, sd, and the
 * 90% interval q05, q95 (NAN where the method gives none: sd and the
 * interval of "last").  Returns 0; 1 when the method has no valid fit under
 * the constraints (out all NAN: a caller may fall back to "last"); or a
 * negative status (bad arguments, out of memory) with nasw_errmsg(). */
int nasw_lcurve_extrapolate(nasw_lcurve *x, const char *method, const double *y, int k, int target,
                            int higher_is_better, double lo, double hi, double out[4]);
/* The method names, one per call (i from 0; NULL at the end). */
const char *nasw_lcurve_method(int i);

/* Helpers for strategies written outside: a uniform member of dataset d's
 * space, and a random one-decision neighbour of arch (seeded). */
int nasw_sample(const nasw_table *t, int d, uint64_t seed, char *buf, size_t n);
int nasw_mutate(const nasw_table *t, int d, const char *arch, uint64_t seed, char *buf, size_t n);

/* Predictors (since version 2): the specs of `nasw predict --predictors`
 * (docs/predictor-zoo.md): gp[:onehot|path][:rbf|matern][:ard][:nowarp],
 * lstm[:key=value]..., xgb, rf, mlp, gcn (cell spaces) with :key=value
 * options, ensemble:members=A+B+...[:combine=stack|rank], or a numeric
 * column of the table (a training-free score used as is).  t and d give the
 * space that encodes the architectures and the rows whose columns are
 * features (features=zc|COLUMN) or the column predictor; a live handle
 * allows models without features only.  The handle holds the random stream
 * of the fits (reproducible from the seed; each fit continues it) and reads
 * t, which must outlive it.  One handle per thread. */
typedef struct nasw_predictor nasw_predictor;
int nasw_predictor_new(nasw_predictor **p, const nasw_table *t, int d, const char *spec, uint64_t seed);
/* Restart the stream from seed (as a new handle would). */
void nasw_predictor_seed(nasw_predictor *p, uint64_t seed);
void nasw_predictor_free(nasw_predictor *p);
/* Fit on the n training architectures (strings of the table's format) with
 * targets y, then predict the m test architectures into mean[0..m-1] -
 * the very computation of one cell of `nasw predict` (a column predictor
 * ignores the training set and returns the column; a missing value is
 * -inf, ranked last).  Architectures a predictor reads features of must be
 * rows of dataset d.  NASW_ENUMERIC-class failures (a model that cannot be
 * fitted, e.g. equal targets) and bad input return a negative status with
 * nasw_errmsg(). */
int nasw_predictor_fit_predict(nasw_predictor *p, const char *const *train, const double *y, int n,
                               const char *const *test, int m, double *mean);

/* The names of the registered strategies, one per call (i from 0; NULL at the end). */
const char *nasw_strategy_name(int i);

#ifdef __cplusplus
}
#endif
#endif
