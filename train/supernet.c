/*
 * train/supernet.c - the mixed-op supernet (see train/supernet.h).
 *
 * A tape of kernels like train/cnn.c, kept plain: every op reads one tensor
 * and writes another, except MIX, which adds w * in into a cell node (or
 * the reduction block's sum, with weight 1).  Every op of an edge's
 * candidate carries the tag (edge, op); an op whose tag's weight is 0 is
 * skipped in both directions, which is what makes a single path cheap.
 * Unlike cnn.c there is no buffer sharing: every gradient is zeroed before
 * the backward and every kernel accumulates, which keeps the skipping
 * trivially correct whatever path is active.
 */
#define _DEFAULT_SOURCE
#include "train/supernet.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "train/layers.h"
#include "train/trainer.h"

enum kind { K_CONV, K_BN, K_RELU, K_POOL3, K_POOL2, K_MIX, K_GAP, K_LINEAR };

struct tensor {
    int C, H, W;
    int sum;              /* MIX ops add into it: zeroed before each forward */
    float *v, *g;
};

struct op {
    enum kind k;
    int in, out;
    int tag;              /* edge * n_ops + op, or -1 (always on) */
    size_t w, b, rs;      /* parameter / running statistics offsets */
    struct conv_dims d;
    float *mean, *invstd;
};

enum cell_op { C_NONE, C_SKIP, C_CONV1, C_CONV3, C_POOL };

struct supernet {
    struct supernet_config cfg;
    const struct space *s;
    int n_ops, n_alpha, code[ARCH_MAX_DIMS];
    struct tensor *t;
    int nt, capt;
    struct op *ops;
    int nops, capops;
    int logits, failed;
    size_t nparams, nstats, col_size;
    float *params, *grads, *mom, *stats, *col, *probs;
    int *labels, B, eval;
    float bn_momentum;
    double *alpha, *adam_m, *adam_v, *w, *h, *dw, tau;
    float *w0, *v, *stats0; /* second order's scratch, allocated on first use */
    double *ga;
    int mode;             /* of the last set_* */
    long adam_t, step, total_steps;
    int epoch, val_pos;
    double seconds;
    struct rng *r;
    int *order, *vorder, n_order, n_vorder;
    float *xb, *xv;
    int *yb, *yv;
};

void supernet_config_default(struct supernet_config *c)
{
    memset(c, 0, sizeof *c);
    c->C = 8, c->N = 1, c->in_ch = 1, c->H = c->W = 12, c->classes = 10, c->batch = 64, c->epochs = 10;
    c->lr = 0.025, c->momentum = 0.9, c->weight_decay = 5e-4, c->nesterov = 1;
    c->arch_lr = 3e-4, c->arch_beta1 = 0.5, c->arch_beta2 = 0.999, c->arch_weight_decay = 1e-3;
    c->hvp_radius = 0.01;
}

static int add_tensor(struct supernet *n, int C, int H, int W, int sum)
{
    if (n->nt == n->capt) {
        int cap = n->capt ? 2 * n->capt : 64;
        struct tensor *p = realloc(n->t, (size_t)cap * sizeof *p);
        if (!p) {
            n->failed = 1;
            return 0;
        }
        n->t = p;
        n->capt = cap;
    }
    n->t[n->nt] = (struct tensor){.C = C, .H = H, .W = W, .sum = sum};
    return n->nt++;
}

static struct op *add_op(struct supernet *n, enum kind k, int in, int out, int tag)
{
    if (n->nops == n->capops) {
        int cap = n->capops ? 2 * n->capops : 128;
        struct op *p = realloc(n->ops, (size_t)cap * sizeof *p);
        if (!p) {
            n->failed = 1;
            return NULL;
        }
        n->ops = p;
        n->capops = cap;
    }
    struct op *o = &n->ops[n->nops++];
    memset(o, 0, sizeof *o);
    o->k = k, o->in = in, o->out = out, o->tag = tag;
    return o;
}

static int conv(struct supernet *n, int in, int Co, int K, int stride, int pad, int tag)
{
    struct tensor x = n->t[in];
    int out = add_tensor(n, Co, (x.H + 2 * pad - K) / stride + 1, (x.W + 2 * pad - K) / stride + 1, 0);
    struct op *o = add_op(n, K_CONV, in, out, tag);
    if (!o) return 0;
    conv_dims_init(&o->d, n->cfg.batch, x.C, x.H, x.W, Co, K, stride, pad);
    o->w = n->nparams;
    n->nparams += (size_t)Co * x.C * K * K;
    if (conv_col_size(&o->d) > n->col_size) n->col_size = conv_col_size(&o->d);
    return out;
}

static int bn(struct supernet *n, int in, int tag)
{
    struct tensor x = n->t[in];
    int out = add_tensor(n, x.C, x.H, x.W, 0);
    struct op *o = add_op(n, K_BN, in, out, tag);
    if (!o) return 0;
    o->w = n->nparams;
    o->b = n->nparams + (size_t)x.C;
    n->nparams += 2 * (size_t)x.C;
    o->rs = n->nstats;
    n->nstats += 2 * (size_t)x.C;
    return out;
}

static int unary(struct supernet *n, enum kind k, int in, int tag)
{
    struct tensor x = n->t[in];
    int out = k == K_POOL2 ? add_tensor(n, x.C, x.H / 2, x.W / 2, 0)
              : k == K_GAP ? add_tensor(n, x.C, 1, 1, 0)
                           : add_tensor(n, x.C, x.H, x.W, 0);
    add_op(n, k, in, out, tag);
    return out;
}

/* The ReLU of a tensor, shared by every convolution reading it (untagged:
 * it runs whatever path is active, a few pointwise passes). */
static int relu_of(struct supernet *n, int in)
{
    for (int i = 0; i < n->nops; i++)
        if (n->ops[i].k == K_RELU && n->ops[i].in == in) return n->ops[i].out;
    return unary(n, K_RELU, in, -1);
}

static int relu_conv_bn(struct supernet *n, int in, int Co, int K, int stride, int pad, int tag)
{
    return bn(n, conv(n, relu_of(n, in), Co, K, stride, pad, tag), tag);
}

