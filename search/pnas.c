/*
 * search/pnas.c - sequential model-based optimisation with the LSTM
 * ensemble surrogate of PNAS (Liu et al. 2018, "Progressive Neural
 * Architecture Search").
 *
 * After `init` random architectures, each round fits the ensemble of
 * surrogate/lstm.h to every told architecture (the first fit `epochs`
 * epochs, later rounds warm-started from the previous weights for
 * `warm_epochs` epochs; warm_epochs=0 refits from scratch; `steps` raises
 * the epochs of a fit to at least that many Adam steps, since a few dozen
 * points make one minibatch per epoch), scores candidates by an
 * acquisition function over the ensemble's mean and spread (sd) - mean +
 * kappa * sd, expected improvement over the best fitted target, or one
 * Thompson draw from N(mean, sd^2) per candidate, as BANANAS's independent
 * Thompson sampling (White et al. 2021) - and proposes the best `k`, best
 * first.
 *
 * Targets: target=raw fits the search metric itself; target=rank fits its
 * mid-ranks among the told architectures, scaled to (0,1) (as the GP's
 * rank warp, surrogate/gp.h), so that NAS-Bench-201's few broken cells at 10%
 * accuracy do not squeeze every good cell into a sliver of the output
 * sigmoid; the search is then invariant under monotone transforms of the
 * metric (tested).
 *
 * Candidates (progressive=0, the default): a pool of one-decision mutations
 * of the 10 best plus uniform samples, none evaluated (search/smbo.h), as
 * in bo.
 *
 * progressive=1: PNAS's beam search.  The decisions are grown in groups -
 * a cell node by node (the group of node b is its incoming edges), a chain
 * layer by layer, DARTS cells block by block as PNAS grows its cells (the
 * group of block b is node b's two edges in both the normal and the
 * reduction cell, so 1 block, then 2, ... 4; a child whose block takes one
 * input twice or out of order is dropped, as it is no canonical genotype).  At each level every beam member is extended by every
 * assignment of the next group (at most `expand` per member, sampled when
 * there are more); a partial architecture is scored by the surrogate only,
 * as the mean score over `completions` random completions of its remaining
 * decisions (the same completions for all partials of a round), and the
 * best `beam` partials are kept.  Complete architectures at the last level
 * that are unevaluated members are the candidates.  PNAS trains its
 * predictor on cells of b blocks and uses it on b+1 blocks; nasw's tables
 * only hold complete architectures, so partial cells are never queried and
 * are scored through completions instead.  When no complete cell of the
 * beam is an unevaluated member (a sparse table), the round takes its
 * candidates from the pool.  A set space has one decision and
 * no structure to grow, and a partial NAS-Bench-101 graph is mostly invalid:
 * progressive=1 falls back to the pool there.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
#include "search/smbo.h"
#include "surrogate/lstm.h"

enum { ACQ_UCB, ACQ_EI, ACQ_TS };

struct pnas_state {
    const struct space *s;
    struct rng *r;
    int init, pool, k, warm_epochs, progressive, beam, completions, expand, target, acq, steps;
    double kappa;
    double *yfit;           /* the targets the ensemble is fitted to */
    struct lstm_params lp;
    int T, V;
    struct smbo_obs obs;
    struct hashmap told;
    struct arch *queue;
    struct search_warm *warm;   /* init=zc: the initial architectures, or NULL */
    int n_queue, proposed_init;
    struct lstm *model;
    int *tok;               /* tokens of the told architectures */
    /* candidates: archs, tokens, predictions, scores (grown on demand) */
    struct arch *cand, *next;
    int *ctok, *top;
    double *mu, *var, *score;
    size_t cap_cand, cap_seq;
};

