/*
 * tests/test_proxies.c - zero-cost proxies (train/proxies.h) on tiny NB201
 * networks, each against a computation that does not share its code path:
 * gradient-based scores against central finite differences of the loss (or
 * of the summed logits) along one direction, the correlation and
 * log-determinant scores against closed forms for two or four images, the
 * FLOPs and parameters of a network counted by hand; an architecture whose
 * output is cut off by `none` edges gives undefined (NaN) Jacobian scores
 * and zero gradient scores, never a crash; and the same seed gives the same
 * scores bit for bit, whichever proxies are asked for.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arch.h"
#include "core/rng.h"
#include "train/cnn.h"
#include "train/proxies.h"

static const char *ALLOPS =
    "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|";
static const char *DEAD = "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|none~2|";
static const char *NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
static const uint64_t SEED = 11;

struct net {
    struct space *s;
    struct arch a;
    struct cnn_config cfg;
    struct cnn *n;
    float *x;
    int *y;
    struct proxy_batch b;
};

/* A network of arch initialised as proxies_compute does (seed SEED), and a
 * Gaussian batch of B images with labels y[i] = labels[i] (or i % 10). */
static void setup(struct net *t, const char *arch, int C, int in_ch, int H, int B, const int *labels)
{
    memset(t, 0, sizeof *t);
    assert_int_equal(space_cell_new(&t->s, 4, arch_nb201_ops, 5), 0);
    assert_int_equal(arch_parse(t->s, arch, &t->a), 0);
    t->cfg = (struct cnn_config){.C = C, .N = 1, .in_ch = in_ch, .H = H, .W = H, .classes = 10, .max_batch = B};
    assert_int_equal(cnn_new(&t->n, t->s, &t->a, &t->cfg), 0);
    struct rng *r = rng_new(SEED);
    cnn_init(t->n, r);
    rng_seed(r, 99);
    size_t px = (size_t)B * in_ch * H * H;
    t->x = malloc(px * sizeof *t->x);
    t->y = malloc((size_t)B * sizeof *t->y);
    for (size_t i = 0; i < px; i++) t->x[i] = (float)rng_gaussian(r, 1.0);
    for (int i = 0; i < B; i++) t->y[i] = labels ? labels[i] : i % 10;
    t->b = (struct proxy_batch){t->x, t->y, B};
    rng_free(r);
}

static void teardown(struct net *t)
{
    cnn_free(t->n);
    space_free(t->s);
    free(t->x);
    free(t->y);
}

static void compute(struct net *t, int id, double *out)
{
    int want[PROXY_COUNT] = {0};
    want[id] = 1;
    assert_int_equal(proxies_compute(t->s, &t->a, &t->cfg, &t->b, SEED, want, out), 0);
}

static double loss(struct net *t)
{
    int c;
    return cnn_forward(t->n, t->x, t->y, t->b.B, 1, &c);
}

/* Central difference of the loss along direction v (np floats) at step h. */
static double fd_loss(struct net *t, const float *v, double h)
{
    size_t np = cnn_num_params(t->n);
    float *p = cnn_params(t->n), *p0 = malloc(np * sizeof *p0);
    memcpy(p0, p, np * sizeof *p0);
    double l[2];
    for (int side = 0; side < 2; side++) {
        for (size_t i = 0; i < np; i++) p[i] = p0[i] + (float)((side ? -h : h) * v[i]);
        l[side] = loss(t);
    }
    memcpy(p, p0, np * sizeof *p0);
    free(p0);
    return (l[0] - l[1]) / (2 * h);
}

static int weighted(const struct cnn_layer *l) { return l->kind == CNN_CONV || l->kind == CNN_LINEAR; }

static void check_rel(const char *what, double got, double want, double tol)
{
    double rel = fabs(got - want) / fmax(fabs(want), 1e-30);
    print_message("%s: %.8g vs %.8g (relative error %.2e)\n", what, got, want, rel);
    assert_true(rel < tol);
}

