/*
 * search/qlearn.c - MetaQNN: Q-learning over the decisions of an
 * architecture (Baker et al. 2017, "Designing Neural Network Architectures
 * using Reinforcement Learning").
 *
 * An architecture is built decision by decision (the layers of a chain, the
 * edges of a cell in string order, the item of a set).  The state before
 * decision t is the prefix of values chosen so far (MetaQNN's state is the
 * layer built so far; with a terminal reward that depends on every earlier
 * choice, only the whole prefix keeps the process Markov: a state of (t,
 * previous value) could not learn the first decisions).  States are stored
 * as they are visited (a hash of the prefix), so the table grows with the
 * queries, not with the space.  The actions are t's values.  The only
 * reward is the terminal one, the search metric, and there is no discount,
 * so Q(s_t, a) estimates the best score reachable after taking a in s_t.
 * As in the paper:
 *  - epsilon-greedy sampling with a stepped schedule: epsilon = 1 for the
 *    first `explore` architectures, then 0.9, 0.8, ... 0.1, each for
 *    `step` architectures, then 0.1;
 *  - experience replay: after every result, its own trajectory and then
 *    `replay` trajectories drawn
 *    uniformly from the memory of all results and replayed backwards with
 *    Q(s_t, a_t) <- (1 - alpha) Q(s_t, a_t) + alpha * target, target = r at
 *    the last decision and max_a' Q(s_{t+1}, a') before it;
 *  - Q starts at a common value: the first reward seen (the paper's 0.5 on
 *    accuracies in [0, 1], here in the metric's own units).
 * Samples outside a restricted table are redrawn (greedy ties are broken at
 * random), and repeats follow reinforce's stall rule.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/reinforce_policy.h"
#include "search/search.h"

struct ql_state {
    const struct space *s;
    struct rng *r;
    double alpha;
    int explore, step, replay, stall, repeats;
    int kmax;             /* largest n_choices: the width of a row of Q */
    struct hashmap state; /* prefix hash -> row index */
    double *q;            /* rows of kmax values */
    long n_rows, cap_rows;
    double q0;            /* the initial value */
    int have_q;
    long n_seen;          /* results told (the schedule's clock) */
    struct arch *mem;     /* replay memory */
    double *mem_r;
    long n_mem, cap_mem;
    struct hashmap told;
};

static const struct search_param params[] = {
    {"alpha", 0.01, 1e-6, 1, 0, NULL, "Q-learning rate"},
    {"explore", 50, 0, 1e9, 1, NULL, "architectures sampled at epsilon = 1"},
    {"step", 10, 1, 1e9, 1, NULL, "architectures at each of epsilon = 0.9, 0.8, ..., 0.1"},
    {"replay", 100, 0, 1e6, 1, NULL, "trajectories replayed from memory after every result"},
    {"stall", 100, 1, 1e9, 1, NULL, "after this many repeated samples, propose an unseen random architecture"},
    {0},
};

/* Hash of the state before decision t: t and the values a->d[0..t-1] */
static uint64_t state_key(const struct arch *a, int t)
{
    uint64_t h = nasw_fnv1a(NASW_FNV_OFFSET, &t, sizeof t);
    return nasw_fnv1a(h, a->d, sizeof a->d[0] * (size_t)t);
}

/* The row of Q for the state before decision t of a; NULL if it was never
 * visited (all its values are q0) and create is 0, or on allocation failure. */
static double *qrow(struct ql_state *st, const struct arch *a, int t, int create)
{
    uint64_t k = state_key(a, t);
    int64_t at;
    if (hashmap_get(&st->state, k, &at)) return st->q + (size_t)at * (size_t)st->kmax;
    if (!create) return NULL;
    if (st->n_rows == st->cap_rows) {
        long cap = st->cap_rows ? 2 * st->cap_rows : 256;
        double *q = realloc(st->q, sizeof *q * (size_t)cap * (size_t)st->kmax);
        if (!q) return NULL;
        st->q = q;
        st->cap_rows = cap;
    }
    if (hashmap_put(&st->state, k, st->n_rows)) return NULL;
    double *row = st->q + (size_t)st->n_rows++ * (size_t)st->kmax;
    for (int i = 0; i < st->kmax; i++) row[i] = st->q0;
    return row;
}

static void ql_free(void *p)
{
    struct ql_state *st = p;
    if (!st) return;
    hashmap_release(&st->told);
    hashmap_release(&st->state);
    free(st->q);
    free(st->mem);
    free(st->mem_r);
    free(st);
}