static const struct search_param params[] = {
    {"init", 10, 2, 100000, 1, NULL, "random architectures before the first model"},
    {"pool", 1000, 1, 1000000, 1, NULL, "candidates scored per round (half mutations of the best, half random)"},
    {"k", 5, 1, 1000, 1, NULL, "architectures proposed per round"},
    {"ensemble", 3, 1, 100, 1, NULL, "LSTM surrogates in the ensemble (mean = prediction, spread = sd)"},
    {"epochs", 50, 1, 100000, 1, NULL, "epochs of the first fit (and of every fit when warm_epochs=0)"},
    {"warm_epochs", 10, 0, 100000, 1, NULL, "epochs per later round, warm-started; 0: refit from scratch"},
    {"hidden", 32, 1, 4096, 1, NULL, "LSTM hidden size"},
    {"embed", 32, 1, 4096, 1, NULL, "token embedding size"},
    {"lr", 0.005, 1e-9, 10, 0, NULL, "Adam learning rate"},
    {"kappa", 0, 0, 100, 0, NULL, "score = mean + kappa * ensemble sd"},
    {"progressive", 0, 0, 1, 1, NULL, "1: PNAS beam search, cells node by node, chains layer by layer, DARTS block by block"},
    {"beam", 64, 1, 100000, 1, NULL, "progressive: partial architectures kept per level (PNAS's K)"},
    {"completions", 8, 1, 1000, 1, NULL, "progressive: random completions that score a partial architecture"},
    {"expand", 512, 1, 100000, 1, NULL, "progressive: most extensions of one beam member per level"},
    {"target", 1, 0, 1, 1, "raw|rank", "fit the search metric itself, or its mid-ranks among the told ones"},
    {"acq", 2, 0, 2, 1, "ucb|ei|ts", "score: mean + kappa sd, expected improvement, or a draw from N(mean, sd^2)"},
    {"steps", 0, 0, 1000000, 1, NULL, "at least this many Adam steps per fit (epochs raised to reach it)"},
    {"batch", 32, 1, 4096, 1, NULL, "minibatch size"},
    {0},
};

static void pnas_free(void *p)
{
    struct pnas_state *st = p;
    if (!st) return;
    hashmap_release(&st->told);
    smbo_obs_release(&st->obs);
    lstm_free(st->model);
    free(st->queue);
    free(st->tok);
    free(st->yfit);
    free(st->cand);
    free(st->next);
    free(st->ctok);
    free(st->top);
    free(st->mu);
    free(st->var);
    free(st->score);
    free(st);
}

static void *pnas_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct pnas_state *st = calloc(1, sizeof *st);
    if (!st || !(st->queue = malloc(sizeof *st->queue * (size_t)v[2]))) {
        pnas_free(st);
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    st->s = s;
    st->r = r;
    st->init = (int)v[0];
    st->pool = (int)v[1];
    st->k = (int)v[2];
    lstm_default_params(&st->lp);
    st->lp.ensemble = (int)v[3];
    st->lp.epochs = (int)v[4];
    st->warm_epochs = (int)v[5];
    st->lp.hidden = (int)v[6];
    st->lp.embed = (int)v[7];
    st->lp.lr = v[8];
    st->kappa = v[9];
    st->progressive = (int)v[10] && (s->kind == SPACE_CELL || s->kind == SPACE_CHAIN || s->kind == SPACE_DARTS);
    st->beam = (int)v[11];
    st->completions = (int)v[12];
    st->expand = (int)v[13];
    st->target = (int)v[14];
    st->acq = (int)v[15];
    st->steps = (int)v[16];
    st->lp.batch = (int)v[17];
    st->T = lstm_seq_len(s);
    st->V = lstm_vocab(s);
    return st;
}

/* Room for n candidate architectures and n*per token sequences. */
static int reserve(struct pnas_state *st, size_t n, size_t per)
{
    if (n > st->cap_cand) {
        struct arch *a = realloc(st->cand, sizeof *a * n), *b = a ? realloc(st->next, sizeof *b * n) : NULL;
        if (a) st->cand = a;
        if (b) st->next = b;
        int *t = b ? realloc(st->top, sizeof *t * n) : NULL;
        if (!t) return nasw_errorf(NASW_ENOMEM, "out of memory");
        st->top = t;
        st->cap_cand = n;
    }
    size_t m = n * per;
    if (m > st->cap_seq) {
        int *t = realloc(st->ctok, sizeof *t * m * (size_t)st->T);
        if (t) st->ctok = t;
        double *a = t ? realloc(st->mu, sizeof *a * m) : NULL;
        if (a) st->mu = a;
        double *b = a ? realloc(st->var, sizeof *b * m) : NULL;
        if (b) st->var = b;
        double *c = b ? realloc(st->score, sizeof *c * m) : NULL;
        if (!c) return nasw_errorf(NASW_ENOMEM, "out of memory");
        st->score = c;
        st->cap_seq = m;
    }
    return NASW_OK;
}

/* Epochs that give at least st->steps Adam steps on n points. */
static int epochs_for(const struct pnas_state *st, int n, int epochs)
{
    int per = (n + st->lp.batch - 1) / st->lp.batch;
    int need = (st->steps + per - 1) / per;
    return need > epochs ? need : epochs;
}

/* The fitted targets: the scores, or (target=rank) their mid-ranks scaled
 * to (0,1), so that a few broken architectures cannot squeeze the good
 * ones into a sliver of the sigmoid's range. */
static void fit_targets(const struct smbo_obs *o, int rank, double *y)
{
    int n = o->n;
    for (int i = 0; i < n; i++) {
        if (!rank) {
            y[i] = o->score[i];
            continue;
        }
        int below = 0, equal = 0;
        for (int j = 0; j < n; j++) {
            below += o->score[j] < o->score[i];
            equal += o->score[j] == o->score[i];
        }
        y[i] = (below + 0.5 * equal) / n;
    }
}

