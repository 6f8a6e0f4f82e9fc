/*
 * search/oneshot.c - the weight-sharing strategies: one supernet, trained
 * once, instead of a training per architecture.
 *
 *   darts  Liu et al. 2019: the softmax mixture, weights and logits in
 *          alternation (the first-order architecture gradient, or with
 *          order=2 the second-order one at weights unrolled by xi); the
 *          cell: the argmax of the logits per edge.
 *   gdas   Dong & Yang 2019: one Gumbel-softmax sampled op per edge and
 *          step (straight-through), the temperature annealed linearly from
 *          tau_max to tau_min over the epochs; the cell: the argmax.
 *   rsws   Li & Talwalkar 2019: uniform single paths train the weights;
 *          random cells are scored with the shared weights, the best one
 *          is the cell.
 *   spos   Guo et al. 2020: uniform single paths, then evolution over
 *          cells scored with the shared weights (top-k parents, crossover
 *          and mutation), the best one is the cell.
 *   enas   Pham et al. 2018: the LSTM controller of reinforce:controller=lstm
 *          samples the cell of every weight step; after each epoch it is
 *          trained by REINFORCE on the shared weights' validation accuracy
 *          of its samples (moving-average baseline); the cell: the best
 *          scored of its samples.
 *
 * The supernet is the bench's (core/oneshot.h: bind() refuses a bench
 * without one).  Each proposal is one supernet epoch followed by the cell
 * derived so far (after the epochs: one scoring round, one generation, or
 * nothing left), so the run log traces the derived cell's real accuracy
 * (the bench trains or looks it up) against the seconds of the supernet
 * plus those of the queries: the supernet's seconds and epochs since the
 * last proposal ride on it as its overhead (search/search.h).  A proposal
 * the run already answered is free and not logged, as always.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "search/reinforce_policy.h"
#include "search/search.h"

enum family { F_DARTS, F_GDAS, F_RSWS, F_SPOS, F_ENAS };

struct scored {
    struct arch a;
    double acc;
};

struct oneshot_state {
    enum family f;
    const char *name;
    const struct space *s;
    struct rng *r;
    struct oneshot *o;
    uint64_t seed;
    char tag[256];
    int epochs, samples, rounds, generations, population, parents, bn_batches, eval_images, ctl_steps;
    double tau_max, tau_min, mutation, ctl_lr, ctl_decay, xi;
    int order;                  /* darts: 1 or 2 */
    double charged_s;           /* supernet seconds already charged */
    int charged_epochs;
    int after;                  /* rounds or generations run after the epochs */
    struct scored best;         /* the cell proposed (acc -inf: none yet) */
    struct scored *pop;         /* spos: the population (population of them) */
    int n_pop, n_proposed;
    struct rf_lstm *ctl;        /* enas */
    double baseline;
    int have_baseline;
    int started;                /* the first proposal has looked for a restored state */
};

/* A uniform member of the space. */
static void uniform(struct oneshot_state *st, struct arch *a)
{
    const struct space *s = st->s;
    uint64_t n = space_count(s), i = rng_int(st->r, n);
    arch_from_key(s, s->n_members > 0 ? s->members[i] : i, a);
}

static void enas_sample(void *arg, struct arch *a)
{
    struct oneshot_state *st = arg;
    rf_lstm_sample(st->ctl, st->r, a);
}

static int score(struct oneshot_state *st, const struct arch *a, double *acc)
{
    return st->o->ops->score(st->o, a, acc);
}

/* The best of `samples` cells drawn by draw(), scored with the shared
 * weights: st->best when it beats it, or always (fresh = 1: the weights
 * changed, the old score is stale). */
static int best_of(struct oneshot_state *st, int fresh, void (*draw)(struct oneshot_state *, struct arch *))
{
    if (fresh) st->best.acc = -INFINITY;
    for (int i = 0; i < st->samples; i++) {
        struct scored c = {.a = {.n = st->s->n_dims}};
        draw(st, &c.a);
        if (!space_contains(st->s, &c.a)) uniform(st, &c.a); /* a restricted space: members only */
        int rc = score(st, &c.a, &c.acc);
        if (rc) return rc;
        if (c.acc > st->best.acc) st->best = c;
    }
    return NASW_OK;
}

