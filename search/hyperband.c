/*
 * search/hyperband.c - the Hyperband engine (search/hb.h) and two of its
 * strategies: `hyperband` (Li et al. 2018) and `sh`, successive halving
 * (Jamieson & Talwalkar 2016; Hyperband's most exploratory bracket, repeated).
 * Both draw first-rung configurations uniformly; `bohb` (search/bohb.c)
 * shares the engine with a model-based sampler.
 *
 * State: the current bracket's configurations (distinct), the current rung
 * (which of them are trained at which epochs), and per configuration of the
 * rung whether it was proposed and told.  A rung is complete when every
 * configuration was told; the best floor(n / eta) by score (ties: the
 * earlier) are promoted.  Under asynchronous evaluation propose() returns
 * NASW_EAGAIN while the rung waits for results.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/hb.h"
#include "search/search.h"

int hb_smax(int max_epochs, int min_epochs, double eta)
{
    double R = (double)max_epochs / min_epochs;
    int s = 0;
    while (s + 1 < HB_MAX_RUNGS && pow(eta, s + 1) <= R * (1 + 1e-12)) s++;
    return s;
}

int hb_bracket(int max_epochs, int min_epochs, double eta, int s, struct hb_rung *rungs)
{
    int smax = hb_smax(max_epochs, min_epochs, eta);
    NASW_ASSERT(s >= 0 && s <= smax);
    double R = (double)max_epochs / min_epochs;
    double n = ceil((smax + 1) * pow(eta, s) / (s + 1) - 1e-9), r = R * pow(eta, -s);
    for (int i = 0; i <= s; i++) {
        int ni = (int)floor(n * pow(eta, -i) + 1e-9);
        double ri = r * pow(eta, i) * min_epochs;
        int e = i == s ? max_epochs : (int)floor(ri + 0.5);
        if (e < min_epochs) e = min_epochs;
        if (e > max_epochs) e = max_epochs;
        rungs[i] = (struct hb_rung){ni < 1 ? 1 : ni, e};
    }
    return s + 1;
}

struct hb_conf {
    struct arch arch;
    double score;     /* at the current rung */
    int proposed, told;
};

struct hb {
    const struct space *s;
    struct rng *r;
    double eta;
    int min_epochs, mode;
    hb_sampler sample;
    void *sample_arg;
    int max_epochs, smax;
    /* the current bracket */
    int bracket;                /* s */
    struct hb_rung rungs[HB_MAX_RUNGS];
    int n_rungs, rung;
    struct hb_conf *conf;       /* the rung's configurations */
    int n_conf, n_drawn;        /* at rung 0, drawn lazily up to n_conf */
    struct hashmap members;     /* keys of the bracket's configurations */
};

