/*
 * core/graph.c - the NAS-Bench-101 graph space: parsing both string
 * formats, pruning, exact canonical labelling, neighbours, path encoding.
 * See core/graph.h for the representation.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/status.h"

const char *const graph_label_names[GRAPH_LABELS] = {"conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"};

/* A graph of n vertices (0 input, n-1 output): adj[i][j] for i < j,
 * lab[v] in 0..2 for the inner vertices. */
struct g {
    int n;
    unsigned char adj[GRAPH_VERTICES][GRAPH_VERTICES];
    int lab[GRAPH_VERTICES];
};

static int eidx(int i, int j) { return j * (j - 1) / 2 + i; }

static void from_arch(const struct arch *a, struct g *g)
{
    memset(g, 0, sizeof *g);
    g->n = GRAPH_VERTICES;
    for (int j = 1; j < GRAPH_VERTICES; j++)
        for (int i = 0; i < j; i++) g->adj[i][j] = (unsigned char)a->d[eidx(i, j)];
    for (int v = 1; v < GRAPH_VERTICES - 1; v++) g->lab[v] = a->d[GRAPH_EDGES + v - 1];
}

/* Remove the vertices on no input-output path (NAS-Bench-101's pruning).
 * -1 if the output is not reachable from the input. */
static int prune(const struct g *in, struct g *out)
{
    int n = in->n, fwd[GRAPH_VERTICES] = {0}, bwd[GRAPH_VERTICES] = {0};
    fwd[0] = 1;
    for (int j = 1; j < n; j++)
        for (int i = 0; i < j; i++)
            if (fwd[i] && in->adj[i][j]) fwd[j] = 1;
    bwd[n - 1] = 1;
    for (int i = n - 2; i >= 0; i--)
        for (int j = i + 1; j < n; j++)
            if (bwd[j] && in->adj[i][j]) bwd[i] = 1;
    if (!fwd[n - 1]) return -1;
    int map[GRAPH_VERTICES], k = 0;
    for (int v = 0; v < n; v++) map[v] = fwd[v] && bwd[v] ? k++ : -1;
    memset(out, 0, sizeof *out);
    out->n = k;
    for (int v = 0; v < n; v++)
        if (map[v] >= 0) out->lab[map[v]] = in->lab[v];
    for (int j = 0; j < n; j++)
        for (int i = 0; i < j; i++)
            if (in->adj[i][j] && map[i] >= 0 && map[j] >= 0) out->adj[map[i]][map[j]] = 1;
    return 0;
}

static int n_edges(const struct g *g)
{
    int e = 0;
    for (int j = 1; j < g->n; j++)
        for (int i = 0; i < j; i++) e += g->adj[i][j];
    return e;
}

/* Decisions of a pruned graph whose inner vertex v sits at position pos[v]
 * (input 0, output 6, unused positions isolated with label 0). */
static void place(const struct g *g, const int *pos, struct arch *a)
{
    memset(a, 0, sizeof *a);
    a->n = GRAPH_DIMS;
    for (int j = 1; j < g->n; j++)
        for (int i = 0; i < j; i++)
            if (g->adj[i][j]) a->d[eidx(pos[i], pos[j])] = 1;
    for (int v = 1; v < g->n - 1; v++) a->d[GRAPH_EDGES + pos[v] - 1] = (uint16_t)g->lab[v];
}

/* a < b in key order (the last decision is the most significant) */
static int arch_less(const struct arch *a, const struct arch *b)
{
    for (int i = GRAPH_DIMS - 1; i >= 0; i--)
        if (a->d[i] != b->d[i]) return a->d[i] < b->d[i];
    return 0;
}

/* Try every assignment of the inner vertices to positions 1..m that keeps
 * every edge going upwards; keep the smallest. */
