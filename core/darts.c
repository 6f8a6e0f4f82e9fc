/*
 * core/darts.c - DARTS / NAS-Bench-301 cells: genotype strings in DARTS' and
 * NASLib's forms, the canonical form, neighbours and the adjacency
 * encoding.  See core/darts.h for the decisions and the conventions.
 *
 * The parsers are small hand-written scanners over Python's repr of the
 * two forms (no Python evaluation: only the exact shapes are read).
 */
#include "core/darts.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"

/* NASLib's nasbench301 op codes 0..6 (convert_compact_to_genotype). */
const char *const darts_op_names[DARTS_OPS] = {"max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3",
                                               "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"};

static const char *const cell_names[2] = {"normal", "reduce"};

static int at(int c, int k, int e) { return 16 * c + 4 * k + 2 * e; }

/* --- scanning ------------------------------------------------------------ */

struct scan {
    const char *p, *str;
};

static void skip_ws(struct scan *s)
{
    while (*s->p == ' ') s->p++;
}

/* Consume the literal lit (after spaces); 0 if it is there. */
static int lit(struct scan *s, const char *lit)
{
    skip_ws(s);
    size_t n = strlen(lit);
    if (strncmp(s->p, lit, n)) return -1;
    s->p += n;
    return 0;
}

/* An opening bracket or parenthesis; its closing partner in *close. */
static int open_any(struct scan *s, char *close)
{
    skip_ws(s);
    if (*s->p != '[' && *s->p != '(') return -1;
    *close = *s->p == '[' ? ']' : ')';
    s->p++;
    return 0;
}

static int close_is(struct scan *s, char close)
{
    skip_ws(s);
    if (*s->p != close) return -1;
    s->p++;
    return 0;
}

/* A small non-negative decimal integer (at most 3 digits). */
static int number(struct scan *s, int *v)
{
    skip_ws(s);
    int n = 0, x = 0;
    while (isdigit((unsigned char)*s->p) && n < 4) x = 10 * x + (*s->p++ - '0'), n++;
    if (n == 0 || n > 3) return -1;
    *v = x;
    return 0;
}

/* --- checks and canonical form ---------------------------------------- */

/* Store one edge (input, op) of node k of cell c, checking ranges. */
static int put_edge(const struct scan *s, struct arch *a, int c, int k, int e, int in, int op)
{
    if (in > k + 1)
        return nasw_errorf(NASW_EPARSE, "DARTS genotype '%.64s': %s cell node %d takes input %d (inputs 0..%d)", s->str,
                           cell_names[c], k, in, k + 1);
    if (op >= DARTS_OPS)
        return nasw_errorf(NASW_EPARSE, "DARTS genotype '%.64s': %s cell op code %d (codes 0..%d)", s->str,
                           cell_names[c], op, DARTS_OPS - 1);
    a->d[at(c, k, e)] = (uint16_t)in;
    a->d[at(c, k, e) + 1] = (uint16_t)op;
    return NASW_OK;
}

int darts_canonicalise(const struct arch *in, struct arch *out)
{
    *out = *in;
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < DARTS_NODES; k++) {
            uint16_t *d = &out->d[at(c, k, 0)];
            if (d[0] == d[2]) return -1;
            if (d[0] > d[2]) {
                uint16_t i = d[0], o = d[1];
                d[0] = d[2];
                d[1] = d[3];
                d[2] = i;
                d[3] = o;
            }
        }
    return 0;
}

int darts_is_canonical(const struct arch *a)
{
    if (a->n != DARTS_DIMS) return 0;
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < DARTS_NODES; k++) {
            const uint16_t *d = &a->d[at(c, k, 0)];
            if (d[0] >= d[2] || d[2] > k + 1 || d[1] >= DARTS_OPS || d[3] >= DARTS_OPS) return 0;
        }
    return 1;
}

static int finish(const struct scan *s, const struct arch *raw, struct arch *out)
{
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < DARTS_NODES; k++)
            if (raw->d[at(c, k, 0)] == raw->d[at(c, k, 1)])
                return nasw_errorf(NASW_EPARSE, "DARTS genotype '%.64s': %s cell node %d takes input %d twice", s->str,
                                   cell_names[c], k, raw->d[at(c, k, 0)]);
    darts_canonicalise(raw, out);
    return NASW_OK;
}