struct hb *hb_new(const struct space *s, struct rng *r, double eta, int min_epochs, int mode, hb_sampler sample,
                  void *sample_arg)
{
    struct hb *h = calloc(1, sizeof *h);
    if (!h) {
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    h->s = s;
    h->r = r;
    h->eta = eta;
    h->min_epochs = min_epochs;
    h->mode = mode;
    h->sample = sample;
    h->sample_arg = sample_arg;
    return h;
}

void hb_free(struct hb *h)
{
    if (!h) return;
    free(h->conf);
    hashmap_release(&h->members);
    free(h);
}

static int start_bracket(struct hb *h, int s)
{
    h->bracket = s;
    h->n_rungs = hb_bracket(h->max_epochs, h->min_epochs, h->eta, s, h->rungs);
    /* a small space cannot hold more distinct configurations than members */
    uint64_t cap = space_count(h->s);
    for (int i = 0; i < h->n_rungs; i++)
        if ((uint64_t)h->rungs[i].n > cap) h->rungs[i].n = (int)cap;
    h->rung = 0;
    h->n_conf = h->rungs[0].n;
    h->n_drawn = 0;
    hashmap_clear(&h->members);
    struct hb_conf *c = realloc(h->conf, sizeof *c * (size_t)h->n_conf);
    if (!c) return nasw_errorf(NASW_ENOMEM, "out of memory");
    h->conf = c;
    memset(c, 0, sizeof *c * (size_t)h->n_conf);
    return NASW_OK;
}

int hb_bind(struct hb *h, const struct bench *b, const char *strategy)
{
    int st = search_needs_curves(b, strategy);
    if (st) return st;
    if (h->min_epochs > b->max_epochs)
        return nasw_errorf(NASW_EINVAL, "strategy '%s': min_epochs=%d exceeds the bench's %d epochs", strategy,
                           h->min_epochs, b->max_epochs);
    h->max_epochs = b->max_epochs;
    h->smax = hb_smax(h->max_epochs, h->min_epochs, h->eta);
    return start_bracket(h, h->smax);
}

static int cmp_conf(const void *a, const void *b)
{
    const struct hb_conf *x = a, *y = b;
    return x->score > y->score ? -1 : x->score < y->score;
}

/* Every configuration of the rung told: promote the best, or end the bracket. */
static int advance(struct hb *h)
{
    if (h->rung + 1 < h->n_rungs) {
        /* a stable selection: index order breaks ties (qsort is not stable) */
        int n = h->n_conf, keep = h->rungs[h->rung + 1].n;
        for (int i = 0; i < n; i++) h->conf[i].told = i; /* remember the order */
        for (int i = 1; i < n; i++) { /* insertion sort: n is small */
            struct hb_conf c = h->conf[i];
            int j = i - 1;
            while (j >= 0 && (cmp_conf(&h->conf[j], &c) > 0 ||
                              (cmp_conf(&h->conf[j], &c) == 0 && h->conf[j].told > c.told))) {
                h->conf[j + 1] = h->conf[j];
                j--;
            }
            h->conf[j + 1] = c;
        }
        if (keep > n) keep = n;
        for (int i = 0; i < keep; i++) h->conf[i].proposed = h->conf[i].told = 0;
        h->n_conf = keep;
        h->rung++;
        return NASW_OK;
    }
    int next = h->mode == 1 ? h->smax : (h->bracket > 0 ? h->bracket - 1 : h->smax);
    return start_bracket(h, next);
}

int hb_propose(struct hb *h, struct query *out)
{
    NASW_ASSERT(h->max_epochs > 0); /* hb_bind was called */
    for (int i = 0; i < h->n_conf; i++) {
        struct hb_conf *c = &h->conf[i];
        if (c->proposed) continue;
        if (h->rung == 0 && i >= h->n_drawn) {
            int st = h->sample(h->sample_arg, &h->members, &c->arch);
            if (st) return st;
            if (hashmap_put(&h->members, arch_key(h->s, &c->arch), i))
                return nasw_errorf(NASW_ENOMEM, "out of memory");
            h->n_drawn++;
        }
        c->proposed = 1;
        out->arch = c->arch;
        out->epochs = h->rungs[h->rung].epochs;
        return NASW_OK;
    }
    return NASW_EAGAIN;
}

int hb_observe(struct hb *h, const struct query *q, const struct bench_result *r)
{
    if (q->epochs != h->rungs[h->rung].epochs) return NASW_OK;
    int told = 0, found = 0;
    for (int i = 0; i < h->n_conf; i++) {
        struct hb_conf *c = &h->conf[i];
        if (!found && c->proposed && !c->told && arch_equal(&c->arch, &q->arch)) {
            c->told = 1;
            c->score = r->score;
            found = 1;
        }
        told += c->told;
    }
    return found && told == h->n_conf ? advance(h) : NASW_OK;
}

/* --- sh and hyperband: uniform first rungs ------------------------------- */

struct hb_uniform {
    struct hb *hb;
    const struct space *s;
    struct rng *r;
};

static int sample_uniform(void *arg, const struct hashmap *avoid, struct arch *out)
{
    struct hb_uniform *u = arg;
    arch_sample_avoiding(u->s, u->r, avoid, 100, out);
    return NASW_OK;
}

static const struct search_param params[] = {
    {"eta", 3, 2, 10, 0, NULL, "keep the best 1/eta at each rung"},
    {"min_epochs", 1, 1, 1e6, 1, NULL, "epochs of the lowest rung (r_min)"},
    {0},
};

static void *uniform_alloc(const double *v, const struct space *s, struct rng *r, int mode)
{
    struct hb_uniform *u = calloc(1, sizeof *u);
    if (!u) {
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    u->s = s;
    u->r = r;
    if (!(u->hb = hb_new(s, r, v[0], (int)v[1], mode, sample_uniform, u))) {
        free(u);
        return NULL;
    }
    return u;
}

static void *hyperband_alloc(const double *v, const struct space *s, struct rng *r) { return uniform_alloc(v, s, r, 0); }
static void *sh_alloc(const double *v, const struct space *s, struct rng *r) { return uniform_alloc(v, s, r, 1); }
static int hyperband_bind(void *st, const struct bench *b) { return hb_bind(((struct hb_uniform *)st)->hb, b, "hyperband"); }
static int sh_bind(void *st, const struct bench *b) { return hb_bind(((struct hb_uniform *)st)->hb, b, "sh"); }
static int uniform_propose(void *st, struct query *q) { return hb_propose(((struct hb_uniform *)st)->hb, q); }

static int uniform_observe(void *st, const struct query *q, const struct bench_result *r)
{
    return hb_observe(((struct hb_uniform *)st)->hb, q, r);
}

static void uniform_free(void *st)
{
    struct hb_uniform *u = st;
    if (!u) return;
    hb_free(u->hb);
    free(u);
}

const struct search_type search_type_hyperband = {
    .name = "hyperband",
    .help = "Hyperband (Li et al. 2018): successive-halving brackets s_max..0 over epochs, repeated",
    .params = params,
    .alloc = hyperband_alloc,
    .propose = uniform_propose,
    .observe = uniform_observe,
    .free = uniform_free,
    .bind = hyperband_bind,
    .multi_fidelity = 1,
};

const struct search_type search_type_sh = {
    .name = "sh",
    .help = "successive halving (Jamieson & Talwalkar 2016): Hyperband's bracket s_max, repeated",
    .params = params,
    .alloc = sh_alloc,
    .propose = uniform_propose,
    .observe = uniform_observe,
    .free = uniform_free,
    .bind = sh_bind,
    .multi_fidelity = 1,
};
