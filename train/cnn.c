/*
 * train/cnn.c - the NAS-Bench-201 network as a tape of kernels.
 *
 * Building the network appends ops to a tape; each op reads one tensor and
 * writes (or accumulates into) another.  Tensors hold values and gradients
 * for up to max_batch images.  Cell nodes are "sum" tensors: every
 * incoming edge accumulates into them (an ACCUM op; the first copies),
 * which makes the skip connection and the node sums one mechanism.
 * Backward runs the tape in reverse; kernels accumulate into their input's
 * gradient, except each gradient's first writer, which overwrites it (or
 * zeroes it first), and an edge's output read only by its ACCUM, whose
 * gradient is the node's: it shares the node's buffer (see plan()).  Tensors are
 * channel-major, (C,B,H,W) for the B images of the current batch (see
 * train/layers.h); the input batch is transposed into that layout.
 *
 * Parameters live in one block: weights, gradients and momentum buffers
 * are three arrays of cnn_num_params floats with the same layout.  BN
 * running statistics are not parameters and live in their own block.
 */
#define _DEFAULT_SOURCE /* madvise */
#include "train/cnn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/rng.h"
#include "core/status.h"
#include "train/layers.h"

enum op_kind { OP_CONV, OP_BN, OP_RELU, OP_POOL3, OP_POOL2, OP_ACCUM, OP_GAP, OP_LINEAR };

struct tensor {
    int C, H, W;
    int sum;          /* ACCUM ops add into it (the first one copies) */
    int zero_fwd;     /* a sum without inputs: zeroed before each forward */
    int zero_bwd;     /* a gradient nothing writes: zeroed before each backward */
    int alias;        /* -1, or the tensor whose gradient buffer this one shares */
    int valias;       /* -1, or the sum this one is written straight into (its value buffer) */
    float *v, *g;     /* (C, B, H, W), room for max_batch images */
};

struct op {
    enum op_kind k;
    int in, out;
    size_t w, b;      /* parameter offsets: conv weights / BN gamma, beta / linear w, b */
    size_t rs;        /* BN running stats offset (mean at rs, var at rs + C) */
    int first;        /* ACCUM: the first into its sum, copies instead of adding */
    int skip_bwd;     /* ACCUM whose input's gradient is its output's (aliased) */
    int skip_fwd;     /* ACCUM whose input was written (first) or added straight into its sum */
    int add_out;      /* BN adding its output into a sum (the valias of its output tensor) */
    int din_set;      /* the first writer of din's gradient: overwrites it */
    int din_zero;     /* the first writer cannot overwrite: zero din before it */
    struct conv_dims d;
    float *mean, *invstd; /* BN caches */
    unsigned char *mask;  /* ReLU: the gates recorded for cnn_relu_gates (lazily allocated) */
};

struct cnn {
    struct cnn_config cfg;
    struct tensor *t;
    int nt, capt;
    struct op *ops;
    int nops, capops;
    size_t nparams, nstats;
    float *params, *grads, *mom, *stats;
    float *col;       /* im2col scratch */
    size_t col_size;
    float *probs;     /* (B, classes) */
    int *labels;
    int B, logits;
    double flops;
    int failed;       /* allocation failure while building */
    int eval_fwd;     /* the last forward used the running statistics */
    int gates;        /* ReLU gates: CNN_GATES_OFF, _RECORD or _REPLAY */
};

/* The activation and gradient buffers (megabytes each, every one read and
 * written every step) on transparent huge pages where the kernel offers
 * them (THP in "madvise" mode, Debian's default): a 2 MiB-aligned block
 * and MADV_HUGEPAGE.  Fewer TLB misses on the kernels' streams: +2% on the
 * benchmark network.  Smaller buffers, or no MADV_HUGEPAGE: plain malloc
 * behaviour.  Freed with free(). */