static int reduction(struct supernet *n, int in, int Co)
{
    int a = relu_conv_bn(n, in, Co, 3, 2, 1, -1);
    int b = relu_conv_bn(n, a, Co, 3, 1, 1, -1);
    int sc = conv(n, unary(n, K_POOL2, in, -1), Co, 1, 1, 0, -1);
    int out = add_tensor(n, Co, n->t[b].H, n->t[b].W, 1);
    add_op(n, K_MIX, b, out, -1);
    add_op(n, K_MIX, sc, out, -1);
    return out;
}

static int cell(struct supernet *n, int in)
{
    int node[ARCH_MAX_NODES];
    struct tensor x = n->t[in];
    node[0] = in;
    int e = 0;
    for (int j = 1; j < n->s->n_nodes; j++) {
        node[j] = add_tensor(n, x.C, x.H, x.W, 1);
        for (int i = 0; i < j; i++, e++)
            for (int k = 0; k < n->n_ops; k++) {
                int tag = e * n->n_ops + k, src = -1;
                switch (n->code[k]) {
                case C_NONE: break;
                case C_SKIP: src = node[i]; break;
                case C_CONV1: src = relu_conv_bn(n, node[i], x.C, 1, 1, 0, tag); break;
                case C_CONV3: src = relu_conv_bn(n, node[i], x.C, 3, 1, 1, tag); break;
                case C_POOL: src = unary(n, K_POOL3, node[i], tag); break;
                }
                if (src >= 0) add_op(n, K_MIX, src, node[j], tag);
            }
    }
    return node[n->s->n_nodes - 1];
}

static int op_code(const char *name)
{
    if (!strcmp(name, "none") || !strcmp(name, "zero")) return C_NONE;
    if (!strcmp(name, "skip_connect") || !strcmp(name, "identity")) return C_SKIP;
    if (!strcmp(name, "nor_conv_1x1")) return C_CONV1;
    if (!strcmp(name, "nor_conv_3x3")) return C_CONV3;
    if (!strcmp(name, "avg_pool_3x3")) return C_POOL;
    return -1;
}

void supernet_free(struct supernet *n)
{
    if (!n) return;
    for (int i = 0; i < n->nt; i++) {
        free(n->t[i].v);
        free(n->t[i].g);
    }
    for (int i = 0; i < n->nops; i++) {
        free(n->ops[i].mean);
        free(n->ops[i].invstd);
    }
    free(n->t);
    free(n->ops);
    free(n->params);
    free(n->grads);
    free(n->mom);
    free(n->stats);
    free(n->col);
    free(n->probs);
    free(n->labels);
    free(n->alpha);
    free(n->adam_m);
    free(n->adam_v);
    free(n->w);
    free(n->h);
    free(n->dw);
    free(n->w0);
    free(n->v);
    free(n->stats0);
    free(n->ga);
    rng_free(n->r);
    free(n->order);
    free(n->vorder);
    free(n->xb);
    free(n->xv);
    free(n->yb);
    free(n->yv);
    free(n);
}

/* He-normal convolutions, BN 1/0, a uniform classifier (train/cnn.c's
 * initialisation), logits 0 (DARTS draws them 1e-3 N(0,1); zeros make
 * the first mixed forward an exact average). */
static void init(struct supernet *n)
{
    for (int i = 0; i < n->nops; i++) {
        struct op *o = &n->ops[i];
        if (o->k == K_CONV) {
            size_t cnt = (size_t)o->d.Co * o->d.Ci * o->d.K * o->d.K;
            double sd = sqrt(2.0 / (o->d.Ci * o->d.K * o->d.K));
            for (size_t j = 0; j < cnt; j++) n->params[o->w + j] = (float)rng_gaussian(n->r, sd);
        } else if (o->k == K_BN) {
            int C = n->t[o->out].C;
            for (int c = 0; c < C; c++) {
                n->params[o->w + c] = 1.0f;
                n->params[o->b + c] = 0.0f;
                n->stats[o->rs + c] = 0.0f;
                n->stats[o->rs + C + c] = 1.0f;
            }
        } else if (o->k == K_LINEAR) {
            int ni = n->t[o->in].C, no = n->t[o->out].C;
            double lim = 1.0 / sqrt(ni);
            for (int j = 0; j < ni * no; j++) n->params[o->w + j] = (float)((2 * rng_uniform(n->r) - 1) * lim);
        }
    }
}

