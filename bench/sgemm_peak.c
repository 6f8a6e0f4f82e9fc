/*
 * bench/sgemm_peak.c - the machine's single-precision GEMM rate through
 * OpenBLAS (the ceiling for a convolution done as im2col + sgemm).
 * usage: sgemm_peak [N] -> "sgemm peak: X GFLOP/s" (threads: OPENBLAS_NUM_THREADS)
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2048;
    float *a = malloc(sizeof *a * (size_t)n * n), *b = malloc(sizeof *b * (size_t)n * n), *c = malloc(sizeof *c * (size_t)n * n);
    if (!a || !b || !c) return 1;
    for (long i = 0; i < (long)n * n; i++) a[i] = b[i] = 1.0f / (float)(1 + i % 7), c[i] = 0;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    struct timespec t0, t1;
    int reps = 5;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < reps; r++) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("sgemm peak: %.1f GFLOP/s (N=%d)\n", 2.0 * n * n * (double)n * reps / dt / 1e9, n);
    free(a);
    free(b);
    free(c);
    return 0;
}
