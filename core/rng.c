/*
 * core/rng.c - struct rng over GSL's MT19937.
 *
 * gsl_rng_mt19937 takes an unsigned long seed; 64-bit seeds are folded
 * with a splitmix64 step so that nearby seeds give unrelated streams and
 * seed 0 (which GSL maps to its default seed 4357) is not special.
 */
#include "core/rng.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>

struct rng {
    gsl_rng *g;
};

static unsigned long fold_seed(uint64_t seed)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    unsigned long s = (unsigned long)(z & 0xffffffffUL);
    return s ? s : 1UL;
}

struct rng *rng_new(uint64_t seed)
{
    struct rng *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->g = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r->g) {
        free(r);
        return NULL;
    }
    gsl_rng_set(r->g, fold_seed(seed));
    return r;
}

void rng_free(struct rng *r)
{
    if (!r) return;
    gsl_rng_free(r->g);
    free(r);
}

void rng_seed(struct rng *r, uint64_t seed) { gsl_rng_set(r->g, fold_seed(seed)); }

double rng_uniform(struct rng *r) { return gsl_rng_uniform(r->g); }

double rng_uniform_pos(struct rng *r) { return gsl_rng_uniform_pos(r->g); }

uint64_t rng_int(struct rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    if (n <= 0xffffffffULL) return gsl_rng_uniform_int(r->g, (unsigned long)n);
    /* Wider ranges: combine two 32-bit draws with rejection. */
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t hi = gsl_rng_get(r->g) & 0xffffffffULL;
        uint64_t lo = gsl_rng_get(r->g) & 0xffffffffULL;
        uint64_t v = (hi << 32) | lo;
        if (v < lim) return v % n;
    }
}

double rng_gaussian(struct rng *r, double sigma) { return gsl_ran_gaussian_ziggurat(r->g, sigma); }

void rng_shuffle_int(struct rng *r, int *v, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)gsl_rng_uniform_int(r->g, (unsigned long)i + 1);
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

void *rng_gsl(struct rng *r) { return r->g; }

void *rng_state(struct rng *r, size_t *size)
{
    *size = gsl_rng_size(r->g);
    return gsl_rng_state(r->g);
}