int supernet_new(struct supernet **out, const struct space *s, const struct supernet_config *cfg, uint64_t seed)
{
    *out = NULL;
    if (s->kind != SPACE_CELL)
        return nasw_errorf(NASW_EINVAL, "the supernet covers cell spaces only (space is a %s)",
                           space_kind_name(s->kind));
    if (cfg->C < 1 || cfg->N < 0 || cfg->in_ch < 1 || cfg->H < 4 || cfg->W < 4 || cfg->H % 4 || cfg->W % 4 ||
        cfg->classes < 2 || cfg->batch < 1 || cfg->epochs < 1)
        return nasw_errorf(NASW_EINVAL, "bad supernet configuration (C=%d N=%d %dx%d)", cfg->C, cfg->N, cfg->H,
                           cfg->W);
    struct supernet *n = calloc(1, sizeof *n);
    if (!n) return nasw_errorf(NASW_ENOMEM, "out of memory");
    n->cfg = *cfg;
    n->s = s;
    n->n_ops = s->n_ops;
    n->n_alpha = s->n_dims * s->n_ops;
    for (int k = 0; k < s->n_ops; k++)
        if ((n->code[k] = op_code(s->ops[k])) < 0) {
            int st = nasw_errorf(NASW_EINVAL, "the supernet has no op '%.64s'", s->ops[k]);
            free(n);
            return st;
        }
    int x = add_tensor(n, cfg->in_ch, cfg->H, cfg->W, 0);
    int t = bn(n, conv(n, x, cfg->C, 3, 1, 1, -1), -1);
    for (int stage = 0; stage < 3; stage++) {
        if (stage > 0) t = reduction(n, t, cfg->C << stage);
        for (int i = 0; i < cfg->N; i++) t = cell(n, t);
    }
    t = unary(n, K_GAP, unary(n, K_RELU, bn(n, t, -1), -1), -1);
    n->logits = add_tensor(n, cfg->classes, 1, 1, 0);
    struct op *o = add_op(n, K_LINEAR, t, n->logits, -1);
    if (o) {
        o->w = n->nparams;
        n->nparams += (size_t)cfg->classes * n->t[t].C;
        o->b = n->nparams;
        n->nparams += (size_t)cfg->classes;
    }
    if (n->failed) goto nomem;
    size_t mb = (size_t)cfg->batch, px = (size_t)cfg->in_ch * cfg->H * cfg->W;
    n->params = calloc(n->nparams, sizeof(float));
    n->grads = calloc(n->nparams, sizeof(float));
    n->mom = calloc(n->nparams, sizeof(float));
    n->stats = calloc(n->nstats ? n->nstats : 1, sizeof(float));
    n->col = malloc((n->col_size ? n->col_size : 1) * sizeof(float));
    n->probs = malloc(mb * (size_t)cfg->classes * sizeof(float));
    n->labels = malloc(mb * sizeof(int));
    n->alpha = calloc((size_t)n->n_alpha, sizeof(double));
    n->adam_m = calloc((size_t)n->n_alpha, sizeof(double));
    n->adam_v = calloc((size_t)n->n_alpha, sizeof(double));
    n->w = calloc((size_t)n->n_alpha, sizeof(double));
    n->h = calloc((size_t)n->n_alpha, sizeof(double));
    n->dw = calloc((size_t)n->n_alpha, sizeof(double));
    n->r = rng_new(seed);
    n->xb = malloc(mb * px * sizeof(float));
    n->xv = malloc(mb * px * sizeof(float));
    n->yb = malloc(mb * sizeof(int));
    n->yv = malloc(mb * sizeof(int));
    if (!n->params || !n->grads || !n->mom || !n->stats || !n->col || !n->probs || !n->labels || !n->alpha ||
        !n->adam_m || !n->adam_v || !n->w || !n->h || !n->dw || !n->r || !n->xb || !n->xv || !n->yb || !n->yv)
        goto nomem;
    for (int i = 0; i < n->nt; i++) {
        size_t sz = mb * (size_t)n->t[i].C * n->t[i].H * n->t[i].W;
        n->t[i].v = malloc(sz * sizeof(float));
        n->t[i].g = malloc(sz * sizeof(float));
        if (!n->t[i].v || !n->t[i].g) goto nomem;
    }
    for (int i = 0; i < n->nops; i++) {
        struct op *p = &n->ops[i];
        if (p->k != K_BN) continue;
        p->mean = malloc((size_t)n->t[p->out].C * sizeof(float));
        p->invstd = malloc((size_t)n->t[p->out].C * sizeof(float));
        if (!p->mean || !p->invstd) goto nomem;
    }
    n->bn_momentum = 0.1f;
    init(n);
    supernet_set_mixed(n);
    *out = n;
    return NASW_OK;
nomem:
    supernet_free(n);
    return nasw_errorf(NASW_ENOMEM, "out of memory building the supernet");
}

size_t supernet_num_params(const struct supernet *n) { return n->nparams; }
float *supernet_params(struct supernet *n) { return n->params; }
float *supernet_grads(struct supernet *n) { return n->grads; }
double *supernet_alpha(struct supernet *n) { return n->alpha; }
int supernet_num_alpha(const struct supernet *n) { return n->n_alpha; }
void supernet_set_hvp_radius(struct supernet *n, double r) { n->cfg.hvp_radius = r; }
int supernet_epochs_done(const struct supernet *n) { return n->epoch; }
double supernet_seconds(const struct supernet *n) { return n->seconds; }

/* softmax of z[0..k) into p, in double */
static void softmax(double *p, const double *z, int k)
{
    double mx = z[0], sum = 0;
    for (int i = 1; i < k; i++) mx = fmax(mx, z[i]);
    for (int i = 0; i < k; i++) sum += p[i] = exp(z[i] - mx);
    for (int i = 0; i < k; i++) p[i] /= sum;
}

void supernet_set_mixed(struct supernet *n)
{
    n->mode = ONESHOT_MIXED;
    for (int e = 0; e < n->s->n_dims; e++) softmax(n->w + e * n->n_ops, n->alpha + e * n->n_ops, n->n_ops);
}

void supernet_set_gumbel(struct supernet *n, double tau)
{
    n->mode = ONESHOT_GUMBEL;
    n->tau = tau;
    int K = n->n_ops;
    double z[ARCH_MAX_DIMS];
    for (int e = 0; e < n->s->n_dims; e++) {
        for (int k = 0; k < K; k++) z[k] = (n->alpha[e * K + k] - log(-log(rng_uniform_pos(n->r)))) / tau;
        softmax(n->h + e * K, z, K);
        int best = 0;
        for (int k = 1; k < K; k++)
            if (n->h[e * K + k] > n->h[e * K + best]) best = k;
        for (int k = 0; k < K; k++) n->w[e * K + k] = k == best;
    }
}

void supernet_set_path(struct supernet *n, const struct arch *a)
{
    n->mode = ONESHOT_PATH;
    int K = n->n_ops;
    for (int e = 0; e < n->s->n_dims; e++) {
        int pick = a ? a->d[e] : (int)rng_int(n->r, (uint64_t)K);
        for (int k = 0; k < K; k++) n->w[e * K + k] = k == pick;
    }
}

void supernet_sampled(const struct supernet *n, struct arch *a)
{
    int K = n->n_ops;
    a->n = n->s->n_dims;
    for (int e = 0; e < n->s->n_dims; e++) {
        a->d[e] = 0;
        for (int k = 0; k < K; k++)
            if (n->w[e * K + k] == 1) a->d[e] = (uint16_t)k;
    }
}

static int active(const struct supernet *n, const struct op *o) { return o->tag < 0 || n->w[o->tag] != 0; }

static size_t numel(const struct tensor *t, int B) { return (size_t)B * t->C * t->H * t->W; }

