/*
 * search/nsga2.c - NSGA-II (Deb, Pratap, Agarwal, Meyarivan, IEEE TEC 2002).
 *
 * A population of `population` architectures; each generation breeds as
 * many children (binary tournaments on rank then crowding distance, uniform
 * crossover of the decisions with probability `crossover`, then each
 * decision resampled with probability 1/decisions, at least one), none
 * evaluated before, and keeps the best `population` of parents and
 * children: fronts of the fast non-dominated sort in order, the last one cut
 * by crowding distance.  Constraints by Deb's constrained domination: a
 * feasible answer beats an infeasible one; infeasible ones (the bench tells
 * no violation size) share the last rank.  A failed training is infeasible.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
#include "search/smbo.h"
#include "stats/pareto.h"

struct member {
    struct arch arch;
    double y[OBJ_MAX];   /* oriented objectives */
    int feasible;
    int rank;
    double crowd;
};

struct nsga2_state {
    const struct space *s;
    struct rng *r;
    int pop, m;
    double px;
    struct member *p;     /* parents [0, n_p), then children [n_p, n_p + n_c) */
    int n_p, n_c;
    struct arch *queue;   /* children to propose */
    int n_queue, proposed, gen0;
    struct hashmap told;
};

static const struct search_param params[] = {
    {"population", 20, 4, 100000, 1, NULL, "parents kept and children bred per generation"},
    {"crossover", 0.9, 0, 1, 0, NULL, "probability of uniform crossover (else a parent's copy, mutated)"},
    {0},
};

static void nsga2_free(void *p)
{
    struct nsga2_state *st = p;
    if (!st) return;
    hashmap_release(&st->told);
    free(st->p);
    free(st->queue);
    free(st);
}

static void *nsga2_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct nsga2_state *st = calloc(1, sizeof *st);
    if (st) {
        st->pop = (int)v[0];
        st->px = v[1];
        st->p = calloc(2 * (size_t)st->pop, sizeof *st->p);
        st->queue = calloc((size_t)st->pop, sizeof *st->queue);
    }
    if (!st || !st->p || !st->queue) {
        nsga2_free(st);
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    st->s = s;
    st->r = r;
    st->gen0 = 1;
    return st;
}

static int nsga2_bind(void *p, const struct bench *b)
{
    struct nsga2_state *st = p;
    st->m = b->obj.n;
    return NASW_OK;
}

/* a beats b under constrained domination */
static int beats(const struct nsga2_state *st, const struct member *a, const struct member *b)
{
    if (a->feasible != b->feasible) return a->feasible;
    return a->feasible && pareto_dominates(a->y, b->y, st->m);
}

/* Rank (fast non-dominated sort) and crowding distance of members [0, n). */
static int rank_and_crowd(struct nsga2_state *st, struct member *v, int n)
{
    int *count = calloc((size_t)n, sizeof *count), *order = malloc(sizeof *order * (size_t)n);
    if (!count || !order) {
        free(count);
        free(order);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) count[i] += j != i && beats(st, &v[j], &v[i]);
    int left = n;
    for (int i = 0; i < n; i++) v[i].rank = -1;
    for (int rank = 0; left > 0; rank++) {
        int nf = 0;
        for (int i = 0; i < n; i++)
            if (v[i].rank < 0 && count[i] == 0) order[nf++] = i;
        for (int a = 0; a < nf; a++) v[order[a]].rank = rank;
        for (int a = 0; a < nf; a++)
            for (int j = 0; j < n; j++)
                if (v[j].rank < 0 && beats(st, &v[order[a]], &v[j])) count[j]--;
        left -= nf;
        /* crowding: per objective, sort the front and add the normalised
         * gap between each member's neighbours; the extremes are infinite */
        for (int a = 0; a < nf; a++) v[order[a]].crowd = 0;
        for (int k = 0; k < st->m && nf > 0; k++) {
            for (int a = 1; a < nf; a++) /* insertion sort: fronts are small */
                for (int b = a; b > 0 && v[order[b]].y[k] < v[order[b - 1]].y[k]; b--) {
                    int t = order[b];
                    order[b] = order[b - 1];
                    order[b - 1] = t;
                }
            double lo = v[order[0]].y[k], hi = v[order[nf - 1]].y[k];
            v[order[0]].crowd = v[order[nf - 1]].crowd = INFINITY;
            for (int a = 1; a + 1 < nf && hi > lo; a++)
                v[order[a]].crowd += (v[order[a + 1]].y[k] - v[order[a - 1]].y[k]) / (hi - lo);
        }
    }
    free(count);
    free(order);
    return NASW_OK;
}

