/*
 * search/mobs.h - pieces shared by the multi-objective strategies (nsga2,
 * pls, parego, ehvi): the architectures told so far with their oriented
 * objectives (larger is better) and feasibility, their feasible front, and
 * the candidate pool the model-based ones score.  Internal to search/.
 */
#ifndef NASW_SEARCH_MOBS_H
#define NASW_SEARCH_MOBS_H

#include "core/arch.h"
#include "core/hashmap.h"

struct rng;
struct query;
struct bench;
struct bench_result;

struct mobs {
    int m;               /* objectives (set by mobs_bind) */
    struct arch *arch;   /* told architectures that did not fail, no repeats */
    double *y;           /* (n, m) oriented objectives */
    int *feasible;
    int n, cap;
};

/* m from the bench (the strategy's bind hook). */
int mobs_bind(struct mobs *o, const struct bench *b);
/* Record q in `told` and, when it did not fail and is new, in o.  Returns
 * the index in o, -1 when not added (a failure or a repeat), or -2 when
 * out of memory (message set). */
int mobs_observe(struct mobs *o, struct hashmap *told, const struct space *s, const struct query *q,
                 const struct bench_result *r);
void mobs_release(struct mobs *o);
/* Indices of the feasible non-dominated observations; returns how many
 * (-1: out of memory).  idx holds o->n entries. */
int mobs_front(const struct mobs *o, int *idx);
/* Up to `pool` distinct candidates in no `told`: half one-decision
 * mutations of the front (round robin), then uniform samples. */
int mobs_pool(const struct space *s, struct rng *r, const struct mobs *o, const struct hashmap *told, int pool,
              struct arch *cand);

#endif