float supernet_forward(struct supernet *n, const float *x, const int *y, int B, int train, int *correct)
{
    NASW_ASSERT(B >= 1 && B <= n->cfg.batch);
    n->B = B;
    n->eval = !train;
    size_t plane = (size_t)n->cfg.H * n->cfg.W;
    for (int c = 0; c < n->cfg.in_ch; c++) /* (B,C,H,W) -> (C,B,H,W) */
        for (int b = 0; b < B; b++)
            memcpy(n->t[0].v + ((size_t)c * B + b) * plane, x + ((size_t)b * n->cfg.in_ch + c) * plane,
                   plane * sizeof(float));
    memcpy(n->labels, y, (size_t)B * sizeof(int));
    for (int i = 0; i < n->nt; i++)
        if (n->t[i].sum) zero_fill(n->t[i].v, numel(&n->t[i], B));
    for (int i = 0; i < n->nops; i++) {
        struct op *o = &n->ops[i];
        if (!active(n, o)) continue;
        struct tensor *in = &n->t[o->in], *out = &n->t[o->out];
        size_t cnt = numel(in, B);
        switch (o->k) {
        case K_CONV: {
            struct conv_dims d = o->d;
            d.B = B;
            conv_forward(out->v, in->v, n->params + o->w, &d, n->col);
            break;
        }
        case K_BN: {
            float *rm = n->stats + o->rs, *rv = rm + in->C;
            if (train) {
                struct bn_cache c = {o->mean, o->invstd};
                bn_forward_train(out->v, in->v, n->params + o->w, n->params + o->b, rm, rv, n->bn_momentum, 1e-5f,
                                 &c, B, in->C, in->H * in->W);
            } else {
                bn_forward_eval(out->v, in->v, n->params + o->w, n->params + o->b, rm, rv, 1e-5f, B, in->C,
                                in->H * in->W);
            }
            break;
        }
        case K_RELU: relu_forward(out->v, in->v, cnt); break;
        case K_POOL3: avgpool3_forward(out->v, in->v, B, in->C, in->H, in->W); break;
        case K_POOL2: avgpool2_forward(out->v, in->v, B, in->C, in->H, in->W); break;
        case K_MIX:
            if (o->tag < 0) add_inplace(out->v, in->v, cnt);
            else cblas_saxpy((int)cnt, (float)n->w[o->tag], in->v, 1, out->v, 1);
            break;
        case K_GAP: gap_forward(out->v, in->v, B, in->C, in->H * in->W); break;
        case K_LINEAR:
            linear_forward(out->v, in->v, n->params + o->w, n->params + o->b, B, in->C, out->C);
            break;
        }
    }
    return softmax_xent_forward(n->probs, n->t[n->logits].v, y, B, n->cfg.classes, correct);
}

/* The backward of a BN that used its running statistics (constants). */
static void bn_backward_eval(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                             const float *gamma, const float *rm, const float *rv, int B, int C, int HW)
{
    size_t plane = (size_t)B * HW;
    for (int c = 0; c < C; c++) {
        float is = 1.0f / sqrtf(rv[c] + 1e-5f);
        const float *x = in + c * plane, *dy = dout + c * plane;
        double sg = 0, sb = 0;
        for (size_t j = 0; j < plane; j++) {
            sg += (double)dy[j] * (x[j] - rm[c]) * is;
            sb += dy[j];
            din[c * plane + j] += dy[j] * gamma[c] * is;
        }
        dgamma[c] += (float)sg;
        dbeta[c] += (float)sb;
    }
}

void supernet_backward(struct supernet *n, double *grad)
{
    int B = n->B;
    double *dws = n->dw;
    memset(dws, 0, sizeof(double) * (size_t)n->n_alpha);
    memset(n->grads, 0, n->nparams * sizeof(float));
    for (int i = 1; i < n->nt; i++) zero_fill(n->t[i].g, numel(&n->t[i], B));
    softmax_xent_backward(n->t[n->logits].g, n->probs, n->labels, B, n->cfg.classes);
    for (int i = n->nops - 1; i >= 0; i--) {
        struct op *o = &n->ops[i];
        if (!active(n, o)) continue;
        struct tensor *in = &n->t[o->in], *out = &n->t[o->out];
        float *din = o->in == 0 ? NULL : in->g;
        size_t cnt = numel(in, B);
        switch (o->k) {
        case K_CONV: {
            struct conv_dims d = o->d;
            d.B = B;
            conv_backward(din, n->grads + o->w, out->g, in->v, n->params + o->w, &d, n->col);
            break;
        }
        case K_BN:
            if (n->eval) {
                bn_backward_eval(din, n->grads + o->w, n->grads + o->b, out->g, in->v, n->params + o->w,
                                 n->stats + o->rs, n->stats + o->rs + in->C, B, in->C, in->H * in->W);
            } else {
                struct bn_cache c = {o->mean, o->invstd};
                bn_backward(din, n->grads + o->w, n->grads + o->b, out->g, in->v, n->params + o->w, &c, B, in->C,
                            in->H * in->W);
            }
            break;
        case K_RELU: relu_backward(din, out->g, in->v, cnt); break;
        case K_POOL3: avgpool3_backward(din, out->g, B, in->C, in->H, in->W); break;
        case K_POOL2: avgpool2_backward(din, out->g, B, in->C, in->H, in->W); break;
        case K_MIX:
            if (o->tag < 0) {
                add_inplace(din, out->g, cnt);
                break;
            }
            /* dL/dw = <dout, in>, accumulated in double; din += w dout */
            if (grad) dws[o->tag] += cblas_dsdot((int)cnt, out->g, 1, in->v, 1);
            if (din) cblas_saxpy((int)cnt, (float)n->w[o->tag], out->g, 1, din, 1);
            break;
        case K_GAP: gap_backward(din, out->g, B, in->C, in->H * in->W); break;
        case K_LINEAR:
            linear_backward(din, n->grads + o->w, n->grads + o->b, out->g, in->v, n->params + o->w, B, in->C,
                            out->C);
            break;
        }
    }
    if (!grad) return;
    /* dL/dalpha = J_softmax^T dL/dw per edge: w_k (g_k - sum_j w_j g_j),
     * of the mixture's softmax (MIXED) or of the Gumbel softmax h over tau
     * (GUMBEL, straight-through: dL/dh = dL/dw) */
    int K = n->n_ops;
    const double *p = n->mode == ONESHOT_GUMBEL ? n->h : n->w;
    double scale = n->mode == ONESHOT_GUMBEL ? 1.0 / n->tau : 1.0;
    for (int e = 0; e < n->s->n_dims; e++) {
        double dot = 0;
        for (int k = 0; k < K; k++) dot += p[e * K + k] * dws[e * K + k];
        for (int k = 0; k < K; k++) {
            double g = n->mode == ONESHOT_PATH ? 0.0 : scale * p[e * K + k] * (dws[e * K + k] - dot);
            grad[e * K + k] = g;
        }
    }
}

