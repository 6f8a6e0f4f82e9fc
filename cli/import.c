/*
 * cli/import.c - `nasw tables import`: benchmark files in their native
 * formats converted to nasw's table schema (data/README.md).
 *
 * Formats (--format):
 *   naslib-zc   NASLib's zero-cost JSON (zc_nasbench201.json, zc_nasbench101.json,
 *               zc_nasbench301.json, ...): {[space:] {dataset: {arch: record}}},
 *               a record holding "val_accuracy", "idx" (NASLib's sample id, written as naslib_id; not the benchmark's index) and proxies either as
 *               numbers or as {"score": x, "time": t}.  NASLib writes
 *               -Infinity/Infinity/NaN, which are not JSON: they are read as
 *               -inf/inf (tables accept them outside the searched columns);
 *               NaN is an error naming the record (tables hold no missing
 *               values).
 *               NAS-Bench-201 op tuples "(0, 2, 3, 2, 3, 1)" become official
 *               cell strings (NASLib's op indices and edge order);
 *               NAS-Bench-101 specs (49 matrix entries + 7 labels) become
 *               canonical graph strings (core/graph.h), and of several
 *               isomorphic specs the first record is kept (a warning counts
 *               the others); NAS-Bench-301 compact genotypes
 *               "[[(0, 3), (1, 5), ...], [...]]" become canonical DARTS
 *               genotype strings (core/darts.h), merged the same way when
 *               they differ only in the order of a node's two edges; other
 *               keys are kept as opaque architecture ids.
 *   nats-csv    the NATS-Bench / NAS-Bench-201 per-architecture CSV: an
 *               `ArchitectureString` column and wide columns
 *               <DATASET><Test|Valid|Train>Accuracy<N>Epochs, one row per
 *               (architecture, dataset) out; arch_index is the row number.
 *   macro-json  NAS-Bench-Macro's JSON {code: {test_acc: [runs], mean_acc,
 *               std, params, flops}}, with canonical_arch (identities after a
 *               stage's first layer moved to the end of the stage).
 *   csv         any CSV whose architecture and dataset columns have other
 *               names (--arch-column, --dataset-column; TransNAS-Bench's
 *               `task`), optionally converting the architecture strings
 *               (--arch-format tnb101-micro: "64-41414-a_bc_def" to the
 *               NB201 cell string over none, skip_connect, nor_conv_1x1,
 *               nor_conv_3x3).  HW-NAS-Bench latency tables are already in
 *               the schema and load directly.
 *
 * The output is written through core/outfile (atomic for regular files).
 * Every problem names the file and the place (line or JSON key).
 */
#define _GNU_SOURCE
#include <csv.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/arch.h"
#include "core/hashmap.h"
#include "core/outfile.h"
#include "core/status.h"

#define IMPORT_MAX_BYTES (1L << 30) /* inputs larger than 1 GiB are refused */

static void help(FILE *f)
{
    fputs("usage: nasw tables import --format FMT IN --out OUT.csv [options]\n"
          "\n"
          "Convert a benchmark file in its native format to nasw's table schema.\n"
          "  --format FMT        naslib-zc | nats-csv | macro-json | csv\n"
          "  --out FILE          the table to write ('-' for stdout)\n"
          "  --dataset NAME      dataset of a file that names none (macro-json: cifar10)\n"
          "  --arch-column C     csv: the column holding the architecture (default arch)\n"
          "  --dataset-column C  csv: the column holding the dataset / task (default dataset)\n"
          "  --arch-format F     csv: convert architecture strings: tnb101-micro or none\n"
          "                      (TransNAS-Bench-101 micro cells to NB201 cell strings)\n"
          "\n"
          "naslib-zc   NASLib zero-cost JSON ({[space:] {dataset: {arch: record}}});\n"
          "            -Infinity/Infinity become -inf/inf (NaN is an error); NB201 op\n"
          "            tuples become official cell strings, other keys opaque ids\n"
          "nats-csv    NATS-Bench/NB201 CSV (ArchitectureString, <DATASET>TestAccuracy200Epochs)\n"
          "macro-json  NAS-Bench-Macro JSON (test_acc runs, mean_acc, std, params, flops)\n"
          "csv         any CSV with other arch/dataset column names (TransNAS-Bench: --dataset-column task)\n"
          CLI_VERBOSITY_HELP,
          f);
}

