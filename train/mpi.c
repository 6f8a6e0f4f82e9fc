/*
 * train/mpi.c - MPI training workers and rank 0's pool (see train/mpi.h).
 */
#include "train/mpi.h"

#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "train/live.h"
#include "train/trainer.h"

enum { TAG_TASK = 1, TAG_RESULT = 2 };
#define HEAD 12  /* doubles before the per-epoch records */
#define PER_EPOCH 7

static int inited, released;

int nasw_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

int nasw_mpi_init(int *argc, char ***argv)
{
    if (MPI_Init(argc, argv) != MPI_SUCCESS) return nasw_errorf(NASW_EIO, "MPI_Init failed");
    inited = 1;
    return NASW_OK;
}

void nasw_mpi_finalize(void)
{
    if (inited) MPI_Finalize();
    inited = 0;
}

int nasw_mpi_rank(void)
{
    int r = 0;
    if (inited) MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int nasw_mpi_size(void)
{
    int n = 1;
    if (inited) MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

int mpi_worker(const char *spec, uint64_t train_seed)
{
    struct live_opts lo = {.journal = NULL, .seed = train_seed};
    struct bench *b;
    int st = live_bench_new(&b, spec, &lo);
    /* a worker that cannot train still answers, so rank 0 is not left waiting */
    int max_ep = st ? 0 : live_bench_epochs(b);
    double *msg = malloc(sizeof *msg * (size_t)(HEAD + PER_EPOCH * (max_ep + 1)));
    struct train_epoch *eps = malloc(sizeof *eps * (size_t)(max_ep + 1));
    if (!msg || !eps) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    for (;;) {
        uint64_t task[2];
        MPI_Recv(task, 2, MPI_UINT64_T, 0, TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (task[0] == UINT64_MAX) break;
        double fail_msg[HEAD] = {(double)task[0], -1};
        if (st) {
            MPI_Send(fail_msg, HEAD, MPI_DOUBLE, 0, TAG_RESULT, MPI_COMM_WORLD);
            continue;
        }
        struct arch a;
        arch_from_key(bench_space(b), task[0], &a);
        struct train_result tr;
        int n = 0;
        if (live_bench_train(b, &a, &tr, eps, max_ep, &n)) {
            MPI_Send(fail_msg, HEAD, MPI_DOUBLE, 0, TAG_RESULT, MPI_COMM_WORLD);
            continue;
        }
        double h[HEAD] = {(double)task[0], tr.failed, tr.val_acc, tr.test_acc, tr.train_acc, tr.val_loss,
                          tr.test_loss, tr.seconds, (double)tr.params, tr.flops, tr.epochs_done, n};
        memcpy(msg, h, sizeof h);
        for (int i = 0; i < n; i++) {
            double *e = msg + HEAD + PER_EPOCH * i;
            e[0] = eps[i].train_loss, e[1] = eps[i].train_acc, e[2] = eps[i].val_loss, e[3] = eps[i].val_acc;
            e[4] = eps[i].test_loss, e[5] = eps[i].test_acc, e[6] = eps[i].seconds;
        }
        MPI_Send(msg, HEAD + PER_EPOCH * n, MPI_DOUBLE, 0, TAG_RESULT, MPI_COMM_WORLD);
    }
    free(msg);
    free(eps);
    if (!st) bench_free(b);
    return st;
}

struct mpi_pool {
    struct bench *live;
    int workers;
    int *busy;                 /* per worker (index rank-1): 1 if training */
    struct arch *ready;        /* journaled answers waiting to be collected */
    int n_ready;
    double *msg;
    struct train_epoch *eps;
    int max_ep;
};

int mpi_pool_new(struct mpi_pool **out, struct bench *live)
{
    *out = NULL;
    int size = nasw_mpi_size();
    if (size < 2) return nasw_errorf(NASW_EINVAL, "MPI pool without workers (run with mpirun -np 2 or more)");
    struct mpi_pool *p = calloc(1, sizeof *p);
    if (!p) return nasw_errorf(NASW_ENOMEM, "out of memory");
    p->live = live;
    p->workers = size - 1;
    p->max_ep = live_bench_epochs(live);
    p->busy = calloc((size_t)p->workers, sizeof *p->busy);
    p->ready = malloc(sizeof *p->ready * (size_t)(p->workers + 1));
    p->msg = malloc(sizeof *p->msg * (size_t)(HEAD + PER_EPOCH * (p->max_ep + 1)));
    p->eps = malloc(sizeof *p->eps * (size_t)(p->max_ep + 1));
    if (!p->busy || !p->ready || !p->msg || !p->eps) {
        mpi_pool_free(p);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    *out = p;
    return NASW_OK;
}

int mpi_pool_slots(const struct mpi_pool *p) { return p->workers; }

int mpi_pool_submit(void *pool, const struct arch *a, int epochs)
{
    struct mpi_pool *p = pool;
    struct bench_result r;
    if (live_bench_lookup(p->live, a, &r)) {
        p->ready[p->n_ready++] = *a;
        return NASW_OK;
    }
    for (int w = 0; w < p->workers; w++)
        if (!p->busy[w]) {
            uint64_t task[2] = {arch_key(bench_space(p->live), a), (uint64_t)(epochs > 0 ? epochs : 0)};
            MPI_Send(task, 2, MPI_UINT64_T, w + 1, TAG_TASK, MPI_COMM_WORLD);
            p->busy[w] = 1;
            return NASW_OK;
        }
    return nasw_errorf(NASW_EINVAL, "MPI pool: more evaluations submitted than workers");
}

int mpi_pool_wait(void *pool, struct arch *a, struct bench_result *r)
{
    struct mpi_pool *p = pool;
    if (p->n_ready > 0) {
        *a = p->ready[--p->n_ready];
        live_bench_lookup(p->live, a, r);
        return NASW_OK;
    }
    MPI_Status s;
    int count;
    MPI_Recv(p->msg, HEAD + PER_EPOCH * (p->max_ep + 1), MPI_DOUBLE, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &s);
    MPI_Get_count(&s, MPI_DOUBLE, &count);
    p->busy[s.MPI_SOURCE - 1] = 0;
    const double *h = p->msg;
    arch_from_key(bench_space(p->live), (uint64_t)h[0], a);
    if (h[1] < 0) return nasw_errorf(NASW_EIO, "MPI worker %d could not train (see its error output)", s.MPI_SOURCE);
    struct train_result tr = {.failed = (int)h[1], .val_acc = h[2], .test_acc = h[3], .train_acc = h[4],
                              .val_loss = h[5], .test_loss = h[6], .seconds = h[7], .params = (size_t)h[8],
                              .flops = h[9], .epochs_done = (int)h[10]};
    int n = (int)h[11];
    if (n < 0 || n > p->max_ep || count != HEAD + PER_EPOCH * n)
        return nasw_errorf(NASW_EIO, "MPI worker %d sent a malformed result", s.MPI_SOURCE);
    for (int i = 0; i < n; i++) {
        const double *e = p->msg + HEAD + PER_EPOCH * i;
        p->eps[i] = (struct train_epoch){.epoch = i + 1, .train_loss = e[0], .train_acc = e[1], .val_loss = e[2],
                                         .val_acc = e[3], .test_loss = e[4], .test_acc = e[5], .seconds = e[6]};
    }
    return live_bench_record(p->live, a, &tr, p->eps, n, r);
}

int mpi_serve(int (*fn)(void *arg, uint64_t key, double *out), void *arg, int n_out)
{
    double *msg = malloc(sizeof *msg * (size_t)(n_out + 2));
    int st = msg ? NASW_OK : nasw_errorf(NASW_ENOMEM, "out of memory");
    for (;;) {
        uint64_t task[2];
        MPI_Recv(task, 2, MPI_UINT64_T, 0, TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (task[0] == UINT64_MAX) break;
        double fail[2] = {(double)task[0], -1};
        if (st || !fn || fn(arg, task[0], msg + 2)) {
            MPI_Send(fail, 2, MPI_DOUBLE, 0, TAG_RESULT, MPI_COMM_WORLD);
            continue;
        }
        msg[0] = (double)task[0];
        msg[1] = 0;
        MPI_Send(msg, n_out + 2, MPI_DOUBLE, 0, TAG_RESULT, MPI_COMM_WORLD);
    }
    free(msg);
    return st;
}

int mpi_jobs_run(const uint64_t *keys, long n, int n_out, int (*done)(void *arg, uint64_t key, const double *out),
                 void *arg)
{
    int workers = nasw_mpi_size() - 1;
    if (workers < 1) return nasw_errorf(NASW_EINVAL, "MPI jobs without workers (run with mpirun -np 2 or more)");
    double *msg = malloc(sizeof *msg * (size_t)(n_out + 2));
    if (!msg) return nasw_errorf(NASW_ENOMEM, "out of memory");
    long next = 0, finished = 0;
    int st = NASW_OK;
    for (int w = 1; w <= workers && next < n; w++) {
        uint64_t task[2] = {keys[next++], 0};
        MPI_Send(task, 2, MPI_UINT64_T, w, TAG_TASK, MPI_COMM_WORLD);
    }
    while (finished < next) {
        MPI_Status ms;
        int count;
        MPI_Recv(msg, n_out + 2, MPI_DOUBLE, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &ms);
        MPI_Get_count(&ms, MPI_DOUBLE, &count);
        finished++;
        if (st) continue; /* an earlier failure: collect what is outstanding */
        if (msg[1] < 0)
            st = nasw_errorf(NASW_EIO, "MPI worker %d failed on a job (see its error output)", ms.MPI_SOURCE);
        else if (count != n_out + 2)
            st = nasw_errorf(NASW_EIO, "MPI worker %d sent a malformed result", ms.MPI_SOURCE);
        else
            st = done(arg, (uint64_t)msg[0], msg + 2);
        if (!st && next < n) {
            uint64_t task[2] = {keys[next++], 0};
            MPI_Send(task, 2, MPI_UINT64_T, ms.MPI_SOURCE, TAG_TASK, MPI_COMM_WORLD);
        }
    }
    free(msg);
    return st;
}

void nasw_mpi_release_workers(void)
{
    if (!inited || released || nasw_mpi_rank() != 0) return;
    released = 1;
    for (int w = 1; w < nasw_mpi_size(); w++) {
        uint64_t stop[2] = {UINT64_MAX, 0};
        MPI_Send(stop, 2, MPI_UINT64_T, w, TAG_TASK, MPI_COMM_WORLD);
    }
}

void mpi_pool_free(struct mpi_pool *p)
{
    if (!p) return;
    nasw_mpi_release_workers();
    free(p->busy);
    free(p->ready);
    free(p->msg);
    free(p->eps);
    free(p);
}
