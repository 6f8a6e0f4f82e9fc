/*
 * search/search.h - search strategies behind one ask/tell interface.
 *
 * A strategy is a const `struct search_type` descriptor (GSL's method
 * descriptors, git's commands[]): everything else in its file is static.
 * All descriptors sit in one NULL-terminated registry, which feeds the CLI,
 * `nasw search -h` and the tests (which loop over it).
 *
 * Protocol (NAS-Bench-201 / NASLib): a strategy proposes architectures
 * (propose), search_run() evaluates them through bench_query() and tells the
 * strategy the result (observe).  A strategy sees only the search metric, as
 * r->score (higher is better); search_run() tracks the report metric of the
 * best-by-search-metric architecture so far.  Repeated queries of an
 * architecture already evaluated in the run are answered from a cache: free,
 * not counted, not logged, but still observed by the strategy.
 *
 * Fidelity (multi-fidelity strategies): a query names its epochs (q.epochs;
 * <= 0 or >= the bench's max_epochs is the full training).  The cache is
 * keyed by (architecture, epochs); continuing a training to more epochs is
 * charged only the extra epochs and seconds (see search_run).  A strategy
 * that needs the bench (its max_epochs) has a bind() hook, called once after
 * alloc(); it refuses benches without per-epoch curves.  A strategy whose
 * rung waits for outstanding evaluations returns NASW_EAGAIN from propose()
 * (only under asynchronous evaluation; the synchronous loop tells every
 * result before asking again).
 *
 * Objectives and constraints (bench_set_objectives): a multi-objective
 * strategy reads the oriented objectives r->oobj[0..b->obj.n) and
 * r->infeasible.  Every other strategy is told, as r->score, a random
 * scalarisation drawn once per run (scalarize=random): weights uniform on
 * the simplex (from their own rng stream, so the strategy's draws are those
 * of a single-objective run), objectives normalised by the bench's
 * obj_worst/obj_best, augmented Chebyshev (min_k w_k f_k + 0.05 sum_k w_k f_k).
 * An infeasible answer is counted and charged like any other but scores
 * -INFINITY and never becomes the incumbent (feasible-best reporting).
 *
 * Strategy specs: "NAME[:key=value]...", e.g. "evolution:population=50:sample=10".
 * Every parameter is numeric (an enum parameter lists its choices as
 * "a|b|c" and stores the index); every parameter has a documented default.
 */
#ifndef NASW_SEARCH_SEARCH_H
#define NASW_SEARCH_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/arch.h"
#include "core/bench.h"

struct rng;
struct runlog;
struct hashmap;

#define SEARCH_MAX_PARAMS 24

struct search_param {
    const char *name;
    double def;          /* default (for an enum: index into choices) */
    double min, max;     /* inclusive bounds */
    int is_int;          /* 1: value must be an integer */
    const char *choices; /* NULL, or "ei|ucb|ts" for an enum parameter */
    const char *help;    /* one line */
};

struct query {
    struct arch arch;
    int epochs;          /* <= 0: full training */
    /* Search cost spent by the strategy itself since its last proposal (a
     * supernet's training, search/oneshot.c): charged to the clock (and the
     * epochs) before this query, even if the query is a repeat. */
    double overhead_s;
    int overhead_epochs;
    /* weight inheritance (inherit=1 of evolution and local): > 0 trains arch
     * for this many epochs from the trained weights of `parent` (a full
     * evaluation: bench_query_inherit; epochs is then ignored) */
    int inherit_epochs;
    struct arch parent;
};

/* A warm start (spec key init=zc:COLUMN[:pool=N], search/warm.c): the
 * architectures of a random pool ranked by a training-free score, best
 * first.  A strategy that supports it takes its initial architectures from
 * here (search_warm_next) instead of sampling them. */
struct search_warm {
    struct arch *arch;   /* the pool, best score first (NaN scores last) */
    long n, next;        /* next: the first not yet taken */
};

/* The next ranked architecture not in `avoid` (NULL: none avoided) into
 * *out: 1, or 0 when w is NULL or used up (the caller then samples). */
int search_warm_next(struct search_warm *w, const struct space *s, const struct hashmap *avoid, struct arch *out);