static void search(const struct g *g, int *pos, int v, unsigned used, struct arch *best, int *have)
{
    int m = g->n - 2;
    if (v > m) {
        struct arch a;
        place(g, pos, &a);
        if (!*have || arch_less(&a, best)) *best = a, *have = 1;
        return;
    }
    for (int p = 1; p <= m; p++) {
        if (used & (1u << p)) continue;
        int ok = 1;
        for (int u = 1; u < v && ok; u++) /* placed inner vertices */
            if ((g->adj[u][v] && pos[u] > p) || (g->adj[v][u] && pos[u] < p)) ok = 0;
        if (!ok) continue;
        pos[v] = p;
        search(g, pos, v + 1, used | (1u << p), best, have);
    }
}

/* Canonical decisions of a graph (any size up to 7); -1 if invalid. */
static int canon(const struct g *in, struct arch *out)
{
    struct g g;
    if (prune(in, &g) != 0 || n_edges(&g) > GRAPH_MAX_EDGES) return -1;
    int pos[GRAPH_VERTICES], have = 0;
    pos[0] = 0;
    pos[g.n - 1] = GRAPH_VERTICES - 1;
    search(&g, pos, 1, 0, out, &have);
    return have ? 0 : -1;
}

int graph_canonicalise(const struct arch *in, struct arch *out)
{
    struct g g;
    from_arch(in, &g);
    return canon(&g, out);
}

int graph_is_canonical(const struct arch *a)
{
    struct arch c;
    if (a->n != GRAPH_DIMS || graph_canonicalise(a, &c) != 0) return 0;
    for (int i = 0; i < GRAPH_DIMS; i++)
        if (c.d[i] != a->d[i]) return 0;
    return 1;
}

int graph_looks_like(const char *s)
{
    if (s[0] == '(') return strchr(s, ',') != NULL;
    return (s[0] == '0' || s[0] == '1') && strchr(s, ':') != NULL && strspn(s, "01.") == (size_t)(strchr(s, ':') - s);
}

/* "ROW.ROW...:lab,lab,..." */
static int parse_rows(const char *str, struct g *g)
{
    const char *colon = strchr(str, ':');
    int k = 0;
    size_t len = (size_t)(colon - str), row = strcspn(str, ".:");
    if (row < 2 || row > GRAPH_VERTICES)
        return nasw_errorf(NASW_EPARSE, "graph '%.64s': %zu vertices (2..7)", str, row);
    k = (int)row;
    if (len != (size_t)k * (size_t)(k + 1) - 1)
        return nasw_errorf(NASW_EPARSE, "graph '%.64s': the matrix is not %d rows of %d digits", str, k, k);
    memset(g, 0, sizeof *g);
    g->n = k;
    for (int i = 0; i < k; i++) {
        const char *r = str + (size_t)i * (size_t)(k + 1);
        if (i < k - 1 && r[k] != '.')
            return nasw_errorf(NASW_EPARSE, "graph '%.64s': the matrix is not %d rows of %d digits", str, k, k);
        for (int j = 0; j < k; j++) {
            if (r[j] != '0' && r[j] != '1')
                return nasw_errorf(NASW_EPARSE, "graph '%.64s': '%c' in the matrix", str, r[j]);
            if (r[j] == '1' && j <= i)
                return nasw_errorf(NASW_EPARSE,
                                   "graph '%.64s': edge %d->%d goes downwards (the matrix must be upper "
                                   "triangular: no cycles)",
                                   str, i, j);
            g->adj[i][j] = (unsigned char)(r[j] - '0');
        }
    }
    const char *p = colon + 1;
    for (int v = 0; v < k; v++) {
        size_t n = strcspn(p, ",");
        int want = v == 0 ? -1 : v == k - 1 ? -2 : 0, got = -3;
        if (n == 5 && !strncmp(p, "input", 5)) got = -1;
        else if (n == 6 && !strncmp(p, "output", 6)) got = -2;
        else
            for (int l = 0; l < GRAPH_LABELS; l++)
                if (strlen(graph_label_names[l]) == n && !strncmp(p, graph_label_names[l], n)) got = l;
        if (got == -3) return nasw_errorf(NASW_EPARSE, "graph '%.64s': unknown label '%.*s'", str, (int)(n < 32 ? n : 32), p);
        if (want < 0 ? got != want : got < 0)
            return nasw_errorf(NASW_EPARSE, "graph '%.64s': vertex %d is '%.*s' (input first, output last)", str, v,
                               (int)(n < 32 ? n : 32), p);
        if (want == 0) g->lab[v] = got;
        p += n;
        if (v < k - 1 && *p++ != ',') return nasw_errorf(NASW_EPARSE, "graph '%.64s': %d labels for %d vertices", str, v + 1, k);
    }
    if (*p) return nasw_errorf(NASW_EPARSE, "graph '%.64s': more labels than the %d vertices", str, k);
    return NASW_OK;
}

