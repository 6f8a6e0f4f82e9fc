/*
 * train/mpi.h - scale-out of live training with MPI (OpenMPI).
 *
 * Under mpirun, rank 0 runs the command (the strategy, the journal) and
 * ranks 1..N-1 are training workers: each receives an architecture, trains
 * it with its own copy of the data, and sends back the result and its
 * per-epoch curve; rank 0 journals it.  Without mpirun the same binary runs
 * single-process and never initialises MPI (nasw_mpi_launched() is false).
 *
 * Messages (MPI_COMM_WORLD): rank 0 -> worker, tag TASK: {key, epochs} as two
 * uint64 (key UINT64_MAX = stop); worker -> rank 0, tag RESULT: doubles
 * {key, failed, val, test, train_acc, val_loss, test_loss, seconds, params,
 * flops, epochs_done, n_ep, then 7 per epoch}.
 */
#ifndef NASW_TRAIN_MPI_H
#define NASW_TRAIN_MPI_H

#include "core/bench.h"

/* 1 if this process was started by mpirun/mpiexec (OpenMPI or PMI env). */
int nasw_mpi_launched(void);
int nasw_mpi_init(int *argc, char ***argv);   /* NASW_OK or NASW_EIO */
void nasw_mpi_finalize(void);
int nasw_mpi_rank(void);                      /* 0 without MPI */
int nasw_mpi_size(void);                      /* 1 without MPI */

/* Ranks > 0: serve training tasks for live bench `spec` until told to stop. */
int mpi_worker(const char *spec, uint64_t train_seed);

/* Rank 0: the workers as an evaluator for search_run (cf. search/search.h):
 * answers journaled architectures at once, sends the others to idle
 * workers, and journals what comes back through the live bench b. */
struct mpi_pool;
int mpi_pool_new(struct mpi_pool **out, struct bench *live);
int mpi_pool_slots(const struct mpi_pool *p);
int mpi_pool_submit(void *pool, const struct arch *a, int epochs);
int mpi_pool_wait(void *pool, struct arch *a, struct bench_result *r);
/* Tells every worker to stop and frees the pool.  NULL is a no-op. */
void mpi_pool_free(struct mpi_pool *p);
/* Jobs on architecture keys that answer n_out doubles (nasw score's
 * proxies): ranks > 0 serve them with fn until told to stop (fn == NULL: a
 * worker that could not set up answers every job with a failure, so rank 0
 * is not left waiting); rank 0 hands the n keys out, one job per idle
 * worker, and calls done() with each answer as it comes back (completion
 * order).  Messages: the TASK/stop of the training workers; the answer is
 * {key, status (0 ok, -1 failed), out[0..n_out)} as doubles. */
int mpi_serve(int (*fn)(void *arg, uint64_t key, double *out), void *arg, int n_out);
int mpi_jobs_run(const uint64_t *keys, long n, int n_out, int (*done)(void *arg, uint64_t key, const double *out),
                 void *arg);

/* Rank 0 at exit: tell the workers to stop if no pool did (an early error),
 * so that no worker waits for ever. */
void nasw_mpi_release_workers(void);

#endif
