/*
 * search/local.c - local search.
 *
 * White, Nolen, Savani, "Local Search is State of the Art for Neural
 * Architecture Search Benchmarks" (2021): start from the best of `init`
 * random architectures; evaluate the full one-decision neighbourhood of
 * the current architecture (in random order); move to the best neighbour if
 * it beats the current one, otherwise (a local optimum) restart from the
 * best of `restart` new random architectures (with init=zc:COLUMN, the
 * first `init` are the best of a random pool by a training-free score,
 * search/warm.c).  first=1 moves as soon as a
 * better neighbour is told (first improvement).  Neighbours already
 * evaluated are free repeats (the run loop's cache).  inherit=1 (a bench
 * that trains): a neighbour starts from the current architecture's trained
 * weights (train/morph.h) and trains inherit_epochs epochs; random
 * architectures train from scratch.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"

enum phase { PH_RANDOM, PH_NBHD };

struct local_state {
    const struct space *s;
    struct rng *r;
    int init, restart, first;
    enum phase phase;
    int batch, proposed, told;   /* random phase: batch size, counts */
    struct arch cur, cand;       /* current architecture; best candidate this phase */
    double cur_score, cand_score;
    int have_cand;
    struct arch *nb;             /* neighbourhood in random order */
    int n_nb, next_nb, told_nb;
    struct hashmap seen;         /* keys told so far */
    struct search_warm *warm;    /* init=zc: the first `init` architectures, or NULL */
    int warm_left;
    int inherit;                 /* > 0: neighbours train this many epochs from cur's weights */
};

static const struct search_param params[] = {
    {"init", 10, 1, 1000000, 1, NULL, "random architectures before the first climb"},
    {"restart", 1, 1, 1000000, 1, NULL, "random architectures at a restart"},
    {"first", 0, 0, 1, 1, NULL, "1: move at the first improvement; 0: best of the whole neighbourhood"},
    {"inherit", 0, 0, 1, 1, NULL, "1: a neighbour starts from the current architecture's trained weights (live benches)"},
    {"inherit_epochs", 1, 1, 100000, 1, NULL, "epochs a neighbour trains with inherit=1"},
    {0},
};

static void *local_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct local_state *st = calloc(1, sizeof *st);
    if (st) st->nb = malloc(sizeof *st->nb * (size_t)(space_max_neighbours(s) + 1));
    if (!st || !st->nb) {
        if (st) free(st->nb);
        free(st);
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    st->s = s;
    st->r = r;
    st->init = (int)v[0];
    st->restart = (int)v[1];
    st->first = (int)v[2];
    st->inherit = v[3] == 1 ? (int)v[4] : 0;
    st->phase = PH_RANDOM;
    st->batch = st->init;
    st->cand_score = -INFINITY;
    return st;
}

static void start_nbhd(struct local_state *st)
{
    st->phase = PH_NBHD;
    st->n_nb = arch_neighbours(st->s, &st->cur, st->nb, space_max_neighbours(st->s) + 1);
    /* random order: Fisher-Yates with the strategy's rng */
    for (int i = st->n_nb - 1; i > 0; i--) {
        int j = (int)rng_int(st->r, (uint64_t)i + 1);
        struct arch t = st->nb[i];
        st->nb[i] = st->nb[j];
        st->nb[j] = t;
    }
    st->next_nb = st->told_nb = 0;
    st->have_cand = 0;
    st->cand_score = -INFINITY;
}

static void start_random(struct local_state *st, int n)
{
    st->phase = PH_RANDOM;
    st->batch = n;
    st->proposed = st->told = 0;
    st->have_cand = 0;
    st->cand_score = -INFINITY;
}

static int local_propose(void *p, struct query *q)
{
    struct local_state *st = p;
    q->epochs = 0;
    if (st->phase == PH_NBHD && st->next_nb < st->n_nb) {
        q->arch = st->nb[st->next_nb++];
        if (st->inherit > 0) { /* network morphism: one edge away from cur */
            q->inherit_epochs = st->inherit;
            q->parent = st->cur;
        }
        return NASW_OK;
    }
    /* random phase, or a filler while neighbour results are outstanding */
    if (st->phase == PH_RANDOM) st->proposed++;
    if (st->phase == PH_RANDOM && st->warm_left > 0 && search_warm_next(st->warm, st->s, &st->seen, &q->arch)) {
        st->warm_left--;
        return NASW_OK;
    }
    arch_sample_avoiding(st->s, st->r, &st->seen, 100, &q->arch); /* prefer unevaluated */
    return NASW_OK;
}

static void consider(struct local_state *st, const struct arch *a, double score)
{
    if (!st->have_cand || score > st->cand_score) {
        st->cand = *a;
        st->cand_score = score;
        st->have_cand = 1;
    }
}

/* Climb to the best candidate and queue its neighbourhood (a member with no
 * member neighbour is a dead end: restart). */
static void move_to_cand(struct local_state *st)
{
    st->cur = st->cand;
    st->cur_score = st->cand_score;
    start_nbhd(st);
    if (st->n_nb == 0) start_random(st, st->restart);
}

static int local_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct local_state *st = p;
    if (hashmap_put(&st->seen, arch_key(st->s, &q->arch), 1)) return nasw_errorf(NASW_ENOMEM, "out of memory");
    if (st->phase == PH_RANDOM) {
        consider(st, &q->arch, r->score);
        if (++st->told >= st->batch) move_to_cand(st);
        return NASW_OK;
    }
    consider(st, &q->arch, r->score);
    st->told_nb++;
    int improved = st->have_cand && st->cand_score > st->cur_score;
    if (improved && (st->first || st->told_nb >= st->n_nb)) move_to_cand(st);
    else if (st->told_nb >= st->n_nb) start_random(st, st->restart); /* local optimum */
    return NASW_OK;
}

static void local_warm(void *p, struct search_warm *w)
{
    struct local_state *st = p;
    st->warm = w;
    st->warm_left = st->init;
}

static void local_free(void *p)
{
    struct local_state *st = p;
    if (!st) return;
    hashmap_release(&st->seen);
    free(st->nb);
    free(st);
}

const struct search_type search_type_local = {
    .name = "local",
    .help = "local search with random restarts (White et al. 2021)",
    .params = params,
    .alloc = local_alloc,
    .propose = local_propose,
    .observe = local_observe,
    .free = local_free,
    .warm_param = "init",
    .warm = local_warm,
};
