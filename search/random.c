/*
 * search/random.c - random search without replacement.
 *
 * Draws from the members of the space (or the whole space) by a sparse
 * Fisher-Yates shuffle over their indices: O(1) per draw, memory only for
 * the positions touched, and never a repeat.  NASW_EDONE when all are drawn.
 * A wide space without restriction (core/arch.h) has no index to shuffle:
 * uniform draws, redrawn on a repeat (the space holds more than 2^63, so a
 * redraw is astronomically rare).
 */
#include <stdlib.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"

struct random_state {
    const struct space *s;
    struct rng *r;
    uint64_t left;          /* indices not yet drawn: [0, left) after the swaps */
    struct hashmap swapped; /* position -> index stored there (absent: itself);
                               unrestricted wide spaces: the keys drawn */
};

static const struct search_param params[] = {{0}};

static void *random_alloc(const double *v, const struct space *s, struct rng *r)
{
    (void)v;
    struct random_state *st = calloc(1, sizeof *st);
    if (!st) {
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    st->s = s;
    st->r = r;
    st->left = space_count(s);
    return st;
}

static uint64_t at(const struct random_state *st, uint64_t pos)
{
    int64_t v;
    return hashmap_get(&st->swapped, pos, &v) ? (uint64_t)v : pos;
}

static int random_propose(void *p, struct query *q)
{
    struct random_state *st = p;
    const struct space *s = st->s;
    if (s->wide && s->n_members == 0) {
        uint64_t key;
        do {
            arch_sample(s, st->r, &q->arch);
            key = arch_key(s, &q->arch);
        } while (hashmap_get(&st->swapped, key, NULL));
        if (hashmap_put(&st->swapped, key, 1)) return nasw_errorf(NASW_ENOMEM, "out of memory");
        q->epochs = 0;
        return NASW_OK;
    }
    if (st->left == 0) return NASW_EDONE;
    uint64_t j = rng_int(st->r, st->left), last = st->left - 1;
    uint64_t idx = at(st, j);
    if (hashmap_put(&st->swapped, j, (int64_t)at(st, last))) return nasw_errorf(NASW_ENOMEM, "out of memory");
    st->left--;
    arch_from_key(s, s->n_members > 0 ? s->members[idx] : idx, &q->arch);
    q->epochs = 0;
    return NASW_OK;
}

static int random_observe(void *p, const struct query *q, const struct bench_result *r)
{
    (void)p;
    (void)q;
    (void)r;
    return NASW_OK;
}

static void random_free(void *p)
{
    struct random_state *st = p;
    if (!st) return;
    hashmap_release(&st->swapped);
    free(st);
}

const struct search_type search_type_random = {
    .name = "random",
    .help = "random search without replacement (Bergstra & Bengio 2012; the NAS-Bench baseline)",
    .params = params,
    .alloc = random_alloc,
    .propose = random_propose,
    .observe = random_observe,
    .free = random_free,
};
