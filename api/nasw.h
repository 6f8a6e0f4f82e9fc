/*
 * nasw.h - the public C API of libnasw (installed as <nasw.h>).
 *
 * A small, stable surface over the workbench: open a table bench, look
 * architectures up, and run searches - with a registered strategy ("evolution",
 * "bo:encoding=path", ...) or with a strategy of your own driving the same
 * loop through two callbacks (ask/tell), so that the budget, the repeat
 * cache, the incumbent and the trajectory are kept exactly as for nasw's own
 * strategies.  The Python module (python/nasw) is a client of this API.
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

#define NASW_API_VERSION 1

typedef struct nasw_table nasw_table;

/* The last error of this thread ("" if none). */
const char *nasw_errmsg(void);
/* The library's version (as `nasw --version` prints it). */
const char *nasw_version(void);

/* Open a table (CSV or JSON, in nasw's schema or with a sidecar).
 * metric / report: NULL for the detected columns. */
int nasw_table_open(nasw_table **t, const char *path, const char *metric, const char *report);
void nasw_table_free(nasw_table *t);
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

/* Helpers for strategies written outside: a uniform member of dataset d's
 * space, and a random one-decision neighbour of arch (seeded). */
int nasw_sample(const nasw_table *t, int d, uint64_t seed, char *buf, size_t n);
int nasw_mutate(const nasw_table *t, int d, const char *arch, uint64_t seed, char *buf, size_t n);

/* The names of the registered strategies, one per call (i from 0; NULL at the end). */
const char *nasw_strategy_name(int i);

#ifdef __cplusplus
}
#endif
#endif
