/*
 * bench/fmnist_split.c - the trainer's train/validation split of the 60k
 * Fashion-MNIST training images, for peers that must train on the same
 * images (bench/torch_accuracy.py).  It repeats what train_data_new() does:
 * a Fisher-Yates shuffle of 0..59999 by core/rng seeded with split_seed;
 * the first val_size indices are the validation set, the next train_size
 * the training set.  Not part of nasw: built by bench/run.sh.
 *
 * usage: fmnist_split [SPLIT_SEED] -> 60000 lines, one image index each
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"

int main(int argc, char **argv)
{
    char *end = NULL;
    unsigned long long seed = argc > 1 ? strtoull(argv[1], &end, 10) : 0;
    if (argc > 2 || (end && (*end || end == argv[1]))) {
        fprintf(stderr, "usage: fmnist_split [SPLIT_SEED]\n");
        return 2;
    }
    enum { N = 60000 };
    static int perm[N];
    struct rng *r = rng_new(seed);
    if (!r) return 1;
    for (int i = 0; i < N; i++) perm[i] = i;
    rng_shuffle_int(r, perm, N);
    rng_free(r);
    for (int i = 0; i < N; i++) printf("%d\n", perm[i]);
    return fflush(stdout) || ferror(stdout) ? 1 : 0;
}