static int better(const struct member *a, const struct member *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->crowd > b->crowd);
}

static int by_quality(const void *x, const void *y)
{
    const struct member *a = x, *b = y;
    return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

static const struct member *tournament(struct nsga2_state *st)
{
    const struct member *a = &st->p[rng_int(st->r, (uint64_t)st->n_p)];
    const struct member *b = &st->p[rng_int(st->r, (uint64_t)st->n_p)];
    return better(b, a) ? b : a;
}

/* One child of two tournament winners, not told or queued before. */
static int breed(struct nsga2_state *st, struct arch *child)
{
    const struct space *s = st->s;
    for (int tries = 0; tries < 100; tries++) {
        const struct member *a = tournament(st), *b = tournament(st);
        struct arch c = a->arch;
        if (rng_uniform(st->r) < st->px)
            for (int i = 0; i < c.n; i++)
                if (rng_uniform(st->r) < 0.5) c.d[i] = b->arch.d[i];
        int changed = 0;
        for (int i = 0; i < c.n; i++)
            if (s->n_choices[i] > 1 && rng_uniform(st->r) * c.n < 1) {
                c.d[i] = (uint16_t)((c.d[i] + 1 + rng_int(st->r, (uint64_t)s->n_choices[i] - 1)) % s->n_choices[i]);
                changed = 1;
            }
        if (!changed && arch_mutate(s, st->r, &c, &c)) continue;
        if (!space_contains(s, &c) || hashmap_get(&st->told, arch_key(s, &c), NULL)) continue;
        *child = c;
        return hashmap_put(&st->told, arch_key(s, &c), 1) ? nasw_errorf(NASW_ENOMEM, "out of memory") : NASW_OK;
    }
    return smbo_random(s, st->r, &st->told, child); /* the neighbourhood is used up */
}

/* Parents and children told: keep the best `pop`, breed the next children. */
static int next_generation(struct nsga2_state *st)
{
    int n = st->n_p + st->n_c, status;
    if ((status = rank_and_crowd(st, st->p, n))) return status;
    if (n > st->pop) {
        /* the crowding distances of the cut front decide inside it */
        qsort(st->p, (size_t)n, sizeof *st->p, by_quality);
        n = st->pop;
    }
    st->n_p = n;
    st->n_c = 0;
    if ((status = rank_and_crowd(st, st->p, n))) return status;
    for (int i = 0; i < st->pop; i++)
        if ((status = breed(st, &st->queue[i]))) return status;
    st->n_queue = st->pop;
    return NASW_OK;
}

static int nsga2_propose(void *p, struct query *q)
{
    struct nsga2_state *st = p;
    q->epochs = 0;
    if (st->gen0 && st->proposed < st->pop) {
        st->proposed++;
        return smbo_random(st->s, st->r, &st->told, &q->arch);
    }
    if (st->n_queue == 0) return NASW_EAGAIN; /* the generation is not told yet */
    q->arch = st->queue[--st->n_queue];
    st->proposed++;
    return NASW_OK;
}

static int nsga2_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct nsga2_state *st = p;
    struct member *mb = &st->p[st->n_p + st->n_c++];
    mb->arch = q->arch;
    mb->feasible = !r->failed && !r->infeasible;
    for (int k = 0; k < st->m; k++) {
        mb->y[k] = r->oobj[k];
        mb->feasible &= !isnan(r->oobj[k]);
    }
    if (st->n_c < st->pop) return NASW_OK;
    st->gen0 = 0;
    st->proposed = 0;
    return next_generation(st);
}

const struct search_type search_type_nsga2 = {
    .name = "nsga2",
    .help = "multi-objective: NSGA-II, non-dominated sorting + crowding, constrained domination (Deb et al. 2002)",
    .params = params,
    .alloc = nsga2_alloc,
    .propose = nsga2_propose,
    .observe = nsga2_observe,
    .free = nsga2_free,
    .bind = nsga2_bind,
    .multi_objective = 1,
};