/* --- NASLib's compact form --------------------------------------------- */

static int parse_compact(struct scan *s, struct arch *a)
{
    char c0, c1, c2;
    if (open_any(s, &c0)) return -1;
    for (int c = 0; c < 2; c++) {
        if (c && lit(s, ",")) return -1;
        if (open_any(s, &c1)) return -1;
        for (int j = 0; j < 2 * DARTS_NODES; j++) {
            int in, op, st;
            if (j && lit(s, ",")) {
                if (close_is(s, c1) == 0)
                    return nasw_errorf(NASW_EPARSE, "DARTS genotype '%.64s': the %s cell has %d edges, not 8", s->str,
                                       cell_names[c], j);
                return -1;
            }
            if (open_any(s, &c2) || number(s, &in) || lit(s, ",") || number(s, &op) || close_is(s, c2)) return -1;
            if ((st = put_edge(s, a, c, j / 2, j % 2, in, op))) return st;
        }
        if (close_is(s, c1)) {
            if (lit(s, ",") == 0)
                return nasw_errorf(NASW_EPARSE, "DARTS genotype '%.64s': the %s cell has more than 8 edges", s->str,
                                   cell_names[c]);
            return -1;
        }
    }
    return close_is(s, c0);
}

/* --- DARTS' Genotype repr ---------------------------------------------- */

static int parse_concat(struct scan *s, int c)
{
    const char *p = s->p;
    if (lit(s, "range(2, 6)") == 0) return NASW_OK;
    s->p = p;
    if (lit(s, "[2, 3, 4, 5]") == 0) return NASW_OK;
    s->p = p;
    if (lit(s, "[2,3,4,5]") == 0) return NASW_OK;
    return nasw_errorf(NASW_EPARSE, "DARTS genotype '%.64s': %s_concat must be [2, 3, 4, 5] (every node)", s->str,
                       cell_names[c]);
}

static int parse_op_name(struct scan *s, int *op)
{
    skip_ws(s);
    char q = *s->p;
    if (q != '\'' && q != '"') return -1;
    const char *name = ++s->p;
    while (*s->p && *s->p != q) s->p++;
    if (*s->p != q) return -1;
    size_t len = (size_t)(s->p - name);
    s->p++;
    for (int i = 0; i < DARTS_OPS; i++)
        if (strlen(darts_op_names[i]) == len && !strncmp(darts_op_names[i], name, len)) {
            *op = i;
            return 0;
        }
    return nasw_errorf(NASW_EPARSE, "unknown op '%.*s' in DARTS genotype '%.64s' (DARTS ops: max_pool_3x3, "
                       "avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5)",
                       (int)(len > 32 ? 32 : len), name, s->str);
}

static int parse_genotype(struct scan *s, struct arch *a)
{
    if (lit(s, "Genotype(")) return -1;
    for (int c = 0; c < 2; c++) {
        char key[32];
        snprintf(key, sizeof key, "%s=", cell_names[c]);
        if ((c && lit(s, ",")) || lit(s, key) || lit(s, "[")) return -1;
        for (int j = 0; j < 2 * DARTS_NODES; j++) {
            int in, op = 0, st;
            if (j && lit(s, ",")) {
                if (close_is(s, ']') == 0)
                    return nasw_errorf(NASW_EPARSE, "DARTS genotype '%.64s': the %s cell has %d edges, not 8", s->str,
                                       cell_names[c], j);
                return -1;
            }
            if (lit(s, "(")) return -1;
            if ((st = parse_op_name(s, &op))) return st;
            if (lit(s, ",") || number(s, &in) || lit(s, ")")) return -1;
            if ((st = put_edge(s, a, c, j / 2, j % 2, in, op))) return st;
        }
        if (lit(s, "]")) {
            if (lit(s, ",") == 0)
                return nasw_errorf(NASW_EPARSE, "DARTS genotype '%.64s': the %s cell has more than 8 edges", s->str,
                                   cell_names[c]);
            return -1;
        }
        snprintf(key, sizeof key, "%s_concat=", cell_names[c]);
        int st;
        if (lit(s, ",") || lit(s, key)) return -1;
        if ((st = parse_concat(s, c))) return st;
    }
    return lit(s, ")");
}