struct search_type {
    const char *name;
    const char *help;                     /* one line, with the reference */
    const struct search_param *params;    /* array terminated by name == NULL */
    /* values[i] is the value of params[i].  NULL on failure (message set). */
    void *(*alloc)(const double *values, const struct space *s, struct rng *r);
    /* NASW_OK, or NASW_EDONE when the strategy has nothing left to propose. */
    int (*propose)(void *st, struct query *out);
    int (*observe)(void *st, const struct query *q, const struct bench_result *r);
    void (*free)(void *st);
    /* Optional (NULL: none): called once after alloc with the bench; a
     * multi-fidelity strategy reads max_epochs here and refuses (with a
     * message) a bench without curves. */
    int (*bind)(void *st, const struct bench *b);
    int multi_fidelity;                   /* 1: proposes partial trainings */
    int multi_objective;                  /* 1: reads r->oobj (see below); bind()
                                             refuses a bench without objectives */
    int max_objectives;                   /* 0: up to OBJ_MAX; else at most this many */
    /* Warm starts (NULL: not supported): the parameter counting the initial
     * architectures (e.g. "population"), and the hook called once after
     * alloc with the ranked pool, which outlives the strategy's use of it. */
    const char *warm_param;
    void (*warm)(void *st, struct search_warm *w);
    /* Optional (NULL: every space): NASW_OK, or NASW_EUNSUPPORTED with a
     * message when the strategy cannot search the space. */
    int (*space_ok)(const struct space *s);
    int oneshot;                          /* 1: trains the bench's supernet (bind() refuses
                                             a bench without one: search_check_bench) */
};

extern const struct search_type *const search_registry[];  /* NULL-terminated */
/* For bind(): NASW_EUNSUPPORTED with "strategy 'NAME' needs per-epoch curves;
 * table 'PATH' has none" when the bench has no curves, else NASW_OK. */
int search_needs_curves(const struct bench *b, const char *strategy);
const struct search_type *search_find(const char *name);
/* Whether strategy t can run on bench b, before any output is opened: a
 * one-shot strategy needs a bench with a supernet (bench_oneshot's
 * message, NASW_EUNSUPPORTED; the CLI makes it a usage error). */
int search_check_bench(const struct search_type *t, const struct bench *b);

struct search_spec {
    const struct search_type *type;
    double values[SEARCH_MAX_PARAMS];
    int dedupe_iso;     /* the key every strategy takes, dedupe=iso|none: a query
                           of an architecture isomorphic to an evaluated one
                           (the same arch_canonical string) is a free repeat */
    char label[512];    /* the spec as the user wrote it, e.g. "evolution:sample=10"; as long as
                           the longest full form (pnas: 181 characters) */
    /* init=zc:COLUMN[:pool=N]: warm start from the bench's column COLUMN
     * (warm_column[0] == '\0': the strategy's own random start) */
    char warm_column[64];
    long warm_pool;
};

/* Check a warm start against the strategy and the bench: the strategy takes
 * warm starts, the pool is at least its initial count, the bench has the
 * column.  NASW_OK when the spec has none.  NASW_EINVAL / NASW_ENOTFOUND /
 * NASW_EUNSUPPORTED with a message (a usage error for the CLI). */
int search_warm_check(const struct search_spec *spec, struct bench *b);
/* Everything about a parsed spec that depends on the bench, checked before
 * a run (a usage error for the CLI): the space (space_ok) and the warm start. */
int search_spec_check(const struct search_spec *spec, struct bench *b);

/* Parse one spec ("NAME[:key=value]...[:init=zc:COLUMN[:pool=N]]").  Errors (NASW_ENOTFOUND / NASW_EINVAL / NASW_EPARSE, with a
 * message): unknown strategy, unknown key, repeated key, value not a number,
 * not an integer, out of bounds, not one of the choices, an empty key=value
 * ("evolution:", "a::b"). */
int search_spec_parse(const char *text, struct search_spec *out);
/* Parse a comma-separated list (an empty item is an error); *out is
 * malloc'd (free with free()). */
int search_spec_list_parse(const char *text, struct search_spec **out, int *n);
/* Full form with every parameter, e.g. "evolution:population=50:sample=10:aging=1". */
int search_spec_format(const struct search_spec *spec, char *buf, size_t n);
/* Write the registry (names, help, parameters with defaults) for -h. */
void search_registry_help(FILE *f);
/* Weight inheritance: the spec's inherit_epochs if it sets inherit=1 (a
 * parameter of evolution and local), else 0. */
int search_spec_inherit_epochs(const struct search_spec *spec);
/* NASW_EINVAL, with a message, if the spec asks for weight inheritance
 * where it cannot be had: on a bench that does not train (`trains` 0:
 * bench names it), with objectives or constraints (`objectives`), with
 * more inherit_epochs than the full training (`full_epochs`, if > 0), or
 * names inherit_epochs without inherit=1. */