static void *big_alloc(size_t bytes)
{
    size_t huge = (size_t)2 << 20;
    if (bytes < huge) return malloc(bytes ? bytes : 1);
    size_t n = (bytes + huge - 1) / huge * huge;
    void *p = aligned_alloc(huge, n);
#ifdef MADV_HUGEPAGE
    if (p) (void)madvise(p, n, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
    return p;
}

static int add_tensor(struct cnn *n, int C, int H, int W, int sum)
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
    struct tensor *t = &n->t[n->nt];
    memset(t, 0, sizeof *t);
    t->C = C;
    t->H = H;
    t->W = W;
    t->sum = sum;
    t->alias = -1;
    t->valias = -1;
    return n->nt++;
}

static struct op *add_op(struct cnn *n, enum op_kind k, int in, int out)
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
    o->k = k;
    o->in = in;
    o->out = out;
    return o;
}

/* --- graph builders (shapes only; buffers are allocated afterwards) ------ */

static int conv(struct cnn *n, int in, int Co, int K, int stride, int pad)
{
    struct tensor x = n->t[in];
    int Ho = (x.H + 2 * pad - K) / stride + 1, Wo = (x.W + 2 * pad - K) / stride + 1;
    int out = add_tensor(n, Co, Ho, Wo, 0);
    struct op *o = add_op(n, OP_CONV, in, out);
    if (!o) return 0;
    conv_dims_init(&o->d, n->cfg.max_batch, x.C, x.H, x.W, Co, K, stride, pad);
    o->w = n->nparams;
    n->nparams += (size_t)Co * x.C * K * K;
    if (conv_col_size(&o->d) > n->col_size) n->col_size = conv_col_size(&o->d);
    n->flops += 2.0 * Co * x.C * K * K * Ho * Wo;
    return out;
}

static int bn(struct cnn *n, int in)
{
    struct tensor x = n->t[in];
    int out = add_tensor(n, x.C, x.H, x.W, 0);
    struct op *o = add_op(n, OP_BN, in, out);
    if (!o) return 0;
    o->w = n->nparams;
    o->b = n->nparams + (size_t)x.C;
    n->nparams += 2 * (size_t)x.C;
    o->rs = n->nstats;
    n->nstats += 2 * (size_t)x.C;
    return out;
}

static int unary(struct cnn *n, enum op_kind k, int in)
{
    struct tensor x = n->t[in];
    int out = k == OP_POOL2 ? add_tensor(n, x.C, x.H / 2, x.W / 2, 0)
              : k == OP_GAP ? add_tensor(n, x.C, 1, 1, 0)
                            : add_tensor(n, x.C, x.H, x.W, 0);
    add_op(n, k, in, out);
    return out;
}

static void accum(struct cnn *n, int in, int sum) { add_op(n, OP_ACCUM, in, sum); }

/* ReLU(in), computed once however many edges read it: a cell node feeding
 * several ReLU-conv-BN edges shares one ReLU tensor, whose gradient the
 * convolutions accumulate before its backward runs. */
static int relu_of(struct cnn *n, int in)
{
    for (int i = 0; i < n->nops; i++)
        if (n->ops[i].k == OP_RELU && n->ops[i].in == in) return n->ops[i].out;
    return unary(n, OP_RELU, in);
}

static int relu_conv_bn(struct cnn *n, int in, int Co, int K, int stride, int pad)
{
    return bn(n, conv(n, relu_of(n, in), Co, K, stride, pad));
}

/* NB201 ResNetBasicblock with stride 2. */
static int reduction(struct cnn *n, int in, int Co)
{
    int a = relu_conv_bn(n, in, Co, 3, 2, 1);
    int b = relu_conv_bn(n, a, Co, 3, 1, 1);
    int sc = conv(n, unary(n, OP_POOL2, in), Co, 1, 1, 0);
    int out = add_tensor(n, Co, n->t[b].H, n->t[b].W, 1);
    accum(n, b, out);
    accum(n, sc, out);
    return out;
}

enum cell_op { C_NONE, C_SKIP, C_CONV1, C_CONV3, C_POOL };