static void test_flops_params_by_hand(void **state)
{
    (void)state;
    struct net t;
    setup(&t, NONE, 2, 1, 4, 2, NULL);
    /* stem 9*1*2*16; reduction 1 (2->4, 4x4 -> 2x2): 9*2*4*4 + 9*4*4*4 +
     * pool 4*2*4 + 1x1 2*4*4; reduction 2 (4->8, 2x2 -> 1x1): 9*4*8 + 9*8*8
     * + pool 4*4 + 1x1 4*8; classifier 8*10 + 10 */
    assert_true(proxy_flops(t.n) == 288 + 288 + 576 + 32 + 32 + 288 + 576 + 16 + 32 + 90);
    /* stem 18 + BN 4; reduction 1: 72+8, 144+8, 8; reduction 2: 288+16,
     * 576+16, 32; last BN 16; classifier 90 */
    assert_int_equal(cnn_num_params(t.n), 22 + 240 + 928 + 16 + 90);
    double out[PROXY_COUNT];
    compute(&t, PROXY_PARAMS, out);
    assert_true(out[PROXY_PARAMS] == 1296);
    teardown(&t);
}

/* d(sum of logits)/dx against central differences along random directions. */
static void test_input_jacobian(void **state)
{
    (void)state;
    struct net t;
    int B = 3;
    setup(&t, ALLOPS, 2, 2, 8, B, NULL);
    size_t D = (size_t)B * 2 * 8 * 8;
    float *J = malloc(D * sizeof *J), *x0 = malloc(D * sizeof *x0);
    proxy_jacobians(t.n, &t.b, J);
    memcpy(x0, t.x, D * sizeof *x0);
    struct rng *r = rng_new(3);
    double worst = 0;
    for (int dir = 0; dir < 4; dir++) {
        double jv = 0, jj = 0, h = 1e-4, s[2];
        for (size_t i = 0; i < D; i++) jj += (double)J[i] * J[i];
        float *v = malloc(D * sizeof *v);
        for (size_t i = 0; i < D; i++) {
            v[i] = J[i] + (float)rng_gaussian(r, 0.5 * sqrt(jj / (double)D));
            jv += (double)J[i] * v[i];
        }
        for (int side = 0; side < 2; side++) {
            for (size_t i = 0; i < D; i++) t.x[i] = x0[i] + (float)((side ? -h : h) * v[i]);
            int c;
            (void)cnn_forward(t.n, t.x, t.y, B, 1, &c);
            const float *lg = cnn_logits(t.n);
            s[side] = 0;
            for (int i = 0; i < B * 10; i++) s[side] += lg[i];
        }
        memcpy(t.x, x0, D * sizeof *x0);
        double rel = fabs((s[0] - s[1]) / (2 * h) - jv) / fabs(jv);
        if (rel > worst) worst = rel;
        free(v);
    }
    print_message("input Jacobian: worst relative error %.2e\n", worst);
    assert_true(worst < 2e-2);
    rng_free(r);
    free(J);
    free(x0);
    teardown(&t);
}

/* SynFlow's sum theta dR/dtheta is the derivative of R(theta (1 + a)) in a
 * (all conv and classifier weights scaled): R is a polynomial there (all
 * activations positive), so the central difference is exact up to h^2. */
static void test_synflow(void **state)
{
    (void)state;
    struct net t;
    setup(&t, ALLOPS, 2, 1, 8, 2, NULL);
    double out[PROXY_COUNT];
    compute(&t, PROXY_SYNFLOW, out);
    size_t np = cnn_num_params(t.n);
    float *p = cnn_params(t.n), *v = calloc(np, sizeof *v);
    for (size_t i = 0; i < np; i++) p[i] = fabsf(p[i]);
    for (int i = 0; i < cnn_num_layers(t.n); i++) {
        struct cnn_layer l;
        cnn_layer(t.n, i, &l);
        if (weighted(&l))
            for (size_t j = l.w; j < l.w + l.nw; j++) v[j] = p[j];
    }
    float ones[64];
    for (int i = 0; i < 64; i++) ones[i] = 1.0f;
    double h = 1e-3, R[2];
    float *p0 = malloc(np * sizeof *p0);
    memcpy(p0, p, np * sizeof *p0);
    for (int side = 0; side < 2; side++) {
        for (size_t i = 0; i < np; i++) p[i] = p0[i] + (float)((side ? -h : h) * v[i]);
        int c, y = 0;
        (void)cnn_forward(t.n, ones, &y, 1, 0, &c);
        R[side] = 0;
        for (int k = 0; k < 10; k++) R[side] += cnn_logits(t.n)[k];
    }
    check_rel("synflow vs d/da R(theta(1+a))", out[PROXY_SYNFLOW], (R[0] - R[1]) / (2 * h), 1e-3);
    free(v);
    free(p0);
    teardown(&t);
}