void supernet_sgd_step(struct supernet *n, double lr)
{
    sgd_update(n->params, n->grads, n->mom, n->nparams, (float)lr, (float)n->cfg.momentum,
               (float)n->cfg.weight_decay, n->cfg.nesterov);
}

void supernet_adam_step(struct supernet *n, const double *grad)
{
    const struct supernet_config *c = &n->cfg;
    n->adam_t++;
    double b1t = 1 - pow(c->arch_beta1, (double)n->adam_t), b2t = 1 - pow(c->arch_beta2, (double)n->adam_t);
    for (int i = 0; i < n->n_alpha; i++) {
        double g = grad[i] + c->arch_weight_decay * n->alpha[i]; /* torch.optim.Adam's L2 */
        n->adam_m[i] = c->arch_beta1 * n->adam_m[i] + (1 - c->arch_beta1) * g;
        n->adam_v[i] = c->arch_beta2 * n->adam_v[i] + (1 - c->arch_beta2) * g * g;
        n->alpha[i] -= c->arch_lr * (n->adam_m[i] / b1t) / (sqrt(n->adam_v[i] / b2t) + 1e-8);
    }
}

/* dL/dalpha (MIXED) of the batch at the current weights, into g. */
static void alpha_grad_at(struct supernet *n, const float *x, const int *y, int B, double *g)
{
    supernet_forward(n, x, y, B, 1, NULL);
    supernet_backward(n, g);
}

int supernet_arch_grad(struct supernet *n, const float *xv, const int *yv, int Bv, double *grad)
{
    supernet_set_mixed(n);
    alpha_grad_at(n, xv, yv, Bv, grad);
    return NASW_OK;
}

/* DARTS' unrolled gradient (supernet.h).  The plain gradient step that
 * unrolls the weights carries the weight decay the SGD step applies (its
 * term does not depend on alpha, so the second derivative is unchanged)
 * but not the momentum: the paper's eq. 6, not its code's variant.  The
 * passes at w and w +- eps v are probes, not training: the BN running
 * statistics they would move are put back. */
int supernet_arch_grad2(struct supernet *n, const float *xt, const int *yt, int Bt, const float *xv, const int *yv,
                        int Bv, double xi, double *grad)
{
    size_t np = n->nparams, ns = n->nstats ? n->nstats : 1;
    if (!n->w0) {
        n->w0 = malloc(np * sizeof(float));
        n->v = malloc(np * sizeof(float));
        n->stats0 = malloc(ns * sizeof(float));
        n->ga = malloc(2 * (size_t)n->n_alpha * sizeof(double));
        if (!n->w0 || !n->v || !n->stats0 || !n->ga) {
            free(n->w0), free(n->v), free(n->stats0), free(n->ga);
            n->w0 = n->v = n->stats0 = NULL, n->ga = NULL;
            return nasw_errorf(NASW_ENOMEM, "out of memory (second-order architecture gradient)");
        }
    }
    float *p = n->params, *w0 = n->w0, *v = n->v;
    double wd = n->cfg.weight_decay, *gp = n->ga, *gm = n->ga + n->n_alpha;
    memcpy(w0, p, np * sizeof(float));
    memcpy(n->stats0, n->stats, n->nstats * sizeof(float));
    supernet_set_mixed(n);
    /* w' = w - xi (dL_train/dw + wd w) */
    supernet_forward(n, xt, yt, Bt, 1, NULL);
    supernet_backward(n, NULL);
    for (size_t i = 0; i < np; i++) p[i] = (float)(w0[i] - xi * (n->grads[i] + wd * w0[i]));
    memcpy(n->stats, n->stats0, n->nstats * sizeof(float));
    /* dL_val(w')/dalpha, and v = dL_val(w')/dw' */
    supernet_forward(n, xv, yv, Bv, 1, NULL);
    supernet_backward(n, grad);
    memcpy(v, n->grads, np * sizeof(float));
    memcpy(n->stats0, n->stats, n->nstats * sizeof(float));
    double norm = sqrt(cblas_dsdot((int)np, v, 1, v, 1));
    if (norm > 0 && isfinite(norm)) {
        /* d2L_train/dalpha dw . v ~ (dL_train(w+)/dalpha - dL_train(w-)/dalpha) / (2 eps) */
        double eps = n->cfg.hvp_radius / norm;
        for (int side = 0; side < 2; side++) {
            double sg = side ? -eps : eps;
            for (size_t i = 0; i < np; i++) p[i] = (float)(w0[i] + sg * v[i]);
            supernet_forward(n, xt, yt, Bt, 1, NULL);
            supernet_backward(n, side ? gm : gp);
        }
        for (int i = 0; i < n->n_alpha; i++) grad[i] -= xi * (gp[i] - gm[i]) / (2 * eps);
    }
    memcpy(p, w0, np * sizeof(float));
    memcpy(n->stats, n->stats0, n->nstats * sizeof(float));
    return NASW_OK;
}

/* Gather images idx[0..b) of (x, y) into (xb, yb). */
static void gather(const struct supernet *n, float *xb, int *yb, const float *x, const int *y, const int *idx, int b)
{
    size_t px = (size_t)n->cfg.in_ch * n->cfg.H * n->cfg.W;
    for (int j = 0; j < b; j++) {
        memcpy(xb + px * j, x + px * idx[j], px * sizeof(float));
        yb[j] = y[idx[j]];
    }
}

/* The batch orders, sized for the data on first use (a checkpoint's orders
 * are restored into them). */
static int orders(struct supernet *n, const struct supernet_data *d)
{
    if (n->order && n->n_order == d->n_train && n->n_vorder == d->n_val) return NASW_OK;
    free(n->order);
    free(n->vorder);
    n->order = malloc((size_t)d->n_train * sizeof(int));
    n->vorder = malloc((size_t)d->n_val * sizeof(int));
    if (!n->order || !n->vorder) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int i = 0; i < d->n_train; i++) n->order[i] = i;
    for (int i = 0; i < d->n_val; i++) n->vorder[i] = i;
    n->n_order = d->n_train;
    n->n_vorder = d->n_val;
    return NASW_OK;
}

