/*
 * core/arch.c - spaces, architecture strings, keys, canonical forms,
 * sampling, mutation, neighbourhoods and encodings.  See core/arch.h.
 *
 * Cell strings follow NAS-Bench-201 (Dong & Yang, ICLR 2020):
 * "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|" lists, for node k = 1..n-1, the op
 * on each edge j -> k, j = 0..k-1.  The canonical form is NATS-Bench's
 * to_unique_str(consider_zero=True): node strings built bottom-up, the zero
 * op (or a zero input) gives "#", the identity passes its input's string
 * through, any other op gives "(input)@op"; a node joins the sorted strings
 * of its inputs with '+'.  We reproduce its quirks on purpose (e.g. a node
 * whose inputs are all zero becomes "#+#", not "#") because the published
 * class count (6,466 for NB201) is defined by it.
 */
#include "core/arch.h"
#include "core/darts.h"
#include "core/graph.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "core/rng.h"
#include "core/status.h"

const char *const arch_nb201_ops[5] = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                       "avg_pool_3x3"};

#define BAD_ECHO 64 /* bounded echo of user input in messages */

/* --- small helpers ------------------------------------------------------ */

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static int is_zero_name(const char *s) { return !strcmp(s, "none") || !strcmp(s, "zero"); }

static int is_identity_name(const char *s)
{
    return !strcmp(s, "skip_connect") || !strcmp(s, "identity") || !strcmp(s, "skip");
}

const char *space_kind_name(enum space_kind k)
{
    switch (k) {
    case SPACE_CELL: return "cell";
    case SPACE_CHAIN: return "chain";
    case SPACE_SET: return "set";
    case SPACE_GRAPH: return "graph";
    case SPACE_DARTS: return "darts";
    }
    return "?";
}

/* --- the intern table of wide spaces ------------------------------------ */

/* Every architecture of a wide space that has a key, in key order, and an
 * open-addressing index over them (slot = key + 1, 0 = empty) probed by a
 * hash of the decision vector and confirmed by comparing the vectors.
 * Shared by the clones of a space (refs), guarded by one lock. */
struct arch_intern {
    mtx_t lock;
    int refs;
    struct arch *archs;
    size_t n, cap;
    uint64_t *slots;
    size_t n_slots; /* power of two, load <= 1/2 */
};

static uint64_t arch_hash(const struct arch *a)
{
    uint64_t h = nasw_fnv1a(NASW_FNV_OFFSET, a->d, (size_t)a->n * sizeof a->d[0]);
    h ^= h >> 31; /* FNV's low bits mix poorly; the index masks them */
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 29);
}

static struct arch_intern *intern_new(void)
{
    struct arch_intern *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (mtx_init(&t->lock, mtx_plain) != thrd_success) {
        free(t);
        return NULL;
    }
    t->refs = 1;
    return t;
}

static void intern_unref(struct arch_intern *t)
{
    if (!t) return;
    mtx_lock(&t->lock);
    int left = --t->refs;
    mtx_unlock(&t->lock);
    if (left) return;
    mtx_destroy(&t->lock);
    free(t->archs);
    free(t->slots);
    free(t);
}

/* Slot of a, or of the empty slot where it would go (lock held). */
static size_t intern_slot(const struct arch_intern *t, const struct arch *a)
{
    size_t mask = t->n_slots - 1, i = (size_t)arch_hash(a) & mask;
    while (t->slots[i] && !arch_equal(&t->archs[t->slots[i] - 1], a)) i = (i + 1) & mask;
    return i;
}

static int intern_grow(struct arch_intern *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        struct arch *p = realloc(t->archs, cap * sizeof *p);
        if (!p) return NASW_ENOMEM;
        t->archs = p;
        t->cap = cap;
    }
    if (2 * (t->n + 1) > t->n_slots) {
        size_t n_slots = t->n_slots ? 2 * t->n_slots : 128;
        uint64_t *old = t->slots;
        size_t old_n = t->n_slots;
        if (!(t->slots = calloc(n_slots, sizeof *t->slots))) {
            t->slots = old;
            return NASW_ENOMEM;
        }
        t->n_slots = n_slots;
        for (size_t i = 0; i < old_n; i++)
            if (old[i]) t->slots[intern_slot(t, &t->archs[old[i] - 1])] = old[i];
        free(old);
    }
    return NASW_OK;
}

/* Key of a; if absent, add it when `add`, else return UINT64_MAX. */
static uint64_t intern_key(struct arch_intern *t, const struct arch *a, int add)
{
    uint64_t key = UINT64_MAX;
    mtx_lock(&t->lock);
    if (t->n_slots) {
        size_t i = intern_slot(t, a);
        if (t->slots[i]) key = t->slots[i] - 1;
    }
    if (key == UINT64_MAX && add) {
        int st = intern_grow(t);
        if (st == NASW_OK) {
            key = t->n;
            t->archs[t->n++] = *a;
            t->slots[intern_slot(t, a)] = key + 1;
        }
    }
    mtx_unlock(&t->lock);
    NASW_ASSERT(key != UINT64_MAX || !add); /* out of memory interning a key */
    return key;
}

uint64_t space_interned(const struct space *s)
{
    if (!s->wide) return 0;
    mtx_lock(&s->intern->lock);
    uint64_t n = s->intern->n;
    mtx_unlock(&s->intern->lock);
    return n;
}