/* plain = d/da L(theta (1 + a)); snip = d/da L(theta + a sign(theta g) theta);
 * grad_norm = sum over layers of d/da L(theta + a g_l / |g_l|). */
static void test_gradient_scores(void **state)
{
    (void)state;
    struct net t;
    setup(&t, ALLOPS, 2, 1, 8, 4, NULL);
    double out[PROXY_COUNT];
    int want[PROXY_COUNT] = {0};
    want[PROXY_PLAIN] = want[PROXY_SNIP] = want[PROXY_GRAD_NORM] = 1;
    assert_int_equal(proxies_compute(t.s, &t.a, &t.cfg, &t.b, SEED, want, out), 0);
    size_t np = cnn_num_params(t.n);
    float *p = cnn_params(t.n), *g = malloc(np * sizeof *g), *v = calloc(np, sizeof *v),
          *u = calloc(np, sizeof *u);
    (void)loss(&t);
    cnn_backward(t.n);
    memcpy(g, cnn_grads(t.n), np * sizeof *g);
    double gn = 0;
    for (int i = 0; i < cnn_num_layers(t.n); i++) {
        struct cnn_layer l;
        cnn_layer(t.n, i, &l);
        if (!weighted(&l)) continue;
        float *w = calloc(np, sizeof *w);
        double nn = 0;
        for (size_t j = l.w; j < l.w + l.nw; j++) {
            v[j] = p[j];
            u[j] = p[j] * g[j] < 0 ? -p[j] : p[j];
            nn += (double)g[j] * g[j];
        }
        for (size_t j = l.w; j < l.w + l.nw; j++) w[j] = (float)(g[j] / sqrt(nn));
        gn += fd_loss(&t, w, 1e-4);
        free(w);
    }
    check_rel("plain", out[PROXY_PLAIN], fd_loss(&t, v, 1e-4), 2e-2);
    check_rel("snip", out[PROXY_SNIP], fd_loss(&t, u, 1e-4), 2e-2);
    check_rel("grad_norm", out[PROXY_GRAD_NORM], gn, 2e-2);
    free(g);
    free(v);
    free(u);
    teardown(&t);
}

/* Fisher with one image: 0.5 (dL/da_k)^2 summed over the output channels k
 * of every conv and linear layer, a_k scaling channel k (its weights, and
 * the classifier's bias). */
static void test_fisher(void **state)
{
    (void)state;
    struct net t;
    setup(&t, ALLOPS, 2, 1, 8, 1, NULL);
    double out[PROXY_COUNT];
    compute(&t, PROXY_FISHER, out);
    size_t np = cnn_num_params(t.n);
    const float *p = cnn_params(t.n);
    float *v = malloc(np * sizeof *v);
    double want = 0;
    for (int i = 0; i < cnn_num_layers(t.n); i++) {
        struct cnn_layer l;
        cnn_layer(t.n, i, &l);
        if (!weighted(&l)) continue;
        size_t per = l.nw / (size_t)l.C;
        for (int k = 0; k < l.C; k++) {
            memset(v, 0, np * sizeof *v);
            for (size_t j = 0; j < per; j++) v[l.w + k * per + j] = p[l.w + k * per + j];
            if (l.kind == CNN_LINEAR) v[l.b + k] = p[l.b + k];
            double d = fd_loss(&t, v, 1e-3);
            want += 0.5 * d * d;
        }
    }
    check_rel("fisher", out[PROXY_FISHER], want, 3e-2);
    free(v);
    teardown(&t);
}

/* GraSP's H g against the second difference of the loss along g, both on
 * the network frozen on theta's linear piece (ReLU gates replayed; the
 * Hessian autograd takes), and H g is zero outside the conv/linear weights
 * and leaves the parameters as they were. */