int darts_looks_like(const char *str)
{
    if (!strncmp(str, "Genotype(", 9)) return 1;
    /* two opening brackets, then a third: a list of cells of pairs */
    int open = 0;
    for (const char *p = str; *p && open < 3; p++) {
        if (*p == ' ') continue;
        if (*p != '[' && *p != '(') return 0;
        open++;
    }
    return open == 3;
}

int darts_parse(const char *str, struct arch *out)
{
    struct scan s = {str, str};
    struct arch raw;
    memset(&raw, 0, sizeof raw);
    raw.n = DARTS_DIMS;
    nasw_errclear();
    int st = !strncmp(str, "Genotype(", 9) ? parse_genotype(&s, &raw) : parse_compact(&s, &raw);
    if (st == NASW_OK) {
        skip_ws(&s);
        if (*s.p) st = -1;
    }
    if (st == -1) return nasw_errorf(NASW_EPARSE, "malformed DARTS genotype '%.64s'", str);
    if (st) return st;
    return finish(&s, &raw, out);
}

int darts_format(const struct arch *a, char *buf, size_t n)
{
    size_t len = 0;
    for (int c = 0; c < 2; c++) {
        int w = snprintf(buf + len, n - len, "%s%s=[", c ? ", " : "Genotype(", cell_names[c]);
        if (w < 0 || (size_t)w >= n - len) return nasw_errorf(NASW_EINVAL, "buffer too small");
        len += (size_t)w;
        for (int j = 0; j < 2 * DARTS_NODES; j++) {
            int i = at(c, j / 2, j % 2);
            w = snprintf(buf + len, n - len, "%s('%s', %d)", j ? ", " : "", darts_op_names[a->d[i + 1]], a->d[i]);
            if (w < 0 || (size_t)w >= n - len) return nasw_errorf(NASW_EINVAL, "buffer too small");
            len += (size_t)w;
        }
        w = snprintf(buf + len, n - len, "], %s_concat=[2, 3, 4, 5]%s", cell_names[c], c ? ")" : "");
        if (w < 0 || (size_t)w >= n - len) return nasw_errorf(NASW_EINVAL, "buffer too small");
        len += (size_t)w;
    }
    return NASW_OK;
}

/* --- neighbours and encoding ------------------------------------------- */

int darts_neighbours(const struct arch *a, struct arch *out, int max)
{
    int n = 0;
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < DARTS_NODES; k++)
            for (int e = 0; e < 2; e++) {
                int i = at(c, k, e), other = a->d[at(c, k, 1 - e)];
                for (int op = 0; op < DARTS_OPS; op++) {
                    if (op == a->d[i + 1] || n >= max) continue;
                    out[n] = *a;
                    out[n++].d[i + 1] = (uint16_t)op;
                }
                for (int in = 0; in <= k + 1; in++) {
                    if (in == a->d[i] || in == other || n >= max) continue;
                    struct arch b = *a;
                    b.d[i] = (uint16_t)in;
                    darts_canonicalise(&b, &out[n++]);
                }
            }
    return n;
}

int darts_adjacency_dim(void) { return 2 * DARTS_EDGES_PER_CELL * DARTS_OPS; }

void darts_encode_adjacency(const struct arch *a, double *x)
{
    int dim = darts_adjacency_dim();
    for (int i = 0; i < dim; i++) x[i] = 0.0;
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < DARTS_NODES; k++) {
            int first = k * (k + 3) / 2; /* edges of nodes before k: 2 + 3 + ... */
            for (int e = 0; e < 2; e++) {
                int i = at(c, k, e);
                x[(c * DARTS_EDGES_PER_CELL + first + a->d[i]) * DARTS_OPS + a->d[i + 1]] = 1.0;
            }
        }
}