int supernet_epoch(struct supernet *n, const struct supernet_data *d, const struct oneshot_epoch *e,
                   double *train_acc)
{
    const struct supernet_config *c = &n->cfg;
    int st = orders(n, d);
    if (st) return st;
    double t0 = train_clock_s(c->cpu_clock);
    long steps = (d->n_train + c->batch - 1) / c->batch, hits = 0;
    n->total_steps = steps * c->epochs;
    double *grad = malloc((size_t)n->n_alpha * sizeof *grad);
    if (!grad) return nasw_errorf(NASW_ENOMEM, "out of memory");
    rng_shuffle_int(n->r, n->order, d->n_train);
    for (int i = 0; i < d->n_train; i += c->batch) {
        int b = d->n_train - i < c->batch ? d->n_train - i : c->batch, hit;
        /* cosine annealing per step over the configured epochs (the trainer's) */
        double lr = 0.5 * c->lr * (1 + cos(3.14159265358979323846 * (double)n->step / (double)n->total_steps));
        gather(n, n->xb, n->yb, d->x_train, d->y_train, n->order + i, b);
        if (e->arch_step > 0 && e->mode != ONESHOT_PATH) {
            /* the next validation batch, in a shuffled order reshuffled at each pass */
            int bv = d->n_val < c->batch ? d->n_val : c->batch;
            if (n->val_pos + bv > d->n_val) n->val_pos = 0;
            if (n->val_pos == 0) rng_shuffle_int(n->r, n->vorder, d->n_val);
            gather(n, n->xv, n->yv, d->x_val, d->y_val, n->vorder + n->val_pos, bv);
            n->val_pos += bv;
            if (e->mode == ONESHOT_GUMBEL) {
                supernet_set_gumbel(n, e->tau);
                supernet_forward(n, n->xv, n->yv, bv, 1, NULL);
                supernet_backward(n, grad);
            } else if ((st = e->arch_step == 2
                                  ? supernet_arch_grad2(n, n->xb, n->yb, b, n->xv, n->yv, bv, e->xi > 0 ? e->xi : lr, grad)
                                  : supernet_arch_grad(n, n->xv, n->yv, bv, grad))) {
                free(grad);
                return st;
            }
            supernet_adam_step(n, grad);
        }
        if (e->mode == ONESHOT_MIXED) supernet_set_mixed(n);
        else if (e->mode == ONESHOT_GUMBEL) supernet_set_gumbel(n, e->tau);
        else if (e->sample) {
            struct arch a = {.n = n->s->n_dims};
            e->sample(e->sample_arg, &a);
            supernet_set_path(n, &a);
        } else {
            supernet_set_path(n, NULL);
        }
        float loss = supernet_forward(n, n->xb, n->yb, b, 1, &hit);
        if (!isfinite(loss)) {
            free(grad);
            return nasw_errorf(NASW_ENUMERIC, "the supernet's loss diverged in epoch %d", n->epoch + 1);
        }
        supernet_backward(n, NULL);
        supernet_sgd_step(n, lr);
        n->step++;
        hits += hit;
    }
    free(grad);
    n->epoch++;
    n->seconds += train_clock_s(c->cpu_clock) - t0;
    if (train_acc) *train_acc = 100.0 * (double)hits / d->n_train;
    return NASW_OK;
}

double supernet_score(struct supernet *n, const struct supernet_data *d, const struct arch *a, int bn_batches,
                      int n_val)
{
    int B = n->cfg.batch;
    supernet_set_path(n, a);
    /* BN statistics of this cell: the running ones reset, then the
     * cumulative average over the batches (momentum 1/k for batch k) */
    float *saved = malloc((n->nstats ? n->nstats : 1) * sizeof *saved);
    if (saved) memcpy(saved, n->stats, n->nstats * sizeof *saved);
    for (int i = 0; i < n->nops; i++) {
        struct op *o = &n->ops[i];
        if (o->k != K_BN) continue;
        int C = n->t[o->out].C;
        for (int k = 0; k < C; k++) n->stats[o->rs + k] = 0.0f, n->stats[o->rs + C + k] = 1.0f;
    }
    for (int k = 0; k < bn_batches && k * B < d->n_train; k++) {
        int b = d->n_train - k * B < B ? d->n_train - k * B : B;
        n->bn_momentum = 1.0f / (float)(k + 1);
        supernet_forward(n, d->x_train + (size_t)k * B * n->cfg.in_ch * n->cfg.H * n->cfg.W, d->y_train + (size_t)k * B,
                         b, 1, NULL);
    }
    n->bn_momentum = 0.1f;
    int count = n_val > 0 && n_val < d->n_val ? n_val : d->n_val;
    long hits = 0;
    for (int i = 0; i < count; i += B) {
        int b = count - i < B ? count - i : B, c;
        supernet_forward(n, d->x_val + (size_t)i * n->cfg.in_ch * n->cfg.H * n->cfg.W, d->y_val + i, b, 0, &c);
        hits += c;
    }
    /* the shared statistics as they were: scoring changes nothing */
    if (saved) memcpy(n->stats, saved, n->nstats * sizeof *saved);
    free(saved);
    return 100.0 * (double)hits / count;
}

void supernet_derive(const struct supernet *n, struct arch *a)
{
    int K = n->n_ops;
    a->n = n->s->n_dims;
    for (int e = 0; e < n->s->n_dims; e++) {
        int best = 0;
        for (int k = 1; k < K; k++)
            if (n->alpha[e * K + k] > n->alpha[e * K + best]) best = k;
        a->d[e] = (uint16_t)best;
    }
}

/* --- checkpoints -------------------------------------------------------- */

#define SN_MAGIC "NASWSNET"
#define SN_LAYOUT 2 /* 2: the strategy's state (aux) after the batch orders */
struct sn_head { /* 8-byte fields: no padding */
    char magic[8];
    uint64_t layout, settings, epoch, step, adam_t, val_pos, nparams, nstats, n_alpha, rng_bytes, n_order, n_vorder;
    double seconds;
    uint64_t aux_bytes;
};