/* ---- output: a CSV table, fields quoted where needed ---- */

static int put_field(FILE *f, const char *s, int first)
{
    if (!first) fputc(',', f);
    if (!strpbrk(s, ",\"\r\n") && s[0] != ' ') return fputs(s, f) < 0 ? -1 : 0;
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    return fputc('"', f) == EOF ? -1 : 0;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as v; inf as inf/-inf;
 * NaN as an empty field (missing). */
static void fmt_num(char *buf, size_t n, double v)
{
    if (isnan(v)) buf[0] = '\0';
    else if (isinf(v)) snprintf(buf, n, "%s", v < 0 ? "-inf" : "inf");
    else {
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(buf, n, "%.*g", digits, v);
            if (strtod(buf, NULL) == v) break;
        }
    }
}

/* ---- input ---- */

/* The whole of a regular file (NUL-terminated), or NULL with the error printed. */
static char *slurp(const char *path, size_t *len)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        cli_error("cannot open '%.200s': %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        cli_error("'%.200s' is not a regular file", path);
        return NULL;
    }
    if (st.st_size > IMPORT_MAX_BYTES) {
        cli_error("'%.200s' is larger than 1 GiB", path);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("cannot open '%.200s': %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    int bad = !buf || ferror(f) || got != (size_t)st.st_size;
    fclose(f);
    if (bad) {
        free(buf);
        cli_error("cannot read '%.200s'", path);
        return NULL;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* NASLib's JSON with the non-standard tokens -Infinity, Infinity and NaN
 * (outside strings) made standard: they become the strings "-inf", "inf"
 * and "nan", which json_number() below understands.  Returns a new buffer. */
static char *json_fix_nonfinite(const char *in, size_t len, size_t *outlen)
{
    char *out = malloc(len * 2 + 16), *o = out;
    if (!out) return NULL;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (in_str) {
            *o++ = c;
            if (c == '\\' && i + 1 < len) *o++ = in[++i];
            else if (c == '"') in_str = 0;
            continue;
        }
        if (c == '"') in_str = 1;
        static const struct {
            const char *tok, *rep;
        } sub[] = {{"-Infinity", "\"-inf\""}, {"Infinity", "\"inf\""}, {"NaN", "\"nan\""}};
        int done = 0;
        for (size_t k = 0; k < 3 && !done; k++) {
            size_t n = strlen(sub[k].tok);
            if (len - i >= n && !memcmp(in + i, sub[k].tok, n)) {
                o += sprintf(o, "%s", sub[k].rep);
                i += n - 1;
                done = 1;
            }
        }
        if (!done) *o++ = c;
    }
    *o = '\0';
    *outlen = (size_t)(o - out);
    return out;
}

static json_t *load_json(const char *path)
{
    size_t len, flen;
    char *raw = slurp(path, &len);
    if (!raw) return NULL;
    if (memchr(raw, '\0', len)) {
        free(raw);
        cli_error("%.200s: NUL byte in a JSON file", path);
        return NULL;
    }
    char *fixed = json_fix_nonfinite(raw, len, &flen);
    free(raw);
    if (!fixed) {
        cli_error("out of memory reading '%.200s'", path);
        return NULL;
    }
    json_error_t e;
    json_t *j = json_loadb(fixed, flen, JSON_REJECT_DUPLICATES, &e);
    free(fixed);
    if (!j) cli_error("%.200s:%d: %s", path, e.line, e.text);
    else if (!json_is_object(j)) {
        cli_error("%.200s: expected a JSON object at the top", path);
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* A number, or the strings "inf", "-inf", "nan" written by
 * json_fix_nonfinite(); *v = NaN for null.  -1 if not a number. */
static int json_number(const json_t *x, double *v)
{
    if (json_is_number(x)) *v = json_number_value(x);
    else if (json_is_null(x)) *v = NAN;
    else if (json_is_string(x) && !strcmp(json_string_value(x), "inf")) *v = INFINITY;
    else if (json_is_string(x) && !strcmp(json_string_value(x), "-inf")) *v = -INFINITY;
    else if (json_is_string(x) && !strcmp(json_string_value(x), "nan")) *v = NAN;
    else return -1;
    return 0;
}

/* ---- architecture conversions ---- */

static const char *const NB201_OPS[5] = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"};

/* The official NB201 string from six ops in the cell's edge order
 * 0->1 | 0->2 1->2 | 0->3 1->3 2->3 */
static void nb201_string(char *out, size_t n, const char *const e[6])
{
    snprintf(out, n, "|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|", e[0], e[1], e[2], e[3], e[4], e[5]);
}

/* NASLib's NB201 tuple "(a, b, c, d, e, f)": op indices 0 skip_connect,
 * 1 none, 2 nor_conv_3x3, 3 nor_conv_1x1, 4 avg_pool_3x3 on the edges
 * (1,2) (1,3) (1,4) (2,3) (2,4) (3,4) of nodes 1..4.  0 if converted. */
static int naslib_nb201(const char *key, char *out, size_t n)
{
    static const char *const op[5] = {"skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3"};
    int d[6];
    char tail;
    if (sscanf(key, "(%d, %d, %d, %d, %d, %d%c", &d[0], &d[1], &d[2], &d[3], &d[4], &d[5], &tail) != 7 || tail != ')')
        return -1;
    if (key[strlen(key) - 1] != ')' || strchr(key, ')') != key + strlen(key) - 1) return -1;
    for (int i = 0; i < 6; i++)
        if (d[i] < 0 || d[i] > 4) return -1;
    /* NASLib edge (1,2)=0->1, (1,3)=0->2, (1,4)=0->3, (2,3)=1->2, (2,4)=1->3, (3,4)=2->3 */
    const char *e[6] = {op[d[0]], op[d[1]], op[d[3]], op[d[2]], op[d[4]], op[d[5]]};
    nb201_string(out, n, e);
    return 0;
}

/* TransNAS-Bench-101 micro "64-41414-a_bc_def": 0 zero, 1 identity, 2
 * conv1x1, 3 conv3x3 on node1<-0 | node2<-0,1 | node3<-0,1,2. */
static int tnb101_micro(const char *key, char *out, size_t n)
{
    const char *p = strrchr(key, '-');
    if (!p || strlen(p + 1) != 8 || p[2] != '_' || p[5] != '_') return -1;
    const char *c = p + 1;
    int idx[6] = {0, 2, 3, 5, 6, 7};
    const char *e[6];
    for (int i = 0; i < 6; i++) {
        int d = c[idx[i]] - '0';
        if (d < 0 || d > 3) return -1;
        e[i] = NB201_OPS[d];
    }
    nb201_string(out, n, e);
    return 0;
}

/* ---- the formats ---- */

/* Column names of a record set: the union in first-seen order. */
struct cols {
    char **name;
    int n;
};
static int cols_add(struct cols *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->name[i], name)) return i;
    char **p = realloc(c->name, sizeof *p * (size_t)(c->n + 1));
    if (!p) return -1;
    c->name = p;
    if (!(c->name[c->n] = strdup(name))) return -1;
    return c->n++;
}
static void cols_free(struct cols *c)
{
    for (int i = 0; i < c->n; i++) free(c->name[i]);
    free(c->name);
}

static int count_char(const char *s, char c)
{
    int n = 0;
    for (; *s; s++) n += *s == c;
    return n;
}

/* The numeric value of a NASLib record field: a number or {"score": x}. */
static int naslib_value(const json_t *v, double *x)
{
    if (json_is_object(v)) v = json_object_get(v, "score");
    return v ? json_number(v, x) : -1;
}

static int import_naslib(json_t *top, const char *path, FILE *f)
{
    /* {space: {dataset: {arch: rec}}} or {dataset: {arch: rec}} */
    json_t *sets = top;
    const char *k1;
    json_t *v1;
    if (json_object_size(top) == 1) {
        json_object_foreach(top, k1, v1)
        {
            json_t *d;
            const char *k2;
            int deeper = 0;
            json_object_foreach(v1, k2, d)
            {
                /* a dataset level holds arch -> record objects */
                const char *k3;
                json_t *r;
                json_object_foreach(d, k3, r)
                {
                    if (json_is_object(r) && json_object_get(r, "val_accuracy")) deeper = 1;
                    break;
                }
                break;
            }
            if (deeper) sets = v1;
        }
    }
    struct cols c = {0};
    int rc = CLI_OK;
    /* columns: the union of record keys, val_accuracy as val_acc, idx as arch_index */
    json_object_foreach(sets, k1, v1)
    {
        if (!json_is_object(v1)) {
            cols_free(&c);
            return cli_error("%.200s: dataset '%.64s' is not an object of records", path, k1);
        }
        const char *k2;
        json_t *rec;
        json_object_foreach(v1, k2, rec)
        {
            if (!json_is_object(rec)) {
                cols_free(&c);
                return cli_error("%.200s: %.64s/%.64s: the record is not an object", path, k1, k2);
            }
            const char *k3;
            json_t *x;
            json_object_foreach(rec, k3, x)
            {
                if (!strcmp(k3, "arch")) continue;
                if (cols_add(&c, k3) < 0) {
                    cols_free(&c);
                    return cli_error("out of memory");
                }
            }
        }
    }
    put_field(f, "arch", 1);
    put_field(f, "dataset", 0);
    for (int i = 0; i < c.n; i++)
        put_field(f, !strcmp(c.name[i], "val_accuracy") ? "val_acc" : !strcmp(c.name[i], "idx") ? "naslib_id" : c.name[i], 0);
    fputc('\n', f);
    struct space *graphs = NULL, *darts = NULL;
    struct hashmap seen;
    long dropped = 0, dropped301 = 0, records = 0;
    if (space_graph_new(&graphs) != NASW_OK || space_darts_new(&darts) != NASW_OK || hashmap_init(&seen, 1024) != NASW_OK) {
        space_free(graphs);
        space_free(darts);
        cols_free(&c);
        return cli_error("out of memory");
    }
    json_object_foreach(sets, k1, v1)
    {
        const char *k2;
        json_t *rec;
        json_object_foreach(v1, k2, rec)
        {
            char arch[ARCH_STR_MAX], num[64];
            records++;
            if (naslib_nb201(k2, arch, sizeof arch) == 0) {
            } else if ((k2[0] == '(' && count_char(k2, ',') == 55) /* a NAS-Bench-101 spec: 49 + 7 numbers */
                       || (k2[0] == '[' && k2[1] == '[')) {          /* a NAS-Bench-301 compact genotype */
                struct space *sp = k2[0] == '(' ? graphs : darts;
                struct arch g;
                if (arch_parse(sp, k2, &g) != NASW_OK || arch_format(sp, &g, arch, sizeof arch) != NASW_OK) {
                    rc = cli_error("%.200s: %.64s: %s", path, k1, nasw_errmsg());
                    goto done;
                }
                uint64_t h = nasw_fnv1a(nasw_fnv1a(NASW_FNV_OFFSET, k1, strlen(k1) + 1), arch, strlen(arch));
                if (hashmap_get(&seen, h, NULL)) {
                    *(sp == graphs ? &dropped : &dropped301) += 1;
                    continue;
                }
                if (hashmap_put(&seen, h, 1)) {
                    rc = cli_error("out of memory");
                    goto done;
                }
            } else
                snprintf(arch, sizeof arch, "%s", k2);
            put_field(f, arch, 1);
            put_field(f, k1, 0);
            for (int i = 0; i < c.n; i++) {
                json_t *x = json_object_get(rec, c.name[i]);
                double v = NAN;
                if (x && !strcmp(c.name[i], "idx") && json_is_string(x)) {
                    char *end;
                    v = strtod(json_string_value(x), &end);
                    if (*end || end == json_string_value(x)) x = NULL, v = NAN;
                } else if (x && (naslib_value(x, &v) != 0 || isnan(v))) {
                    rc = cli_error("%.200s: %.64s/%.64s: '%.64s' is not a number", path, k1, k2, c.name[i]);
                    goto done;
                }
                if (!x) {
                    rc = cli_error("%.200s: %.64s/%.64s: no '%.64s' (every record needs every column)", path, k1, k2,
                                   c.name[i]);
                    goto done;
                }
                fmt_num(num, sizeof num, v);
                put_field(f, num, 0);
            }
            fputc('\n', f);
        }
    }
    if (dropped)
        cli_warn("%ld of %ld records are NAS-Bench-101 specs isomorphic to earlier ones (the first of each is kept)",
                 dropped, records);
    if (dropped301)
        cli_warn("%ld of %ld records are NAS-Bench-301 genotypes equal to earlier ones up to the order of a node's "
                 "two edges (the first of each is kept)",
                 dropped301, records);
done:
    hashmap_release(&seen);
    space_free(graphs);
    space_free(darts);
    cols_free(&c);
    return rc;
}

/* NAS-Bench-Macro: stages of 2, 3 and 3 layers; a stage's first layer
 * sets its resolution and stays, and among its other layers the identities
 * (code 0) commute to the end (9 x 21 x 21 = 3,969 distinct networks). */
static void macro_canonical(const char *code, char *out)
{
    static const int stage[3] = {2, 3, 3};
    int p = 0;
    for (int s = 0; s < 3; s++) {
        int k = p;
        out[k++] = code[p];
        for (int i = p + 1; i < p + stage[s]; i++)
            if (code[i] != '0') out[k++] = code[i];
        while (k < p + stage[s]) out[k++] = '0';
        p += stage[s];
    }
    out[8] = '\0';
}

static int import_macro(json_t *top, const char *path, const char *dataset, FILE *f)
{
    fputs("arch,dataset,canonical_arch,is_canonical,test_acc_run1,test_acc_run2,test_acc_run3,test_acc_mean,"
          "test_acc_std,params,flops\n",
          f);
    const char *code;
    json_t *rec;
    json_object_foreach(top, code, rec)
    {
        if (strlen(code) != 8 || strspn(code, "012") != 8)
            return cli_error("%.200s: '%.64s' is not an 8-digit NAS-Bench-Macro code", path, code);
        json_t *runs = json_object_get(rec, "test_acc");
        if (!json_is_array(runs) || json_array_size(runs) != 3)
            return cli_error("%.200s: %.64s: 'test_acc' is not a list of 3 runs", path, code);
        char canon[9], num[64];
        macro_canonical(code, canon);
        put_field(f, code, 1);
        put_field(f, dataset, 0);
        put_field(f, canon, 0);
        put_field(f, strcmp(canon, code) ? "0" : "1", 0);
        for (size_t i = 0; i < 3; i++) {
            double v;
            if (json_number(json_array_get(runs, i), &v) || !isfinite(v))
                return cli_error("%.200s: %.64s: test_acc[%zu] is not a number", path, code, i);
            fmt_num(num, sizeof num, v);
            put_field(f, num, 0);
        }
        static const char *const key[4] = {"mean_acc", "std", "params", "flops"};
        for (int i = 0; i < 4; i++) {
            double v;
            json_t *x = json_object_get(rec, key[i]);
            if (!x || json_number(x, &v) || !isfinite(v))
                return cli_error("%.200s: %.64s: '%s' is missing or not a number", path, code, key[i]);
            fmt_num(num, sizeof num, v);
            put_field(f, num, 0);
        }
        fputc('\n', f);
    }
    return CLI_OK;
}

/* ---- CSV input (libcsv): all rows as strings ---- */

struct csvin {
    char ***row; /* row[r][c] */
    int *len;    /* fields per row */
    long n, cap;
    char **cur;
    int ncur, capcur;
    int oom;
};
static void csv_field(void *s, size_t n, void *data)
{
    struct csvin *c = data;
    if (c->oom) return;
    if (c->ncur == c->capcur) {
        int cap = c->capcur ? 2 * c->capcur : 16;
        char **p = realloc(c->cur, sizeof *p * (size_t)cap);
        if (!p) {
            c->oom = 1;
            return;
        }
        c->cur = p, c->capcur = cap;
    }
    char *v = malloc(n + 1);
    if (!v) {
        c->oom = 1;
        return;
    }
    memcpy(v, s, n);
    v[n] = '\0';
    c->cur[c->ncur++] = v;
}
static void csv_row(int term, void *data)
{
    (void)term;
    struct csvin *c = data;
    if (c->oom) return;
    if (c->n == c->cap) {
        long cap = c->cap ? 2 * c->cap : 256;
        char ***p = realloc(c->row, sizeof *p * (size_t)cap);
        int *q = realloc(c->len, sizeof *q * (size_t)cap);
        if (p) c->row = p;
        if (q) c->len = q;
        if (!p || !q) {
            c->oom = 1;
            return;
        }
        c->cap = cap;
    }
    c->row[c->n] = c->cur;
    c->len[c->n++] = c->ncur;
    c->cur = NULL;
    c->ncur = c->capcur = 0;
}
static void csvin_free(struct csvin *c)
{
    for (long r = 0; r < c->n; r++) {
        for (int i = 0; i < c->len[r]; i++) free(c->row[r][i]);
        free(c->row[r]);
    }
    for (int i = 0; i < c->ncur; i++) free(c->cur[i]);
    free(c->cur);
    free(c->row);
    free(c->len);
}

/* Read a CSV file; header + rows of the header's width, else an error. */
static int read_csv(const char *path, struct csvin *c)
{
    size_t len;
    char *buf = slurp(path, &len);
    if (!buf) return CLI_ERROR;
    if (memchr(buf, '\0', len)) {
        free(buf);
        return cli_error("%.200s: NUL byte in a CSV file", path);
    }
    const char *p = buf;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3, len -= 3; /* UTF-8 BOM */
    struct csv_parser cp;
    csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL);
    int bad = csv_parse(&cp, p, len, csv_field, csv_row, c) != len || csv_fini(&cp, csv_field, csv_row, c) != 0;
    int err = csv_error(&cp);
    csv_free(&cp);
    free(buf);
    if (c->oom) return cli_error("out of memory reading '%.200s'", path);
    if (bad) return cli_error("%.200s: malformed CSV (%s) near line %ld", path, csv_strerror(err), c->n + 1);
    if (c->n < 1) return cli_error("%.200s: empty file", path);
    for (long r = 1; r < c->n; r++)
        if (c->len[r] != c->len[0])
            return cli_error("%.200s:%ld: %d fields, the header has %d", path, r + 1, c->len[r], c->len[0]);
    return CLI_OK;
}

static int col_index(const struct csvin *c, const char *name)
{
    for (int i = 0; i < c->len[0]; i++)
        if (!strcmp(c->row[0][i], name)) return i;
    return -1;
}

/* NATS / NB201 wide CSV: one output row per (architecture, dataset). */
static int import_nats(const struct csvin *c, const char *path, FILE *f)
{
    int ac = col_index(c, "ArchitectureString"), uc = col_index(c, "UniqueString");
    if (ac < 0) return cli_error("%.200s: no 'ArchitectureString' column", path);
    /* <DATASET><Kind>Accuracy<N>Epochs */
    struct {
        char ds[64];
        int col[3]; /* test, valid, train */
    } set[16];
    int nset = 0;
    static const char *const kind[3] = {"Test", "Valid", "Train"};
    for (int i = 0; i < c->len[0]; i++) {
        const char *h = c->row[0][i];
        for (int k = 0; k < 3; k++) {
            const char *m = strstr(h, kind[k]);
            if (!m || m == h || strncmp(m + strlen(kind[k]), "Accuracy", 8)) continue;
            char ds[64];
            snprintf(ds, sizeof ds, "%.*s", (int)(m - h), h);
            /* NATS names: CIFAR10 -> cifar10, CIFAR100 -> cifar100, ImageNet -> ImageNet16-120 */
            if (!strcmp(ds, "CIFAR10")) strcpy(ds, "cifar10");
            else if (!strcmp(ds, "CIFAR100")) strcpy(ds, "cifar100");
            else if (!strcmp(ds, "ImageNet")) strcpy(ds, "ImageNet16-120");
            int s = 0;
            while (s < nset && strcmp(set[s].ds, ds)) s++;
            if (s == nset) {
                if (nset == 16) return cli_error("%.200s: more than 16 datasets", path);
                snprintf(set[nset].ds, sizeof set[nset].ds, "%s", ds);
                set[nset].col[0] = set[nset].col[1] = set[nset].col[2] = -1;
                nset++;
            }
            set[s].col[k] = i;
        }
    }
    if (!nset) return cli_error("%.200s: no <DATASET>TestAccuracy<N>Epochs column", path);
    static const char *const out_name[3] = {"test_acc", "val_acc", "train_acc"};
    int has[3] = {0};
    for (int s = 0; s < nset; s++)
        for (int k = 0; k < 3; k++) has[k] |= set[s].col[k] >= 0;
    fputs("arch,dataset,arch_index", f);
    for (int k = 0; k < 3; k++)
        if (has[k]) fprintf(f, ",%s", out_name[k]);
    if (uc >= 0) fputs(",unique_str", f);
    fputc('\n', f);
    for (int s = 0; s < nset; s++)
        for (long r = 1; r < c->n; r++) {
            char idx[32];
            snprintf(idx, sizeof idx, "%ld", r - 1);
            put_field(f, c->row[r][ac], 1);
            put_field(f, set[s].ds, 0);
            put_field(f, idx, 0);
            for (int k = 0; k < 3; k++) {
                if (!has[k]) continue;
                const char *v = set[s].col[k] >= 0 ? c->row[r][set[s].col[k]] : "";
                double x;
                if (*v && cli_parse_double(v, &x))
                    return cli_error("%.200s:%ld: column '%.64s': '%.64s' is not a number", path, r + 1,
                                     c->row[0][set[s].col[k]], v);
                put_field(f, v, 0);
            }
            if (uc >= 0) put_field(f, c->row[r][uc], 0);
            fputc('\n', f);
        }
    return CLI_OK;
}

static int import_csv(const struct csvin *c, const char *path, const char *arch_col, const char *ds_col,
                      const char *arch_fmt, FILE *f)
{
    int ac = col_index(c, arch_col), dc = ds_col ? col_index(c, ds_col) : -1;
    if (ac < 0) return cli_error("%.200s: no '%.64s' column (use --arch-column)", path, arch_col);
    if (ds_col && dc < 0 && strcmp(ds_col, "dataset"))
        return cli_error("%.200s: no '%.64s' column (use --dataset-column)", path, ds_col);
    for (int i = 0; i < c->len[0]; i++) {
        const char *h = i == ac ? "arch" : i == dc ? "dataset" : c->row[0][i];
        if (i != ac && i != dc && (!strcmp(h, "arch") || !strcmp(h, "dataset")))
            return cli_error("%.200s: column '%s' would be duplicated by the renaming", path, h);
        put_field(f, h, i == 0);
    }
    fputc('\n', f);
    for (long r = 1; r < c->n; r++) {
        for (int i = 0; i < c->len[0]; i++) {
            const char *v = c->row[r][i];
            char arch[512];
            if (i == ac && arch_fmt && !strcmp(arch_fmt, "tnb101-micro")) {
                if (tnb101_micro(v, arch, sizeof arch))
                    return cli_error("%.200s:%ld: '%.64s' is not a TransNAS-Bench-101 micro cell", path, r + 1, v);
                v = arch;
            }
            put_field(f, v, i == 0);
        }
        fputc('\n', f);
    }
    return CLI_OK;
}

int cmd_tables_import(int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, 0, 'f'},
                                             {"out", required_argument, 0, 'o'},
                                             {"dataset", required_argument, 0, 'd'},
                                             {"arch-column", required_argument, 0, 'a'},
                                             {"dataset-column", required_argument, 0, 'c'},
                                             {"arch-format", required_argument, 0, 'A'},
                                             {"help", no_argument, 0, 'h'},
                                             CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};
    const char *format = NULL, *out = NULL, *dataset = NULL, *arch_col = "arch", *ds_col = "dataset",
               *arch_fmt = NULL;
    const char **slot[6] = {&format, &out, &dataset, &arch_col, &ds_col, &arch_fmt};
    const char *flags = "fodacA";
    int seen[6] = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hqv", longopts, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return CLI_OK;
        }
        int vq = cli_verbosity_option("tables import", c);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
        const char *p = c > 0 ? strchr(flags, c) : NULL;
        if (!p) return cli_bad_option("tables import", longopts, c, argv[optind - 1]);
        int k = (int)(p - flags);
        if (seen[k]++) return cli_usage_error("tables import", "option '--%s' given twice", longopts[k].name);
        *slot[k] = optarg;
    }
    if (!format) return cli_usage_error("tables import", "--format is required (naslib-zc, nats-csv, macro-json, csv)");
    int fmt = !strcmp(format, "naslib-zc") ? 0 : !strcmp(format, "nats-csv") ? 1 : !strcmp(format, "macro-json") ? 2
            : !strcmp(format, "csv") ? 3 : -1;
    if (fmt < 0)
        return cli_usage_error("tables import", "unknown format '%.64s' (naslib-zc, nats-csv, macro-json, csv)", format);
    if (arch_fmt && strcmp(arch_fmt, "tnb101-micro") && strcmp(arch_fmt, "none"))
        return cli_usage_error("tables import", "unknown --arch-format '%.64s' (tnb101-micro, none)", arch_fmt);
    if (arch_fmt && !strcmp(arch_fmt, "none")) arch_fmt = NULL;
    if (!out) return cli_usage_error("tables import", "--out is required");
    if (argc - optind != 1) return cli_usage_error("tables import", "expected one input file");
    if (cli_quiet_stdout(!strcmp(out, "-"))) return CLI_ERROR;
    const char *in = argv[optind];

    /* read and check everything before the output exists */
    json_t *j = NULL;
    struct csvin csv = {0};
    int rc = fmt == 1 || fmt == 3 ? read_csv(in, &csv) : (j = load_json(in)) ? CLI_OK : CLI_ERROR;
    struct outfile *of = NULL;
    if (rc == CLI_OK && outfile_open(&of, out) != NASW_OK) rc = cli_error_status(NASW_EIO);
    if (rc == CLI_OK) {
        FILE *f = outfile_stream(of);
        switch (fmt) {
        case 0: rc = import_naslib(j, in, f); break;
        case 1: rc = import_nats(&csv, in, f); break;
        case 2: rc = import_macro(j, in, dataset ? dataset : "cifar10", f); break;
        default: rc = import_csv(&csv, in, arch_col, ds_col, arch_fmt, f); break;
        }
        if (rc == CLI_OK) {
            if (outfile_commit(of) != NASW_OK) rc = cli_error_status(NASW_EIO);
        } else
            outfile_abort(of);
    }
    json_decref(j);
    csvin_free(&csv);
    return rc;
}
