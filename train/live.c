/*
 * train/live.c - the live bench: training behind the bench interface, with
 * an append-only journal that is also a table (see train/live.h).
 */
#include "train/live.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hashmap.h"
#include "core/status.h"
#include "train/idx.h"
#include "train/trainer.h"

#define FINAL_HEADER "arch,dataset,val_acc,test_acc,train_acc,val_loss,test_loss,cost_s,params,flops,epochs,failed"
#define CURVE_HEADER "arch,dataset,epoch,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,cost_s"
#define DATASET "fmnist"

struct record {
    double val, test, cost;
    int epochs, failed;
};

struct live {
    struct bench b;
    struct space *space;
    struct train_config cfg;
    struct train_data *data;
    uint64_t seed;
    int verbose;
    char *final_path, *curve_path;
    FILE *final, *curves;
    struct hashmap done;      /* key -> index into rec */
    struct record *rec;
    long n_rec, cap_rec;
};

static int add_record(struct live *l, uint64_t key, const struct record *r)
{
    if (l->n_rec == l->cap_rec) {
        long cap = l->cap_rec ? 2 * l->cap_rec : 256;
        struct record *p = realloc(l->rec, sizeof *p * (size_t)cap);
        if (!p) return nasw_errorf(NASW_ENOMEM, "out of memory");
        l->rec = p;
        l->cap_rec = cap;
    }
    l->rec[l->n_rec] = *r;
    if (hashmap_put(&l->done, key, l->n_rec)) return nasw_errorf(NASW_ENOMEM, "out of memory");
    l->n_rec++;
    return NASW_OK;
}

/* Read a journal file into memory; cut a torn last line.  *data is NULL if
 * the file does not exist. */
static int slurp(const char *path, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? NASW_OK : nasw_errorf(NASW_EIO, "cannot open journal '%.200s': %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *p = realloc(buf, 2 * cap + 1);
        if (!p) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = p;
        cap *= 2;
    }
    fclose(f);
    if (!buf) return nasw_errorf(NASW_ENOMEM, "out of memory");
    /* a torn last line (killed mid-write) is dropped */
    while (n > 0 && buf[n - 1] != '\n') n--;
    buf[n] = '\0';
    if (truncate(path, (off_t)n) != 0) {
        free(buf);
        return nasw_errorf(NASW_EIO, "cannot repair journal '%.200s': %s", path, strerror(errno));
    }
    *data = buf;
    *len = n;
    return NASW_OK;
}

static int open_append(FILE **f, const char *path, const char *header)
{
    int fresh = access(path, F_OK) != 0;
    *f = fopen(path, "a");
    if (!*f) return nasw_errorf(NASW_EIO, "cannot write journal '%.200s': %s", path, strerror(errno));
    if (fresh && (fprintf(*f, "%s\n", header) < 0 || fflush(*f) != 0))
        return nasw_errorf(NASW_EIO, "cannot write journal '%.200s': %s", path, strerror(errno));
    return NASW_OK;
}