/* The size of the space; a space of more than 2^63 architectures becomes
 * wide (interned keys). */
static int finish_size(struct space *s)
{
    uint64_t size = 1;
    double lg = 0.0;
    int wide = 0;
    for (int i = 0; i < s->n_dims; i++) {
        uint64_t c = (uint64_t)s->n_choices[i];
        if (c == 0) return nasw_errorf(NASW_EINVAL, "a decision with no choices");
        lg += log10((double)c);
        if (!wide && size > (UINT64_C(1) << 63) / c) wide = 1;
        if (!wide) size *= c;
    }
    s->log10_size = lg;
    s->size = wide ? UINT64_MAX : size;
    s->wide = wide;
    if (wide && !(s->intern = intern_new())) return nasw_errorf(NASW_ENOMEM, "out of memory");
    return NASW_OK;
}

/* --- building spaces ---------------------------------------------------- */

int space_cell_new(struct space **out, int n_nodes, const char *const *ops, int n_ops)
{
    *out = NULL;
    if (n_nodes < 2 || n_nodes > ARCH_MAX_NODES || n_nodes * (n_nodes - 1) / 2 > ARCH_MAX_DIMS)
        return nasw_errorf(NASW_EINVAL, "cell with %d nodes not supported (2..%d)", n_nodes,
                           ARCH_MAX_NODES);
    if (n_ops < 1 || n_ops > 65535)
        return nasw_errorf(NASW_EINVAL, "cell with %d ops not supported", n_ops);
    struct space *s = calloc(1, sizeof *s);
    if (!s) return NASW_ENOMEM;
    s->kind = SPACE_CELL;
    s->n_nodes = n_nodes;
    s->op_zero = s->op_identity = -1;
    s->ops = calloc((size_t)n_ops, sizeof *s->ops);
    if (!s->ops) goto nomem;
    s->n_ops = n_ops;
    for (int i = 0; i < n_ops; i++) {
        for (int j = 0; j < i; j++)
            if (!strcmp(ops[i], ops[j])) {
                space_free(s);
                return nasw_errorf(NASW_EINVAL, "duplicate op '%.64s'", ops[i]);
            }
        if (!(s->ops[i] = xstrdup(ops[i]))) goto nomem;
        if (is_zero_name(ops[i]) && s->op_zero < 0) s->op_zero = i;
        if (is_identity_name(ops[i]) && s->op_identity < 0) s->op_identity = i;
    }
    int e = 0;
    for (int k = 1; k < n_nodes; k++)
        for (int j = 0; j < k; j++) {
            s->edge_from[e] = j;
            s->edge_to[e] = k;
            s->n_choices[e] = n_ops;
            e++;
        }
    s->n_dims = e;
    int st = finish_size(s);
    if (st) {
        space_free(s);
        return st;
    }
    *out = s;
    return NASW_OK;
nomem:
    space_free(s);
    return nasw_errorf(NASW_ENOMEM, "out of memory");
}

int space_chain_new(struct space **out, int n_layers, const int *n_choices)
{
    *out = NULL;
    if (n_layers < 1 || n_layers > ARCH_MAX_DIMS)
        return nasw_errorf(NASW_EINVAL, "chain with %d layers not supported (1..%d)", n_layers,
                           ARCH_MAX_DIMS);
    struct space *s = calloc(1, sizeof *s);
    if (!s) return nasw_errorf(NASW_ENOMEM, "out of memory");
    s->kind = SPACE_CHAIN;
    s->n_dims = n_layers;
    s->op_zero = s->op_identity = -1;
    for (int i = 0; i < n_layers; i++) {
        if (n_choices[i] < 1 || n_choices[i] > 10) {
            space_free(s);
            return nasw_errorf(NASW_EINVAL, "chain layer %d: %d choices (digit codes allow 1..10)",
                               i, n_choices[i]);
        }
        s->n_choices[i] = n_choices[i];
    }
    int st = finish_size(s);
    if (st) {
        space_free(s);
        return st;
    }
    *out = s;
    return NASW_OK;
}

int space_graph_new(struct space **out)
{
    *out = NULL;
    struct space *s = calloc(1, sizeof *s);
    if (!s) return nasw_errorf(NASW_ENOMEM, "out of memory");
    s->kind = SPACE_GRAPH;
    s->n_dims = GRAPH_DIMS;
    s->op_zero = s->op_identity = -1;
    for (int i = 0; i < GRAPH_DIMS; i++) s->n_choices[i] = i < GRAPH_EDGES ? 2 : GRAPH_LABELS;
    s->n_nodes = GRAPH_VERTICES;
    int st = finish_size(s);
    if (st) {
        space_free(s);
        return st;
    }
    *out = s;
    return NASW_OK;
}

int space_darts_new(struct space **out)
{
    *out = NULL;
    struct space *s = calloc(1, sizeof *s);
    if (!s) return nasw_errorf(NASW_ENOMEM, "out of memory");
    s->kind = SPACE_DARTS;
    s->n_dims = DARTS_DIMS;
    s->op_zero = s->op_identity = -1;
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < DARTS_NODES; k++)
            for (int e = 0; e < 2; e++) {
                s->n_choices[16 * c + 4 * k + 2 * e] = k + 2;
                s->n_choices[16 * c + 4 * k + 2 * e + 1] = DARTS_OPS;
            }
    int st = finish_size(s);
    if (st) {
        space_free(s);
        return st;
    }
    *out = s;
    return NASW_OK;
}

