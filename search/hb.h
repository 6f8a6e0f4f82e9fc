/*
 * search/hb.h - the Hyperband engine shared by sh, hyperband and bohb
 * (internal to search/; the strategies stay behind their descriptors).
 *
 * Li et al., "Hyperband: a novel bandit-based approach to hyperparameter
 * optimization", JMLR 2018 (Algorithm 1).  Resources are epochs: R is the
 * bench's max_epochs over the minimum r_min, s_max = floor(log_eta(R/r_min)).
 * Bracket s starts n = ceil((s_max+1) eta^s / (s+1)) configurations at
 * r = R eta^-s (in units of r_min); rung i keeps floor(n eta^-i) of them at
 * r eta^i, the best by the search metric at the previous rung (successive
 * halving, Jamieson & Talwalkar 2016).  Epochs are rounded to the nearest
 * integer (at least r_min); the last rung of every bracket is R itself.
 * With R = 81, eta = 3 this is the paper's table: 81@1 27@3 9@9 3@27 1@81,
 * 34@3 11@9 3@27 1@81, 15@9 5@27 1@81, 8@27 2@81, 5@81.
 *
 * Promotion continues the training: the run loop charges only the extra
 * epochs (search/search.h).  Configurations of a bracket are distinct; the
 * first rung is drawn lazily, one configuration per proposal, by a sampler
 * (uniform for hyperband and sh, the KDE model for bohb), so a model sees
 * every result told before the draw.
 */
#ifndef NASW_SEARCH_HB_H
#define NASW_SEARCH_HB_H

#include "core/arch.h"
#include "core/bench.h"
#include "search/search.h"

#define HB_MAX_RUNGS 32

struct hb_rung {
    int n;       /* configurations */
    int epochs;  /* epochs each is trained to */
};

/* s_max for R = max_epochs, r_min = min_epochs (1 <= r_min <= R), eta > 1. */
int hb_smax(int max_epochs, int min_epochs, double eta);
/* The rungs of bracket s (0 <= s <= s_max): returns how many (s + 1). */
int hb_bracket(int max_epochs, int min_epochs, double eta, int s, struct hb_rung *rungs);

struct rng;
struct hb;

/* Draw one first-rung configuration avoiding the keys in `avoid` (the
 * bracket's configurations so far).  Returns a status. */
typedef int (*hb_sampler)(void *arg, const struct hashmap *avoid, struct arch *out);

/* mode: 0 = Hyperband (brackets s_max, s_max-1, ..., 0, repeated),
 *       1 = successive halving (bracket s_max, repeated). */
struct hb *hb_new(const struct space *s, struct rng *r, double eta, int min_epochs, int mode, hb_sampler sample,
                  void *sample_arg);
/* Reads max_epochs; refuses a bench without curves (message names it). */
int hb_bind(struct hb *h, const struct bench *b, const char *strategy);
int hb_propose(struct hb *h, struct query *out);
int hb_observe(struct hb *h, const struct query *q, const struct bench_result *r);
void hb_free(struct hb *h);  /* NULL ok */

#endif