static void test_hessian_grad(void **state)
{
    (void)state;
    struct net t;
    setup(&t, ALLOPS, 2, 1, 8, 4, NULL);
    size_t np = cnn_num_params(t.n);
    float *p = cnn_params(t.n), *p0 = malloc(np * sizeof *p0), *u = calloc(np, sizeof *u);
    memcpy(p0, p, np * sizeof *p0);
    double *hg = malloc(np * sizeof *hg);
    assert_int_equal(proxy_hessian_grad(t.n, &t.b, hg), 0);
    assert_memory_equal(p, p0, np * sizeof *p0);
    cnn_relu_gates(t.n, CNN_GATES_RECORD);
    double l0 = loss(&t);
    cnn_backward(t.n);
    cnn_relu_gates(t.n, CNN_GATES_REPLAY);
    double tt = 0, uu = 0, ghg = 0, outside = 0;
    unsigned char *m = calloc(np, 1);
    for (int i = 0; i < cnn_num_layers(t.n); i++) {
        struct cnn_layer l;
        cnn_layer(t.n, i, &l);
        if (!weighted(&l)) continue;
        for (size_t j = l.w; j < l.w + l.nw; j++) {
            m[j] = 1;
            u[j] = cnn_grads(t.n)[j];
            tt += (double)p0[j] * p0[j];
            uu += (double)u[j] * u[j];
            ghg += u[j] * hg[j];
        }
    }
    for (size_t j = 0; j < np; j++)
        if (!m[j]) outside += fabs(hg[j]);
    assert_true(outside == 0);
    /* a step of 1e-3 of the weights' norm: the loss's float rounding
     * (1e-7) is far below the curvature term, and the higher-order terms
     * are small (the difference converges to -5.6 from below 1e-3 on this
     * network; at 1e-2 BN's curvature still changes along the step) */
    double h = 1e-3 * sqrt(tt / uu), l[2];
    for (int side = 0; side < 2; side++) {
        for (size_t i = 0; i < np; i++) p[i] = p0[i] + (float)((side ? -h : h) * u[i]);
        l[side] = loss(&t);
    }
    memcpy(p, p0, np * sizeof *p0);
    cnn_relu_gates(t.n, CNN_GATES_OFF);
    check_rel("g.Hg vs second difference of the loss", ghg, (l[0] - 2 * l0 + l[1]) / (h * h), 3e-2);
    double out[PROXY_COUNT], grasp = 0;
    compute(&t, PROXY_GRASP, out);
    for (size_t j = 0; j < np; j++) grasp -= p0[j] * hg[j];
    check_rel("grasp = -theta . Hg", out[PROXY_GRASP], grasp, 1e-12);
    free(hg);
    free(u);
    free(m);
    free(p0);
    teardown(&t);
}

/* Two images: the correlation matrix [[1 r] [r 1]] has eigenvalues 1 +- r;
 * the NASWOT kernel [[T h] [h T]] has determinant T^2 - h^2. */
static void test_jacov_nwot_closed_form(void **state)
{
    (void)state;
    struct net t;
    setup(&t, ALLOPS, 2, 1, 8, 2, NULL);
    double out[PROXY_COUNT];
    int want[PROXY_COUNT] = {0};
    want[PROXY_JACOV] = want[PROXY_NWOT] = 1;
    assert_int_equal(proxies_compute(t.s, &t.a, &t.cfg, &t.b, SEED, want, out), 0);
    size_t D = 64;
    float J[128];
    proxy_jacobians(t.n, &t.b, J);
    double m[2] = {0, 0}, sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < D; i++) m[0] += J[i] / (double)D, m[1] += J[D + i] / (double)D;
    for (size_t i = 0; i < D; i++) {
        double a = J[i] - m[0], b = J[D + i] - m[1];
        sxy += a * b, sxx += a * a, syy += b * b;
    }
    double r = sxy / sqrt(sxx * syy), k = 1e-5;
    double jac = -(log(1 + r + k) + 1 / (1 + r + k) + log(1 - r + k) + 1 / (1 - r + k));
    check_rel("jacov", out[PROXY_JACOV], jac, 1e-6);
    /* the codes of the same forward (proxy_jacobians ran one) */
    double T = 0, h = 0;
    for (int i = 0; i < cnn_num_layers(t.n); i++) {
        struct cnn_layer l;
        cnn_layer(t.n, i, &l);
        if (l.kind != CNN_RELU) continue;
        size_t hw = (size_t)l.H * l.W;
        double agree = 0;
        for (int c = 0; c < l.C; c++)
            for (size_t j = 0; j < hw; j++)
                agree += (l.in[(size_t)c * 2 * hw + j] > 0) == (l.in[((size_t)c * 2 + 1) * hw + j] > 0);
        T += (double)l.readers * l.C * hw;
        h += l.readers * agree;
    }
    check_rel("nwot", out[PROXY_NWOT], log(T * T - h * h), 1e-9);
    teardown(&t);
}