static uint64_t name_hash(const char *name) { return nasw_fnv1a(NASW_FNV_OFFSET, name, strlen(name)); }

int space_set_new(struct space **out, const char *const *names, int n)
{
    *out = NULL;
    if (n < 1 || n > 65535) /* the item index must fit struct arch's uint16_t */
        return nasw_errorf(NASW_EINVAL, "set space with %d architectures not supported (1..65535)",
                           n);
    struct space *s = calloc(1, sizeof *s);
    if (!s) return nasw_errorf(NASW_ENOMEM, "out of memory");
    s->kind = SPACE_SET;
    s->n_dims = 1;
    s->n_choices[0] = n;
    s->size = (uint64_t)n;
    s->log10_size = log10((double)n);
    s->op_zero = s->op_identity = -1;
    s->ops = calloc((size_t)n, sizeof *s->ops);
    if (!s->ops || hashmap_init(&s->name_index, (size_t)n)) goto nomem;
    s->n_ops = n;
    for (int i = 0; i < n; i++) {
        int64_t prev;
        uint64_t h = name_hash(names[i]);
        if (hashmap_get(&s->name_index, h, &prev)) {
            int same = !strcmp(names[prev], names[i]);
            space_free(s);
            return nasw_errorf(NASW_EINVAL,
                               same ? "duplicate architecture '%.64s'"
                                    : "architecture ids '%.64s' collide in the 64-bit hash",
                               names[i]);
        }
        if (!(s->ops[i] = xstrdup(names[i]))) goto nomem;
        if (hashmap_put(&s->name_index, h, i)) goto nomem;
    }
    *out = s;
    return NASW_OK;
nomem:
    space_free(s);
    return nasw_errorf(NASW_ENOMEM, "out of memory");
}

void space_free(struct space *s)
{
    if (!s) return;
    if (s->ops)
        for (int i = 0; i < s->n_ops; i++) free(s->ops[i]);
    free(s->ops);
    hashmap_release(&s->name_index);
    free(s->members);
    hashmap_release(&s->member_set);
    intern_unref(s->intern);
    free(s);
}

