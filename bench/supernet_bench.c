/*
 * bench/supernet_bench.c - the nasw side of the supernet step benchmark
 * (bench/run.sh supernet, peer bench/supernet_peer.py).  The DARTS supernet
 * of the NB201 cell space (train/supernet.h: every edge a softmax mixture of
 * the five ops) at a given shape, and its first-order step as
 * supernet_epoch() runs it: the architecture gradient on a validation batch
 * and an Adam step on the logits, then a forward, backward and SGD step of
 * the weights on a training batch.  Fixed random batches (N(0,1) images,
 * uniform labels), 5 warm-up steps, then STEPS timed ones.  Threads: the
 * trainer's (OMP_NUM_THREADS).  Bench only: not used by the tests.
 *
 * usage: supernet_bench C N RES BATCH STEPS
 *        -> "params: P", "throughput: X images/s" (training images: one per
 *           image of a weight step), "cpu_s: Y" (user + system of the timed steps)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "core/arch.h"
#include "core/rng.h"
#include "core/status.h"
#include "train/supernet.h"

static double clock_s(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A positive integer argument, strictly parsed. */
static int arg(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 1 || v > 1000000) {
        fprintf(stderr, "error: %s '%.64s' is not a positive integer\n", what, s);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: supernet_bench C N RES BATCH STEPS\n");
        return 2;
    }
    struct supernet_config c;
    supernet_config_default(&c);
    c.C = arg(argv[1], "C"), c.N = arg(argv[2], "N"), c.H = c.W = arg(argv[3], "RES");
    c.batch = arg(argv[4], "BATCH");
    int steps = arg(argv[5], "STEPS");
    struct space *s;
    struct supernet *n;
    if (space_cell_new(&s, 4, arch_nb201_ops, 5) || supernet_new(&n, s, &c, 1)) {
        fprintf(stderr, "error: %s\n", nasw_errmsg());
        return 1;
    }
    size_t px = (size_t)c.H * c.W;
    float *x = malloc(2 * (size_t)c.batch * px * sizeof *x);
    int *y = malloc(2 * (size_t)c.batch * sizeof *y);
    double *grad = malloc((size_t)supernet_num_alpha(n) * sizeof *grad);
    struct rng *r = rng_new(7);
    if (!x || !y || !grad || !r) {
        fprintf(stderr, "error: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < 2 * (size_t)c.batch * px; i++) x[i] = (float)rng_gaussian(r, 1.0);
    for (int i = 0; i < 2 * c.batch; i++) y[i] = (int)rng_int(r, (uint64_t)c.classes);
    const float *xv = x + (size_t)c.batch * px;
    const int *yv = y + c.batch;
    double t0 = 0, c0 = 0;
    for (int i = 0; i < 5 + steps; i++) {
        if (i == 5) t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        if (supernet_arch_grad(n, xv, yv, c.batch, grad)) {
            fprintf(stderr, "error: %s\n", nasw_errmsg());
            return 1;
        }
        supernet_adam_step(n, grad);
        supernet_set_mixed(n);
        supernet_forward(n, x, y, c.batch, 1, NULL);
        supernet_backward(n, NULL);
        supernet_sgd_step(n, c.lr);
    }
    double dt = clock_s(CLOCK_MONOTONIC) - t0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("params: %zu\n", supernet_num_params(n));
    printf("throughput: %.1f images/s\n", steps * (double)c.batch / dt);
    printf("cpu_s: %.3f\n", cpu);
    printf("max_rss_kb: %ld\n", ru.ru_maxrss);
    supernet_free(n);
    space_free(s);
    rng_free(r);
    free(x);
    free(y);
    free(grad);
    return 0;
}
