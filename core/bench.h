/*
 * core/bench.h - the benchmark interface: one interface, several backends.
 *
 * A bench answers "what does architecture A score after E epochs?".  The
 * table backend (tables/) looks the answer up; the live backend (train/,
 * later) trains.  Strategies only ever see `struct bench`, its space and an
 * rng, and only through search_run(), which is the only caller of
 * bench_query() and which charges the budget the same way on every backend.
 *
 * Metrics: each bench has a search metric (what a strategy may see, e.g.
 * val_acc) and a report metric (what is reported, e.g. test_acc).  Either may
 * be "higher is better" (accuracy) or "lower is better" (loss, perplexity):
 * bench_query() fills `score`, the search metric oriented so that higher is
 * always better, and strategies compare scores only.
 *
 * Objectives and constraints (multi-objective and constrained search): after
 * bench_set_objectives(), every query also fills obj[] (each objective as
 * stored), oobj[] (oriented: larger is better), obj_report[] (what is
 * reported for it: the report metric for the search metric, as for single
 * objectives; the column itself otherwise) and infeasible (some constraint
 * fails).  Backends that know no such columns leave objective_values NULL.
 *
 * Noisy queries (bench_set_noise): where a backend holds several training
 * seeds per architecture (NAS-Bench-Macro's test_acc_run1..3), a query may
 * be answered with one seed's search metric (bench_query_seed, the seed
 * drawn by the caller: NAS-Bench-201's is_random=True); the report metric
 * stays the backend's (their mean, on NAS-Bench-Macro).
 */
#ifndef NASW_CORE_BENCH_H
#define NASW_CORE_BENCH_H

#include "core/arch.h"
#include "core/objective.h"
#include "core/oneshot.h"

struct bench_result {
    double val;      /* search metric as stored (e.g. validation accuracy, %) */
    double test;     /* report metric as stored (e.g. test accuracy, %) */
    double cost_s;   /* training seconds charged for this query (0 if unknown) */
    double score;    /* val oriented so that higher is better (set by bench_query) */
    int epochs;      /* epochs the answer corresponds to */
    int from_epochs; /* a training continued from this many epochs (0: from
                        scratch); -1 (set by bench_query): the backend looked
                        the answer up, so continuation is free (tables) */
    int failed;      /* 1 if the training diverged (val/test are then NaN) */
    int infeasible;  /* 1 if a constraint fails (set by bench_query) */
    double obj[OBJ_MAX];        /* objectives as stored (bench_set_objectives) */
    double oobj[OBJ_MAX];       /* the same oriented: larger is better */
    double obj_report[OBJ_MAX]; /* their reported counterparts */
};

struct bench;

struct bench_ops {
    const char *name;  /* "table", "live" */
    /* epochs <= 0 means the full training (the table's final values). */
    int (*query)(struct bench *b, const struct arch *a, int epochs, struct bench_result *r);
    /* Per-epoch search metric, up to max_epochs values; returns how many
     * were written or a negative status.  NULL if the backend has no curves. */
    int (*curve)(struct bench *b, const struct arch *a, double *val, int max_epochs);
    /* Best search-metric value over the space and the report metric of that
     * architecture (the validation-selection ceiling).  NULL if unknown. */
    int (*oracle)(struct bench *b, double *best_val, double *test_at_best);
    void (*free)(struct bench *b);  /* frees the backend state and b itself */
    /* Resolve b->obj's objective and constraint names to columns (a message
     * naming the bench and the column, NASW_ENOTFOUND, for an unknown one;
     * NASW_EINVAL when no architecture satisfies the constraints) and set
     * obj_worst/obj_best when known.  NULL: no columns but the metrics. */
    int (*bind_objectives)(struct bench *b);
    /* out[0..n): objectives, out[n..2n): their reported counterparts,
     * out[2n..2n+n_con): the constraint columns, for architecture a. */
    int (*objective_values)(struct bench *b, const struct arch *a, double *out);
    /* Find the per-seed values of the search metric and set b->noise_seeds
     * (a message naming the bench and the columns it looked for if there
     * are fewer than two).  NULL: the backend has no seeds. */
    int (*set_noise)(struct bench *b);
    /* The search metric of a's training seed k (0..noise_seeds-1). */
    int (*seed_value)(struct bench *b, const struct arch *a, int k, double *val);
    /* The value of the column `name` for architecture a (a training-free
     * score read for a warm start, search/warm.c); a == NULL only checks
     * that the column exists (NASW_ENOTFOUND naming it).  A missing value is
     * NaN.  NULL: the backend has no columns but its metrics. */
    int (*column)(struct bench *b, const char *name, const struct arch *a, double *out);
    /* A weight-sharing supernet of the space on the bench's training data
     * (core/oneshot.h).  NULL: the backend has no data to train on. */
    int (*oneshot)(const struct bench *b, const struct oneshot_opts *o, struct oneshot **out);
    /* Weight inheritance (NULL: the backend cannot): train a for `epochs`
     * epochs starting from the trained weights of `parent` (r->epochs and
     * r->cost_s: what was trained, r->from_epochs 0).  A backend that no
     * longer has the parent's weights trains a from scratch instead. */
    int (*query_inherit)(struct bench *b, const struct arch *a, const struct arch *parent, int epochs,
                         struct bench_result *r);
};