static int fit(struct pnas_state *st)
{
    int n = st->obs.n, T = st->T;
    int *t = realloc(st->tok, sizeof *t * (size_t)n * (size_t)T);
    if (t) st->tok = t;
    double *y = t ? realloc(st->yfit, sizeof *y * (size_t)n) : NULL;
    if (!y) return nasw_errorf(NASW_ENOMEM, "out of memory");
    st->yfit = y;
    for (int i = 0; i < n; i++) lstm_tokens(st->s, &st->obs.arch[i], t + (size_t)i * T);
    fit_targets(&st->obs, st->target, y);
    if (st->model && st->warm_epochs > 0)
        return lstm_refit(st->model, t, y, n, epochs_for(st, n, st->warm_epochs), st->r);
    lstm_free(st->model);
    st->model = NULL;
    struct lstm_params lp = st->lp;
    lp.epochs = epochs_for(st, n, lp.epochs);
    return lstm_fit(&st->model, t, T, st->V, y, n, &lp, st->r);
}

/* Predict the m sequences in ctok and score them by the acquisition
 * function (sd = the ensemble's spread): mean + kappa sd, expected
 * improvement over the best fitted target, or a Thompson draw from
 * N(mean, sd^2), one per candidate.  partial: completions of a beam
 * search's partial architectures, always mean + kappa sd (their average
 * ranks the partial; a random draw per completion would only add noise). */
static int score_seqs(struct pnas_state *st, int m, int partial)
{
    int acq = partial ? ACQ_UCB : st->acq;
    int want_var = acq != ACQ_UCB || st->kappa > 0;
    int status = lstm_predict(st->model, st->ctok, m, st->mu, want_var ? st->var : NULL);
    if (status) return status;
    double best = -INFINITY;
    for (int i = 0; i < st->obs.n; i++)
        if (st->yfit[i] > best) best = st->yfit[i];
    for (int i = 0; i < m; i++) {
        double mu = st->mu[i], sd = want_var && st->var[i] > 0 ? sqrt(st->var[i]) : 0;
        switch (acq) {
        case ACQ_EI: st->score[i] = smbo_ei(mu, sd, best); break;
        case ACQ_TS: st->score[i] = mu + sd * rng_gaussian(st->r, 1.0); break;
        default: st->score[i] = mu + st->kappa * sd;
        }
    }
    return NASW_OK;
}

/* Decision groups grown one per level: a cell's edges into node b (edges
 * are in string order, grouped by target node), a chain's layers, DARTS
 * block b in both cells (decisions 4b..4b+3 and 16+4b..16+4b+3,
 * core/darts.h).  Group g is idx[start[g] .. start[g+1]). */
static int groups(const struct space *s, int *idx, int *start)
{
    int G = 0, n = 0;
    start[0] = 0;
    if (s->kind == SPACE_DARTS) {
        for (int b = 0; b < 4; b++) {
            for (int c = 0; c < 2; c++)
                for (int j = 0; j < 4; j++) idx[n++] = 16 * c + 4 * b + j;
            start[++G] = n;
        }
        return G;
    }
    for (int e = 0; e < s->n_dims; e++) {
        idx[n++] = e;
        if (s->kind != SPACE_CELL || e + 1 == s->n_dims || s->edge_to[e + 1] != s->edge_to[e]) start[++G] = n;
    }
    return G;
}

/* A DARTS child is kept only if the block just assigned is canonical in
 * both cells (two different inputs, the smaller first). */
static int block_ok(const struct space *s, const struct arch *a, const int *idx, int i0, int i1)
{
    if (s->kind != SPACE_DARTS) return 1;
    for (int i = i0; i < i1; i += 4)
        if (a->d[idx[i]] >= a->d[idx[i + 2]]) return 0;
    return 1;
}