static void enas_draw(struct oneshot_state *st, struct arch *a) { rf_lstm_sample(st->ctl, st->r, a); }

/* ENAS: ctl_steps REINFORCE steps on the shared weights' accuracy. */
static int enas_train_controller(struct oneshot_state *st)
{
    for (int i = 0; i < st->ctl_steps; i++) {
        struct arch a = {.n = st->s->n_dims};
        double acc;
        rf_lstm_sample(st->ctl, st->r, &a);
        int rc = score(st, &a, &acc);
        if (rc) return rc;
        double reward = acc / 100.0;
        /* baseline updated before the advantage, as search/reinforce.c */
        st->baseline = st->have_baseline ? st->ctl_decay * st->baseline + (1 - st->ctl_decay) * reward : reward;
        st->have_baseline = 1;
        rf_lstm_logprob(st->ctl, &a, 1);
        rf_lstm_update(st->ctl, reward - st->baseline, st->ctl_lr, 0.0, 0.999, 1e-8);
    }
    return NASW_OK;
}

/* The state saved with each epoch's checkpoint (core/oneshot.h): the
 * run's rng (the paths ENAS samples, the cells RSWS and SPOS score) and for
 * enas the controller and its baseline.  Layout (this build's bytes):
 * family, rng bytes, controller bytes (three uint64), the rng, baseline and
 * have_baseline (two doubles), the controller. */
static int os_save_state(void *arg, void **buf, size_t *n)
{
    struct oneshot_state *st = arg;
    size_t rb, cb = st->ctl ? rf_lstm_state_size(st->ctl) : 0;
    const void *rs = rng_state(st->r, &rb);
    uint64_t head[3] = {(uint64_t)st->f, rb, cb};
    double b[2] = {st->baseline, st->have_baseline};
    size_t len = sizeof head + rb + sizeof b + cb;
    unsigned char *p = malloc(len);
    if (!p) return nasw_errorf(NASW_ENOMEM, "out of memory");
    memcpy(p, head, sizeof head);
    memcpy(p + sizeof head, rs, rb);
    memcpy(p + sizeof head + rb, b, sizeof b);
    if (cb) rf_lstm_state_get(st->ctl, p + sizeof head + rb + sizeof b);
    *buf = p, *n = len;
    return NASW_OK;
}

static int os_restore_state(struct oneshot_state *st, const void *buf, size_t n)
{
    size_t rb, cb = st->ctl ? rf_lstm_state_size(st->ctl) : 0;
    void *rs = rng_state(st->r, &rb);
    uint64_t head[3] = {0, 0, 0};
    double b[2];
    if (n >= sizeof head) memcpy(head, buf, sizeof head);
    if (n != sizeof head + rb + sizeof b + cb || head[0] != (uint64_t)st->f || head[1] != rb || head[2] != cb)
        return nasw_errorf(NASW_EPARSE, "%s: the checkpoint's strategy state does not fit this search", st->name);
    const unsigned char *p = buf;
    memcpy(rs, p + sizeof head, rb);
    memcpy(b, p + sizeof head + rb, sizeof b);
    st->baseline = b[0], st->have_baseline = b[1] != 0;
    if (cb) rf_lstm_state_set(st->ctl, p + sizeof head + rb + sizeof b);
    return NASW_OK;
}

static int cmp_scored(const void *x, const void *y)
{
    double a = ((const struct scored *)x)->acc, b = ((const struct scored *)y)->acc;
    return a > b ? -1 : a < b;
}

/* SPOS: one generation.  The first builds a population of random cells;
 * then children (half crossover of two top-k parents, half mutation of
 * one) replace the population's worst if better. */
