/*
 * core/rng.h - the one random number generator of nasw.
 *
 * A thin wrapper around GSL's MT19937 (gsl_rng_mt19937).  Every stochastic
 * function takes a `struct rng *`; nothing calls rand().  The seed is set
 * once (from --seed) and written into the run log, so a run is reproducible
 * bit for bit on one machine.  Our header hides the GSL type so that modules
 * which include it do not pull GSL's headers (GUIDE.md: opaque structs).
 */
#ifndef NASW_CORE_RNG_H
#define NASW_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng;

struct rng *rng_new(uint64_t seed);           /* NULL on allocation failure */
void rng_free(struct rng *r);                 /* NULL is a no-op */
void rng_seed(struct rng *r, uint64_t seed);
double rng_uniform(struct rng *r);            /* [0, 1) */
double rng_uniform_pos(struct rng *r);        /* (0, 1) */
uint64_t rng_int(struct rng *r, uint64_t n);  /* uniform in [0, n), n >= 1 */
double rng_gaussian(struct rng *r, double sigma);
/* Fisher-Yates shuffle of n ints. */
void rng_shuffle_int(struct rng *r, int *v, int n);
/* Access for modules that call GSL functions taking a gsl_rng * directly
 * (stats/, surrogate/); returns the wrapped `gsl_rng *` as void *. */
void *rng_gsl(struct rng *r);
/* The generator's whole state as raw bytes (*size of them): a checkpoint
 * saves them and writes them back to continue the same stream exactly.
 * The layout is the machine's (GSL's struct), so a saved state is only
 * meant for the same build. */
void *rng_state(struct rng *r, size_t *size);

#endif
