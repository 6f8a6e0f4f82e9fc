/*
 * search/pls.c - Pareto local search (Paquete, Chiarandini, Stuetzle 2004;
 * for NAS as in White et al.'s local search, with an archive for a front).
 *
 * An archive holds the feasible answers no other answer dominates.  After
 * `init` random architectures, an unexplored archive member is picked at
 * random and its whole one-decision neighbourhood (random order, members
 * told already skipped) is evaluated; every answer updates the archive
 * (added when nothing in it dominates it, removing what it dominates).
 * The member is then explored.  When every member is explored (a Pareto
 * local optimum set), `restart` new random architectures are drawn.
 */
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/mobs.h"
#include "search/search.h"
#include "search/smbo.h"

struct pls_state {
    const struct space *s;
    struct rng *r;
    int init, restart;
    struct mobs obs;
    struct hashmap told;          /* key -> 1 proposed, 2 told */
    struct hashmap explored;      /* keys whose neighbourhood was queued */
    int *front;                   /* scratch for mobs_front */
    int random_left;              /* random architectures still to propose */
    struct arch *nb;              /* the neighbourhood being evaluated */
    int n_nb, next_nb;
};

static const struct search_param params[] = {
    {"init", 10, 1, 1000000, 1, NULL, "random architectures before the first neighbourhood"},
    {"restart", 5, 1, 1000000, 1, NULL, "random architectures when every archive member is explored"},
    {0},
};

static void pls_free(void *p)
{
    struct pls_state *st = p;
    if (!st) return;
    mobs_release(&st->obs);
    hashmap_release(&st->told);
    hashmap_release(&st->explored);
    free(st->front);
    free(st->nb);
    free(st);
}

static void *pls_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct pls_state *st = calloc(1, sizeof *st);
    if (st) st->nb = malloc(sizeof *st->nb * (size_t)(space_max_neighbours(s) + 1));
    if (!st || !st->nb) {
        pls_free(st);
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    st->s = s;
    st->r = r;
    st->init = (int)v[0];
    st->restart = (int)v[1];
    st->random_left = st->init;
    return st;
}

static int pls_bind(void *p, const struct bench *b)
{
    struct pls_state *st = p;
    return mobs_bind(&st->obs, b);
}

/* Queue the neighbourhood of a random unexplored archive member; 0 if
 * every member is explored. */
static int expand(struct pls_state *st, int *queued)
{
    *queued = 0;
    int *f = realloc(st->front, sizeof *f * (size_t)(st->obs.n ? st->obs.n : 1));
    if (!f) return nasw_errorf(NASW_ENOMEM, "out of memory");
    st->front = f;
    int nf = mobs_front(&st->obs, f), k = 0;
    if (nf < 0) return NASW_ENOMEM;
    for (int i = 0; i < nf; i++)
        if (!hashmap_get(&st->explored, arch_key(st->s, &st->obs.arch[f[i]]), NULL)) f[k++] = f[i];
    if (k == 0) return NASW_OK;
    const struct arch *a = &st->obs.arch[f[rng_int(st->r, (uint64_t)k)]];
    if (hashmap_put(&st->explored, arch_key(st->s, a), 1)) return nasw_errorf(NASW_ENOMEM, "out of memory");
    st->n_nb = arch_neighbours(st->s, a, st->nb, space_max_neighbours(st->s) + 1);
    for (int i = st->n_nb - 1; i > 0; i--) { /* random order */
        int j = (int)rng_int(st->r, (uint64_t)i + 1);
        struct arch t = st->nb[i];
        st->nb[i] = st->nb[j];
        st->nb[j] = t;
    }
    st->next_nb = 0;
    *queued = 1;
    return NASW_OK;
}

static int pls_propose(void *p, struct query *q)
{
    struct pls_state *st = p;
    q->epochs = 0;
    for (int rounds = 0; rounds < 1000; rounds++) {
        if (st->random_left > 0) {
            st->random_left--;
            return smbo_random(st->s, st->r, &st->told, &q->arch);
        }
        while (st->next_nb < st->n_nb) {
            const struct arch *a = &st->nb[st->next_nb++];
            if (hashmap_get(&st->told, arch_key(st->s, a), NULL)) continue;
            q->arch = *a;
            return hashmap_put(&st->told, arch_key(st->s, a), 1) ? nasw_errorf(NASW_ENOMEM, "out of memory")
                                                                   : NASW_OK;
        }
        int queued, status = expand(st, &queued);
        if (status) return status;
        if (!queued) st->random_left = st->restart; /* a Pareto local optimum set */
    }
    return smbo_random(st->s, st->r, &st->told, &q->arch);
}

static int pls_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct pls_state *st = p;
    return mobs_observe(&st->obs, &st->told, st->s, q, r) == -2 ? NASW_ENOMEM : NASW_OK;
}

const struct search_type search_type_pls = {
    .name = "pls",
    .help = "multi-objective: Pareto local search over one-decision neighbourhoods (Paquete et al. 2004)",
    .params = params,
    .alloc = pls_alloc,
    .propose = pls_propose,
    .observe = pls_observe,
    .free = pls_free,
    .bind = pls_bind,
    .multi_objective = 1,
};