struct bench {
    const struct bench_ops *ops;
    void *impl;                     /* backend state */
    const struct space *space;      /* owned by the backend */
    char name[256];                 /* e.g. "table:path.csv#cifar10" */
    char dataset[64];
    char search_metric[64];
    char report_metric[64];
    int higher_is_better;           /* of the search metric: 1 or 0 */
    int report_higher_is_better;    /* of the report metric */
    int has_cost;                   /* cost_s is meaningful */
    int max_epochs;                 /* longest curve, 0 if no curves; a query at
                                       max_epochs or more is the full training */
    char checksum[32];              /* data checksum for run logs ("" if none) */
    struct objectives obj;          /* obj.n == 0: single objective (the search metric) */
    double obj_worst[OBJ_MAX], obj_best[OBJ_MAX]; /* per objective over the space,
                                       as stored (NaN: unknown) */
    int noise_seeds;                /* > 0: queries may be answered per seed (bench_set_noise) */
    int keep_weights;               /* set by search_run for weight inheritance: a
                                       backend that trains keeps the weights of
                                       every full training (query_inherit's parents) */
};

/* Query through the backend and fill r->score.  Returns the backend status. */
int bench_query(struct bench *b, const struct arch *a, int epochs, struct bench_result *r);
/* The same, the search metric from training seed `seed` (0..noise_seeds-1;
 * < 0: the backend's own value, as bench_query). */
int bench_query_seed(struct bench *b, const struct arch *a, int epochs, int seed, struct bench_result *r);
/* Answer queries per training seed from now on (see above);
 * NASW_EUNSUPPORTED with a message when the backend has no seeds. */
int bench_set_noise(struct bench *b);
/* bench_query for a child starting from its parent's weights (see
 * query_inherit); NASW_EUNSUPPORTED if the backend cannot. */
int bench_query_inherit(struct bench *b, const struct arch *a, const struct arch *parent, int epochs,
                        struct bench_result *r);
/* Fill r->score (and mark NaN results failed) for a result obtained outside
 * bench_query (an asynchronous evaluator). */
void bench_finish(const struct bench *b, struct bench_result *r);
/* Fill r's objectives and feasibility (see above) for a result obtained
 * outside bench_query (an asynchronous evaluator); no-op without them. */
int bench_objectives(struct bench *b, const struct arch *a, struct bench_result *r);
/* NASW_EUNSUPPORTED if the backend has no curves. */
int bench_curve(struct bench *b, const struct arch *a, double *val, int max_epochs);
/* NASW_EUNSUPPORTED if the backend cannot know. */
int bench_oracle(struct bench *b, double *best_val, double *test_at_best);
const struct space *bench_space(const struct bench *b);
/* Orient a search-metric value: higher is better. */
double bench_score(const struct bench *b, double val);
void bench_free(struct bench *b);   /* NULL is a no-op */
/* The backend's column `name` for a (see bench_ops.column); a == NULL
 * checks the name.  NASW_EUNSUPPORTED when the backend has no columns. */
int bench_column(struct bench *b, const char *name, const struct arch *a, double *out);
/* The backend's supernet for strategy `strategy`; NASW_EUNSUPPORTED with
 * "strategy 'S' needs a supernet; table 'PATH' has no training data" (or
 * "bench 'NAME' cannot train one") when the backend has none. */
int bench_oneshot(const struct bench *b, const char *strategy, const struct oneshot_opts *o, struct oneshot **out);
/* Search several objectives and/or under constraints (o->n == 0: the
 * search metric alone, constrained).  NASW_EUNSUPPORTED when the backend
 * has no columns; the backend's message for unknown columns. */
int bench_set_objectives(struct bench *b, const struct objectives *o);

#endif