/* The levels of the beam search, given the round's completions. */
static int grow_beam(struct pnas_state *st, const struct arch *comp, const int *idx, const int *start, int G,
                     int *nc)
{
    const struct space *s = st->s;
    int C = st->completions, T = st->T, nb = 1, status;
    if ((status = reserve(st, 1, 1))) return status;
    st->cand[0] = comp[0]; /* the empty prefix: its decisions are all replaced */
    for (int g = 0; g < G; g++) {
        int i0 = start[g], i1 = start[g + 1], last = g == G - 1;
        double prod = 1;
        for (int i = i0; i < i1; i++) prod *= s->n_choices[idx[i]];
        int per = prod <= st->expand ? (int)prod : st->expand, enumerate = prod <= st->expand;
        size_t nchild = (size_t)nb * (size_t)per;
        if ((status = reserve(st, nchild + (size_t)nb, last ? 1 : (size_t)C))) return status;
        /* children of the beam (cand[0..nb)) into next[] */
        int m = 0;
        for (int b = 0; b < nb; b++)
            for (int j = 0; j < per; j++) {
                struct arch a = st->cand[b];
                int code = j;
                for (int i = i0; i < i1; i++) {
                    int K = s->n_choices[idx[i]];
                    a.d[idx[i]] = (uint16_t)(enumerate ? code % K : (int)rng_int(st->r, (uint64_t)K));
                    code /= K;
                }
                if (!block_ok(s, &a, idx, i0, i1)) continue;
                if (last && (!space_contains(s, &a) || hashmap_get(&st->told, arch_key(s, &a), NULL))) continue;
                st->next[m++] = a;
            }
        int nseq = 0;
        for (int i = 0; i < m; i++)
            for (int c = 0; c < (last ? 1 : C); c++) {
                struct arch full = st->next[i];
                if (!last) /* the groups not grown yet, from the completion */
                    for (int i = i1; i < start[G]; i++) full.d[idx[i]] = comp[c].d[idx[i]];
                lstm_tokens(s, &full, st->ctok + (size_t)nseq++ * T);
            }
        if (m > 0 && (status = score_seqs(st, nseq, !last))) return status;
        if (!last) /* a partial's score: the mean over its completions */
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int c = 0; c < C; c++) sum += st->score[(size_t)i * C + c];
                st->score[i] = sum / C;
            }
        if (last) {
            memcpy(st->cand, st->next, sizeof *st->cand * (size_t)m);
            *nc = m;
            return NASW_OK;
        }
        nb = smbo_top(st->score, m, st->beam, st->top);
        for (int i = 0; i < nb; i++) st->cand[i] = st->next[st->top[i]];
        if (nb == 0) break;
    }
    *nc = 0;
    return NASW_OK;
}

/* Progressive beam search; leaves the complete candidates in cand[0..*nc)
 * and their scores in score[]. */
static int beam_search(struct pnas_state *st, int *nc)
{
    int idx[ARCH_MAX_DIMS], start[ARCH_MAX_DIMS + 1], G = groups(st->s, idx, start), C = st->completions;
    struct arch *comp = malloc(sizeof *comp * (size_t)C);
    if (!comp) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int c = 0; c < C; c++) arch_sample(st->s, st->r, &comp[c]);
    int status = grow_beam(st, comp, idx, start, G, nc);
    free(comp);
    return status;
}

static int model_round(void *p)
{
    struct pnas_state *st = p;
    int status = fit(st), nc = 0;
    if (status) return status;
    if (st->progressive && (status = beam_search(st, &nc))) return status;
    /* beam_search left the final scores of cand[] in score[]; when none of
     * its complete cells is an unevaluated member (a sparse table, such as
     * NAS-Bench-301's few hundred cells of 1e18) the pool gives the
     * candidates instead, still ranked by the surrogate */
    if (!st->progressive || nc == 0) {
        if ((status = reserve(st, (size_t)st->pool, 1))) return status;
        nc = smbo_pool(st->s, st->r, &st->obs, &st->told, st->pool, st->cand);
        for (int i = 0; i < nc; i++) lstm_tokens(st->s, &st->cand[i], st->ctok + (size_t)i * st->T);
        if (nc > 0 && (status = score_seqs(st, nc, 0))) return status;
    }
    st->n_queue = smbo_top(st->score, nc, st->k, st->top);
    for (int j = 0; j < st->n_queue; j++) st->queue[st->n_queue - 1 - j] = st->cand[st->top[j]];
    return NASW_OK;
}

static void pnas_warm(void *p, struct search_warm *w) { ((struct pnas_state *)p)->warm = w; }

static int pnas_propose(void *p, struct query *q)
{
    struct pnas_state *st = p;
    q->epochs = 0;
    return smbo_next(st->s, st->r, &st->told, &st->obs, st->init, st->warm, &st->proposed_init, st->queue, &st->n_queue,
                     model_round, st, &q->arch);
}

static int pnas_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct pnas_state *st = p;
    return smbo_observe(&st->obs, &st->told, st->s, q, r);
}

const struct search_type search_type_pnas = {
    .name = "pnas",
    .help = "SMBO with an LSTM ensemble surrogate, pool or progressive beam search (Liu et al. 2018, PNAS)",
    .params = params,
    .alloc = pnas_alloc,
    .propose = pnas_propose,
    .observe = pnas_observe,
    .free = pnas_free,
    .warm_param = "init",
    .warm = pnas_warm,
};
