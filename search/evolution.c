/*
 * search/evolution.c - regularized (aging) evolution.
 *
 * Real, Aggarwal, Huang, Le, "Regularized Evolution for Image Classifier
 * Architecture Search", AAAI 2019.  The first `population` proposals are
 * distinct random architectures; then each child is a one-decision mutation
 * of the winner of a tournament of `sample` members drawn uniformly with
 * replacement.  When a child is told, it joins the population and the
 * oldest member dies (aging=1) or the worst one (aging=0, ties: the oldest).
 * Several proposals may be outstanding (asynchronous workers).
 *
 * Repeats are free in nasw's protocol, so on a small or sparse space the
 * population can collapse onto architectures whose every member neighbour
 * has been evaluated, and the search would only propose repeats.  After
 * `stall` consecutive children that were already evaluated, the next
 * proposal is an unevaluated random architecture (an immigrant).  On
 * NAS-Bench-201's full space this essentially never happens.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"

struct member {
    struct arch arch;
    double score;
};

struct evo_state {
    const struct space *s;
    struct rng *r;
    int P, S, aging;
    struct member *pop;     /* ring buffer: the oldest at head */
    int head, n;
    long proposed_init;     /* random proposals made so far */
    struct hashmap init_keys;
    struct hashmap told;    /* keys evaluated so far */
    int stall, repeats;     /* consecutive children already evaluated */
    struct search_warm *warm; /* init=zc: the initial population (AREA), or NULL */
    int inherit;            /* > 0: children train this many epochs from the parent's weights */
};

static const struct search_param params[] = {
    {"population", 50, 2, 100000, 1, NULL, "population size P"},
    {"sample", 10, 1, 100000, 1, NULL, "tournament size S (drawn with replacement)"},
    {"aging", 1, 0, 1, 1, NULL, "1: the oldest dies (regularized); 0: the worst dies"},
    {"stall", 100, 1, 1e9, 1, NULL, "after this many repeated children, propose an unseen random architecture"},
    {"inherit", 0, 0, 1, 1, NULL, "1: a child starts from its parent's trained weights (live benches)"},
    {"inherit_epochs", 1, 1, 100000, 1, NULL, "epochs a child trains with inherit=1"},
    {0},
};

static void *evo_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct evo_state *st = calloc(1, sizeof *st);
    if (st) {
        st->P = (int)v[0];
        st->S = (int)v[1];
        st->aging = (int)v[2];
        st->stall = (int)v[3];
        st->inherit = v[4] == 1 ? (int)v[5] : 0;
        st->pop = calloc((size_t)st->P, sizeof *st->pop);
    }
    if (!st || !st->pop) {
        free(st);
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    st->s = s;
    st->r = r;
    return st;
}

static struct member *nth(struct evo_state *st, int i) { return &st->pop[(st->head + i) % st->P]; }

static int evo_propose(void *p, struct query *q)
{
    struct evo_state *st = p;
    q->epochs = 0;
    if (st->proposed_init < st->P || st->n == 0) {
        /* initial population: distinct random architectures (as far as the
         * space allows) */
        if (!search_warm_next(st->warm, st->s, &st->init_keys, &q->arch))
            arch_sample_avoiding(st->s, st->r, &st->init_keys, 1000, &q->arch);
        if (hashmap_put(&st->init_keys, arch_key(st->s, &q->arch), 1)) return nasw_errorf(NASW_ENOMEM, "out of memory");
        st->proposed_init++;
        return NASW_OK;
    }
    struct member *best = NULL;
    for (int i = 0; i < st->S; i++) {
        struct member *m = nth(st, (int)rng_int(st->r, (uint64_t)st->n));
        if (!best || m->score > best->score) best = m;
    }
    int mutated = arch_mutate(st->s, st->r, &best->arch, &q->arch) == NASW_OK;
    if (!mutated) arch_sample(st->s, st->r, &q->arch);
    if (!hashmap_get(&st->told, arch_key(st->s, &q->arch), NULL)) {
        st->repeats = 0;
    } else if (++st->repeats >= st->stall) {
        st->repeats = 0;
        mutated = 0; /* an immigrant has no parent */
        arch_sample_avoiding(st->s, st->r, &st->told, 1000, &q->arch);
    }
    if (mutated && st->inherit > 0) { /* Real et al. 2017: the child inherits the parent's weights */
        q->inherit_epochs = st->inherit;
        q->parent = best->arch;
    }
    return NASW_OK;
}

static int evo_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct evo_state *st = p;
    struct member m = {q->arch, r->score};
    if (hashmap_put(&st->told, arch_key(st->s, &q->arch), 1)) return nasw_errorf(NASW_ENOMEM, "out of memory");
    if (st->n < st->P) {
        *nth(st, st->n) = m;
        st->n++;
        return NASW_OK;
    }
    if (st->aging) {
        /* the oldest (at head) dies; the child takes its slot as the youngest */
        st->pop[st->head] = m;
        st->head = (st->head + 1) % st->P;
        return NASW_OK;
    }
    int worst = 0;
    for (int i = 1; i < st->n; i++)
        if (nth(st, i)->score < nth(st, worst)->score) worst = i;
    /* remove the worst, keeping age order, and append the child */
    for (int i = worst; i < st->n - 1; i++) *nth(st, i) = *nth(st, i + 1);
    *nth(st, st->n - 1) = m;
    return NASW_OK;
}

static void evo_warm(void *p, struct search_warm *w) { ((struct evo_state *)p)->warm = w; }

static void evo_free(void *p)
{
    struct evo_state *st = p;
    if (!st) return;
    hashmap_release(&st->init_keys);
    hashmap_release(&st->told);
    free(st->pop);
    free(st);
}

const struct search_type search_type_evolution = {
    .name = "evolution",
    .help = "regularized (aging) evolution (Real et al. 2019)",
    .params = params,
    .alloc = evo_alloc,
    .propose = evo_propose,
    .observe = evo_observe,
    .free = evo_free,
    .warm_param = "population",
    .warm = evo_warm,
};