static int spos_generation(struct oneshot_state *st)
{
    const struct space *s = st->s;
    int P = st->population, rc;
    if (st->n_pop == 0) {
        for (int i = 0; i < P; i++) {
            st->pop[i].a = (struct arch){.n = s->n_dims};
            uniform(st, &st->pop[i].a);
            if ((rc = score(st, &st->pop[i].a, &st->pop[i].acc))) return rc;
        }
        st->n_pop = P;
    } else {
        struct scored *kids = malloc(sizeof *kids * (size_t)P);
        if (!kids) return nasw_errorf(NASW_ENOMEM, "out of memory");
        int k = st->parents < P ? st->parents : P;
        for (int i = 0; i < P; i++) {
            struct arch c = st->pop[rng_int(st->r, (uint64_t)k)].a;
            if (i % 2 == 0) {
                const struct arch *o = &st->pop[rng_int(st->r, (uint64_t)k)].a;
                for (int e = 0; e < s->n_dims; e++)
                    if (rng_uniform(st->r) < 0.5) c.d[e] = o->d[e];
            } else {
                for (int e = 0; e < s->n_dims; e++)
                    if (rng_uniform(st->r) < st->mutation) c.d[e] = (uint16_t)rng_int(st->r, (uint64_t)s->n_choices[e]);
            }
            if (!space_contains(s, &c)) uniform(st, &c);
            kids[i].a = c;
            if ((rc = score(st, &c, &kids[i].acc))) {
                free(kids);
                return rc;
            }
        }
        /* the best P of parents and children */
        struct scored *all = realloc(kids, sizeof *all * (size_t)(2 * P));
        if (!all) {
            free(kids);
            return nasw_errorf(NASW_ENOMEM, "out of memory");
        }
        memmove(all + P, all, sizeof *all * (size_t)P);
        memcpy(all, st->pop, sizeof *all * (size_t)P);
        qsort(all, (size_t)(2 * P), sizeof *all, cmp_scored);
        memcpy(st->pop, all, sizeof *all * (size_t)P);
        free(all);
    }
    qsort(st->pop, (size_t)P, sizeof *st->pop, cmp_scored);
    st->best = st->pop[0];
    return NASW_OK;
}

static int oneshot_propose(void *p, struct query *q)
{
    struct oneshot_state *st = p;
    struct oneshot *o = st->o;
    int rc = NASW_OK, fresh = 1;
    int extra = st->f == F_RSWS ? st->rounds : st->f == F_SPOS ? st->generations : 0, restored = 0;
    if (!st->started) {
        /* a supernet restored from a checkpoint with the state of its last
         * epoch: continue from that point of the killed run (the steps
         * after that epoch, then the next epoch), as if never stopped */
        st->started = 1;
        if (o->epochs_done > 0 && o->restored_state) {
            if ((rc = os_restore_state(st, o->restored_state, o->restored_len))) return rc;
            restored = 1;
        }
    }
    if (restored) {
        if (st->f == F_ENAS && (rc = enas_train_controller(st))) return rc;
    } else if (o->epochs_done < st->epochs) {
        int ep = o->epochs_done; /* 0-based */
        struct oneshot_epoch e = {.mode = ONESHOT_PATH};
        if (st->f == F_DARTS) e.mode = ONESHOT_MIXED, e.arch_step = st->order, e.xi = st->xi;
        if (st->f == F_GDAS) {
            e.mode = ONESHOT_GUMBEL, e.arch_step = 1;
            e.tau = st->epochs > 1 ? st->tau_max - (st->tau_max - st->tau_min) * ep / (st->epochs - 1) : st->tau_min;
        }
        if (st->f == F_ENAS) e.sample = enas_sample, e.sample_arg = st;
        e.save_state = os_save_state, e.state_arg = st;
        if ((rc = o->ops->epoch(o, &e))) return rc;
        if (st->f == F_ENAS && (rc = enas_train_controller(st))) return rc;
    } else if (st->n_proposed > 0) {
        /* trained (or restored whole and proposed): the rounds or
         * generations on the final weights, then nothing */
        if (st->after >= extra) return NASW_EDONE;
        st->after++;
        fresh = 0;
    }
    /* the cell derived so far */
    switch (st->f) {
    case F_DARTS:
    case F_GDAS:
        st->best.a = (struct arch){.n = st->s->n_dims};
        o->ops->derive(o, &st->best.a);
        if (!space_contains(st->s, &st->best.a)) uniform(st, &st->best.a); /* a restricted space */
        break;
    case F_RSWS: rc = best_of(st, fresh, uniform); break;
    case F_ENAS: rc = best_of(st, 1, enas_draw); break;
    case F_SPOS: rc = fresh ? best_of(st, 1, uniform) : spos_generation(st); break;
    }
    if (rc) return rc;
    q->arch = st->best.a;
    q->epochs = 0;
    q->overhead_s = o->seconds - st->charged_s;
    q->overhead_epochs = o->epochs_done - st->charged_epochs;
    st->charged_s = o->seconds;
    st->charged_epochs = o->epochs_done;
    st->n_proposed++;
    return NASW_OK;
}