int search_spec_check_inherit(const struct search_spec *spec, const char *bench, int trains, int full_epochs,
                              int objectives);

enum budget_kind { BUDGET_QUERIES = 0, BUDGET_SECONDS = 1, BUDGET_EPOCHS = 2 };

/* One counted (distinct) query: a distinct (architecture, epochs). */
struct search_step {
    uint64_t key;         /* architecture key */
    double val, test;     /* this architecture's metrics at these epochs */
    double cost_s;        /* seconds charged for it (the extra, when continued) */
    double total_cost_s;  /* cumulative seconds charged, including it */
    double best_val;      /* search metric of the incumbent (see search_run) */
    double test_at_best;  /* report metric of the incumbent */
    int epochs;           /* epochs answered (0: unknown, a table without curves) */
    int fidelity;         /* epochs asked, normalised: 0 = full training */
    int epochs_charged;   /* epochs charged for it (the extra, when continued) */
    double total_epochs;  /* cumulative epochs charged, including it */
    long incumbent;       /* index of the incumbent's step (-1: none yet) */
    int failed;
    int infeasible;       /* a constraint failed */
};

enum search_stop { SEARCH_STOP_BUDGET = 0, SEARCH_STOP_EXHAUSTED, SEARCH_STOP_STALLED };

struct search_trace {
    struct search_step *steps;  /* steps[i] = query i+1 */
    long n, cap;
    enum search_stop stop;
    /* with objectives (n_obj > 0): obj[i * 2 * n_obj + k] is objective k of
     * step i as stored, obj[i * 2 * n_obj + n_obj + k] its reported value */
    int n_obj;
    double *obj;
};

/* Asynchronous evaluation (e.g. MPI workers): search_run() keeps up to
 * `slots` evaluations outstanding; a worker that finishes gets the next
 * proposal at once (asynchronous evolution, as AmoebaNet).  submit() starts
 * an evaluation; wait() blocks until any submitted one finishes and returns
 * its architecture and result (bench_finish() is applied by search_run). */
struct search_evaluator {
    int slots;
    int (*submit)(void *arg, const struct arch *a, int epochs);
    int (*wait)(void *arg, struct arch *a, struct bench_result *r);
    void *arg;
};

struct search_run_opts {
    double budget;                /* queries, seconds or epochs */
    enum budget_kind kind;
    uint64_t seed;
    long max_repeats;             /* stop after this many consecutive cached
                                     answers (0: default 100000) */
    struct runlog *log;           /* NULL: no log */
    const char *command;          /* command line for the log header (may be NULL) */
    const struct search_evaluator *eval; /* NULL: evaluate with bench_query, one at a time */
    void (*progress)(void *arg, double fraction);  /* NULL: none */
    void *progress_arg;
};

/* Run one search.  `trace` must be zeroed or released before; it is filled
 * (released with search_trace_release).  The strategy's rng is seeded with
 * opts->seed.  Budget: in queries, stops after `budget` distinct (arch,
 * epochs) queries; in seconds or epochs, a query is made while the
 * cumulative charge is below the budget (so the last query may cross it).
 *
 * Charging: a query of an architecture already trained to e0 epochs in this
 * run, at e > e0 epochs, is charged e - e0 epochs and cost(e) - cost(e0)
 * seconds (the training is continued); at e <= e0 it is charged nothing
 * (the curve passed through it).  Tables can always continue; a backend
 * that had to retrain from scratch says so (bench_result.from_epochs = 0)
 * and is charged in full.  A budget in epochs needs a bench with curves;
 * a full training is charged the epochs it answered.
 *
 * Incumbent: the best search metric among the evaluations at the highest
 * fidelity evaluated so far (ties keep the earlier), and the report metric
 * of that evaluation.  A full training ranks above every partial one, so
 * for strategies that only train fully this is the best-by-search-metric
 * architecture, as before.  Exhaustion: every member trained fully. */
int search_run(struct bench *b, const struct search_spec *spec,
               const struct search_run_opts *opts, struct search_trace *trace);
/* Whether the strategy can run on the space at all (an encoding too wide
 * for its model, ...): sets it up once and tears it down, so that a
 * command can refuse before any run starts.  NASW_OK or the strategy's
 * status with its message. */
int search_check(const struct search_spec *spec, const struct space *s);
void search_trace_release(struct search_trace *t);
const char *search_stop_name(enum search_stop s);  /* "budget", "exhausted", "stalled" */

#endif