int space_clone(struct space **out, const struct space *s)
{
    int st;
    *out = NULL;
    switch (s->kind) {
    case SPACE_CELL:
        st = space_cell_new(out, s->n_nodes, (const char *const *)s->ops, s->n_ops);
        break;
    case SPACE_CHAIN: st = space_chain_new(out, s->n_dims, s->n_choices); break;
    case SPACE_SET: st = space_set_new(out, (const char *const *)s->ops, s->n_ops); break;
    case SPACE_GRAPH: st = space_graph_new(out); break;
    case SPACE_DARTS: st = space_darts_new(out); break;
    default: return nasw_errorf(NASW_EINVAL, "unknown space kind");
    }
    if (st) return st;
    if (s->wide) { /* one key per architecture across clones: share the table */
        intern_unref((*out)->intern);
        mtx_lock(&s->intern->lock);
        s->intern->refs++;
        mtx_unlock(&s->intern->lock);
        (*out)->intern = s->intern;
    }
    if (s->n_members > 0 && (st = space_restrict(*out, s->members, (size_t)s->n_members))) {
        space_free(*out);
        *out = NULL;
        return st;
    }
    return NASW_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int space_restrict(struct space *s, const uint64_t *keys, size_t n)
{
    free(s->members);
    s->members = NULL;
    s->n_members = 0;
    hashmap_release(&s->member_set);
    if (n == 0) return nasw_errorf(NASW_EINVAL, "cannot restrict a space to no architectures");
    uint64_t *m = malloc(n * sizeof *m);
    if (!m) return nasw_errorf(NASW_ENOMEM, "out of memory");
    memcpy(m, keys, n * sizeof *m);
    qsort(m, n, sizeof *m, cmp_u64);
    size_t k = 0;
    uint64_t limit = s->wide ? space_interned(s) : s->size;
    for (size_t i = 0; i < n; i++) {
        if (m[i] >= limit) {
            unsigned long long bad = (unsigned long long)m[i];
            free(m);
            return nasw_errorf(NASW_EINVAL, "architecture key %llu outside the space", bad);
        }
        if (k == 0 || m[k - 1] != m[i]) m[k++] = m[i];
    }
    if (hashmap_init(&s->member_set, k)) {
        free(m);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < k; i++)
        if (hashmap_put(&s->member_set, m[i], (int64_t)i)) {
            free(m);
            hashmap_release(&s->member_set);
            return nasw_errorf(NASW_ENOMEM, "out of memory");
        }
    s->members = m;
    s->n_members = (int64_t)k;
    return NASW_OK;
}

uint64_t space_count(const struct space *s)
{
    return s->n_members > 0 ? (uint64_t)s->n_members : s->size;
}

static int is_member_key(const struct space *s, uint64_t key)
{
    if (s->n_members == 0 && s->kind == SPACE_GRAPH) {
        struct arch a;
        if (key >= s->size) return 0;
        arch_from_key(s, key, &a);
        return graph_is_canonical(&a);
    }
    if (s->n_members == 0 && s->kind == SPACE_DARTS) {
        struct arch a;
        if (key >= space_interned(s)) return 0;
        arch_from_key(s, key, &a);
        return darts_is_canonical(&a);
    }
    if (s->n_members == 0) return key < (s->wide ? space_interned(s) : s->size);
    return hashmap_get(&s->member_set, key, NULL);
}

/* Membership of a valid decision vector; in a wide space without giving it
 * a key (a restricted space's members all have one already, and every
 * vector of an unrestricted one is a member). */
static int is_member_arch(const struct space *s, const struct arch *a)
{
    if (!s->wide) return is_member_key(s, arch_key(s, a));
    if (s->n_members == 0) return s->kind != SPACE_DARTS || darts_is_canonical(a);
    uint64_t key = intern_key(s->intern, a, 0);
    return key != UINT64_MAX && hashmap_get(&s->member_set, key, NULL);
}

int space_contains(const struct space *s, const struct arch *a)
{
    if (a->n != s->n_dims) return 0;
    for (int i = 0; i < a->n; i++)
        if (a->d[i] >= s->n_choices[i]) return 0;
    return is_member_arch(s, a);
}

void space_describe(const struct space *s, char *buf, size_t n)
{
    size_t len = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (len < n) {                                                                             \
            int w_ = snprintf(buf + len, n - len, __VA_ARGS__);                                    \
            if (w_ > 0) len += (size_t)w_;                                                         \
        }                                                                                          \
    } while (0)
    if (n == 0) return;
    buf[0] = '\0';
    switch (s->kind) {
    case SPACE_CELL:
        ADD("cell: %d nodes, %d edges, %d ops (", s->n_nodes, s->n_dims, s->n_ops);
        for (int i = 0; i < s->n_ops; i++) ADD("%s%s", i ? ", " : "", s->ops[i]);
        ADD(")");
        break;
    case SPACE_CHAIN:
        ADD("chain: %d layers, choices ", s->n_dims);
        for (int i = 0; i < s->n_dims; i++) ADD("%s%d", i ? "x" : "", s->n_choices[i]);
        break;
    case SPACE_SET: ADD("set: %d architectures without known structure", s->n_choices[0]); break;
    case SPACE_GRAPH:
        ADD("graph: NAS-Bench-101 cells, up to %d vertices and %d edges, labels %s, %s, %s; 423624 "
            "distinct networks",
            GRAPH_VERTICES, GRAPH_MAX_EDGES, graph_label_names[0], graph_label_names[1], graph_label_names[2]);
        break;
    case SPACE_DARTS:
        ADD("darts: DARTS / NAS-Bench-301 normal + reduction cells, 4 nodes of 2 edges, %d ops; about 1.08e18 "
            "genotypes",
            DARTS_OPS);
        break;
    }
    if (s->kind == SPACE_DARTS) {
    } else if (s->wide && s->log10_size < 300) ADD(", about %.3g architectures", pow(10.0, s->log10_size));
    else if (s->wide) ADD(", about 10^%.0f architectures", s->log10_size);
    else if (s->kind != SPACE_GRAPH) ADD(", %llu architectures", (unsigned long long)s->size);
    if (s->n_members > 0 && (uint64_t)s->n_members != s->size)
        ADD(" (%lld in the table)", (long long)s->n_members);
#undef ADD
}

/* --- parsing and formatting --------------------------------------------- */

/* Split a cell string into tokens.  Calls tok(op, oplen, node k, input j, arg)
 * for every "|op~j|" entry; returns the number of nodes (groups + 1) or -1
 * with a message.  Checks the structure only (j = 0..k-1 in order). */
typedef int (*cell_tok_fn)(const char *op, size_t oplen, int k, int j, void *arg);

static int cell_scan(const char *str, cell_tok_fn tok, void *arg)
{
    const char *p = str;
    int k = 1;
    if (*p != '|') goto bad;
    for (;;) {
        /* group k: "|op~0|op~1|...|op~(k-1)|" */
        if (*p != '|') goto bad;
        p++;
        for (int j = 0; j < k; j++) {
            const char *op = p;
            while (*p && *p != '~' && *p != '|' && *p != '+') p++;
            if (*p != '~' || p == op) goto bad;
            size_t oplen = (size_t)(p - op);
            p++;
            char *end;
            if (!isdigit((unsigned char)*p)) goto bad;
            long jj = strtol(p, &end, 10);
            if (jj != j) goto bad;
            p = end;
            if (*p != '|') goto bad;
            if (tok && tok(op, oplen, k, j, arg)) return -1;
            if (j < k - 1) p++;
        }
        p++; /* closing '|' */
        if (*p == '\0') break;
        if (*p != '+') goto bad;
        p++;
        if (++k >= ARCH_MAX_NODES) goto bad;
    }
    return k + 1;
bad:
    nasw_errorf(NASW_EPARSE, "malformed cell architecture '%.64s'", str);
    return -1;
}

struct parse_ctx {
    const struct space *s;
    struct arch *a;
    const char *str;
};