static int oneshot_observe(void *p, const struct query *q, const struct bench_result *r)
{
    (void)p, (void)q, (void)r; /* the supernet decides, not the bench's answers */
    return NASW_OK;
}

static void os_free(void *p)
{
    struct oneshot_state *st = p;
    if (!st) return;
    oneshot_free(st->o);
    rf_lstm_free(st->ctl);
    free(st->pop);
    free(st);
}

/* Parameters: each family's, in the order alloc reads them. */
#define EPOCHS(d) {"epochs", d, 1, 100000, 1, NULL, "supernet training epochs (the cosine schedule's length)"}
#define SCORING                                                                                               \
    {"bn_batches", 4, 1, 1000, 1, NULL, "training batches that recompute BN statistics for a scored cell"}, \
        {"eval_images", 1000, 0, 1e9, 1, NULL, "validation images a scored cell is evaluated on (0: all)"}

static const struct search_param darts_params[] = {
    EPOCHS(10),
    {"order", 1, 1, 2, 1, NULL, "architecture gradient: 1 first order, 2 second order (unrolled weights)"},
    {"xi", 0, 0, 100, 0, NULL, "order=2: the unrolled step's size (0: the weights' current learning rate, as DARTS)"},
    {0}};
static const struct search_param gdas_params[] = {
    EPOCHS(10),
    {"tau_max", 10, 1e-6, 1e6, 0, NULL, "Gumbel-softmax temperature of the first epoch"},
    {"tau_min", 0.1, 1e-6, 1e6, 0, NULL, "temperature of the last epoch (linear in between)"},
    {0}};
static const struct search_param rsws_params[] = {
    EPOCHS(10),
    {"samples", 100, 1, 1e6, 1, NULL, "random cells scored per round (one round after each epoch)"},
    {"rounds", 10, 0, 1e6, 1, NULL, "further rounds on the trained weights (the best cell of all kept)"},
    SCORING,
    {0}};
static const struct search_param spos_params[] = {
    EPOCHS(10),
    {"samples", 50, 1, 1e6, 1, NULL, "random cells scored after each epoch (the interim cell)"},
    {"population", 50, 2, 1e5, 1, NULL, "evolution: cells kept"},
    {"parents", 10, 1, 1e5, 1, NULL, "evolution: the top-k that breed"},
    {"generations", 20, 0, 1e5, 1, NULL, "evolution: generations on the trained weights"},
    {"mutation", 0.1, 0, 1, 0, NULL, "evolution: per-edge mutation probability"},
    SCORING,
    {0}};
static const struct search_param enas_params[] = {
    EPOCHS(10),
    {"ctl_steps", 50, 0, 1e6, 1, NULL, "controller REINFORCE steps after each epoch"},
    {"samples", 100, 1, 1e6, 1, NULL, "controller samples scored to derive the cell"},
    {"lr", 3.5e-4, 1e-9, 100, 0, NULL, "controller Adam learning rate"},
    {"baseline", 0.95, 0, 0.999999, 0, NULL, "reward baseline: b = baseline*b + (1-baseline)*reward"},
    {"bn_batches", 2, 1, 1000, 1, NULL, "training batches that recompute BN statistics for a scored cell"},
    {"eval_images", 500, 0, 1e9, 1, NULL, "validation images a scored cell is evaluated on (0: all)"},
    {0}};