static void *ql_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct ql_state *st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->s = s;
    st->r = r;
    st->alpha = v[0];
    st->explore = (int)v[1];
    st->step = (int)v[2];
    st->replay = (int)v[3];
    st->stall = (int)v[4];
    for (int t = 0; t < s->n_dims; t++) st->kmax = s->n_choices[t] > st->kmax ? s->n_choices[t] : st->kmax;
    return st;
nomem:
    ql_free(st);
    nasw_errorf(NASW_ENOMEM, "out of memory");
    return NULL;
}

/* MetaQNN's stepped schedule */
static double epsilon(const struct ql_state *st)
{
    if (st->n_seen < st->explore) return 1.0;
    long k = (st->n_seen - st->explore) / st->step; /* 0 -> 0.9, ..., 8 -> 0.1 */
    return k >= 8 ? 0.1 : 0.9 - 0.1 * (double)k;
}

/* The best action of row q over K values, ties broken at random */
static int greedy(struct ql_state *st, const double *q, int K)
{
    int best = 0, ties = 1;
    for (int a = 1; a < K; a++) {
        if (q[a] > q[best]) best = a, ties = 1;
        else if (q[a] == q[best] && rng_int(st->r, (uint64_t)++ties) == 0) best = a;
    }
    return best;
}

static void sample(void *p, struct arch *a)
{
    struct ql_state *st = p;
    const struct space *s = st->s;
    double eps = epsilon(st);
    memset(a, 0, sizeof *a);
    a->n = s->n_dims;
    for (int t = 0; t < s->n_dims; t++) {
        int K = s->n_choices[t];
        const double *row = st->have_q ? qrow(st, a, t, 0) : NULL;
        int explore = rng_uniform(st->r) < eps;
        a->d[t] = (uint16_t)(explore || !row ? (int)rng_int(st->r, (uint64_t)K) : greedy(st, row, K));
    }
}

static int ql_propose(void *p, struct query *q)
{
    struct ql_state *st = p;
    q->epochs = 0;
    rl_propose(st->s, st->r, &st->told, &st->repeats, st->stall, sample, st, &q->arch);
    return NASW_OK;
}

/* One trajectory backwards: terminal target r, then max over the next row
 * (an unvisited next state is worth q0).  -1 on allocation failure. */
static int replay_one(struct ql_state *st, const struct arch *a, double reward)
{
    const struct space *s = st->s;
    for (int t = s->n_dims - 1; t >= 0; t--) {
        double target = reward;
        if (t < s->n_dims - 1) {
            const double *next = qrow(st, a, t + 1, 0);
            target = st->q0;
            if (next) {
                target = next[0];
                for (int k = 1; k < s->n_choices[t + 1]; k++) target = next[k] > target ? next[k] : target;
            }
        }
        double *row = qrow(st, a, t, 1);
        if (!row) return -1;
        row[a->d[t]] = (1 - st->alpha) * row[a->d[t]] + st->alpha * target;
    }
    return 0;
}

static int ql_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct ql_state *st = p;
    if (hashmap_put(&st->told, arch_key(st->s, &q->arch), 1)) return nasw_errorf(NASW_ENOMEM, "out of memory");
    st->n_seen++;
    if (!isfinite(r->score)) return NASW_OK; /* a failed training teaches nothing */
    if (!st->have_q) { /* the common initial value */
        st->q0 = r->score;
        st->have_q = 1;
    }
    if (st->n_mem == st->cap_mem) {
        long cap = st->cap_mem ? 2 * st->cap_mem : 64;
        struct arch *m = realloc(st->mem, sizeof *m * (size_t)cap);
        if (m) st->mem = m;
        double *mr = realloc(st->mem_r, sizeof *mr * (size_t)cap);
        if (mr) st->mem_r = mr;
        if (!m || !mr) return nasw_errorf(NASW_ENOMEM, "out of memory");
        st->cap_mem = cap;
    }
    st->mem[st->n_mem] = q->arch;
    st->mem_r[st->n_mem++] = r->score;
    int bad = replay_one(st, &q->arch, r->score);
    for (int i = 0; i < st->replay && !bad; i++) {
        long k = (long)rng_int(st->r, (uint64_t)st->n_mem);
        bad = replay_one(st, &st->mem[k], st->mem_r[k]);
    }
    return bad ? nasw_errorf(NASW_ENOMEM, "out of memory") : NASW_OK;
}

const struct search_type search_type_qlearn = {
    .name = "qlearn",
    .help = "MetaQNN: Q-learning over decisions, stepped epsilon-greedy, experience replay (Baker et al. 2017)",
    .params = params,
    .alloc = ql_alloc,
    .propose = ql_propose,
    .observe = ql_observe,
    .free = ql_free,
};