static int resume(struct live *l)
{
    char *data, where[4200];
    size_t len;
    int st = slurp(l->final_path, &data, &len);
    if (st || !data) return st;
    long line = 0;
    for (char *save = NULL, *ln = strtok_r(data, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        line++;
        snprintf(where, sizeof where, "%s:%ld", l->final_path, line);
        if (line == 1) {
            if (strcmp(ln, FINAL_HEADER)) {
                free(data);
                return nasw_errorf(NASW_EPARSE, "%s: not a nasw training journal (header differs)", where);
            }
            continue;
        }
        char *f[12];
        int nf = 0;
        for (char *s2 = NULL, *tok = strtok_r(ln, ",", &s2); tok && nf < 12; tok = strtok_r(NULL, ",", &s2)) f[nf++] = tok;
        struct arch a;
        if (nf != 12 || arch_parse(l->space, f[0], &a)) {
            free(data);
            return nasw_errorf(NASW_EPARSE, "%s: malformed journal record", where);
        }
        struct record r = {strtod(f[2], NULL), strtod(f[3], NULL), strtod(f[7], NULL), atoi(f[10]), atoi(f[11])};
        if ((st = add_record(l, arch_key(l->space, &a), &r))) break;
    }
    free(data);
    if (st) return st;
    /* curves: keep only the epochs of finished architectures */
    if ((st = slurp(l->curve_path, &data, &len)) || !data) return st;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", l->curve_path);
    FILE *out = fopen(tmp, "w");
    if (!out) {
        free(data);
        return nasw_errorf(NASW_EIO, "cannot write '%.200s': %s", tmp, strerror(errno));
    }
    line = 0;
    for (char *save = NULL, *ln = strtok_r(data, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        if (line++ == 0) {
            fprintf(out, "%s\n", ln);
            continue;
        }
        char arch[ARCH_STR_MAX];
        size_t k = strcspn(ln, ",");
        if (k >= sizeof arch) continue;
        memcpy(arch, ln, k);
        arch[k] = '\0';
        struct arch a;
        if (arch_parse(l->space, arch, &a) == NASW_OK && hashmap_get(&l->done, arch_key(l->space, &a), NULL))
            fprintf(out, "%s\n", ln);
    }
    free(data);
    int bad = ferror(out);
    if (fclose(out) != 0 || bad || rename(tmp, l->curve_path) != 0) {
        remove(tmp);
        return nasw_errorf(NASW_EIO, "cannot rewrite '%.200s'", l->curve_path);
    }
    return NASW_OK;
}

static int write_sidecar(const struct live *l)
{
    char path[4200], tmp[4210];
    snprintf(path, sizeof path, "%s.meta.json", l->final_path);
    if (access(path, F_OK) == 0) return NASW_OK;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    const char *base = strrchr(l->curve_path, '/');
    base = base ? base + 1 : l->curve_path;
    FILE *f = fopen(tmp, "w");
    if (!f) return nasw_errorf(NASW_EIO, "cannot write '%.200s': %s", tmp, strerror(errno));
    fprintf(f, "{\n  \"search_metric\": \"val_acc\",\n  \"report_metric\": \"test_acc\",\n"
               "  \"cost_metric\": \"cost_s\",\n  \"higher_is_better\": true,\n  \"curves\": \"%s\"\n}\n",
            base);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        remove(tmp);
        return nasw_errorf(NASW_EIO, "cannot write '%.200s'", path);
    }
    return NASW_OK;
}

struct collect {
    struct live *l;
    struct train_epoch *eps;
    int max, n;
};

static int on_epoch(void *arg, const struct train_epoch *e)
{
    struct collect *c = arg;
    if (c->n < c->max) c->eps[c->n++] = *e;
    if (c->l->verbose)
        fprintf(stderr, "  epoch %d: train %.2f%% val %.2f%% test %.2f%% (%.1fs)\n", e->epoch, e->train_acc,
                e->val_acc, e->test_acc, e->seconds);
    return 0;
}

static uint64_t arch_seed(uint64_t base, uint64_t key)
{
    uint64_t z = base * 0x9e3779b97f4a7c15ULL + key + 1;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int live_bench_epochs(const struct bench *b) { return ((const struct live *)b->impl)->cfg.epochs; }

int live_bench_lookup(struct bench *b, const struct arch *a, struct bench_result *r)
{
    struct live *l = b->impl;
    int64_t idx;
    if (!hashmap_get(&l->done, arch_key(l->space, a), &idx)) return 0;
    const struct record *p = &l->rec[idx];
    r->val = p->val;
    r->test = p->test;
    r->cost_s = p->cost;
    r->epochs = p->epochs;
    r->failed = p->failed;
    return 1;
}

int live_bench_train(struct bench *b, const struct arch *a, struct train_result *tr, struct train_epoch *eps,
                     int max_ep, int *n_ep)
{
    struct live *l = b->impl;
    if (l->verbose) {
        char arch[ARCH_STR_MAX];
        arch_format(l->space, a, arch, sizeof arch);
        fprintf(stderr, "training %s\n", arch);
    }
    struct collect c = {l, eps, max_ep, 0};
    int st = train_arch(&l->cfg, l->data, l->space, a, arch_seed(l->seed, arch_key(l->space, a)), 0, on_epoch, &c, tr);
    *n_ep = c.n;
    return st;
}

int live_bench_record(struct bench *b, const struct arch *a, const struct train_result *tr,
                      const struct train_epoch *eps, int n_ep, struct bench_result *r)
{
    struct live *l = b->impl;
    if (!l->final) return nasw_errorf(NASW_EINVAL, "live bench without a journal");
    char arch[ARCH_STR_MAX];
    arch_format(l->space, a, arch, sizeof arch);
    for (int i = 0; i < n_ep; i++) {
        const struct train_epoch *e = &eps[i];
        fprintf(l->curves, "%s,%s,%d,%.6f,%.4f,%.6f,%.4f,%.6f,%.4f,%.4f\n", arch, DATASET, e->epoch, e->train_loss,
                e->train_acc, e->val_loss, e->val_acc, e->test_loss, e->test_acc, e->seconds);
    }
    if (fflush(l->curves) != 0)
        return nasw_errorf(NASW_EIO, "cannot write journal '%.200s': %s", l->curve_path, strerror(errno));
    struct record rec = {tr->val_acc, tr->test_acc, tr->seconds, tr->epochs_done, tr->failed};
    if (tr->failed) rec.val = rec.test = 10.0; /* chance level, as NB201 stores broken cells */
    char v[3][32];
    snprintf(v[0], sizeof v[0], "%.4f", rec.val);
    snprintf(v[1], sizeof v[1], "%.4f", rec.test);
    snprintf(v[2], sizeof v[2], "%.4f", rec.cost);
    if (fprintf(l->final, "%s,%s,%s,%s,%.4f,%.6f,%.6f,%s,%zu,%.0f,%d,%d\n", arch, DATASET, v[0], v[1],
                tr->failed ? 10.0 : tr->train_acc, tr->failed ? 0.0 : tr->val_loss, tr->failed ? 0.0 : tr->test_loss,
                v[2], tr->params, tr->flops, rec.epochs, rec.failed) < 0 ||
        fflush(l->final) != 0)
        return nasw_errorf(NASW_EIO, "cannot write journal '%.200s': %s", l->final_path, strerror(errno));
    /* answer what the journal holds, so a rerun from the journal (or the
     * journal loaded as a table) gives the same numbers bit for bit */
    rec.val = strtod(v[0], NULL);
    rec.test = strtod(v[1], NULL);
    rec.cost = strtod(v[2], NULL);
    int st = add_record(l, arch_key(l->space, a), &rec);
    if (st) return st;
    live_bench_lookup(b, a, r);
    return NASW_OK;
}

static int live_query(struct bench *b, const struct arch *a, int epochs, struct bench_result *r)
{
    struct live *l = b->impl;
    (void)epochs; /* partial trainings: the multi-fidelity issue */
    if (live_bench_lookup(b, a, r)) return NASW_OK;
    struct train_epoch *eps = malloc(sizeof *eps * (size_t)l->cfg.epochs);
    if (!eps) return nasw_errorf(NASW_ENOMEM, "out of memory");
    struct train_result tr;
    int n, st = live_bench_train(b, a, &tr, eps, l->cfg.epochs, &n);
    if (!st) st = live_bench_record(b, a, &tr, eps, n, r);
    free(eps);
    return st;
}

static void live_free(struct bench *b)
{
    struct live *l = b->impl;
    if (l->final) fclose(l->final);
    if (l->curves) fclose(l->curves);
    hashmap_release(&l->done);
    free(l->rec);
    free(l->final_path);
    free(l->curve_path);
    train_data_free(l->data);
    space_free(l->space);
    free(l);
}

static const struct bench_ops live_ops = {.name = "live", .query = live_query, .free = live_free};

long live_bench_done(const struct bench *b) { return ((const struct live *)b->impl)->n_rec; }

/* "fmnist[:PRESET][:nodes=K][:ops=a+b+...]": the preset and the cell space. */
static int parse_spec(struct live *l, const char *spec)
{
    char buf[512], *save = NULL;
    if (!strncmp(spec, "live:", 5)) spec += 5;
    if (strlen(spec) >= sizeof buf) return nasw_errorf(NASW_EINVAL, "live bench spec too long");
    strcpy(buf, spec);
    char *tok = strtok_r(buf, ":", &save);
    if (!tok || strcmp(tok, "fmnist"))
        return nasw_errorf(NASW_ENOTFOUND, "unknown live bench 'live:%.64s' (known: live:fmnist[:PRESET][:nodes=K][:ops=a+b])", spec);
    const char *preset = "proxy";
    int nodes = 4, n_ops = 0;
    const char *ops[16];
    for (tok = strtok_r(NULL, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
        if (!strncmp(tok, "nodes=", 6)) {
            char *end;
            long v = strtol(tok + 6, &end, 10);
            if (*end || v < 2 || v > 6) return nasw_errorf(NASW_EINVAL, "live bench: bad '%.64s' (nodes=2..6)", tok);
            nodes = (int)v;
        } else if (!strncmp(tok, "ops=", 4)) {
            /* keep NB201's op order whatever the order given, so that a table
             * built from the journal infers the same space */
            for (int k = 0; k < 5; k++) {
                const char *p = tok + 4;
                size_t len = strlen(arch_nb201_ops[k]);
                for (;;) {
                    size_t w = strcspn(p, "+");
                    if (w == len && !strncmp(p, arch_nb201_ops[k], len)) ops[n_ops++] = arch_nb201_ops[k];
                    if (!p[w]) break;
                    p += w + 1;
                }
            }
            int given = 1;
            for (const char *p = tok + 4; *p; p++) given += *p == '+';
            if (n_ops != given) return nasw_errorf(NASW_EINVAL, "live bench: bad '%.64s' (ops from: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)", tok);
        } else if (strchr(tok, '=')) {
            return nasw_errorf(NASW_EINVAL, "live bench: unknown option '%.64s' (nodes=, ops=)", tok);
        } else {
            preset = tok;
        }
    }
    int st = train_preset(&l->cfg, preset);
    if (st) return st;
    if (n_ops == 0) {
        for (int k = 0; k < 5; k++) ops[k] = arch_nb201_ops[k];
        n_ops = 5;
    }
    if ((st = space_cell_new(&l->space, nodes, ops, n_ops))) return st;
    /* an explicit member list (all keys) makes sampling consume the rng
     * exactly as a table of the whole space does */
    if (l->space->size <= (UINT64_C(1) << 22)) {
        uint64_t *keys = malloc(sizeof *keys * (size_t)l->space->size);
        if (!keys) return nasw_errorf(NASW_ENOMEM, "out of memory");
        for (uint64_t k = 0; k < l->space->size; k++) keys[k] = k;
        st = space_restrict(l->space, keys, (size_t)l->space->size);
        free(keys);
    }
    return st;
}

int live_bench_new(struct bench **out, const char *spec, const struct live_opts *o)
{
    *out = NULL;
    struct live *l = calloc(1, sizeof *l);
    if (!l) return nasw_errorf(NASW_ENOMEM, "out of memory");
    int st = parse_spec(l, spec);
    const char *journal = o->journal ? o->journal : "";
    size_t n = strlen(journal);
    if (!st && !(l->final_path = malloc(n + 1))) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    if (!st && !(l->curve_path = malloc(n + 16))) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    if (!st) {
        strcpy(l->final_path, journal);
        strcpy(l->curve_path, journal);
        if (n > 4 && !strcmp(l->curve_path + n - 4, ".csv")) l->curve_path[n - 4] = '\0';
        strcat(l->curve_path, "_curves.csv");
    }
    l->seed = o->seed;
    l->verbose = o->verbose;
    if (o->journal) {
        if (!st) st = resume(l);
        if (!st) st = write_sidecar(l);
        if (!st) st = open_append(&l->final, l->final_path, FINAL_HEADER);
        if (!st) st = open_append(&l->curves, l->curve_path, CURVE_HEADER);
    }
    if (!st) st = train_data_new(&l->data, &l->cfg, o->data_dir ? o->data_dir : FMNIST_DIR);
    if (st) {
        struct bench tmp = {.impl = l};
        live_free(&tmp);
        return st;
    }
    struct bench *b = &l->b;
    b->ops = &live_ops;
    b->impl = l;
    b->space = l->space;
    snprintf(b->name, sizeof b->name, "live:fmnist:%s", l->cfg.preset);
    snprintf(b->dataset, sizeof b->dataset, "%s", DATASET);
    strcpy(b->search_metric, "val_acc");
    strcpy(b->report_metric, "test_acc");
    b->higher_is_better = b->report_higher_is_better = 1;
    b->has_cost = 1;
    b->max_epochs = l->cfg.epochs;
    snprintf(b->checksum, sizeof b->checksum, "preset:%s", l->cfg.preset);
    *out = b;
    return NASW_OK;
}