static void *os_alloc(enum family f, const char *name, const double *v, const struct space *s, struct rng *r)
{
    struct oneshot_state *st = calloc(1, sizeof *st);
    if (!st) {
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    st->f = f, st->name = name, st->s = s, st->r = r;
    st->epochs = (int)v[0];
    st->best.acc = -INFINITY;
    st->bn_batches = 4, st->eval_images = 1000;
    switch (f) {
    case F_DARTS: st->order = (int)v[1], st->xi = v[2]; break;
    case F_GDAS: st->tau_max = v[1], st->tau_min = v[2]; break;
    case F_RSWS: st->samples = (int)v[1], st->rounds = (int)v[2], st->bn_batches = (int)v[3], st->eval_images = (int)v[4]; break;
    case F_SPOS:
        st->samples = (int)v[1], st->population = (int)v[2], st->parents = (int)v[3], st->generations = (int)v[4];
        st->mutation = v[5], st->bn_batches = (int)v[6], st->eval_images = (int)v[7];
        break;
    case F_ENAS:
        st->ctl_steps = (int)v[1], st->samples = (int)v[2], st->ctl_lr = v[3], st->ctl_decay = v[4];
        st->bn_batches = (int)v[5], st->eval_images = (int)v[6];
        break;
    }
    /* the supernet's seed comes from the run's stream; the tag names the
     * search (strategy, every value and that seed) for its checkpoint */
    st->seed = (uint64_t)rng_int(r, UINT64_C(1) << 62);
    int len = snprintf(st->tag, sizeof st->tag, "%s seed=%llu", name, (unsigned long long)st->seed);
    for (int i = 0; i < 8 && len > 0 && (size_t)len < sizeof st->tag; i++)
        len += snprintf(st->tag + len, sizeof st->tag - (size_t)len, " %.17g", v[i]);
    if (f == F_SPOS && !(st->pop = calloc((size_t)st->population, sizeof *st->pop))) {
        os_free(st);
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    if (f == F_ENAS && !(st->ctl = rf_lstm_new(s, 32, 32, r))) {
        os_free(st);
        return NULL;
    }
    return st;
}

static int os_bind(void *p, const struct bench *b)
{
    struct oneshot_state *st = p;
    struct oneshot_opts o = {.epochs = st->epochs, .seed = st->seed, .tag = st->tag, .bn_batches = st->bn_batches,
                             .eval_images = st->eval_images};
    int rc = bench_oneshot(b, st->name, &o, &st->o);
    /* a supernet restored whole: charged with the first proposal */
    return rc;
}

#define FAMILY(F, NAME, HELP, PARAMS)                                                                           \
    static void *NAME##_alloc(const double *v, const struct space *s, struct rng *r)                           \
    {                                                                                                          \
        return os_alloc(F, #NAME, v, s, r);                                                                    \
    }                                                                                                          \
    const struct search_type search_type_##NAME = {.name = #NAME, .help = HELP, .params = PARAMS,               \
                                                   .alloc = NAME##_alloc, .propose = oneshot_propose,           \
                                                   .observe = oneshot_observe, .free = os_free, .bind = os_bind, \
                                                   .oneshot = 1};

FAMILY(F_DARTS, darts, "DARTS (Liu et al. 2019), first or second order: softmax-mixed supernet, the argmax cell",
       darts_params)
FAMILY(F_GDAS, gdas, "GDAS (Dong & Yang 2019): Gumbel-softmax sampled supernet, the argmax cell", gdas_params)
FAMILY(F_RSWS, rsws, "random search with weight sharing (Li & Talwalkar 2019)", rsws_params)
FAMILY(F_SPOS, spos, "single-path one-shot (Guo et al. 2020): uniform paths, then evolution on the supernet", spos_params)
FAMILY(F_ENAS, enas, "ENAS (Pham et al. 2018): LSTM controller on shared weights, REINFORCE", enas_params)