/* EPE-NAS with two classes of two images: |s_0 - s_1|, s_c = 2 log(1 + k) +
 * 2 log(|r_c| + k). */
static void test_epe_nas_closed_form(void **state)
{
    (void)state;
    struct net t;
    int labels[4] = {3, 5, 3, 5};
    setup(&t, ALLOPS, 2, 1, 8, 4, labels);
    double out[PROXY_COUNT];
    compute(&t, PROXY_EPE_NAS, out);
    size_t D = 64;
    float J[256];
    proxy_jacobians(t.n, &t.b, J);
    double s[2], k = 1e-5;
    for (int c = 0; c < 2; c++) {
        const float *a = J + (size_t)c * D, *b = J + (size_t)(c + 2) * D;
        double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
        for (size_t i = 0; i < D; i++) ma += a[i] / (double)D, mb += b[i] / (double)D;
        for (size_t i = 0; i < D; i++)
            sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
        s[c] = 2 * log(1 + k) + 2 * log(fabs(sab / sqrt(saa * sbb)) + k);
    }
    check_rel("epe_nas", out[PROXY_EPE_NAS], fabs(s[0] - s[1]), 1e-6);
    teardown(&t);
}

/* Output cut off: the Jacobians are all zero, so their correlations are
 * undefined (NaN), and every weight gradient is zero. */
static void test_dead_cell(void **state)
{
    (void)state;
    struct net t;
    setup(&t, DEAD, 2, 1, 8, 4, NULL);
    double out[PROXY_COUNT];
    int want[PROXY_COUNT];
    for (int i = 0; i < PROXY_COUNT; i++) want[i] = 1;
    assert_int_equal(proxies_compute(t.s, &t.a, &t.cfg, &t.b, SEED, want, out), 0);
    assert_true(isnan(out[PROXY_JACOV]));
    assert_true(isnan(out[PROXY_EPE_NAS]));
    assert_true(out[PROXY_SNIP] == 0 && out[PROXY_PLAIN] == 0 && out[PROXY_GRASP] == 0);
    assert_true(out[PROXY_SYNFLOW] == 0);
    for (int i = 0; i < PROXY_COUNT; i++)
        if (i != PROXY_JACOV && i != PROXY_EPE_NAS) assert_false(isnan(out[i]));
    teardown(&t);
}

/* Same seed, same bits; a proxy alone equals the proxy computed with all. */
static void test_deterministic(void **state)
{
    (void)state;
    struct net t;
    setup(&t, ALLOPS, 2, 1, 8, 4, NULL);
    double a[PROXY_COUNT], b[PROXY_COUNT], one[PROXY_COUNT];
    int want[PROXY_COUNT];
    for (int i = 0; i < PROXY_COUNT; i++) want[i] = 1;
    assert_int_equal(proxies_compute(t.s, &t.a, &t.cfg, &t.b, SEED, want, a), 0);
    assert_int_equal(proxies_compute(t.s, &t.a, &t.cfg, &t.b, SEED, want, b), 0);
    assert_memory_equal(a, b, sizeof a);
    for (int i = 0; i < PROXY_COUNT; i++) {
        compute(&t, i, one);
        assert_memory_equal(&one[i], &a[i], sizeof a[i]);
        assert_string_equal(proxy_name(proxy_lookup(proxy_name(i))), proxy_name(i));
    }
    assert_int_equal(proxy_lookup("synflo"), -1);
    teardown(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flops_params_by_hand), cmocka_unit_test(test_input_jacobian),
        cmocka_unit_test(test_synflow),              cmocka_unit_test(test_gradient_scores),
        cmocka_unit_test(test_fisher),               cmocka_unit_test(test_hessian_grad),
        cmocka_unit_test(test_jacov_nwot_closed_form), cmocka_unit_test(test_epe_nas_closed_form),
        cmocka_unit_test(test_dead_cell),            cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
