/*
 * bench/lstm_bench.c - the nasw side of the LSTM surrogate benchmark
 * (bench/run.sh, peer bench/lstm_peer.py).  Draws a random test set and a
 * disjoint training set from one dataset of a table (the permutation of
 * `nasw predict`), writes the split with its token sequences to SPLIT (CSV:
 * set,y,t0,...,t{T-1}) so that the peer trains on exactly the same data, fits
 * the LSTM surrogate with lstm_default_params() (embedding 100, hidden 100,
 * Adam 1e-3, batch 32, 100 epochs, one model) and prints the fit time and
 * the Kendall tau on the test set.  Bench only: not used by the tests.
 *
 * usage: lstm_bench TABLE DATASET N_TRAIN N_TEST SEED SPLIT
 *        -> "nasw: fit_s X cpu_s Y kendall Z"
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/arch.h"
#include "core/rng.h"
#include "core/status.h"
#include "stats/stats.h"
#include "surrogate/lstm.h"
#include "tables/table.h"

static double now_s(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: lstm_bench TABLE DATASET N_TRAIN N_TEST SEED SPLIT\n");
        return 2;
    }
    long ntr = strtol(argv[3], NULL, 10), nte = strtol(argv[4], NULL, 10);
    struct table_opts o;
    table_default_opts(&o);
    struct table *t;
    if (table_load(&t, argv[1], &o)) {
        fprintf(stderr, "error: %s\n", nasw_errmsg());
        return 1;
    }
    int d = table_dataset_index(t, argv[2]), sm = table_search_metric(t);
    long nrow = d < 0 ? 0 : table_dataset_rows(t, d);
    if (d < 0 || ntr < 2 || nte < 2 || ntr + nte > nrow) {
        fprintf(stderr, "error: bad dataset '%.64s' or sizes\n", argv[2]);
        return 1;
    }
    const struct space *s = table_space(t);
    int T = lstm_seq_len(s), V = lstm_vocab(s);
    long *rows = malloc(sizeof *rows * (size_t)nrow);
    int *tok = malloc(sizeof *tok * (size_t)(ntr + nte) * (size_t)T);
    double *y = malloc(sizeof *y * (size_t)(ntr + nte)), *pred = malloc(sizeof *pred * (size_t)nte);
    struct rng *r = rng_new(strtoull(argv[5], NULL, 10));
    if (!rows || !tok || !y || !pred || !r) return 1;
    for (long i = 0, k = 0; i < table_n_rows(t); i++)
        if (table_row_dataset(t, i) == d) rows[k++] = i;
    for (long i = nrow - 1; i > 0; i--) {
        long j = (long)rng_int(r, (uint64_t)i + 1), tmp = rows[i];
        rows[i] = rows[j];
        rows[j] = tmp;
    }
    /* rows [0, nte) test, [nte, nte + ntr) training; stored training first */
    FILE *f = fopen(argv[6], "w");
    if (!f) return 1;
    fputs("set,y", f);
    for (int k = 0; k < T; k++) fprintf(f, ",t%d", k);
    fputc('\n', f);
    for (long i = 0; i < ntr + nte; i++) {
        long row = i < ntr ? rows[nte + i] : rows[i - ntr];
        y[i] = table_value(t, row, sm);
        lstm_tokens(s, table_row_arch(t, row), tok + i * T);
        fprintf(f, "%s,%.17g", i < ntr ? "train" : "test", y[i]);
        for (int k = 0; k < T; k++) fprintf(f, ",%d", tok[i * T + k]);
        fputc('\n', f);
    }
    if (fclose(f)) return 1;
    struct lstm_params p;
    lstm_default_params(&p);
    struct lstm *m;
    double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    if (lstm_fit(&m, tok, T, V, y, (int)ntr, &p, r)) {
        fprintf(stderr, "error: %s\n", nasw_errmsg());
        return 1;
    }
    double fit_s = now_s(CLOCK_MONOTONIC) - t0, cpu_s = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    lstm_predict(m, tok + ntr * T, (int)nte, pred, NULL);
    printf("vocabulary %d, sequence length %d, %ld training, %ld test\n", V, T, ntr, nte);
    printf("nasw: fit_s %.3f cpu_s %.3f kendall %.4f\n", fit_s, cpu_s, stats_kendall(pred, y + ntr, (size_t)nte));
    lstm_free(m);
    table_free(t);
    rng_free(r);
    free(rows);
    free(tok);
    free(y);
    free(pred);
    return 0;
}
