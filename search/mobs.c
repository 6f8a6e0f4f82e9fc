/*
 * search/mobs.c - observations, fronts and candidate pools of the
 * multi-objective strategies; see search/mobs.h.
 */
#include "search/mobs.h"

#include <stdlib.h>
#include <string.h>

#include "core/bench.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
#include "search/smbo.h"
#include "stats/pareto.h"

int mobs_bind(struct mobs *o, const struct bench *b)
{
    o->m = b->obj.n;
    return NASW_OK;
}

int mobs_observe(struct mobs *o, struct hashmap *told, const struct space *s, const struct query *q,
                 const struct bench_result *r)
{
    uint64_t key = arch_key(s, &q->arch);
    int64_t seen;
    int repeat = hashmap_get(told, key, &seen) && seen == 2;
    if (hashmap_put(told, key, 2)) { /* 2: told (1: only proposed) */
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return -2;
    }
    if (repeat || r->failed) return -1;
    for (int k = 0; k < o->m; k++)
        if (r->oobj[k] != r->oobj[k]) return -1; /* NaN objective: as a failure */
    if (o->n == o->cap) {
        int cap = o->cap ? 2 * o->cap : 64;
        struct arch *a = realloc(o->arch, sizeof *a * (size_t)cap);
        if (a) o->arch = a;
        double *y = a ? realloc(o->y, sizeof *y * (size_t)cap * (size_t)o->m) : NULL;
        if (y) o->y = y;
        int *f = y ? realloc(o->feasible, sizeof *f * (size_t)cap) : NULL;
        if (!f) {
            nasw_errorf(NASW_ENOMEM, "out of memory");
            return -2;
        }
        o->feasible = f;
        o->cap = cap;
    }
    o->arch[o->n] = q->arch;
    memcpy(o->y + (size_t)o->n * o->m, r->oobj, sizeof *o->y * (size_t)o->m);
    o->feasible[o->n] = !r->infeasible;
    return o->n++;
}

void mobs_release(struct mobs *o)
{
    free(o->arch);
    free(o->y);
    free(o->feasible);
    o->arch = NULL;
    o->y = NULL;
    o->feasible = NULL;
    o->n = o->cap = 0;
}

int mobs_front(const struct mobs *o, int *idx)
{
    double *y = malloc(sizeof *y * (size_t)(o->n ? o->n : 1) * (size_t)o->m);
    int *map = malloc(sizeof *map * (size_t)(o->n ? o->n : 1));
    int nf = -1;
    if (y && map) {
        int k = 0;
        for (int i = 0; i < o->n; i++)
            if (o->feasible[i]) {
                memcpy(y + (size_t)k * o->m, o->y + (size_t)i * o->m, sizeof *y * (size_t)o->m);
                map[k++] = i;
            }
        nf = pareto_front(y, k, o->m, idx);
        for (int i = 0; i < nf; i++) idx[i] = map[idx[i]];
    }
    free(y);
    free(map);
    if (nf < 0) nasw_errorf(NASW_ENOMEM, "out of memory");
    return nf;
}

int mobs_pool(const struct space *s, struct rng *r, const struct mobs *o, const struct hashmap *told, int pool,
              struct arch *cand)
{
    int *front = malloc(sizeof *front * (size_t)(o->n ? o->n : 1));
    if (!front) return -1;
    int nf = mobs_front(o, front);
    if (nf < 0) {
        free(front);
        return -1;
    }
    int nc = smbo_pool_around(s, r, o->arch, front, nf, told, pool, cand);
    free(front);
    return nc;
}
