/*
 * search/smbo.h - pieces shared by the model-based strategies (bo, pnas):
 * the list of told architectures with a finite score, and the candidate
 * pool a model scores each round.  Internal to search/ (not a public API).
 */
#ifndef NASW_SEARCH_SMBO_H
#define NASW_SEARCH_SMBO_H

#include "core/arch.h"
#include "core/hashmap.h"

struct search_warm;

struct rng;
struct query;
struct bench_result;

struct smbo_obs {
    struct arch *arch;   /* told architectures with a finite score, no repeats */
    double *score;
    int n, cap;
};

/* Record q in `told` (every key told or proposed) and, when its score is
 * finite and it is new, in o.  NASW_OK or NASW_ENOMEM. */
int smbo_observe(struct smbo_obs *o, struct hashmap *told, const struct space *s, const struct query *q,
                 const struct bench_result *r);
void smbo_obs_release(struct smbo_obs *o);

/* Fill cand[] with up to `pool` distinct architectures in no `told`:
 * first pool/2 one-decision mutations of the 10 best observed (round
 * robin), then uniform samples.  Returns how many (o->n >= 1). */
int smbo_pool(const struct space *s, struct rng *r, const struct smbo_obs *o, const struct hashmap *told, int pool,
              struct arch *cand);

/* The same around given parents: pool/2 mutations of arch[parents[i]]
 * (round robin over the np parents), then uniform samples. */
int smbo_pool_around(const struct space *s, struct rng *r, const struct arch *arch, const int *parents, int np,
                     const struct hashmap *told, int pool, struct arch *cand);

/* Propose an unevaluated random architecture (recorded in `told`). */
int smbo_random(const struct space *s, struct rng *r, struct hashmap *told, struct arch *out);

/* The propose step the model-based strategies share: `init` random
 * architectures first (and while fewer than 2 are observed), then the
 * architectures a model round queues (queue[n-1] is proposed first); when a
 * round queues none (nothing unseen among its candidates), a random one.
 * With a warm start (warm != NULL, init=zc) the `init` architectures are
 * taken from its ranking instead.
 * The proposal is recorded in `told`. */
int smbo_next(const struct space *s, struct rng *r, struct hashmap *told, const struct smbo_obs *o, int init,
              struct search_warm *warm, int *proposed_init, const struct arch *queue, int *n_queue,
              int (*round)(void *st), void *st, struct arch *out);

/* Queue the k (<= 1000) candidates with the largest v for smbo_next, the
 * best last (proposed first); returns how many.  v is modified (smbo_top). */
int smbo_queue_best(double *v, const struct arch *cand, int n, int k, struct arch *queue);

/* The indices of o's architectures, best score first (ties: told first),
 * into *order (realloc'd; free with free()). */
int smbo_order(const struct smbo_obs *o, int **order);

/* Expected improvement over `best` of a normal N(mu, sd^2) (maximisation);
 * sd <= 0: max(mu - best, 0). */
double smbo_ei(double mu, double sd, double best);

/* Indices of the k largest of v[0..n) (-INFINITY entries never), largest
 * first; returns how many.  v is modified (chosen entries set to -INFINITY). */
int smbo_top(double *v, int n, int k, int *idx);

#endif
