/*
 * bench/conv_shapes.c - milliseconds of every convolution shape of the
 * issue-3 benchmark network (C=16, N=1, 28x28, batch 128), forward and
 * backward (conv_backward_set: input and weight gradients), with im2col +
 * GEMM and with Winograd (F(2x2,3x3), or F(4x4,3x3) where conv_dims_init
 * chooses it: the 7x7 stage) side by side, and which one conv_dims_init
 * picks.  Threads: OMP_NUM_THREADS.  Uses only the public
 * API of train/layers.h.
 *
 * usage: conv_shapes [repeats]    (default 10; the median call is printed)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train/layers.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* median ms of forward and backward with algorithm wino (0/1) */
static void timeit(int B, int Ci, int H, int Co, int K, int S, int P, int wino, int R, double *fwd, double *bwd)
{
    struct conv_dims d;
    conv_dims_init(&d, B, Ci, H, H, Co, K, S, P);
    d.wino = wino;
    size_t ni = (size_t)Ci * B * H * H, no = (size_t)Co * B * d.Ho * d.Wo, nw = (size_t)Co * Ci * K * K;
    float *in = malloc(4 * ni), *out = malloc(4 * no), *din = malloc(4 * ni), *w = malloc(4 * nw);
    float *dw = calloc(nw, 4), *col = malloc(4 * conv_col_size(&d));
    double *tf = malloc(sizeof *tf * (size_t)R), *tb = malloc(sizeof *tb * (size_t)R);
    if (!in || !out || !din || !w || !dw || !col || !tf || !tb) {
        fprintf(stderr, "conv_shapes: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < ni; i++) in[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    for (size_t i = 0; i < nw; i++) w[i] = (float)((i * 40503u) % 1000) / 5000.0f - 0.1f;
    conv_forward(out, in, w, &d, col); /* warm-up */
    conv_backward_set(din, dw, out, in, w, &d, col);
    for (int r = 0; r < R; r++) {
        double t0 = now();
        conv_forward(out, in, w, &d, col);
        double t1 = now();
        conv_backward_set(Ci > 1 ? din : NULL, dw, out, in, w, &d, col);
        double t2 = now();
        tf[r] = 1e3 * (t1 - t0);
        tb[r] = 1e3 * (t2 - t1);
    }
    *fwd = median(tf, R);
    *bwd = median(tb, R);
    free(in), free(out), free(din), free(w), free(dw), free(col), free(tf), free(tb);
}

int main(int argc, char **argv)
{
    int R = argc > 1 ? atoi(argv[1]) : 10, B = 128;
    if (R < 1) {
        fprintf(stderr, "conv_shapes: bad repeat count '%s'\n", argv[1]);
        return 2;
    }
    /* name, count per network, Ci, H, Co, K, stride, pad */
    static const struct {
        const char *name;
        int n, Ci, H, Co, K, S, P;
    } sh[] = {
        {"stem 3x3", 1, 1, 28, 16, 3, 1, 1},     {"cell1 3x3", 4, 16, 28, 16, 3, 1, 1},
        {"cell1 1x1", 1, 16, 28, 16, 1, 1, 0},   {"red1 3x3 s2", 1, 16, 28, 32, 3, 2, 1},
        {"red1 3x3", 1, 32, 14, 32, 3, 1, 1},    {"red1 1x1", 1, 16, 14, 32, 1, 1, 0},
        {"cell2 3x3", 4, 32, 14, 32, 3, 1, 1},   {"cell2 1x1", 1, 32, 14, 32, 1, 1, 0},
        {"red2 3x3 s2", 1, 32, 14, 64, 3, 2, 1}, {"red2 3x3", 1, 64, 7, 64, 3, 1, 1},
        {"red2 1x1", 1, 32, 7, 64, 1, 1, 0},     {"cell3 3x3", 4, 64, 7, 64, 3, 1, 1},
        {"cell3 1x1", 1, 64, 7, 64, 1, 1, 0},
    };
    double total = 0;
    printf("%-12s %3s  %-23s %-23s %s\n", "shape", "n", "im2col fwd / bwd ms", "winograd fwd / bwd ms", "picked");
    for (size_t i = 0; i < sizeof sh / sizeof sh[0]; i++) {
        struct conv_dims d;
        conv_dims_init(&d, B, sh[i].Ci, sh[i].H, sh[i].H, sh[i].Co, sh[i].K, sh[i].S, sh[i].P);
        int same3 = sh[i].K == 3 && sh[i].S == 1, pick = same3 && d.wino;
        double f0, b0, f1 = 0, b1 = 0;
        timeit(B, sh[i].Ci, sh[i].H, sh[i].Co, sh[i].K, sh[i].S, sh[i].P, 0, R, &f0, &b0);
        if (same3) timeit(B, sh[i].Ci, sh[i].H, sh[i].Co, sh[i].K, sh[i].S, sh[i].P, 1, R, &f1, &b1);
        char w[32] = "-";
        if (same3) snprintf(w, sizeof w, "%7.2f / %7.2f", f1, b1);
        printf("%-12s %3d  %7.2f / %7.2f       %-23s %s\n", sh[i].name, sh[i].n, f0, b0, w,
               pick ? "winograd" : "im2col");
        total += sh[i].n * (pick ? f1 + b1 : f0 + b0);
    }
    printf("picked total: %.1f ms of convolutions per training step\n", total);
    return 0;
}