static int cell(struct cnn *n, int in, const int *ops, int nodes)
{
    int node[ARCH_MAX_NODES];
    struct tensor x = n->t[in];
    node[0] = in;
    int e = 0;
    for (int j = 1; j < nodes; j++) {
        node[j] = add_tensor(n, x.C, x.H, x.W, 1);
        for (int i = 0; i < j; i++, e++) {
            switch (ops[e]) {
            case C_NONE: break;
            case C_SKIP: accum(n, node[i], node[j]); break;
            case C_CONV1: accum(n, relu_conv_bn(n, node[i], x.C, 1, 1, 0), node[j]); break;
            case C_CONV3: accum(n, relu_conv_bn(n, node[i], x.C, 3, 1, 1), node[j]); break;
            case C_POOL: accum(n, unary(n, OP_POOL3, node[i]), node[j]); break;
            }
        }
    }
    return node[nodes - 1];
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

static int grad_root(const struct cnn *n, int t)
{
    while (n->t[t].alias >= 0) t = n->t[t].alias;
    return t;
}

/* Plan the buffers' zeroing and sharing, so that no step zeroes a tensor
 * the kernels would overwrite anyway.
 * - Forward: the first ACCUM into a sum copies, unless its input is read by
 *   nothing else and made by a BN, pool or convolution, which then writes
 *   the sum itself; a later ACCUM from a BN output read by nothing else is
 *   done by that BN adding into the sum; sums without inputs are zeroed.
 * - A tensor whose only reader is an ACCUM has its sum's gradient (identity):
 *   it shares the sum's gradient buffer and the ACCUM's backward is skipped.
 * - Backward, in tape order reversed: the first op to write a gradient
 *   overwrites it (BN, ReLU, ACCUM), or zeroes it first (the others); a
 *   gradient nothing writes is zeroed at the start.
 * `claimed` has n->nt entries. */
static void plan(struct cnn *n, int *claimed)
{
    for (int i = 0; i < n->nt; i++) claimed[i] = 0; /* readers, then "written" */
    for (int i = 0; i < n->nops; i++) claimed[n->ops[i].in]++;
    for (int i = 0; i < n->nt; i++) n->t[i].zero_fwd = n->t[i].sum;
    for (int i = 0; i < n->nops; i++) {
        struct op *o = &n->ops[i];
        if (o->k != OP_ACCUM) continue;
        o->first = n->t[o->out].zero_fwd;
        n->t[o->out].zero_fwd = 0;
    }
    for (int i = 0; i < n->nops; i++) {
        /* the first ACCUM into a sum from a tensor nothing else reads, made
         * by a BN, pool or convolution (they overwrite all of it, and no
         * backward reads their outputs' values): that op writes the sum
         * itself, and the copy is skipped */
        struct op *o = &n->ops[i];
        if (o->k != OP_ACCUM || !o->first || o->in == 0 || claimed[o->in] != 1) continue;
        for (int j = 0; j < i; j++) {
            enum op_kind k = n->ops[j].k;
            if (n->ops[j].out != o->in) continue;
            if (k == OP_BN || k == OP_POOL3 || k == OP_CONV) {
                n->t[o->in].valias = o->out;
                o->skip_fwd = 1;
            }
            break; /* its one producer */
        }
    }
    for (int i = 0; i < n->nops; i++) {
        /* a later ACCUM into a sum from a BN output nothing else reads: the
         * BN adds into the sum itself (bn_forward_*_add), once the sum's
         * first ACCUM has run before that BN */
        struct op *o = &n->ops[i];
        if (o->k != OP_ACCUM || o->first || o->in == 0 || claimed[o->in] != 1) continue;
        int first = -1, prod = -1;
        for (int j = 0; j < i; j++) {
            if (n->ops[j].k == OP_ACCUM && n->ops[j].out == o->out && first < 0) first = j;
            if (n->ops[j].out == o->in) prod = j;
        }
        if (prod >= 0 && n->ops[prod].k == OP_BN && first >= 0 && first < prod) {
            n->t[o->in].valias = o->out;
            n->ops[prod].add_out = 1;
            o->skip_fwd = 1;
        }
    }
    for (int i = n->nops - 1; i >= 0; i--) {
        struct op *o = &n->ops[i];
        if (o->k == OP_ACCUM && o->in != 0 && claimed[o->in] == 1) {
            n->t[o->in].alias = grad_root(n, o->out);
            o->skip_bwd = 1;
        }
    }
    for (int i = 0; i < n->nt; i++) claimed[i] = 0;
    for (int i = n->nops - 1; i >= 0; i--) {
        struct op *o = &n->ops[i];
        if (o->skip_bwd || o->in == 0) continue;
        int g = grad_root(n, o->in);
        if (claimed[g]) continue;
        claimed[g] = 1;
        if (o->k == OP_CONV || o->k == OP_BN || o->k == OP_RELU || o->k == OP_ACCUM) o->din_set = 1;
        else o->din_zero = 1;
    }
    for (int i = 1; i < n->nt; i++)
        n->t[i].zero_bwd = n->t[i].alias < 0 && !claimed[i] && i != n->logits;
}

int cnn_new(struct cnn **out, const struct space *s, const struct arch *a, const struct cnn_config *cfg)
{
    *out = NULL;
    if (s->kind != SPACE_CELL)
        return nasw_errorf(NASW_EINVAL, "the trainer builds cell architectures only (space is a %s)",
                           space_kind_name(s->kind));
    if (cfg->C < 1 || cfg->N < 0 || cfg->in_ch < 1 || cfg->H < 4 || cfg->W < 4 || cfg->H % 4 ||
        cfg->W % 4 || cfg->classes < 2 || cfg->max_batch < 1)
        return nasw_errorf(NASW_EINVAL, "bad network configuration (C=%d N=%d %dx%d)", cfg->C, cfg->N,
                           cfg->H, cfg->W);
    int ops[ARCH_MAX_DIMS];
    for (int e = 0; e < s->n_dims; e++) {
        ops[e] = op_code(s->ops[a->d[e]]);
        if (ops[e] < 0)
            return nasw_errorf(NASW_EINVAL, "the trainer has no op '%.64s'", s->ops[a->d[e]]);
    }
    struct cnn *n = calloc(1, sizeof *n);
    if (!n) return nasw_errorf(NASW_ENOMEM, "out of memory");
    n->cfg = *cfg;
    int x = add_tensor(n, cfg->in_ch, cfg->H, cfg->W, 0);
    int t = bn(n, conv(n, x, cfg->C, 3, 1, 1));
    for (int stage = 0; stage < 3; stage++) {
        if (stage > 0) t = reduction(n, t, cfg->C << stage);
        for (int i = 0; i < cfg->N; i++) t = cell(n, t, ops, s->n_nodes);
    }
    t = unary(n, OP_GAP, unary(n, OP_RELU, bn(n, t)));
    n->logits = add_tensor(n, cfg->classes, 1, 1, 0);
    struct op *o = add_op(n, OP_LINEAR, t, n->logits);
    if (o) {
        o->w = n->nparams;
        n->nparams += (size_t)cfg->classes * n->t[t].C;
        o->b = n->nparams;
        n->nparams += (size_t)cfg->classes;
        n->flops += 2.0 * cfg->classes * n->t[t].C;
    }
    if (n->failed) goto nomem;
    /* buffers */
    size_t mb = (size_t)cfg->max_batch;
    n->params = calloc(n->nparams, sizeof(float));
    n->grads = calloc(n->nparams, sizeof(float));
    n->mom = calloc(n->nparams, sizeof(float));
    n->stats = calloc(n->nstats ? n->nstats : 1, sizeof(float));
    n->col = big_alloc(n->col_size * sizeof(float));
    n->probs = malloc(mb * (size_t)cfg->classes * sizeof(float));
    n->labels = malloc(mb * sizeof(int));
    if (!n->params || !n->grads || !n->mom || !n->stats || !n->col || !n->probs || !n->labels) goto nomem;
    int *claimed = malloc((size_t)n->nt * sizeof *claimed);
    if (!claimed) goto nomem;
    plan(n, claimed);
    free(claimed);
    for (int i = 0; i < n->nt; i++) {
        struct tensor *tt = &n->t[i];
        size_t sz = mb * (size_t)tt->C * tt->H * tt->W;
        if (tt->valias < 0) {
            tt->v = big_alloc(sz * sizeof(float));
            if (!tt->v) goto nomem;
        }
        if (tt->alias >= 0) continue;
        tt->g = big_alloc(sz * sizeof(float));
        if (!tt->g) goto nomem;
    }
    for (int i = 0; i < n->nt; i++) {
        if (n->t[i].alias >= 0) n->t[i].g = n->t[grad_root(n, i)].g;
        if (n->t[i].valias >= 0) n->t[i].v = n->t[n->t[i].valias].v;
    }
    for (int i = 0; i < n->nops; i++) {
        struct op *p = &n->ops[i];
        if (p->k != OP_BN) continue;
        struct tensor *tt = &n->t[p->out];
        p->mean = malloc((size_t)tt->C * sizeof(float));
        p->invstd = malloc((size_t)tt->C * sizeof(float));
        if (!p->mean || !p->invstd) goto nomem;
    }
    *out = n;
    return NASW_OK;
nomem:
    cnn_free(n);
    return nasw_errorf(NASW_ENOMEM, "out of memory building the network");
}

void cnn_free(struct cnn *n)
{
    if (!n) return;
    for (int i = 0; i < n->nt; i++) {
        if (n->t[i].valias < 0) free(n->t[i].v);
        if (n->t[i].alias < 0) free(n->t[i].g);
    }
    for (int i = 0; i < n->nops; i++) {
        free(n->ops[i].mean);
        free(n->ops[i].invstd);
        free(n->ops[i].mask);
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
    free(n);
}

size_t cnn_num_params(const struct cnn *n) { return n->nparams; }
double cnn_flops(const struct cnn *n) { return n->flops; }
float *cnn_params(struct cnn *n) { return n->params; }
float *cnn_grads(struct cnn *n) { return n->grads; }
float *cnn_moments(struct cnn *n) { return n->mom; }
float *cnn_stats(struct cnn *n) { return n->stats; }
size_t cnn_num_stats(const struct cnn *n) { return n->nstats; }

void cnn_init(struct cnn *n, struct rng *r)
{
    for (int i = 0; i < n->nops; i++) {
        struct op *o = &n->ops[i];
        if (o->k == OP_CONV) {
            size_t cnt = (size_t)o->d.Co * o->d.Ci * o->d.K * o->d.K;
            double sd = sqrt(2.0 / (o->d.Ci * o->d.K * o->d.K));
            for (size_t j = 0; j < cnt; j++) n->params[o->w + j] = (float)rng_gaussian(r, sd);
        } else if (o->k == OP_BN) {
            int C = n->t[o->out].C;
            for (int c = 0; c < C; c++) {
                n->params[o->w + c] = 1.0f;
                n->params[o->b + c] = 0.0f;
                n->stats[o->rs + c] = 0.0f;
                n->stats[o->rs + C + c] = 1.0f;
            }
        } else if (o->k == OP_LINEAR) {
            int I = n->t[o->in].C, O = n->t[o->out].C;
            double lim = 1.0 / sqrt(I);
            for (int j = 0; j < I * O; j++) n->params[o->w + j] = (float)((2 * rng_uniform(r) - 1) * lim);
            for (int j = 0; j < O; j++) n->params[o->b + j] = 0.0f;
        }
    }
    memset(n->mom, 0, n->nparams * sizeof(float));
}

static size_t numel(const struct tensor *t, int B) { return (size_t)B * t->C * t->H * t->W; }

/* A ReLU whose gates are recorded (in > 0) or replayed (out = in where the
 * recorded gate was open): with replayed gates the network is smooth in its
 * parameters, the function whose Hessian autograd takes.  Replays use the
 * batch size of the record (the gates are (C,B,H,W)). */
static void relu_gated_forward(struct cnn *n, struct op *o, float *out, const float *in, size_t cnt)
{
    if (!o->mask) {
        o->mask = malloc(cnt ? (size_t)n->cfg.max_batch * (cnt / (size_t)n->B) : 1);
        NASW_ASSERT(o->mask != NULL); /* max_batch images' gates: bytes of a float tensor */
    }
    if (n->gates == CNN_GATES_RECORD)
        for (size_t j = 0; j < cnt; j++) o->mask[j] = in[j] > 0;
    for (size_t j = 0; j < cnt; j++) out[j] = o->mask[j] ? in[j] : 0.0f;
}

void cnn_relu_gates(struct cnn *n, int mode) { n->gates = mode; }

float cnn_forward(struct cnn *n, const float *x, const int *labels, int B, int train, int *correct)
{
    NASW_ASSERT(B >= 1 && B <= n->cfg.max_batch);
    n->B = B;
    n->eval_fwd = !train;
    /* x (B,in_ch,H,W) -> the input tensor (in_ch,B,H,W) */
    size_t plane = (size_t)n->cfg.H * n->cfg.W;
    for (int c = 0; c < n->cfg.in_ch; c++)
        for (int b = 0; b < B; b++)
            memcpy(n->t[0].v + ((size_t)c * B + b) * plane, x + ((size_t)b * n->cfg.in_ch + c) * plane,
                   plane * sizeof(float));
    memcpy(n->labels, labels, (size_t)B * sizeof(int));
    for (int i = 0; i < n->nt; i++)
        if (n->t[i].zero_fwd) zero_fill(n->t[i].v, numel(&n->t[i], B));
    for (int i = 0; i < n->nops; i++) {
        struct op *o = &n->ops[i];
        struct tensor *in = &n->t[o->in], *out = &n->t[o->out];
        size_t cnt = numel(in, B);
        switch (o->k) {
        case OP_CONV: {
            struct conv_dims d = o->d;
            d.B = B;
            conv_forward(out->v, in->v, n->params + o->w, &d, n->col);
            break;
        }
        case OP_BN: {
            float *rm = n->stats + o->rs, *rv = rm + in->C;
            if (train) {
                struct bn_cache c = {o->mean, o->invstd};
                (o->add_out ? bn_forward_train_add : bn_forward_train)(out->v, in->v, n->params + o->w,
                                                                       n->params + o->b, rm, rv, 0.1f, 1e-5f,
                                                                       &c, B, in->C, in->H * in->W);
            } else {
                (o->add_out ? bn_forward_eval_add : bn_forward_eval)(out->v, in->v, n->params + o->w,
                                                                     n->params + o->b, rm, rv, 1e-5f, B,
                                                                     in->C, in->H * in->W);
            }
            break;
        }
        case OP_RELU:
            if (n->gates != CNN_GATES_OFF) {
                relu_gated_forward(n, o, out->v, in->v, cnt);
                break;
            }
            relu_forward(out->v, in->v, cnt);
            break;
        case OP_POOL3: avgpool3_forward(out->v, in->v, B, in->C, in->H, in->W); break;
        case OP_POOL2: avgpool2_forward(out->v, in->v, B, in->C, in->H, in->W); break;
        case OP_ACCUM:
            if (o->skip_fwd) break; /* its input was written into the sum */
            if (o->first) copy_floats(out->v, in->v, cnt);
            else add_inplace(out->v, in->v, cnt);
            break;
        case OP_GAP: gap_forward(out->v, in->v, B, in->C, in->H * in->W); break;
        case OP_LINEAR:
            linear_forward(out->v, in->v, n->params + o->w, n->params + o->b, B, in->C, out->C);
            break;
        }
    }
    return softmax_xent_forward(n->probs, n->t[n->logits].v, labels, B, n->cfg.classes, correct);
}

/* Backward of an eval-mode BN (the running statistics are constants):
 * din (=, or += if !set) dout gamma invstd, dgamma += sum dout xhat,
 * dbeta += sum dout.  Training never needs it; SynFlow does. */
static void bn_backward_eval(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                             const float *gamma, const float *rmean, const float *rvar, int B, int C, int HW,
                             int set)
{
    size_t plane = (size_t)B * HW;
    for (int c = 0; c < C; c++) {
        float is = 1.0f / sqrtf(rvar[c] + 1e-5f), gs = gamma[c] * is;
        const float *x = in + c * plane, *dy = dout + c * plane;
        float *dx = din ? din + c * plane : NULL;
        double sg = 0, sb = 0;
        for (size_t j = 0; j < plane; j++) {
            sg += (double)dy[j] * (x[j] - rmean[c]) * is;
            sb += dy[j];
            if (dx) dx[j] = (set ? 0.0f : dx[j]) + dy[j] * gs;
        }
        dgamma[c] += (float)sg;
        dbeta[c] += (float)sb;
    }
}

/* The tape in reverse from the logits' gradient (already in place).  The
 * images' gradient is computed only if `images` (into t[0].g, zeroed here,
 * its readers accumulating), for the input-Jacobian proxies. */
static void backward_tape(struct cnn *n, int images)
{
    int B = n->B;
    if (images) zero_fill(n->t[0].g, numel(&n->t[0], B));
    for (int i = n->nops - 1; i >= 0; i--) {
        struct op *o = &n->ops[i];
        if (o->skip_bwd) continue;
        struct tensor *in = &n->t[o->in], *out = &n->t[o->out];
        float *din = o->in == 0 && !images ? NULL : in->g; /* the images' gradient only if asked */
        size_t cnt = numel(in, B);
        if (din && o->din_zero) zero_fill(din, cnt);
        switch (o->k) {
        case OP_CONV: {
            struct conv_dims d = o->d;
            d.B = B;
            (o->din_set ? conv_backward_set : conv_backward)(din, n->grads + o->w, out->g, in->v,
                                                             n->params + o->w, &d, n->col);
            break;
        }
        case OP_BN: {
            struct bn_cache c = {o->mean, o->invstd};
            if (n->eval_fwd) {
                bn_backward_eval(din, n->grads + o->w, n->grads + o->b, out->g, in->v, n->params + o->w,
                                 n->stats + o->rs, n->stats + o->rs + in->C, B, in->C, in->H * in->W, o->din_set);
                break;
            }
            (o->din_set ? bn_backward_set : bn_backward)(din, n->grads + o->w, n->grads + o->b, out->g,
                                                         in->v, n->params + o->w, &c, B, in->C,
                                                         in->H * in->W);
            break;
        }
        case OP_RELU:
            if (din && n->gates == CNN_GATES_REPLAY) {
                for (size_t j = 0; j < cnt; j++) din[j] = (o->din_set ? 0.0f : din[j]) + (o->mask[j] ? out->g[j] : 0.0f);
                break;
            }
            if (din) (o->din_set ? relu_backward_set : relu_backward)(din, out->g, in->v, cnt);
            break;
        case OP_POOL3:
            if (din) avgpool3_backward(din, out->g, B, in->C, in->H, in->W);
            break;
        case OP_POOL2:
            if (din) avgpool2_backward(din, out->g, B, in->C, in->H, in->W);
            break;
        case OP_ACCUM:
            if (din) (o->din_set ? copy_floats : add_inplace)(din, out->g, cnt);
            break;
        case OP_GAP:
            if (din) gap_backward(din, out->g, B, in->C, in->H * in->W);
            break;
        case OP_LINEAR:
            linear_backward(din, n->grads + o->w, n->grads + o->b, out->g, in->v, n->params + o->w, B,
                            in->C, out->C);
            break;
        }
    }
}

void cnn_backward(struct cnn *n)
{
    int B = n->B;
    memset(n->grads, 0, n->nparams * sizeof(float));
    for (int i = 0; i < n->nt; i++)
        if (n->t[i].zero_bwd) zero_fill(n->t[i].g, numel(&n->t[i], B));
    softmax_xent_backward(n->t[n->logits].g, n->probs, n->labels, B, n->cfg.classes);
    backward_tape(n, 0);
}

void cnn_sgd_step(struct cnn *n, float lr, float momentum, float weight_decay, int nesterov)
{
    sgd_update(n->params, n->grads, n->mom, n->nparams, lr, momentum, weight_decay, nesterov);
}

/* --- introspection for the zero-cost proxies (train/proxies.c) ---------- */

int cnn_num_layers(const struct cnn *n) { return n->nops; }
int cnn_batch(const struct cnn *n) { return n->B; }
const struct cnn_config *cnn_get_config(const struct cnn *n) { return &n->cfg; }

void cnn_layer(const struct cnn *n, int i, struct cnn_layer *l)
{
    NASW_ASSERT(i >= 0 && i < n->nops);
    const struct op *o = &n->ops[i];
    const struct tensor *in = &n->t[o->in], *out = &n->t[o->out];
    memset(l, 0, sizeof *l);
    switch (o->k) {
    case OP_CONV: l->kind = CNN_CONV; break;
    case OP_BN: l->kind = CNN_BN; break;
    case OP_RELU: l->kind = CNN_RELU; break;
    case OP_POOL3: l->kind = CNN_POOL3; break;
    case OP_POOL2: l->kind = CNN_POOL2; break;
    case OP_GAP: l->kind = CNN_GAP; break;
    case OP_LINEAR: l->kind = CNN_LINEAR; break;
    case OP_ACCUM: l->kind = CNN_ACCUM; break;
    }
    l->Ci = in->C, l->Hi = in->H, l->Wi = in->W;
    l->C = out->C, l->H = out->H, l->W = out->W;
    l->K = o->k == OP_CONV ? o->d.K : o->k == OP_POOL3 ? 3 : o->k == OP_POOL2 ? 2 : 0;
    if (o->k == OP_CONV) l->w = o->w, l->nw = (size_t)o->d.Co * o->d.Ci * o->d.K * o->d.K;
    if (o->k == OP_BN) l->w = o->w, l->nw = (size_t)in->C, l->b = o->b, l->nb = (size_t)in->C;
    if (o->k == OP_LINEAR) l->w = o->w, l->nw = (size_t)in->C * out->C, l->b = o->b, l->nb = (size_t)out->C;
    l->in = in->v;
    /* an output written into a sum's buffer holds the sum after the forward */
    l->out = out->valias < 0 ? out->v : NULL;
    l->gout = out->g;
    if (o->k == OP_BN) {
        l->mean = o->mean, l->invstd = o->invstd;
        l->rmean = n->stats + o->rs, l->rvar = n->stats + o->rs + in->C;
    }
    for (int j = 0; j < n->nops; j++)
        if (n->ops[j].in == o->out) l->readers++;
}

void cnn_backward_from(struct cnn *n, const float *dlogits, float *dx)
{
    int B = n->B, K = n->cfg.classes;
    memset(n->grads, 0, n->nparams * sizeof(float));
    for (int i = 0; i < n->nt; i++)
        if (n->t[i].zero_bwd) zero_fill(n->t[i].g, numel(&n->t[i], B));
    memcpy(n->t[n->logits].g, dlogits, (size_t)B * K * sizeof(float));
    backward_tape(n, dx != NULL);
    if (!dx) return;
    /* the images' gradient (in_ch,B,H,W) -> dx (B,in_ch,H,W) */
    size_t plane = (size_t)n->cfg.H * n->cfg.W;
    for (int c = 0; c < n->cfg.in_ch; c++)
        for (int b = 0; b < B; b++)
            memcpy(dx + ((size_t)b * n->cfg.in_ch + c) * plane, n->t[0].g + ((size_t)c * B + b) * plane,
                   plane * sizeof(float));
}

const float *cnn_logits(const struct cnn *n) { return n->t[n->logits].v; }