#define put train_ckpt_put /* train/trainer.h */

int supernet_save(const struct supernet *n, const char *path, uint64_t settings, const void *aux, size_t aux_len)
{
    size_t rb;
    const void *rs = rng_state(n->r, &rb);
    struct sn_head hd = {.layout = SN_LAYOUT, .settings = settings, .epoch = (uint64_t)n->epoch,
                         .step = (uint64_t)n->step, .adam_t = (uint64_t)n->adam_t, .val_pos = (uint64_t)n->val_pos,
                         .nparams = n->nparams, .nstats = n->nstats, .n_alpha = (uint64_t)n->n_alpha,
                         .rng_bytes = rb, .n_order = (uint64_t)n->n_order, .n_vorder = (uint64_t)n->n_vorder,
                         .seconds = n->seconds, .aux_bytes = aux_len};
    memcpy(hd.magic, SN_MAGIC, 8);
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return nasw_errorf(NASW_EINVAL, "checkpoint path too long");
    FILE *f = fopen(tmp, "wb");
    if (!f) return nasw_errorf(NASW_EIO, "cannot write checkpoint '%.200s': %s", tmp, strerror(errno));
    uint64_t h = NASW_FNV_OFFSET;
    size_t na = (size_t)n->n_alpha * sizeof(double);
    int bad = put(f, &h, &hd, sizeof hd) || put(f, &h, n->params, n->nparams * sizeof(float)) ||
              put(f, &h, n->mom, n->nparams * sizeof(float)) || put(f, &h, n->stats, n->nstats * sizeof(float)) ||
              put(f, &h, n->alpha, na) || put(f, &h, n->adam_m, na) || put(f, &h, n->adam_v, na) ||
              put(f, &h, rs, rb) || put(f, &h, n->order, (size_t)n->n_order * sizeof(int)) ||
              put(f, &h, n->vorder, (size_t)n->n_vorder * sizeof(int)) || put(f, &h, aux, aux_len);
    return train_ckpt_commit(f, bad, h, tmp, path);
}

