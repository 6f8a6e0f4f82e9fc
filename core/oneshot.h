/*
 * core/oneshot.h - a weight-sharing supernet as a bench offers it.
 *
 * The one-shot strategies (search/oneshot.c: darts, gdas, rsws, spos,
 * enas) train a supernet of the bench's space on the bench's own data and
 * then ask the bench for the cell they derive.  Strategies see only this
 * interface (search/ includes no train/ header); a backend that can train
 * (train/live.c) implements it behind bench_ops.oneshot, a table cannot
 * (bench_oneshot() then fails with the message the CLI prints).
 *
 * Cost: `seconds` is the wall time of everything the supernet did (its
 * epochs and the scoring of cells), `epochs_done` its epochs; the
 * strategies charge both to the search's clock (search/search.h, overhead
 * of a query).  A backend with a journal checkpoints the supernet after
 * every epoch and restores it when the same search (same `tag`) runs
 * again: epochs_done and seconds then start where the killed run stopped,
 * and restored_state holds the strategy's state of that epoch.
 */
#ifndef NASW_CORE_ONESHOT_H
#define NASW_CORE_ONESHOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/arch.h"

/* How the edges mix their ops in a training step. */
enum oneshot_mode {
    ONESHOT_MIXED,   /* softmax of the logits (DARTS) */
    ONESHOT_GUMBEL,  /* a hard Gumbel-softmax sample, straight-through (GDAS) */
    ONESHOT_PATH     /* one cell per step: uniform, or from a sampler (SPOS, RSWS, ENAS) */
};

typedef void (*oneshot_sampler)(void *arg, struct arch *a);

struct oneshot_epoch {
    int mode;               /* enum oneshot_mode */
    int arch_step;          /* MIXED, GUMBEL: an architecture step per weight step, 0 none;
                               MIXED: 1 first order, 2 second order (DARTS' unrolled gradient) */
    double xi;              /* arch_step 2: the unrolled step's size (0: the step's learning rate) */
    double tau;             /* GUMBEL temperature */
    oneshot_sampler sample; /* PATH: NULL = uniform cells */
    void *sample_arg;
    /* The strategy's own state at the end of the epoch (its rng, a
     * controller), saved in the same checkpoint as the supernet so that a
     * resumed search continues as the uninterrupted one: fills *buf
     * (malloc'd, freed by the backend) and *n.  NULL: nothing to save. */
    int (*save_state)(void *arg, void **buf, size_t *n);
    void *state_arg;
};

struct oneshot_opts {
    int epochs;             /* of the cosine schedule (the most epoch() may run) */
    uint64_t seed;
    const char *tag;        /* names the search (its full spec and seed) for the checkpoint */
    int bn_batches;         /* score(): training batches that recompute the BN statistics */
    int eval_images;        /* score(): validation images (0: all) */
};

struct oneshot;
struct oneshot_ops {
    /* One epoch of training; NASW_ENUMERIC if the loss diverged. */
    int (*epoch)(struct oneshot *o, const struct oneshot_epoch *e);
    /* Validation accuracy (%) of cell a with the supernet's weights. */
    int (*score)(struct oneshot *o, const struct arch *a, double *val_acc);
    /* The cell of the largest logit per edge. */
    void (*derive)(struct oneshot *o, struct arch *a);
    void (*free)(struct oneshot *o);
};

struct oneshot {
    const struct oneshot_ops *ops;
    int epochs_done;
    double seconds;
    /* Restored from a checkpoint: the state save_state gave with the last
     * epoch (owned by the backend; NULL when there was none). */
    const void *restored_state;
    size_t restored_len;
};

void oneshot_free(struct oneshot *o);  /* NULL is a no-op (core/bench.c) */

#endif