/* NASLib's "(a00, ..., a66, o0, ..., o6)" */
static int parse_tuple(const char *str, struct g *g)
{
    static const int code_lab[5] = {-1, -2, 2, 1, 0}; /* input output maxpool conv1x1 conv3x3 */
    int v[49 + GRAPH_VERTICES], n = 0;
    const char *p = str + 1;
    for (;;) {
        while (*p == ' ') p++;
        if (!isdigit((unsigned char)*p) || n == 49 + GRAPH_VERTICES)
            return nasw_errorf(NASW_EPARSE, "graph '%.64s': not 56 integers in parentheses", str);
        v[n++] = (int)strtol(p, (char **)&p, 10);
        while (*p == ' ') p++;
        if (*p == ')') break;
        if (*p++ != ',') return nasw_errorf(NASW_EPARSE, "graph '%.64s': not 56 integers in parentheses", str);
    }
    if (n != 49 + GRAPH_VERTICES || p[1])
        return nasw_errorf(NASW_EPARSE, "graph '%.64s': not 56 integers in parentheses", str);
    memset(g, 0, sizeof *g);
    g->n = GRAPH_VERTICES;
    for (int i = 0; i < GRAPH_VERTICES; i++)
        for (int j = 0; j < GRAPH_VERTICES; j++) {
            int x = v[i * GRAPH_VERTICES + j];
            if (x != 0 && x != 1) return nasw_errorf(NASW_EPARSE, "graph '%.64s': matrix entry %d", str, x);
            if (x && j <= i)
                return nasw_errorf(NASW_EPARSE,
                                   "graph '%.64s': edge %d->%d goes downwards (the matrix must be upper "
                                   "triangular: no cycles)",
                                   str, i, j);
            g->adj[i][j] = (unsigned char)x;
        }
    for (int k = 0; k < GRAPH_VERTICES; k++) {
        int c = v[49 + k];
        int want = k == 0 ? -1 : k == GRAPH_VERTICES - 1 ? -2 : 0;
        if (c < 0 || c > 4) return nasw_errorf(NASW_EPARSE, "graph '%.64s': label code %d (0..4)", str, c);
        int lab = code_lab[c];
        if (want < 0 ? lab != want : lab < 0)
            return nasw_errorf(NASW_EPARSE, "graph '%.64s': vertex %d has label code %d (input first, output last)",
                               str, k, c);
        if (want == 0) g->lab[k] = lab;
    }
    return NASW_OK;
}

int graph_parse(const char *str, struct arch *out)
{
    struct g g, pr;
    int st = str[0] == '(' ? parse_tuple(str, &g)
             : graph_looks_like(str) ? parse_rows(str, &g)
                                     : nasw_errorf(NASW_EPARSE, "'%.64s' is not a graph", str);
    if (st) return st;
    if (prune(&g, &pr) != 0) return nasw_errorf(NASW_EPARSE, "graph '%.64s' has no path from input to output", str);
    if (n_edges(&pr) > GRAPH_MAX_EDGES)
        return nasw_errorf(NASW_EPARSE, "graph '%.64s' has %d edges after pruning (at most %d)", str, n_edges(&pr),
                           GRAPH_MAX_EDGES);
    canon(&g, out);
    return NASW_OK;
}

