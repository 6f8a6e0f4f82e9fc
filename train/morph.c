/*
 * train/morph.c - weight inheritance, Net2WiderNet and Net2DeeperNet for
 * the NB201 network of train/cnn.c (see train/morph.h).
 *
 * The parameters are located through the tape's introspection
 * (cnn_layer): the layers with parameters (conv, BN, linear) appear in the
 * order the builder emits them, so walking them alongside the architecture
 * names each one (stem, reduction, cell edge, classifier) without a second
 * copy of the network's layout in cnn.c.
 */
#include "train/morph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "train/cnn.h"

#define BN_EPS 1e-5f /* train/cnn.c's */

enum { OPK_NONE, OPK_SKIP, OPK_CONV1, OPK_CONV3, OPK_POOL, OPK_OTHER };

static int op_kind(const struct space *s, const struct arch *a, int e)
{
    const char *n = s->ops[a->d[e]];
    if (!strcmp(n, "none") || !strcmp(n, "zero")) return OPK_NONE;
    if (!strcmp(n, "skip_connect") || !strcmp(n, "identity")) return OPK_SKIP;
    if (!strcmp(n, "nor_conv_1x1")) return OPK_CONV1;
    if (!strcmp(n, "nor_conv_3x3")) return OPK_CONV3;
    if (!strcmp(n, "avg_pool_3x3")) return OPK_POOL;
    return OPK_OTHER;
}

static int is_conv(int k) { return k == OPK_CONV1 || k == OPK_CONV3; }

/* A parameter layer: its introspection record and, for BN, the offset of
 * its running statistics (mean at rs, variance at rs + C). */
struct player {
    struct cnn_layer l;
    size_t rs;
};

/* The parameter layers of a network, named.  Indices into pl[]; -1 where
 * an edge has no parameters. */
struct layout {
    struct player *pl;
    int npl;
    int stem[2];           /* conv, bn */
    int red[2][5];         /* stages 1, 2: conv a, bn a, conv b, bn b, conv shortcut */
    int *edge;             /* [(stage * N + cell) * edges + e] * 2 + {0: conv, 1: bn} */
    int final_bn, linear;
    int N, edges;
};

static void layout_free(struct layout *L)
{
    free(L->pl);
    free(L->edge);
}

static int take(const struct layout *L, int *k, int kind)
{
    if (*k >= L->npl || L->pl[*k].l.kind != kind) return -1;
    return (*k)++;
}

