/*
 * search/warm.c - warm starts from a training-free score (init=zc:COLUMN).
 *
 * Mellor et al., "Neural Architecture Search without Training", ICML 2021
 * (AREA: regularized evolution whose first population is the best-scoring
 * of a random pool by NASWOT).  Generalised: any strategy with an initial
 * random phase (search_type.warm) takes its initial architectures from a
 * random pool of `pool` distinct members ranked by a column of the bench
 * (a zero-cost score such as nwot or zen_score; higher is better, a missing
 * value ranks last, ties keep pool order).  The pool is drawn from an rng
 * stream of its own, so the strategy's own draws are those of a cold run.
 * Reading the scores is not charged to the budget: they are training-free
 * and precomputed (a table column), as AREA's scoring is small next to a
 * training.  A pool at least the size of the space is the whole space.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
#include "search/warm.h"

int search_warm_next(struct search_warm *w, const struct space *s, const struct hashmap *avoid, struct arch *out)
{
    while (w && w->next < w->n) {
        const struct arch *a = &w->arch[w->next++];
        if (avoid && hashmap_get(avoid, arch_key(s, a), NULL)) continue;
        *out = *a;
        return 1;
    }
    return 0;
}

/* The value of the strategy's parameter `name` in spec (its initial count). */
static double param_value(const struct search_spec *spec, const char *name)
{
    const struct search_type *t = spec->type;
    for (int i = 0; t->params && t->params[i].name; i++)
        if (!strcmp(t->params[i].name, name)) return spec->values[i];
    NASW_ASSERT(0 && "warm_param names no parameter");
    return 0;
}

int search_warm_check(const struct search_spec *spec, struct bench *b)
{
    if (!spec->warm_column[0]) return NASW_OK;
    const struct search_type *t = spec->type;
    if (!t->warm) return nasw_errorf(NASW_EUNSUPPORTED, "strategy '%s' takes no warm start", t->name);
    double count = param_value(spec, t->warm_param);
    if ((double)spec->warm_pool < count)
        return nasw_errorf(NASW_EINVAL, "init=zc pool %ld is smaller than the %s of '%s' (%.0f)", spec->warm_pool,
                           t->warm_param, t->name, count);
    double v;
    return bench_column(b, spec->warm_column, NULL, &v);
}

struct scored {
    double score;
    long pos;
};

static int cmp_scored(const void *pa, const void *pb)
{
    const struct scored *a = pa, *b = pb;
    int na = isnan(a->score), nb = isnan(b->score);
    if (na != nb) return na - nb;
    if (!na && a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

int search_warm_build(const struct search_spec *spec, struct bench *b, uint64_t seed, struct search_warm *w)
{
    memset(w, 0, sizeof *w);
    int st = search_warm_check(spec, b);
    if (st || !spec->warm_column[0]) return st;
    const struct space *s = bench_space(b);
    uint64_t size = space_count(s);
    /* the whole space when the pool covers it (a full graph space's keys
     * include non-canonical graphs: always sampled) */
    int whole = size <= (uint64_t)spec->warm_pool && (s->n_members > 0 || s->kind != SPACE_GRAPH);
    long n = whole ? (long)size : spec->warm_pool;
    struct arch *pool = calloc((size_t)n, sizeof *pool);
    struct scored *sc = calloc((size_t)n, sizeof *sc);
    struct rng *r = rng_new(seed ^ UINT64_C(0x5851f42d4c957f2d));
    struct hashmap seen = {0};
    if (!pool || !sc || !r) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    for (long i = 0; i < n; i++) {
        if (whole) /* in key order */
            arch_from_key(s, s->n_members ? s->members[i] : (uint64_t)i, &pool[i]);
        else
            arch_sample_avoiding(s, r, &seen, 1000, &pool[i]);
        if (hashmap_put(&seen, arch_key(s, &pool[i]), 1)) {
            st = nasw_errorf(NASW_ENOMEM, "out of memory");
            goto done;
        }
        if ((st = bench_column(b, spec->warm_column, &pool[i], &sc[i].score))) goto done;
        sc[i].pos = i;
    }
    qsort(sc, (size_t)n, sizeof *sc, cmp_scored);
    w->arch = malloc(sizeof *w->arch * (size_t)(n ? n : 1));
    if (!w->arch) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    for (long i = 0; i < n; i++) w->arch[i] = pool[sc[i].pos];
    w->n = n;
done:
    hashmap_release(&seen);
    rng_free(r);
    free(sc);
    free(pool);
    return st;
}

void search_warm_release(struct search_warm *w)
{
    if (!w) return;
    free(w->arch);
    memset(w, 0, sizeof *w);
}