int graph_format(const struct arch *a, char *buf, size_t n)
{
    struct g g, pr;
    from_arch(a, &g);
    if (prune(&g, &pr) != 0) return nasw_errorf(NASW_EINVAL, "not a valid graph");
    size_t len = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(buf + len, n - len, __VA_ARGS__);                                        \
        if (w_ < 0 || (size_t)w_ >= n - len) return nasw_errorf(NASW_EINVAL, "buffer too small"); \
        len += (size_t)w_;                                                                         \
    } while (0)
    for (int i = 0; i < pr.n; i++) {
        for (int j = 0; j < pr.n; j++) PUT("%d", j > i ? pr.adj[i][j] : 0);
        if (i < pr.n - 1) PUT(".");
    }
    PUT(":input");
    for (int v = 1; v < pr.n - 1; v++) PUT(",%s", graph_label_names[pr.lab[v]]);
    PUT(",output");
#undef PUT
    return NASW_OK;
}

/* Canonicalise the changed graph t and append it to out[0..k) unless it is
 * invalid, a itself, or already there; returns the new count. */
static int add_neighbour(const struct arch *a, const struct arch *t, struct arch *out, int k, int max)
{
    struct arch c;
    if (graph_canonicalise(t, &c) != 0 || !memcmp(c.d, a->d, sizeof c.d)) return k;
    for (int q = 0; q < k && q < max; q++)
        if (!memcmp(c.d, out[q].d, sizeof c.d)) return k;
    if (k < max) out[k] = c;
    return k + 1;
}

int graph_neighbours(const struct arch *a, struct arch *out, int max)
{
    int k = 0;
    for (int i = 0; i < GRAPH_DIMS; i++) {
        int nv = i < GRAPH_EDGES ? 2 : GRAPH_LABELS;
        for (int v = 0; v < nv; v++) {
            if (v == a->d[i]) continue;
            struct arch t = *a;
            t.d[i] = (uint16_t)v;
            k = add_neighbour(a, &t, out, k, max);
        }
    }
    /* a new vertex: one flip cannot add one (a vertex with a single edge is
     * pruned again), so the first free position w is connected from a live
     * vertex u and into the output, with each label */
    int m = 0;
    struct g g;
    from_arch(a, &g);
    for (int v = 1; v < GRAPH_VERTICES - 1; v++)
        for (int u = 0; u < GRAPH_VERTICES; u++)
            if ((u < v && g.adj[u][v]) || (u > v && g.adj[v][u])) m = v > m ? v : m;
    int w = m + 1;
    if (w < GRAPH_VERTICES - 1)
        for (int u = 0; u <= m; u++)
            for (int l = 0; l < GRAPH_LABELS; l++) {
                struct arch t = *a;
                t.d[eidx(u, w)] = 1;
                t.d[eidx(w, GRAPH_VERTICES - 1)] = 1;
                t.d[GRAPH_EDGES + w - 1] = (uint16_t)l;
                k = add_neighbour(a, &t, out, k, max);
            }
    return k < max ? k : max;
}

int graph_path_dim(void) { return 1 + 3 + 9 + 27 + 81 + 243; }

static void walk(const struct g *g, int v, int len, int code, int mult, double *x)
{
    static const int off[6] = {0, 1, 4, 13, 40, 121};
    if (v == g->n - 1) {
        x[off[len] + code] += 1.0;
        return;
    }
    for (int w = v + 1; w < g->n; w++) {
        if (!g->adj[v][w]) continue;
        if (w == g->n - 1) walk(g, w, len, code, mult, x);
        else walk(g, w, len + 1, code + g->lab[w] * mult, mult * 3, x);
    }
}

void graph_encode_path(const struct arch *a, double *x)
{
    struct g g, pr;
    for (int i = 0; i < graph_path_dim(); i++) x[i] = 0.0;
    from_arch(a, &g);
    if (prune(&g, &pr) == 0) walk(&pr, 0, 0, 0, 1, x);
}