static int layout_new(struct layout *L, struct cnn *n, const struct space *s, const struct arch *a)
{
    memset(L, 0, sizeof *L);
    const struct cnn_config *cfg = cnn_get_config(n);
    int nl = cnn_num_layers(n);
    L->N = cfg->N;
    L->edges = s->n_dims;
    L->pl = malloc(sizeof *L->pl * (size_t)(nl ? nl : 1));
    L->edge = malloc(sizeof *L->edge * 2 * (size_t)(3 * cfg->N * s->n_dims + 1));
    if (!L->pl || !L->edge) {
        layout_free(L);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    const float *stats = cnn_stats(n);
    for (int i = 0; i < nl; i++) {
        struct cnn_layer l;
        cnn_layer(n, i, &l);
        if (l.kind != CNN_CONV && l.kind != CNN_BN && l.kind != CNN_LINEAR) continue;
        L->pl[L->npl].l = l;
        L->pl[L->npl].rs = l.kind == CNN_BN ? (size_t)(l.rmean - stats) : 0;
        L->npl++;
    }
    /* the builder's order: stem; per stage (reduction first from stage 1)
     * the cells, edge by edge; final BN; classifier */
    int k = 0, bad = 0;
    L->stem[0] = take(L, &k, CNN_CONV);
    L->stem[1] = take(L, &k, CNN_BN);
    bad |= L->stem[0] < 0 || L->stem[1] < 0;
    for (int st = 0; st < 3; st++) {
        if (st > 0) {
            static const int kinds[5] = {CNN_CONV, CNN_BN, CNN_CONV, CNN_BN, CNN_CONV};
            for (int j = 0; j < 5; j++) bad |= (L->red[st - 1][j] = take(L, &k, kinds[j])) < 0;
        }
        for (int c = 0; c < cfg->N; c++)
            for (int e = 0; e < s->n_dims; e++) {
                int *p = &L->edge[((st * cfg->N + c) * s->n_dims + e) * 2];
                p[0] = p[1] = -1;
                if (!is_conv(op_kind(s, a, e))) continue;
                p[0] = take(L, &k, CNN_CONV);
                p[1] = take(L, &k, CNN_BN);
                bad |= p[0] < 0 || p[1] < 0;
            }
    }
    L->final_bn = take(L, &k, CNN_BN);
    L->linear = take(L, &k, CNN_LINEAR);
    bad |= L->final_bn < 0 || L->linear < 0 || k != L->npl;
    if (bad) {
        layout_free(L);
        return nasw_errorf(NASW_EINVAL, "network does not match its architecture");
    }
    return NASW_OK;
}

/* The layouts of a destination and a source network (both or neither). */
static int layouts_new(struct layout *D, struct cnn *dn, const struct arch *da, struct layout *S, struct cnn *sn,
                       const struct arch *sa, const struct space *s)
{
    int st = layout_new(D, dn, s, da);
    if (st) return st;
    if ((st = layout_new(S, sn, s, sa))) layout_free(D);
    return st;
}

static const int *edge_of(const struct layout *L, int stage, int cell, int e)
{
    return &L->edge[((stage * L->N + cell) * L->edges + e) * 2];
}

/* --- same-shape copies ---------------------------------------------------- */

static void copy_params(struct cnn *dn, const struct player *d, struct cnn *sn, const struct player *s)
{
    float *dp = cnn_params(dn), *sp = cnn_params(sn);
    memcpy(dp + d->l.w, sp + s->l.w, d->l.nw * sizeof(float));
    if (d->l.nb) memcpy(dp + d->l.b, sp + s->l.b, d->l.nb * sizeof(float));
    if (d->l.kind == CNN_BN) memcpy(cnn_stats(dn) + d->rs, cnn_stats(sn) + s->rs, 2 * d->l.nw * sizeof(float));
}

static void copy_layer(struct cnn *dn, const struct layout *D, int di, struct cnn *sn, const struct layout *S, int si)
{
    copy_params(dn, &D->pl[di], sn, &S->pl[si]);
}

/* BN set so that its output is gamma (x - 0) / sqrt(1 + eps) + beta with
 * running mean 0 and variance 1. */
static void bn_set(struct cnn *n, const struct player *b, float gamma, float beta)
{
    float *p = cnn_params(n), *rs = cnn_stats(n) + b->rs;
    size_t C = b->l.nw;
    for (size_t c = 0; c < C; c++) {
        p[b->l.w + c] = gamma;
        p[b->l.b + c] = beta;
        rs[c] = 0.0f;
        rs[C + c] = 1.0f;
    }
}

static int same_config(struct cnn *a, struct cnn *b, int dC, int dN)
{
    const struct cnn_config *x = cnn_get_config(a), *y = cnn_get_config(b);
    return x->in_ch == y->in_ch && x->H == y->H && x->W == y->W && x->classes == y->classes &&
           (dC || x->C == y->C) && (dN || x->N == y->N);
}

/* Stem, reductions, final BN and classifier: the parts every cell shares. */
static void copy_skeleton(struct cnn *dn, const struct layout *D, struct cnn *sn, const struct layout *S)
{
    for (int j = 0; j < 2; j++) copy_layer(dn, D, D->stem[j], sn, S, S->stem[j]);
    for (int r = 0; r < 2; r++)
        for (int j = 0; j < 5; j++) copy_layer(dn, D, D->red[r][j], sn, S, S->red[r][j]);
    copy_layer(dn, D, D->final_bn, sn, S, S->final_bn);
    copy_layer(dn, D, D->linear, sn, S, S->linear);
}

int morph_inherit(struct cnn *child, const struct arch *ca, struct cnn *parent, const struct arch *pa,
                  const struct space *s, struct morph_stats *stats)
{
    struct morph_stats tmp = {0};
    if (!stats) stats = &tmp;
    memset(stats, 0, sizeof *stats);
    if (!same_config(child, parent, 0, 0))
        return nasw_errorf(NASW_EINVAL, "cannot inherit weights between networks of different macro sizes");
    struct layout C, P;
    int st = layouts_new(&C, child, ca, &P, parent, pa, s);
    if (st) return st;
    copy_skeleton(child, &C, parent, &P);
    float *cp = cnn_params(child);
    for (int stage = 0; stage < 3; stage++)
        for (int cell = 0; cell < C.N; cell++)
            for (int e = 0; e < s->n_dims; e++) {
                int ck = op_kind(s, ca, e), pk = op_kind(s, pa, e);
                if (!is_conv(ck)) continue;
                const int *ce = edge_of(&C, stage, cell, e), *pe = edge_of(&P, stage, cell, e);
                const struct player *cconv = &C.pl[ce[0]], *cbn = &C.pl[ce[1]];
                if (ck == pk) {
                    copy_layer(child, &C, ce[0], parent, &P, pe[0]);
                    copy_layer(child, &C, ce[1], parent, &P, pe[1]);
                    stats->copied++;
                } else if (ck == OPK_CONV3 && pk == OPK_CONV1) {
                    /* the 1x1 kernel at the centre of a zero 3x3: the same
                     * convolution (padding 1 keeps the alignment) */
                    const float *w1 = cnn_params(parent) + P.pl[pe[0]].l.w;
                    float *w3 = cp + cconv->l.w;
                    memset(w3, 0, cconv->l.nw * sizeof(float));
                    for (size_t j = 0; j < cconv->l.nw / 9; j++) w3[j * 9 + 4] = w1[j];
                    copy_layer(child, &C, ce[1], parent, &P, pe[1]);
                    stats->preserved++;
                } else if (pk == OPK_NONE) {
                    bn_set(child, cbn, 0.0f, 0.0f); /* the edge adds exactly zero */
                    stats->preserved++;
                } else if (pk == OPK_SKIP) {
                    /* identity kernel (Co == Ci in a cell) and BN undoing its
                     * own normalisation in eval mode */
                    int Co = cconv->l.C, KK = cconv->l.K * cconv->l.K;
                    float *w = cp + cconv->l.w;
                    memset(w, 0, cconv->l.nw * sizeof(float));
                    for (int c = 0; c < Co; c++) w[((size_t)c * Co + c) * KK + KK / 2] = 1.0f;
                    bn_set(child, cbn, sqrtf(1.0f + BN_EPS), 0.0f);
                    stats->approx++;
                } else {
                    stats->fresh++; /* no function-preserving init exists */
                }
            }
    layout_free(&C);
    layout_free(&P);
    return NASW_OK;
}

/* --- Net2WiderNet ----------------------------------------------------------- */

/* Conv or linear weights (Co, Ci, KK) of dst from src through the channel
 * maps: w'[o][i] = w[gout(o)][gin(i)] / copies(gin(i)).  gin NULL: the input
 * is not widened (the images). */
static void widen_weights(float *dw, const float *sw, int Co, int Ci, int sCi, int KK, const int *gout,
                          const int *gin, const int *cnt)
{
    for (int o = 0; o < Co; o++)
        for (int i = 0; i < Ci; i++) {
            int so = gout ? gout[o] : o, si = gin ? gin[i] : i;
            float div = gin ? (float)cnt[si] : 1.0f;
            for (int k = 0; k < KK; k++)
                dw[((size_t)o * Ci + i) * KK + k] = sw[((size_t)so * sCi + si) * KK + k] / div;
        }
}

static void widen_conv(struct cnn *dn, const struct player *d, struct cnn *sn, const struct player *s,
                       const int *gin, const int *cin, const int *gout)
{
    widen_weights(cnn_params(dn) + d->l.w, cnn_params(sn) + s->l.w, d->l.C, d->l.Ci, s->l.Ci, d->l.K * d->l.K, gout,
                  gin, cin);
}

static void widen_bn(struct cnn *dn, const struct player *d, struct cnn *sn, const struct player *s, const int *g)
{
    float *dp = cnn_params(dn), *sp = cnn_params(sn), *dr = cnn_stats(dn) + d->rs, *sr = cnn_stats(sn) + s->rs;
    size_t C = d->l.nw, sC = s->l.nw;
    for (size_t c = 0; c < C; c++) {
        dp[d->l.w + c] = sp[s->l.w + g[c]];
        dp[d->l.b + c] = sp[s->l.b + g[c]];
        dr[c] = sr[g[c]];
        dr[C + c] = sr[sC + g[c]];
    }
}

int morph_wider(struct cnn *dst, struct cnn *src, const struct arch *a, const struct space *s, struct rng *r)
{
    const struct cnn_config *dc = cnn_get_config(dst), *sc = cnn_get_config(src);
    if (!same_config(dst, src, 1, 0) || dc->C < sc->C)
        return nasw_errorf(NASW_EINVAL, "Net2WiderNet needs the same network with at least as many channels");
    struct layout D, S;
    int st = layouts_new(&D, dst, a, &S, src, a, s);
    if (st) return st;
    /* channel maps g[stage][new channel] -> old channel, and copies */
    int *g[3], *cnt[3], total = 0;
    for (int k = 0; k < 3; k++) total += (dc->C << k) + (sc->C << k);
    int *buf = malloc(sizeof *buf * (size_t)total);
    if (!buf) {
        layout_free(&D);
        layout_free(&S);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    int *p = buf;
    for (int k = 0; k < 3; k++) {
        int nC = dc->C << k, oC = sc->C << k;
        g[k] = p, p += nC;
        cnt[k] = p, p += oC;
        memset(cnt[k], 0, sizeof *cnt[k] * (size_t)oC);
        for (int j = 0; j < nC; j++) {
            g[k][j] = j < oC ? j : (int)rng_int(r, (uint64_t)oC);
            cnt[k][g[k][j]]++;
        }
    }
    widen_conv(dst, &D.pl[D.stem[0]], src, &S.pl[S.stem[0]], NULL, NULL, g[0]);
    widen_bn(dst, &D.pl[D.stem[1]], src, &S.pl[S.stem[1]], g[0]);
    for (int stage = 0; stage < 3; stage++) {
        if (stage > 0) {
            const int *rd = D.red[stage - 1], *rs = S.red[stage - 1];
            const int *gi = g[stage - 1], *ci = cnt[stage - 1], *go = g[stage];
            widen_conv(dst, &D.pl[rd[0]], src, &S.pl[rs[0]], gi, ci, go);
            widen_bn(dst, &D.pl[rd[1]], src, &S.pl[rs[1]], go);
            widen_conv(dst, &D.pl[rd[2]], src, &S.pl[rs[2]], go, cnt[stage], go);
            widen_bn(dst, &D.pl[rd[3]], src, &S.pl[rs[3]], go);
            widen_conv(dst, &D.pl[rd[4]], src, &S.pl[rs[4]], gi, ci, go);
        }
        for (int cell = 0; cell < D.N; cell++)
            for (int e = 0; e < s->n_dims; e++) {
                const int *de = edge_of(&D, stage, cell, e), *se = edge_of(&S, stage, cell, e);
                if (de[0] < 0) continue;
                widen_conv(dst, &D.pl[de[0]], src, &S.pl[se[0]], g[stage], cnt[stage], g[stage]);
                widen_bn(dst, &D.pl[de[1]], src, &S.pl[se[1]], g[stage]);
            }
    }
    widen_bn(dst, &D.pl[D.final_bn], src, &S.pl[S.final_bn], g[2]);
    /* the classifier reads the pooled channels: (classes, 4C) */
    const struct player *dl = &D.pl[D.linear], *sl = &S.pl[S.linear];
    widen_weights(cnn_params(dst) + dl->l.w, cnn_params(src) + sl->l.w, dl->l.C, dl->l.Ci, sl->l.Ci, 1, NULL, g[2],
                  cnt[2]);
    memcpy(cnn_params(dst) + dl->l.b, cnn_params(src) + sl->l.b, dl->l.nb * sizeof(float));
    free(buf);
    layout_free(&D);
    layout_free(&S);
    return NASW_OK;
}

/* --- Net2DeeperNet ---------------------------------------------------------- */

int morph_cell_has_identity(const struct space *s, const struct arch *a)
{
    /* with every conv edge at zero output: paths[j] = number of skip-only
     * paths from the input to node j, pooled[j] = some path passes a pool */
    long paths[ARCH_MAX_NODES] = {1};
    int pooled[ARCH_MAX_NODES] = {0};
    for (int e = 0; e < s->n_dims; e++) {
        int i = s->edge_from[e], j = s->edge_to[e], k = op_kind(s, a, e);
        if (k == OPK_SKIP) {
            paths[j] += paths[i];
            pooled[j] |= pooled[i];
        } else if (k == OPK_POOL) {
            pooled[j] |= paths[i] > 0 || pooled[i];
        } else if (k == OPK_OTHER) {
            return 0;
        }
    }
    return paths[s->n_nodes - 1] == 1 && !pooled[s->n_nodes - 1];
}

int morph_deeper(struct cnn *dst, struct cnn *src, const struct arch *a, const struct space *s)
{
    const struct cnn_config *dc = cnn_get_config(dst), *sc = cnn_get_config(src);
    if (!same_config(dst, src, 0, 1) || dc->N < sc->N)
        return nasw_errorf(NASW_EINVAL, "Net2DeeperNet needs the same network with at least as many cells");
    if (dc->N > sc->N && !morph_cell_has_identity(s, a)) {
        char arch[ARCH_STR_MAX];
        arch_format(s, a, arch, sizeof arch);
        return nasw_errorf(NASW_EINVAL, "cell '%s' has no identity form (it needs exactly one skip_connect path from "
                           "input to output and none through avg_pool_3x3)", arch);
    }
    struct layout D, S;
    int st = layouts_new(&D, dst, a, &S, src, a, s);
    if (st) return st;
    copy_skeleton(dst, &D, src, &S);
    for (int stage = 0; stage < 3; stage++)
        for (int cell = 0; cell < D.N; cell++)
            for (int e = 0; e < s->n_dims; e++) {
                const int *de = edge_of(&D, stage, cell, e);
                if (de[0] < 0) continue;
                if (cell < S.N) {
                    const int *se = edge_of(&S, stage, cell, e);
                    copy_layer(dst, &D, de[0], src, &S, se[0]);
                    copy_layer(dst, &D, de[1], src, &S, se[1]);
                } else {
                    bn_set(dst, &D.pl[de[1]], 0.0f, 0.0f); /* a new cell's conv edges add zero */
                }
            }
    layout_free(&D);
    layout_free(&S);
    return NASW_OK;
}
