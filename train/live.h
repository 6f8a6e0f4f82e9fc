/*
 * train/live.h - the "live" bench backend: answers queries by training.
 *
 * `live:fmnist[:preset]` trains NAS-Bench-201 cells on Fashion-MNIST with the
 * trainer (train/trainer.h) and journals every result into a table in the
 * project's own schema (data/README.md), so the journal is itself a table:
 *
 *   JOURNAL                 final rows: arch,dataset,val_acc,test_acc,train_acc,
 *                           val_loss,test_loss,cost_s,params,flops,epochs,failed
 *   JOURNAL_curves.csv      one row per epoch, appended as the epoch ends:
 *                           arch,dataset,epoch,train_loss,train_acc,val_loss,
 *                           val_acc,test_loss,test_acc,cost_s (seconds of that epoch)
 *   JOURNAL.meta.json       sidecar naming the metrics and the curves file, and
 *                           under "training" every setting that changes the
 *                           numbers (preset, channels, cells, epochs, lr, batch,
 *                           data split, space, seed, convolution, TRAIN_FORMAT)
 *   JOURNAL.ckpt            the checkpoint of the training in progress (after
 *                           its last finished epoch), removed when it stops
 *   JOURNAL.weights/ID.ckpt weight inheritance (bench.keep_weights, set by a
 *                           search with inherit=1): the final checkpoint of
 *                           every full or inherited training, ID its settings
 *                           hash (inherited: of parent ID, settings, epochs)
 *   JOURNAL_inherit.csv     the inherited trainings (query_inherit), one row
 *                           each: weights,parent_weights,arch,parent,
 *                           inherit_epochs,val_acc,test_acc,cost_s,epochs,failed
 *                           (kept apart: the journal stays a table of
 *                           trainings from scratch)
 *
 * Records are appended one per line and flushed.  Opening a journal again
 * resumes, if its settings are the ones it was made with (otherwise
 * NASW_EINVAL naming the first that differs): finished architectures are
 * answered from it, never retrained; a torn last line (kill -9) is cut off;
 * the training that was killed continues from its checkpoint, its journaled
 * epochs up to the checkpoint kept, so a kill loses at most the epoch in
 * progress.  Other epochs past an architecture's row are dropped and
 * retrained (they come out the same).  A training paused by a partial query
 * (multi-fidelity) is kept in memory, not on disk.  MPI workers
 * (live_bench_train) send whole trainings, journaled by rank 0 with
 * live_bench_record.  Each architecture trains with a seed derived from the
 * base seed and its key, so its result does not depend on the order of the
 * queries.
 * A diverged training (NaN loss) is journaled with failed=1 and chance-level
 * accuracy (10%), the value NAS-Bench-201 stores for broken cells.
 */
#ifndef NASW_TRAIN_LIVE_H
#define NASW_TRAIN_LIVE_H

#include <stdint.h>

#include "core/bench.h"

struct live_opts {
    const char *journal;     /* path of the journal's final CSV (NULL: none, for MPI workers) */
    const char *data_dir;    /* Fashion-MNIST directory (NULL: fmnist_dir()) */
    uint64_t seed;           /* base training seed */
    int verbose;             /* 1: one line per finished epoch on stderr */
    /* NULL, or called after every trained epoch (not for journaled
     * results): a caller's progress display */
    void (*on_epoch)(void *ctx, int epoch, int epochs);
    void *on_epoch_ctx;
};

/* Objectives and constraints (core/objective.h) may name the journal's
 * val_acc, test_acc, cost_s, params and flops: NASW_ENOTFOUND with a
 * message naming the bench spec otherwise (checked before the bench and its
 * journal are opened). */
int live_check_objectives(const char *spec, const struct objectives *o);

/* spec: "fmnist" or "fmnist:PRESET" (also with a leading "live:"). */
int live_bench_new(struct bench **out, const char *spec, const struct live_opts *o);

/* The epochs of a full training on the live bench `spec` (its preset),
 * without opening it: NASW_OK and *epochs, or the error opening it gives. */
int live_spec_epochs(const char *spec, int *epochs);

/* Number of architectures already in the journal (after resume). */
long live_bench_done(const struct bench *b);
/* Children asked to inherit (query_inherit) that were trained from scratch
 * because their parent's weights were not kept (a parent answered from a
 * journal made without inherit=1, or JOURNAL.weights/ removed). */
long live_bench_fallbacks(const struct bench *b);

/* The pieces of a query, for distributed training (train/mpi.c): */
struct train_result;
struct train_epoch;
/* 1 and *r filled if a is journaled, 0 otherwise. */
int live_bench_lookup(struct bench *b, const struct arch *a, struct bench_result *r);
/* Train a without journaling; eps gets up to max_ep epoch records, *n_ep of them. */
int live_bench_train(struct bench *b, const struct arch *a, struct train_result *tr, struct train_epoch *eps,
                     int max_ep, int *n_ep);
/* Journal a result trained anywhere (curve rows, then the final row) and
 * fill *r with what was journaled. */
int live_bench_record(struct bench *b, const struct arch *a, const struct train_result *tr,
                      const struct train_epoch *eps, int n_ep, struct bench_result *r);
/* Epochs of the bench's preset (the most a training reports). */
int live_bench_epochs(const struct bench *b);

#endif
