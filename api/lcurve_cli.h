/*
 * api/lcurve_cli.h - not installed: what `nasw lcurve` needs of an
 * extrapolator beyond the public API.  Its `fit` and `eval` draw the
 * cross-curve model's randomness from the very stream the extrapolations
 * use (one stream per command or task, as before the extrapolation moved
 * into the library), so their outputs stay those of earlier versions.
 */
#ifndef NASW_API_LCURVE_CLI_H
#define NASW_API_LCURVE_CLI_H

#include "api/nasw.h"

struct rng;
/* The extrapolator's random stream (owned by x). */
struct rng *api_lcurve_rng(nasw_lcurve *x);

#endif