static int parse_tok(const char *op, size_t oplen, int k, int j, void *arg)
{
    struct parse_ctx *c = arg;
    const struct space *s = c->s;
    if (k >= s->n_nodes) return 0; /* node count checked by the caller */
    int e = k * (k - 1) / 2 + j;
    for (int i = 0; i < s->n_ops; i++)
        if (strlen(s->ops[i]) == oplen && !memcmp(s->ops[i], op, oplen)) {
            c->a->d[e] = (uint16_t)i;
            return 0;
        }
    nasw_errorf(NASW_EPARSE, "unknown op '%.*s' in architecture '%.64s'",
                (int)(oplen > 64 ? 64 : oplen), op, c->str);
    return -1;
}

int arch_parse(const struct space *s, const char *str, struct arch *out)
{
    memset(out, 0, sizeof *out);
    out->n = s->n_dims;
    switch (s->kind) {
    case SPACE_CELL: {
        struct parse_ctx c = {s, out, str};
        int nodes = cell_scan(str, NULL, NULL);
        if (nodes < 0) return NASW_EPARSE;
        if (nodes != s->n_nodes)
            return nasw_errorf(NASW_EPARSE, "architecture '%.64s' has %d nodes, the space has %d",
                               str, nodes, s->n_nodes);
        if (cell_scan(str, parse_tok, &c) < 0) return NASW_EPARSE;
        return NASW_OK;
    }
    case SPACE_CHAIN: {
        size_t len = strlen(str);
        if (len != (size_t)s->n_dims)
            return nasw_errorf(NASW_EPARSE, "architecture '%.64s' has %zu layers, the space has %d",
                               str, len, s->n_dims);
        for (int i = 0; i < s->n_dims; i++) {
            if (!isdigit((unsigned char)str[i]))
                return nasw_errorf(NASW_EPARSE, "architecture '%.64s': '%c' is not a digit", str,
                                   str[i]);
            int v = str[i] - '0';
            if (v >= s->n_choices[i])
                return nasw_errorf(NASW_EPARSE,
                                   "architecture '%.64s': layer %d has choice %d, the space has %d",
                                   str, i, v, s->n_choices[i]);
            out->d[i] = (uint16_t)v;
        }
        return NASW_OK;
    }
    case SPACE_SET: {
        int64_t idx;
        if (hashmap_get(&s->name_index, name_hash(str), &idx) && !strcmp(s->ops[idx], str)) {
            out->d[0] = (uint16_t)idx;
            return NASW_OK;
        }
        return nasw_errorf(NASW_EPARSE, "unknown architecture '%.64s'", str);
    }
    case SPACE_GRAPH: return graph_parse(str, out);
    case SPACE_DARTS: return darts_parse(str, out);
    }
    return nasw_errorf(NASW_EINVAL, "unknown space kind");
}

int arch_format(const struct space *s, const struct arch *a, char *buf, size_t n)
{
    size_t len = 0;
    if (n == 0) return NASW_EINVAL;
    buf[0] = '\0';
    switch (s->kind) {
    case SPACE_CELL:
        for (int e = 0; e < s->n_dims; e++) {
            int k = s->edge_to[e], j = s->edge_from[e];
            int w = snprintf(buf + len, n - len, "%s%s~%d|", j > 0 ? "" : (k > 1 ? "+|" : "|"),
                             s->ops[a->d[e]], j);
            if (w < 0 || (size_t)w >= n - len) return nasw_errorf(NASW_EINVAL, "buffer too small");
            len += (size_t)w;
        }
        return NASW_OK;
    case SPACE_CHAIN:
        if ((size_t)s->n_dims >= n) return nasw_errorf(NASW_EINVAL, "buffer too small");
        for (int i = 0; i < s->n_dims; i++) buf[i] = (char)('0' + a->d[i]);
        buf[s->n_dims] = '\0';
        return NASW_OK;
    case SPACE_SET:
        if (strlen(s->ops[a->d[0]]) >= n) return nasw_errorf(NASW_EINVAL, "buffer too small");
        strcpy(buf, s->ops[a->d[0]]);
        return NASW_OK;
    case SPACE_GRAPH: return graph_format(a, buf, n);
    case SPACE_DARTS: return darts_format(a, buf, n);
    }
    return NASW_EINVAL;
}

/* --- inference ---------------------------------------------------------- */

struct vocab {
    char **names;
    int n, cap;
};

static int vocab_add(struct vocab *v, const char *name, size_t len)
{
    for (int i = 0; i < v->n; i++)
        if (strlen(v->names[i]) == len && !memcmp(v->names[i], name, len)) return 0;
    if (v->n == 65535) return nasw_errorf(NASW_EINVAL, "too many distinct ops");
    if (v->n == v->cap) {
        int cap = v->cap ? 2 * v->cap : 8;
        char **p = realloc(v->names, (size_t)cap * sizeof *p);
        if (!p) return nasw_errorf(NASW_ENOMEM, "out of memory");
        v->names = p;
        v->cap = cap;
    }
    if (!(v->names[v->n] = xstrndup(name, len))) return nasw_errorf(NASW_ENOMEM, "out of memory");
    v->n++;
    return 0;
}

static void vocab_free(struct vocab *v)
{
    for (int i = 0; i < v->n; i++) free(v->names[i]);
    free(v->names);
}

static int vocab_tok(const char *op, size_t oplen, int k, int j, void *arg)
{
    (void)k;
    (void)j;
    return vocab_add(arg, op, oplen);
}

static int op_rank(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, arch_nb201_ops[i])) return i;
    return 5;
}