int supernet_load(struct supernet *n, const char *path, uint64_t settings, void **aux, size_t *aux_len)
{
    if (aux) *aux = NULL, *aux_len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return nasw_errorf(NASW_EIO, "cannot open checkpoint '%.200s': %s", path, strerror(errno));
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0) len = ftell(f);
    rewind(f);
    char *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
    int st = NASW_OK;
    if (len < 0 || !buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
        st = nasw_errorf(NASW_EIO, "cannot read checkpoint '%.200s'", path);
    fclose(f);
    struct sn_head hd;
    size_t rb;
    void *rs = rng_state(n->r, &rb);
    if (!st && ((size_t)len < 16 || memcmp(buf, SN_MAGIC, 8)))
        st = nasw_errorf(NASW_EPARSE, "'%.200s' is not a nasw supernet checkpoint", path);
    if (!st) {
        uint64_t layout;
        memcpy(&layout, buf + 8, sizeof layout);
        if (layout != SN_LAYOUT)
            st = nasw_errorf(NASW_EINVAL, "checkpoint '%.200s' was written by another nasw version (layout %llu, not %d)",
                             path, (unsigned long long)layout, SN_LAYOUT);
    }
    if (!st && (size_t)len < sizeof hd)
        st = nasw_errorf(NASW_EPARSE, "checkpoint '%.200s' is truncated or corrupt (checksum differs)", path);
    if (!st) {
        memcpy(&hd, buf, sizeof hd);
        int sane = hd.nparams <= (uint64_t)len && hd.nstats <= (uint64_t)len && hd.n_alpha <= (uint64_t)len &&
                   hd.rng_bytes <= (uint64_t)len && hd.n_order <= (uint64_t)len && hd.n_vorder <= (uint64_t)len &&
                   hd.aux_bytes <= (uint64_t)len;
        size_t want = sane ? sizeof hd + (2 * hd.nparams + hd.nstats) * sizeof(float) + 3 * hd.n_alpha * sizeof(double) +
                                 hd.rng_bytes + (hd.n_order + hd.n_vorder) * sizeof(int) + hd.aux_bytes + sizeof(uint64_t)
                           : 0;
        uint64_t h = 0;
        if (sane && want == (size_t)len) memcpy(&h, buf + len - sizeof h, sizeof h);
        if (!sane || want != (size_t)len || h != nasw_fnv1a(NASW_FNV_OFFSET, buf, (size_t)len - sizeof h))
            st = nasw_errorf(NASW_EPARSE, "checkpoint '%.200s' is truncated or corrupt (checksum differs)", path);
        else if (hd.settings != settings)
            st = nasw_errorf(NASW_EINVAL, "checkpoint '%.200s' was made with other settings", path);
        else if (hd.nparams != n->nparams || hd.nstats != n->nstats || hd.n_alpha != (uint64_t)n->n_alpha ||
                 hd.rng_bytes != rb || hd.epoch > (uint64_t)n->cfg.epochs || hd.n_order > INT32_MAX ||
                 hd.n_vorder > INT32_MAX)
            st = nasw_errorf(NASW_EINVAL, "checkpoint '%.200s' does not fit this supernet", path);
    }
    int *order = NULL, *vorder = NULL;
    void *ax = NULL;
    if (!st) {
        order = malloc((hd.n_order ? hd.n_order : 1) * sizeof(int));
        vorder = malloc((hd.n_vorder ? hd.n_vorder : 1) * sizeof(int));
        ax = hd.aux_bytes ? malloc(hd.aux_bytes) : NULL;
        if (!order || !vorder || (hd.aux_bytes && !ax)) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    if (!st) {
        const char *p = buf + sizeof hd;
        size_t na = (size_t)n->n_alpha * sizeof(double);
        memcpy(n->params, p, n->nparams * sizeof(float)), p += n->nparams * sizeof(float);
        memcpy(n->mom, p, n->nparams * sizeof(float)), p += n->nparams * sizeof(float);
        memcpy(n->stats, p, n->nstats * sizeof(float)), p += n->nstats * sizeof(float);
        memcpy(n->alpha, p, na), p += na;
        memcpy(n->adam_m, p, na), p += na;
        memcpy(n->adam_v, p, na), p += na;
        memcpy(rs, p, rb), p += rb;
        memcpy(order, p, hd.n_order * sizeof(int)), p += hd.n_order * sizeof(int);
        memcpy(vorder, p, hd.n_vorder * sizeof(int)), p += hd.n_vorder * sizeof(int);
        if (ax) memcpy(ax, p, hd.aux_bytes);
        for (uint64_t i = 0; i < hd.n_order; i++)
            if (order[i] < 0 || (uint64_t)order[i] >= hd.n_order) st = NASW_EPARSE;
        for (uint64_t i = 0; i < hd.n_vorder; i++)
            if (vorder[i] < 0 || (uint64_t)vorder[i] >= hd.n_vorder) st = NASW_EPARSE;
        if (hd.val_pos > hd.n_vorder) st = NASW_EPARSE;
        if (st) st = nasw_errorf(NASW_EPARSE, "checkpoint '%.200s' is corrupt (batch order)", path);
    }
    if (!st) {
        free(n->order);
        free(n->vorder);
        n->order = order, n->vorder = vorder;
        order = vorder = NULL;
        n->n_order = (int)hd.n_order, n->n_vorder = (int)hd.n_vorder;
        n->epoch = (int)hd.epoch, n->step = (long)hd.step, n->adam_t = (long)hd.adam_t;
        n->val_pos = (int)hd.val_pos, n->seconds = hd.seconds;
        if (aux) *aux = ax, *aux_len = hd.aux_bytes, ax = NULL;
    }
    free(ax);
    free(order);
    free(vorder);
    free(buf);
    return st;
}

/* --- the bench's supernet (core/oneshot.h), for train/live.c ------------ */

struct live_oneshot {
    struct oneshot base;
    struct supernet *n;
    struct supernet_data d;
    struct oneshot_opts o;
    char *ckpt;           /* NULL: no journal, no checkpoints */
    uint64_t settings;
    void *restored;       /* the strategy's state from the checkpoint (base.restored_state) */
};

static int lo_epoch(struct oneshot *base, const struct oneshot_epoch *e)
{
    struct live_oneshot *lo = (struct live_oneshot *)base;
    double before = supernet_seconds(lo->n);
    int st = supernet_epoch(lo->n, &lo->d, e, NULL);
    if (st) return st;
    base->epochs_done = supernet_epochs_done(lo->n);
    base->seconds += supernet_seconds(lo->n) - before;
    if (!lo->ckpt) return NASW_OK;
    void *aux = NULL;
    size_t aux_len = 0;
    if (e->save_state && (st = e->save_state(e->state_arg, &aux, &aux_len))) return st;
    st = supernet_save(lo->n, lo->ckpt, lo->settings, aux, aux_len);
    free(aux);
    return st;
}

static int lo_score(struct oneshot *base, const struct arch *a, double *val_acc)
{
    struct live_oneshot *lo = (struct live_oneshot *)base;
    double t0 = train_clock_s(lo->n->cfg.cpu_clock);
    *val_acc = supernet_score(lo->n, &lo->d, a, lo->o.bn_batches, lo->o.eval_images);
    base->seconds += train_clock_s(lo->n->cfg.cpu_clock) - t0;
    return NASW_OK;
}

static void lo_derive(struct oneshot *base, struct arch *a) { supernet_derive(((struct live_oneshot *)base)->n, a); }

static void lo_free(struct oneshot *base)
{
    struct live_oneshot *lo = (struct live_oneshot *)base;
    supernet_free(lo->n);
    free(lo->ckpt);
    free(lo->restored);
    free(lo);
}

static const struct oneshot_ops live_oneshot_ops = {lo_epoch, lo_score, lo_derive, lo_free};

int supernet_oneshot_new(const struct space *s, const struct train_config *cfg, const struct train_data *data,
                         const char *journal, const struct oneshot_opts *o, struct oneshot **out)
{
    *out = NULL;
    if (o->epochs < 1) return nasw_errorf(NASW_EINVAL, "a supernet needs at least 1 epoch");
    struct live_oneshot *lo = calloc(1, sizeof *lo);
    if (!lo) return nasw_errorf(NASW_ENOMEM, "out of memory");
    lo->base.ops = &live_oneshot_ops;
    lo->o = *o;
    int res;
    lo->d.n_train = train_data_train_set(data, &lo->d.x_train, &lo->d.y_train);
    lo->d.n_val = train_data_val_set(data, &lo->d.x_val, &lo->d.y_val, &res);
    struct supernet_config c;
    supernet_config_default(&c);
    c.C = cfg->C, c.N = cfg->N, c.H = c.W = res, c.batch = cfg->batch, c.epochs = o->epochs;
    c.cpu_clock = cfg->cpu_clock;
    int st = supernet_new(&lo->n, s, &c, o->seed);
    if (st) {
        free(lo);
        return st;
    }
    /* the checkpoint of this search next to the journal: its name hashes
     * the search's tag, its settings every number the training depends on */
    char text[ARCH_STR_MAX];
    snprintf(text, sizeof text, "supernet format=%d epochs=%d seed=%llu bn=%d eval=%d tag=%s", SN_LAYOUT, o->epochs,
             (unsigned long long)o->seed, o->bn_batches, o->eval_images, o->tag ? o->tag : "");
    lo->settings = train_settings_hash(cfg, text, o->seed);
    if (journal && *journal) {
        size_t len = strlen(journal) + 48;
        if (!(lo->ckpt = malloc(len))) {
            lo_free(&lo->base);
            return nasw_errorf(NASW_ENOMEM, "out of memory");
        }
        snprintf(lo->ckpt, len, "%s.supernet-%016llx.ckpt", journal, (unsigned long long)lo->settings);
        if (access(lo->ckpt, F_OK) == 0) {
            if ((st = supernet_load(lo->n, lo->ckpt, lo->settings, &lo->restored, &lo->base.restored_len))) {
                lo_free(&lo->base);
                return st;
            }
            lo->base.restored_state = lo->restored;
            lo->base.epochs_done = supernet_epochs_done(lo->n);
            lo->base.seconds = supernet_seconds(lo->n);
        }
    }
    *out = &lo->base;
    return NASW_OK;
}