static int cmp_ops(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int rx = op_rank(x), ry = op_rank(y);
    if (rx != ry) return rx - ry;
    return strcmp(x, y);
}

static int all_digits(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

int space_infer(struct space **out, const char *const *strs, size_t n, size_t *bad)
{
    *out = NULL;
    *bad = 0;
    if (n == 0) return nasw_errorf(NASW_EINVAL, "no architectures");
    if (strs[0][0] == '|') {
        struct vocab v = {0};
        int nodes = -1, st = NASW_OK;
        for (size_t i = 0; i < n; i++) {
            if (strs[i][0] != '|') {
                *bad = i;
                st = nasw_errorf(NASW_EPARSE, "malformed cell architecture '%.64s'", strs[i]);
                break;
            }
            int k = cell_scan(strs[i], vocab_tok, &v);
            if (k < 0) {
                *bad = i;
                st = NASW_EPARSE;
                break;
            }
            if (nodes < 0) nodes = k;
            else if (k != nodes) {
                *bad = i;
                st = nasw_errorf(NASW_EPARSE, "architecture '%.64s' has %d nodes, '%.64s' has %d",
                                 strs[i], k, strs[0], nodes);
                break;
            }
        }
        if (st == NASW_OK) {
            qsort(v.names, (size_t)v.n, sizeof *v.names, cmp_ops);
            st = space_cell_new(out, nodes, (const char *const *)v.names, v.n);
        }
        vocab_free(&v);
        return st;
    }
    if (darts_looks_like(strs[0])) {
        struct arch a;
        for (size_t i = 0; i < n; i++)
            if (darts_parse(strs[i], &a) != NASW_OK) {
                *bad = i;
                return NASW_EPARSE;
            }
        return space_darts_new(out);
    }
    if (graph_looks_like(strs[0])) {
        struct arch a;
        for (size_t i = 0; i < n; i++)
            if (graph_parse(strs[i], &a) != NASW_OK) {
                *bad = i;
                return NASW_EPARSE;
            }
        return space_graph_new(out);
    }
    size_t len = strlen(strs[0]);
    int chain = len <= ARCH_MAX_DIMS;
    for (size_t i = 0; chain && i < n; i++)
        if (strlen(strs[i]) != len || !all_digits(strs[i])) chain = 0;
    if (chain) {
        int choices[ARCH_MAX_DIMS] = {0};
        for (size_t i = 0; i < n; i++)
            for (size_t l = 0; l < len; l++) {
                int d = strs[i][l] - '0' + 1;
                if (d > choices[l]) choices[l] = d;
            }
        return space_chain_new(out, (int)len, choices);
    }
    /* Unstructured ids: distinct names in order of first appearance. */
    struct hashmap seen;
    const char **names = malloc(n * sizeof *names);
    if (!names || hashmap_init(&seen, n)) {
        free(names);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    int m = 0, st = NASW_OK;
    for (size_t i = 0; i < n; i++) {
        if (strs[i][0] == '|') {
            *bad = i;
            st = nasw_errorf(NASW_EPARSE, "cell architecture '%.64s' among non-cell ids", strs[i]);
            break;
        }
        uint64_t h = name_hash(strs[i]);
        int64_t j;
        if (hashmap_get(&seen, h, &j)) {
            if (strcmp(names[j], strs[i])) {
                *bad = i;
                st = nasw_errorf(NASW_EINVAL, "architecture ids '%.64s' and '%.64s' collide",
                                 strs[i], names[j]);
                break;
            }
            continue;
        }
        if (m == 65535) {
            *bad = i;
            st = nasw_errorf(NASW_EINVAL, "more than 65535 distinct architecture ids");
            break;
        }
        if (hashmap_put(&seen, h, m)) {
            st = nasw_errorf(NASW_ENOMEM, "out of memory");
            break;
        }
        names[m++] = strs[i];
    }
    if (st == NASW_OK) st = space_set_new(out, names, m);
    hashmap_release(&seen);
    free(names);
    return st;
}

/* --- keys --------------------------------------------------------------- */

uint64_t arch_key(const struct space *s, const struct arch *a)
{
    if (s->wide) return intern_key(s->intern, a, 1);
    uint64_t key = 0;
    for (int i = s->n_dims - 1; i >= 0; i--) key = key * (uint64_t)s->n_choices[i] + a->d[i];
    return key;
}

void arch_from_key(const struct space *s, uint64_t key, struct arch *a)
{
    if (s->wide) {
        mtx_lock(&s->intern->lock);
        int ok = key < s->intern->n;
        if (ok) *a = s->intern->archs[key];
        mtx_unlock(&s->intern->lock);
        NASW_ASSERT(ok); /* a key this space never gave */
        return;
    }
    memset(a, 0, sizeof *a);
    a->n = s->n_dims;
    for (int i = 0; i < s->n_dims; i++) {
        a->d[i] = (uint16_t)(key % (uint64_t)s->n_choices[i]);
        key /= (uint64_t)s->n_choices[i];
    }
}

int arch_equal(const struct arch *a, const struct arch *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (a->d[i] != b->d[i]) return 0;
    return 1;
}

/* --- canonical form ----------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int arch_canonical(const struct space *s, const struct arch *a, char *buf, size_t n)
{
    if (s->kind != SPACE_CELL) return arch_format(s, a, buf, n);
    char *node[ARCH_MAX_NODES] = {0};
    char *parts[ARCH_MAX_NODES];
    int st = NASW_OK;
    node[0] = xstrdup("0");
    if (!node[0]) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int k = 1; k < s->n_nodes && st == NASW_OK; k++) {
        size_t total = 0;
        int np = 0;
        for (int j = 0; j < k; j++) {
            int e = k * (k - 1) / 2 + j, op = a->d[e];
            const char *in = node[j];
            char *x;
            if (op == s->op_zero || !strcmp(in, "#")) x = xstrdup("#");
            else if (op == s->op_identity) x = xstrdup(in);
            else {
                size_t len = strlen(in) + strlen(s->ops[op]) + 4;
                x = malloc(len);
                if (x) snprintf(x, len, "(%s)@%s", in, s->ops[op]);
            }
            if (!x) {
                st = nasw_errorf(NASW_ENOMEM, "out of memory");
                break;
            }
            parts[np++] = x;
            total += strlen(x) + 1;
        }
        if (st == NASW_OK) {
            qsort(parts, (size_t)np, sizeof *parts, cmp_str);
            node[k] = malloc(total);
            if (!node[k]) st = nasw_errorf(NASW_ENOMEM, "out of memory");
            else {
                node[k][0] = '\0';
                for (int i = 0; i < np; i++) {
                    if (i) strcat(node[k], "+");
                    strcat(node[k], parts[i]);
                }
            }
        }
        for (int i = 0; i < np; i++) free(parts[i]);
    }
    if (st == NASW_OK) {
        const char *res = node[s->n_nodes - 1];
        if (strlen(res) >= n) st = nasw_errorf(NASW_EINVAL, "canonical form too long");
        else strcpy(buf, res);
    }
    for (int k = 0; k < s->n_nodes; k++) free(node[k]);
    return st;
}

/* --- sampling, mutation, neighbourhoods --------------------------------- */

void arch_sample(const struct space *s, struct rng *r, struct arch *out)
{
    if (s->n_members > 0) {
        arch_from_key(s, s->members[rng_int(r, (uint64_t)s->n_members)], out);
        return;
    }
    for (;;) {
        memset(out, 0, sizeof *out);
        out->n = s->n_dims;
        for (int i = 0; i < s->n_dims; i++) out->d[i] = (uint16_t)rng_int(r, (uint64_t)s->n_choices[i]);
        /* graphs: NAS-Bench-101's random_spec, uniform matrices and labels
         * until a valid one, then its canonical form */
        /* DARTS: two different inputs per node, uniform over the unordered
         * pairs once sorted */
        if (s->kind != SPACE_GRAPH && s->kind != SPACE_DARTS) return;
        struct arch c;
        if ((s->kind == SPACE_GRAPH ? graph_canonicalise(out, &c) : darts_canonicalise(out, &c)) == 0) {
            *out = c;
            return;
        }
    }
}

void arch_sample_avoiding(const struct space *s, struct rng *r, const struct hashmap *avoid, int tries,
                          struct arch *out)
{
    for (int i = 0; i < tries; i++) {
        arch_sample(s, r, out);
        if (!hashmap_get(avoid, arch_key(s, out), NULL)) return;
    }
}

int space_max_neighbours(const struct space *s)
{
    if (s->kind == SPACE_GRAPH) return GRAPH_MAX_NEIGHBOURS;
    if (s->kind == SPACE_DARTS) return DARTS_MAX_NEIGHBOURS;
    int n = 0;
    for (int i = 0; i < s->n_dims; i++) n += s->n_choices[i] - 1;
    return n;
}

/* Visit the member neighbours of a in the fixed order (decision, value).
 * Returns how many there are; if `want` >= 0, stores the want-th in *hit. */
static long visit_neighbours(const struct space *s, const struct arch *a, long want, struct arch *hit,
                             struct arch *list, int max)
{
    long count = 0;
    if (s->wide) { /* no key arithmetic: build each neighbour */
        for (int i = 0; i < s->n_dims; i++)
            for (int v = 0; v < s->n_choices[i]; v++) {
                if (v == a->d[i]) continue;
                struct arch b = *a;
                b.d[i] = (uint16_t)v;
                if (!is_member_arch(s, &b)) continue;
                if (count == want && hit) {
                    *hit = b;
                    return count + 1;
                }
                if (list && count < max) list[count] = b;
                count++;
            }
        return count;
    }
    uint64_t key = arch_key(s, a), mult = 1;
    for (int i = 0; i < s->n_dims; i++) {
        uint64_t base = key - (uint64_t)a->d[i] * mult;
        for (int v = 0; v < s->n_choices[i]; v++) {
            if (v == a->d[i]) continue;
            uint64_t k2 = base + (uint64_t)v * mult;
            if (!is_member_key(s, k2)) continue;
            if (count == want && hit) {
                *hit = *a;
                hit->d[i] = (uint16_t)v;
                return count + 1;
            }
            if (list && count < max) {
                list[count] = *a;
                list[count].d[i] = (uint16_t)v;
            }
            count++;
        }
        mult *= (uint64_t)s->n_choices[i];
    }
    return count;
}

/* Room for the moves of the spaces that list them (graphs, DARTS). */
#define MOVES_MAX (GRAPH_MAX_NEIGHBOURS > DARTS_MAX_NEIGHBOURS ? GRAPH_MAX_NEIGHBOURS : DARTS_MAX_NEIGHBOURS)

int arch_mutate(const struct space *s, struct rng *r, const struct arch *in, struct arch *out)
{
    if (s->kind == SPACE_SET) {
        /* No structure: any other member is a neighbour. */
        uint64_t cnt = space_count(s), self = arch_key(s, in);
        if (cnt < 2) return nasw_errorf(NASW_ENOTFOUND, "no other architecture to mutate to");
        uint64_t pick = rng_int(r, cnt - 1);
        if (s->n_members > 0) {
            int64_t pos;
            if (hashmap_get(&s->member_set, self, &pos) && pick >= (uint64_t)pos) pick++;
            arch_from_key(s, s->members[pick], out);
        } else {
            if (pick >= self) pick++;
            arch_from_key(s, pick, out);
        }
        return NASW_OK;
    }
    if (s->kind == SPACE_GRAPH || s->kind == SPACE_DARTS) {
        struct arch list[MOVES_MAX];
        int n = arch_neighbours(s, in, list, MOVES_MAX);
        if (n == 0) return NASW_ENOTFOUND;
        *out = list[rng_int(r, (uint64_t)n)];
        return NASW_OK;
    }
    long n = visit_neighbours(s, in, -1, NULL, NULL, 0);
    if (n == 0) return NASW_ENOTFOUND;
    long want = (long)rng_int(r, (uint64_t)n);
    struct arch tmp;
    visit_neighbours(s, in, want, &tmp, NULL, 0);
    *out = tmp;
    return NASW_OK;
}

int arch_neighbours(const struct space *s, const struct arch *a, struct arch *out, int max)
{
    if (s->kind == SPACE_GRAPH || s->kind == SPACE_DARTS) {
        /* distinct canonical graphs one edge or one label away, or genotypes
         * one op or input away; members only */
        struct arch all[MOVES_MAX];
        int n = s->kind == SPACE_GRAPH ? graph_neighbours(a, all, MOVES_MAX) : darts_neighbours(a, all, MOVES_MAX), k = 0;
        for (int i = 0; i < n && k < max; i++)
            if (is_member_arch(s, &all[i])) out[k++] = all[i];
        return k;
    }
    long n = visit_neighbours(s, a, -1, NULL, out, max);
    return (int)(n < max ? n : max);
}

/* --- encodings ---------------------------------------------------------- */

int space_onehot_dim(const struct space *s)
{
    int n = 0;
    for (int i = 0; i < s->n_dims; i++) n += s->n_choices[i];
    return n;
}

void arch_encode_onehot(const struct space *s, const struct arch *a, double *x)
{
    int off = 0;
    for (int i = 0; i < s->n_dims; i++) {
        for (int v = 0; v < s->n_choices[i]; v++) x[off + v] = 0.0;
        x[off + a->d[i]] = 1.0;
        off += s->n_choices[i];
    }
}

#define PATH_DIM_MAX (1 << 20)

/* Symbols of a path: the non-zero ops, K' of them. */
static int path_symbols(const struct space *s) { return s->n_ops - (s->op_zero >= 0); }

int space_path_dim(const struct space *s)
{
    if (s->kind == SPACE_GRAPH) return graph_path_dim();
    if (s->kind == SPACE_DARTS) return darts_adjacency_dim();
    if (s->kind != SPACE_CELL) return space_onehot_dim(s);
    long k = path_symbols(s), dim = 0, p = 1;
    for (int len = 1; len < s->n_nodes; len++) {
        p *= k;
        dim += p;
        if (dim > PATH_DIM_MAX) return -1;
    }
    return (int)dim;
}

struct path_ctx {
    const struct space *s;
    const struct arch *a;
    double *x;
    long offset[ARCH_MAX_NODES + 1]; /* offset of paths of each length */
};

static void walk_paths(struct path_ctx *c, int node, int len, long code, long mult)
{
    const struct space *s = c->s;
    int last = s->n_nodes - 1;
    if (node == last) {
        c->x[c->offset[len] + code] += 1.0;
        return;
    }
    for (int next = node + 1; next <= last; next++) {
        int e = next * (next - 1) / 2 + node, op = c->a->d[e];
        if (op == s->op_zero) continue;
        int sym = (s->op_zero >= 0 && op > s->op_zero) ? op - 1 : op;
        walk_paths(c, next, len + 1, code + sym * mult, mult * path_symbols(s));
    }
}

void arch_encode_path(const struct space *s, const struct arch *a, double *x)
{
    if (s->kind == SPACE_DARTS) {
        darts_encode_adjacency(a, x);
        return;
    }
    if (s->kind == SPACE_GRAPH) {
        graph_encode_path(a, x);
        return;
    }
    if (s->kind != SPACE_CELL) {
        arch_encode_onehot(s, a, x);
        return;
    }
    int dim = space_path_dim(s);
    NASW_ASSERT(dim > 0);
    struct path_ctx c = {.s = s, .a = a, .x = x};
    long k = path_symbols(s), p = 1, off = 0;
    for (int len = 1; len < s->n_nodes; len++) {
        c.offset[len] = off;
        p *= k;
        off += p;
    }
    for (int i = 0; i < dim; i++) x[i] = 0.0;
    walk_paths(&c, 0, 0, 0, 1);
}
