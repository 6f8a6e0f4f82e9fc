/*
 * train/live.c - the live bench: training behind the bench interface, with
 * an append-only journal that is also a table (see train/live.h).
 */
#include "train/live.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hashmap.h"
#include "core/io.h"
#include "core/outfile.h"
#include "core/status.h"
#include "train/idx.h"
#include "train/layers.h"
#include "train/cnn.h"
#include "train/proxies.h"
#include "train/supernet.h"
#include "train/morph.h"
#include "train/trainer.h"

#define FINAL_HEADER "arch,dataset,val_acc,test_acc,train_acc,val_loss,test_loss,cost_s,params,flops,epochs,failed"
#define CURVE_HEADER "arch,dataset,epoch,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,cost_s"
#define DATASET "fmnist"
#define INHERIT_HEADER "weights,parent_weights,arch,parent,inherit_epochs,val_acc,test_acc,cost_s,epochs,failed"

/* A journaled architecture: its final row (as written, for rewriting the
 * file when a partial training is continued) and its curve as journaled
 * (cost cumulated over the epochs, as the table loader does). */
struct record {
    double val, test, cost;
    int epochs, failed;
    int n_curve;
    double *cval, *ctest, *ccost;
    char *line;
};

/* Paused trainings kept in memory so that a promotion continues them. */
#define LIVE_PAUSED 4
struct paused {
    uint64_t key;
    struct train_run *run;
    long used;                /* last use, for LRU eviction */
};

/* The curve journaled so far of an architecture that has no row yet: the
 * one in training, or one whose training a checkpoint continues. */
struct pending {
    uint64_t key;
    struct record r;
};

struct live {
    struct bench b;
    struct space *space;
    struct train_config cfg;
    struct train_data *data;
    uint64_t seed;
    int verbose;
    void (*on_epoch)(void *ctx, int epoch, int epochs);
    void *on_epoch_ctx;
    char *final_path, *curve_path, *ckpt_path;
    FILE *final, *curves;
    struct hashmap done;      /* key -> index into rec */
    struct record *rec;
    long n_rec, cap_rec;
    struct pending *pend;
    int n_pend, cap_pend;
    struct paused paused[LIVE_PAUSED];
    long clock;
    int obj_field[2 * OBJ_MAX + OBJ_MAX_CON]; /* objective columns: fields of a journal row */
    /* weight inheritance (live_query_inherit): the weights of full
     * trainings in WDIR, the inherited trainings in their own journal
     * (opened on first use), and which weights each architecture answered
     * last (the ones its children inherit) */
    char *wdir, *inh_path;
    FILE *inh;
    struct hashmap inh_done;  /* weights id -> index into inh_rec */
    struct inh_rec {
        double val, test, cost;
        int epochs, failed;
    } *inh_rec;
    long n_inh, cap_inh;
    struct hashmap latest;    /* arch key -> weights id */
    long fallbacks;           /* children trained from scratch: no parent weights */
};

static void record_release(struct record *r)
{
    free(r->cval);
    free(r->line);
    r->cval = r->ctest = r->ccost = NULL;
    r->line = NULL;
    r->n_curve = 0;
}

/* Append epoch values (as journaled) to a record's curve. */
static int curve_push(struct record *r, double val, double test, double cost)
{
    int n = r->n_curve;
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) { /* capacity 4, 8, 16, ... */
        int cap = n ? 2 * n : 4;
        double *p = malloc(sizeof *p * 3 * (size_t)cap);
        if (!p) return nasw_errorf(NASW_ENOMEM, "out of memory");
        if (n) {
            memcpy(p, r->cval, sizeof *p * (size_t)n);
            memcpy(p + cap, r->ctest, sizeof *p * (size_t)n);
            memcpy(p + 2 * cap, r->ccost, sizeof *p * (size_t)n);
        }
        free(r->cval);
        r->cval = p;
        r->ctest = p + cap;
        r->ccost = p + 2 * cap;
    }
    r->cval[n] = val;
    r->ctest[n] = test;
    r->ccost[n] = n ? r->ccost[n - 1] + cost : cost;
    r->n_curve++;
    return NASW_OK;
}

static int add_record(struct live *l, uint64_t key, const struct record *r)
{
    int64_t old;
    if (hashmap_get(&l->done, key, &old)) { /* a continued training: replace */
        record_release(&l->rec[old]);
        l->rec[old] = *r;
        return NASW_OK;
    }
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

static struct record *find(struct live *l, uint64_t key)
{
    int64_t idx;
    return hashmap_get(&l->done, key, &idx) ? &l->rec[idx] : NULL;
}

static struct pending *pending_find(struct live *l, uint64_t key)
{
    for (int i = 0; i < l->n_pend; i++)
        if (l->pend[i].key == key) return &l->pend[i];
    return NULL;
}

/* The curve of a training without a row: its pending record, added
 * (empty) if there is none; NULL if out of memory. */
static struct record *pending_get(struct live *l, uint64_t key)
{
    struct pending *p = pending_find(l, key);
    if (p) return &p->r;
    if (l->n_pend == l->cap_pend) {
        int cap = l->cap_pend ? 2 * l->cap_pend : 4;
        struct pending *q = realloc(l->pend, sizeof *q * (size_t)cap);
        if (!q) return NULL;
        l->pend = q;
        l->cap_pend = cap;
    }
    l->pend[l->n_pend] = (struct pending){.key = key};
    return &l->pend[l->n_pend++].r;
}

/* Move a pending curve into *r (which is empty) when its row is written. */
static void pending_take(struct live *l, uint64_t key, struct record *r)
{
    struct pending *p = pending_find(l, key);
    if (!p) return;
    *r = p->r;
    *p = l->pend[--l->n_pend];
}

static uint64_t arch_seed(uint64_t base, uint64_t key)
{
    uint64_t z = base * 0x9e3779b97f4a7c15ULL + key + 1;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The checkpoint settings of training architecture a (key) in this bench. */
static uint64_t arch_settings(const struct live *l, const struct arch *a, uint64_t key)
{
    char arch[ARCH_STR_MAX];
    arch_format(l->space, a, arch, sizeof arch);
    return train_settings_hash(&l->cfg, arch, arch_seed(l->seed, key));
}

/* Read a journal file into memory; cut a torn last line.  *data is NULL if
 * the file does not exist. */
static int slurp(const char *path, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f;
    int st = nasw_open_input(&f, path, "journal", 1);
    if (st || !f) return st; /* an error, or no journal yet */
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
        size_t n = strlen(ln);
        char *text = malloc(n + 1);
        if (!text) {
            st = nasw_errorf(NASW_ENOMEM, "out of memory");
            break;
        }
        memcpy(text, ln, n + 1);
        char *f[12];
        int nf = 0;
        for (char *s2 = NULL, *tok = strtok_r(ln, ",", &s2); tok && nf < 12; tok = strtok_r(NULL, ",", &s2)) f[nf++] = tok;
        struct arch a;
        if (nf != 12 || arch_parse(l->space, f[0], &a)) {
            free(text);
            free(data);
            return nasw_errorf(NASW_EPARSE, "%s: malformed journal record", where);
        }
        struct record r = {strtod(f[2], NULL), strtod(f[3], NULL), strtod(f[7], NULL), atoi(f[10]), atoi(f[11]),
                           0, NULL, NULL, NULL, text};
        if ((st = add_record(l, arch_key(l->space, &a), &r))) {
            free(text);
            break;
        }
    }
    free(data);
    if (st) return st;
    /* the checkpoint of a training that was killed: which architecture it
     * continues is found below, by the settings hash (which covers the
     * architecture) of each architecture in the curves */
    uint64_t ck_settings = 0, ck_key = 0;
    int ck_epoch = 0, have_ck = access(l->ckpt_path, F_OK) == 0, ck_found = 0;
    if (have_ck && (st = train_checkpoint_info(l->ckpt_path, &ck_settings, &ck_epoch))) return st;
    /* curves: keep the epochs of journaled architectures up to the epochs
     * their row records, or up to the checkpoint's epoch for the training it
     * continues (a training killed mid-way loses only the epoch in
     * progress; without a checkpoint, what its row does not cover) */
    if ((st = slurp(l->curve_path, &data, &len)) || !data) {
        if (!st && have_ck) remove(l->ckpt_path); /* no curve rows: nothing it could continue */
        return st;
    }
    struct outfile *of;
    if ((st = outfile_open(&of, l->curve_path))) {
        free(data);
        return st;
    }
    FILE *out = outfile_stream(of);
    line = 0;
    for (char *save = NULL, *ln = strtok_r(data, "\n", &save); ln && !st; ln = strtok_r(NULL, "\n", &save)) {
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
        if (arch_parse(l->space, arch, &a) != NASW_OK) continue;
        uint64_t key = arch_key(l->space, &a);
        struct record *r = find(l, key);
        int limit = r ? r->epochs : 0;
        if (have_ck && !ck_found) { /* hashed once per architecture, at its epoch 1 row */
            const char *ep = strchr(ln + k + 1, ',');
            if (ep && !strncmp(ep, ",1,", 3) && arch_settings(l, &a, key) == ck_settings) {
                ck_found = 1;
                ck_key = key;
            }
        }
        if (ck_found && ck_key == key) {
            if (ck_epoch > limit) limit = ck_epoch;
            if (!r && !(r = pending_get(l, key))) {
                st = nasw_errorf(NASW_ENOMEM, "out of memory");
                break;
            }
        }
        if (!r) continue;
        /* arch,dataset,epoch,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,cost_s */
        char buf[ARCH_STR_MAX + 512];
        if (strlen(ln) >= sizeof buf) continue;
        strcpy(buf, ln);
        char *fld[10];
        int nf = 0;
        for (char *s2 = NULL, *tok = strtok_r(buf, ",", &s2); tok && nf < 10; tok = strtok_r(NULL, ",", &s2))
            fld[nf++] = tok;
        if (nf != 10 || atoi(fld[2]) != r->n_curve + 1 || r->n_curve >= limit) continue;
        double v[7];
        for (int i = 3; i < 10; i++) v[i - 3] = strtod(fld[i], NULL);
        if ((st = curve_push(r, v[3], v[5], v[6]))) break; /* val_acc, test_acc, cost_s */
        fprintf(out, "%s\n", ln);
    }
    free(data);
    if (!st && have_ck && !ck_found)
        st = nasw_errorf(NASW_EINVAL, "checkpoint '%.200s' was made with other training settings (it continues no "
                         "training of journal '%.200s')", l->ckpt_path, l->final_path);
    if (st) {
        outfile_abort(of);
        return st;
    }
    if ((st = outfile_commit(of))) return st;
    /* a checkpoint whose training was journaled whole (killed between its
     * row and the removal) is of no use any more */
    const struct record *done = have_ck ? find(l, ck_key) : NULL;
    if (done && (done->failed || done->epochs >= l->cfg.epochs)) remove(l->ckpt_path);
    return NASW_OK;
}

/* The settings that change a journal's numbers, as its sidecar records
 * them ("training"): a journal is resumed only with the same ones, so that
 * no table mixes, say, micro epochs 1-2 with proxy epochs 3-4. */
static json_t *settings_json(const struct live *l)
{
    const struct train_config *c = &l->cfg;
    char space[512];
    size_t k = (size_t)snprintf(space, sizeof space, "nodes=%d:ops=", l->space->n_nodes);
    for (int i = 0; i < l->space->n_ops && k < sizeof space; i++)
        k += (size_t)snprintf(space + k, sizeof space - k, "%s%s", i ? "+" : "", l->space->ops[i]);
    return json_pack("{s:i, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:b, s:i, s:i, s:i, s:I, s:I, s:s, s:s}",
                     "format", TRAIN_FORMAT, "dataset", DATASET, "preset", c->preset, "space", space, "channels",
                     c->C, "cells", c->N, "resolution", c->resolution, "epochs", c->epochs, "batch", c->batch, "lr",
                     c->lr, "momentum", c->momentum, "weight_decay", c->weight_decay, "nesterov", c->nesterov,
                     "train_size", c->train_size, "val_size", c->val_size, "test_size", c->test_size, "split_seed",
                     (json_int_t)c->split_seed, "seed", (json_int_t)l->seed, "conv",
                     conv_algo() == CONV_WINOGRAD ? "winograd" : "im2col", "clock", c->cpu_clock ? "cpu" : "wall");
}

/* A setting's value as the error message shows it. */
static void show_value(const json_t *v, char *buf, size_t n)
{
    if (json_is_string(v)) snprintf(buf, n, "'%.128s'", json_string_value(v));
    else if (json_is_integer(v)) snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v)) snprintf(buf, n, "%.15g", json_real_value(v));
    else if (json_is_boolean(v)) snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
    else snprintf(buf, n, "(not a number or string)");
}

/* Refuse to resume a journal made with other settings, before anything is
 * read or repaired: the first setting that differs is named. */
static int check_journal(const struct live *l)
{
    char side[4200];
    snprintf(side, sizeof side, "%s.meta.json", l->final_path);
    if (access(side, F_OK) != 0) {
        if (errno != ENOENT) return nasw_errorf(NASW_EIO, "cannot open '%.200s': %s", side, strerror(errno));
        /* the sidecar is written before the journal is created (a journal
         * that is no regular file is reported by resume) */
        struct stat sb;
        if (stat(l->final_path, &sb) == 0 && S_ISREG(sb.st_mode))
            return nasw_errorf(NASW_EINVAL, "journal '%.200s' has no settings file '%.200s' (not made by the live trainer)",
                               l->final_path, side);
        return NASW_OK;
    }
    json_error_t err;
    json_t *m = json_load_file(side, JSON_REJECT_DUPLICATES, &err), *cur = settings_json(l);
    json_t *have = m ? json_object_get(m, "training") : NULL;
    int st = NASW_OK;
    if (!cur) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    else if (!m) st = nasw_errorf(NASW_EPARSE, "%.200s:%d: %s", side, err.line, err.text);
    else if (!json_is_object(have))
        st = nasw_errorf(NASW_EINVAL, "journal '%.200s' does not record its training settings (made by an older nasw); "
                         "train into a new journal", l->final_path);
    /* journals from before the cpu clock charged wall seconds */
    if (!st && !json_object_get(have, "clock")) json_object_set_new(have, "clock", json_string("wall"));
    const char *key;
    json_t *want;
    json_object_foreach(st ? NULL : cur, key, want)
    {
        json_t *got = json_object_get(have, key);
        if (got && json_equal(got, want)) continue;
        const char *label = !strcmp(key, "seed") ? "training seed" : !strcmp(key, "format") ? "trainer format" : key;
        char g[160], w[160];
        show_value(want, w, sizeof w);
        if (!got) st = nasw_errorf(NASW_EINVAL, "journal '%.200s' does not record its %s (made by an older nasw)",
                                   l->final_path, label);
        else {
            show_value(got, g, sizeof g);
            st = nasw_errorf(NASW_EINVAL, "journal '%.200s' was made with %s %s, not %s", l->final_path, label, g, w);
        }
        break;
    }
    json_decref(m);
    json_decref(cur);
    return st;
}

static int write_sidecar(const struct live *l)
{
    char path[4200];
    snprintf(path, sizeof path, "%s.meta.json", l->final_path);
    if (access(path, F_OK) == 0) return NASW_OK; /* checked by check_journal */
    const char *base = strrchr(l->curve_path, '/');
    base = base ? base + 1 : l->curve_path;
    json_t *m = json_pack("{s:s, s:s, s:s, s:b, s:s, s:o}", "search_metric", "val_acc", "report_metric", "test_acc",
                          "cost_metric", "cost_s", "higher_is_better", 1, "curves", base, "training", settings_json(l));
    if (!m) return nasw_errorf(NASW_ENOMEM, "out of memory");
    struct outfile *o;
    int st = outfile_open(&o, path);
    if (st) {
        json_decref(m);
        return st;
    }
    int bad = json_dumpf(m, outfile_stream(o), JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0;
    json_decref(m);
    if (bad) {
        outfile_abort(o);
        return nasw_errorf(NASW_EIO, "cannot write '%.200s'", path);
    }
    return outfile_commit(o);
}

/* Append an epoch's curve row and flush it; rec (the architecture's
 * journaled curve) gets the values as written. */
static int curve_row(struct live *l, const char *arch, const struct train_epoch *e, struct record *rec)
{
    char v[3][32];
    snprintf(v[0], sizeof v[0], "%.4f", e->val_acc);
    snprintf(v[1], sizeof v[1], "%.4f", e->test_acc);
    snprintf(v[2], sizeof v[2], "%.4f", e->seconds);
    if (fprintf(l->curves, "%s,%s,%d,%.6f,%.4f,%.6f,%s,%.6f,%s,%s\n", arch, DATASET, e->epoch, e->train_loss,
                e->train_acc, e->val_loss, v[0], e->test_loss, v[1], v[2]) < 0 ||
        fflush(l->curves) != 0)
        return nasw_errorf(NASW_EIO, "cannot write journal '%.200s': %s", l->curve_path, strerror(errno));
    return curve_push(rec, strtod(v[0], NULL), strtod(v[1], NULL), strtod(v[2], NULL));
}

struct collect {
    struct live *l;
    struct train_epoch *eps;
    int max, n;
    /* journaling as it goes (NULL curve: not journaled here) */
    const char *arch;
    struct record *curve;       /* the architecture's journaled curve */
    struct train_run *run;      /* checkpointed after every epoch before `want` */
    uint64_t settings;
    int want, st;
};

static int on_epoch(void *arg, const struct train_epoch *e)
{
    struct collect *c = arg;
    if (c->n < c->max) c->eps[c->n++] = *e;
    if (c->l->verbose)
        fprintf(stderr, "  epoch %d: train %.2f%% val %.2f%% test %.2f%% (%.1fs)\n", e->epoch, e->train_acc,
                e->val_acc, e->test_acc, e->seconds);
    if (c->l->on_epoch) c->l->on_epoch(c->l->on_epoch_ctx, e->epoch, c->want ? c->want : c->l->cfg.epochs);
    /* the curve row first, then the checkpoint: a kill between the two
     * leaves a row past the checkpoint, which resume drops and the rerun
     * writes again, the same bit for bit */
    if (c->curve && e->epoch == c->curve->n_curve + 1 && (c->st = curve_row(c->l, c->arch, e, c->curve))) return 1;
    if (c->run && e->epoch < c->want && (c->st = train_run_save(c->run, c->l->ckpt_path, c->settings))) return 1;
    return 0;
}

int live_bench_epochs(const struct bench *b) { return ((const struct live *)b->impl)->cfg.epochs; }

/* Answer a query at `want` epochs from a record, by the table backend's
 * rule: before the end of the journaled curve, the curve's epoch; at or
 * beyond it, the row (the full training, or the last epoch trained). */
static void answer(const struct record *p, int want, struct bench_result *r)
{
    if (want < p->epochs && want <= p->n_curve) {
        r->val = p->cval[want - 1];
        r->test = p->ctest[want - 1];
        r->cost_s = p->ccost[want - 1];
        r->epochs = want;
        r->failed = 0;
        return;
    }
    r->val = p->val;
    r->test = p->test;
    r->cost_s = p->cost;
    r->epochs = p->epochs;
    r->failed = p->failed;
}

int live_bench_lookup(struct bench *b, const struct arch *a, struct bench_result *r)
{
    struct live *l = b->impl;
    const struct record *p = find(l, arch_key(l->space, a));
    if (!p || (p->epochs < l->cfg.epochs && !p->failed)) return 0; /* a partial training is not done */
    answer(p, l->cfg.epochs, r);
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
    struct collect c = {.l = l, .eps = eps, .max = max_ep}; /* an MPI worker: journaled by rank 0 */
    int st = train_arch(&l->cfg, l->data, l->space, a, arch_seed(l->seed, arch_key(l->space, a)), 0, on_epoch, &c, tr);
    *n_ep = c.n;
    return st;
}

/* Rewrite the final file from the records (a continued training replaced
 * its row): through core/outfile.h (temporary file + rename), then reopened
 * for appending. */
static int rewrite_final(struct live *l)
{
    struct outfile *o;
    int st = outfile_open(&o, l->final_path);
    if (st) return st;
    FILE *f = outfile_stream(o);
    fprintf(f, "%s\n", FINAL_HEADER);
    for (long i = 0; i < l->n_rec; i++) fprintf(f, "%s\n", l->rec[i].line);
    if ((st = outfile_commit(o))) return st;
    fclose(l->final);
    l->final = fopen(l->final_path, "a");
    if (!l->final) return nasw_errorf(NASW_EIO, "cannot write journal '%.200s': %s", l->final_path, strerror(errno));
    return NASW_OK;
}

/* Journal a training (full or partial): the curve rows of the epochs not
 * journaled yet, then its row (appended; replaced if the architecture had a
 * partial row).  The record holds what was written, parsed back. */
static int journal(struct live *l, const struct arch *a, const struct train_result *tr,
                   const struct train_epoch *eps, int n_ep)
{
    if (!l->final) return nasw_errorf(NASW_EINVAL, "live bench without a journal");
    uint64_t key = arch_key(l->space, a);
    struct record *old = find(l, key);
    struct record rec = {0};
    if (old) { /* continued: keep the journaled curve */
        rec = *old;
        old->cval = NULL;
        old->line = NULL;
    } else {
        pending_take(l, key, &rec); /* journaled epoch by epoch so far */
    }
    char arch[ARCH_STR_MAX], row[ARCH_STR_MAX + 256];
    arch_format(l->space, a, arch, sizeof arch);
    int st = NASW_OK;
    for (int i = 0; i < n_ep && !st; i++) {
        /* epochs journaled already: as they were trained (live_query), or
         * by an earlier training of a continued or retrained architecture */
        if (eps[i].epoch == rec.n_curve + 1) st = curve_row(l, arch, &eps[i], &rec);
    }
    rec.val = tr->val_acc;
    rec.test = tr->test_acc;
    rec.epochs = tr->epochs_done;
    rec.failed = tr->failed;
    /* a partial row costs its epochs' seconds; a full one the whole run */
    rec.cost = tr->epochs_done < l->cfg.epochs && !tr->failed && rec.n_curve ? rec.ccost[rec.n_curve - 1] : tr->seconds;
    if (tr->failed) rec.val = rec.test = 10.0; /* chance level, as NB201 stores broken cells */
    char v[3][32];
    snprintf(v[0], sizeof v[0], "%.4f", rec.val);
    snprintf(v[1], sizeof v[1], "%.4f", rec.test);
    snprintf(v[2], sizeof v[2], "%.4f", rec.cost);
    snprintf(row, sizeof row, "%s,%s,%s,%s,%.4f,%.6f,%.6f,%s,%zu,%.0f,%d,%d", arch, DATASET, v[0], v[1],
             tr->failed ? 10.0 : tr->train_acc, tr->failed ? 0.0 : tr->val_loss, tr->failed ? 0.0 : tr->test_loss, v[2],
             tr->params, tr->flops, rec.epochs, rec.failed);
    free(rec.line);
    if (!st && !(rec.line = malloc(strlen(row) + 1))) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    if (st) {
        record_release(&rec);
        return st;
    }
    strcpy(rec.line, row);
    /* answer what the journal holds, so a rerun from the journal (or the
     * journal loaded as a table) gives the same numbers bit for bit */
    rec.val = strtod(v[0], NULL);
    rec.test = strtod(v[1], NULL);
    rec.cost = strtod(v[2], NULL);
    if ((st = add_record(l, key, &rec))) {
        record_release(&rec);
        return st;
    }
    if (old) return rewrite_final(l);
    if (fprintf(l->final, "%s\n", row) < 0 || fflush(l->final) != 0)
        return nasw_errorf(NASW_EIO, "cannot write journal '%.200s': %s", l->final_path, strerror(errno));
    return NASW_OK;
}

int live_bench_record(struct bench *b, const struct arch *a, const struct train_result *tr,
                      const struct train_epoch *eps, int n_ep, struct bench_result *r)
{
    struct live *l = b->impl;
    int st = journal(l, a, tr, eps, n_ep);
    if (st) return st;
    answer(find(l, arch_key(l->space, a)), l->cfg.epochs, r);
    return NASW_OK;
}

/* The paused training of an architecture, taken out of the cache (NULL if
 * none). */
static struct train_run *paused_take(struct live *l, uint64_t key)
{
    for (int i = 0; i < LIVE_PAUSED; i++)
        if (l->paused[i].run && l->paused[i].key == key) {
            struct train_run *run = l->paused[i].run;
            l->paused[i].run = NULL;
            return run;
        }
    return NULL;
}

/* Keep a paused training; the least recently used one is dropped when the
 * cache is full (it would be retrained from scratch if continued). */
static void paused_put(struct live *l, uint64_t key, struct train_run *run)
{
    int slot = 0;
    for (int i = 0; i < LIVE_PAUSED; i++) {
        if (!l->paused[i].run) {
            slot = i;
            break;
        }
        if (l->paused[i].used < l->paused[slot].used) slot = i;
    }
    train_run_free(l->paused[slot].run);
    l->paused[slot] = (struct paused){key, run, ++l->clock};
}

/* Continue a fresh run from the journal's checkpoint if it is this
 * training's (its settings hash names the architecture) and the curve rows
 * up to its epoch are journaled; another training's checkpoint is left to
 * be overwritten. */
static int checkpoint_resume(struct live *l, uint64_t key, struct train_run *run, uint64_t settings)
{
    if (access(l->ckpt_path, F_OK) != 0) return NASW_OK;
    uint64_t have;
    int ep, st = train_checkpoint_info(l->ckpt_path, &have, &ep);
    if (st || have != settings) return st;
    const struct record *r = find(l, key);
    const struct pending *p = r ? NULL : pending_find(l, key);
    int journaled = r ? r->n_curve : p ? p->r.n_curve : 0;
    return journaled < ep ? NASW_OK : train_run_load(run, l->ckpt_path, settings);
}

/* --- weight inheritance ------------------------------------------------------
 * The weights of a training are a trainer checkpoint (train_run_save) named
 * by its id: a full training's settings hash, or for an inherited one a
 * hash of its parent's id, its own settings and its epochs, so the id
 * names the whole lineage. */

static void weights_path(const struct live *l, uint64_t id, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%016llx.ckpt", l->wdir, (unsigned long long)id);
}

static int weights_save(struct live *l, const struct train_run *run, uint64_t id)
{
    if (mkdir(l->wdir, 0777) != 0 && errno != EEXIST)
        return nasw_errorf(NASW_EIO, "cannot create directory '%.200s': %s", l->wdir, strerror(errno));
    char path[4300];
    weights_path(l, id, path, sizeof path);
    return train_run_save(run, path, id);
}

static uint64_t inherit_id(uint64_t parent, uint64_t settings, int epochs)
{
    uint64_t v[3] = {parent, settings, (uint64_t)epochs};
    return nasw_fnv1a(NASW_FNV_OFFSET, v, sizeof v);
}

/* Add an inherited training's record from its journal row's fields. */
static int inherit_push(struct live *l, uint64_t id, char *const *f)
{
    if (l->n_inh == l->cap_inh) {
        long cap = l->cap_inh ? 2 * l->cap_inh : 64;
        struct inh_rec *p = realloc(l->inh_rec, sizeof *p * (size_t)cap);
        if (!p) return nasw_errorf(NASW_ENOMEM, "out of memory");
        l->inh_rec = p;
        l->cap_inh = cap;
    }
    l->inh_rec[l->n_inh] = (struct inh_rec){strtod(f[5], NULL), strtod(f[6], NULL), strtod(f[7], NULL), atoi(f[8]),
                                            atoi(f[9])};
    if (hashmap_put(&l->inh_done, id, l->n_inh++)) return nasw_errorf(NASW_ENOMEM, "out of memory");
    return NASW_OK;
}

/* Open the inherited trainings' journal (on first use), reading what it
 * holds: "weights,parent_weights,arch,parent,inherit_epochs,val_acc,
 * test_acc,cost_s,epochs,failed", ids in hex. */
static int inherit_open(struct live *l)
{
    if (l->inh) return NASW_OK;
    char *data;
    size_t len;
    int st = slurp(l->inh_path, &data, &len);
    if (st) return st;
    long line = 0;
    for (char *save = NULL, *ln = data ? strtok_r(data, "\n", &save) : NULL; ln && !st;
         ln = strtok_r(NULL, "\n", &save)) {
        if (line++ == 0) {
            if (strcmp(ln, INHERIT_HEADER))
                st = nasw_errorf(NASW_EPARSE, "%s:1: not a nasw inheritance journal (header differs)", l->inh_path);
            continue;
        }
        char *f[10], *end;
        int nf = 0;
        for (char *s2 = NULL, *tok = strtok_r(ln, ",", &s2); tok && nf < 10; tok = strtok_r(NULL, ",", &s2)) f[nf++] = tok;
        uint64_t id = nf == 10 ? strtoull(f[0], &end, 16) : 0;
        if (nf != 10 || *end) {
            st = nasw_errorf(NASW_EPARSE, "%s:%ld: malformed journal record", l->inh_path, line);
            break;
        }
        st = inherit_push(l, id, f);
    }
    free(data);
    if (!st) st = open_append(&l->inh, l->inh_path, INHERIT_HEADER);
    return st;
}

static void inherit_answer(const struct inh_rec *p, struct bench_result *r)
{
    r->val = p->val;
    r->test = p->test;
    r->cost_s = p->cost;
    r->epochs = p->epochs;
    r->failed = p->failed;
}

static int live_query(struct bench *b, const struct arch *a, int epochs, struct bench_result *r);

/* Train a for `epochs` epochs from the weights its parent answered last;
 * without them (the parent was trained before weights were kept, or
 * diverged), a from scratch. */
static int live_query_inherit(struct bench *b, const struct arch *a, const struct arch *parent, int epochs,
                              struct bench_result *r)
{
    struct live *l = b->impl;
    if (!l->final) return nasw_errorf(NASW_EINVAL, "live bench without a journal");
    int st = inherit_open(l);
    if (st) return st;
    uint64_t key = arch_key(l->space, a), pkey = arch_key(l->space, parent);
    int64_t pw;
    char ppath[4300];
    int have = hashmap_get(&l->latest, pkey, &pw);
    if (have) weights_path(l, (uint64_t)pw, ppath, sizeof ppath);
    if (!have || access(ppath, R_OK) != 0) {
        l->fallbacks++;
        return live_query(b, a, 0, r);
    }
    uint64_t id = inherit_id((uint64_t)pw, arch_settings(l, a, key), epochs);
    int64_t idx;
    if (hashmap_get(&l->inh_done, id, &idx)) { /* journaled */
        inherit_answer(&l->inh_rec[idx], r);
        r->from_epochs = 0;
        if (!r->failed && hashmap_put(&l->latest, key, (int64_t)id)) return nasw_errorf(NASW_ENOMEM, "out of memory");
        return NASW_OK;
    }
    char arch[ARCH_STR_MAX], parch[ARCH_STR_MAX];
    arch_format(l->space, a, arch, sizeof arch);
    arch_format(l->space, parent, parch, sizeof parch);
    /* the preset's schedule (cosine from its learning rate) over `epochs` */
    struct train_config cfg = l->cfg;
    cfg.epochs = epochs;
    struct train_run *prun = NULL, *run = NULL;
    struct train_epoch *eps = malloc(sizeof *eps * (size_t)epochs);
    struct morph_stats ms;
    if (!eps) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    if (!st) st = train_run_new(&prun, &l->cfg, l->data, l->space, parent, 0);
    if (!st) st = train_run_load(prun, ppath, (uint64_t)pw);
    if (!st) st = train_run_new(&run, &cfg, l->data, l->space, a, arch_seed(l->seed, id));
    if (!st) st = morph_inherit(train_run_net(run), a, train_run_net(prun), parent, l->space, &ms);
    train_run_free(prun);
    struct train_result tr;
    if (!st) {
        if (l->verbose)
            fprintf(stderr, "training %s from %s (%d epochs; edges: %d copied, %d preserved, %d approximate, %d fresh)\n",
                    arch, parch, epochs, ms.copied, ms.preserved, ms.approx, ms.fresh);
        struct collect c = {.l = l, .eps = eps, .max = epochs};
        st = train_run_to(run, epochs, on_epoch, &c, &tr);
    }
    if (!st && !tr.failed) st = weights_save(l, run, id);
    train_run_free(run);
    free(eps);
    if (st) return st;
    /* journaled as written, answered as read back (a resumed search sees
     * the same numbers) */
    char row[2 * ARCH_STR_MAX + 256];
    double val = tr.failed ? 10.0 : tr.val_acc, test = tr.failed ? 10.0 : tr.test_acc;
    snprintf(row, sizeof row, "%016llx,%016llx,%s,%s,%d,%.4f,%.4f,%.4f,%d,%d", (unsigned long long)id,
             (unsigned long long)pw, arch, parch, epochs, val, test, tr.seconds, tr.epochs_done, tr.failed);
    if (fprintf(l->inh, "%s\n", row) < 0 || fflush(l->inh) != 0)
        return nasw_errorf(NASW_EIO, "cannot write journal '%.200s': %s", l->inh_path, strerror(errno));
    char *f[10], *save = NULL;
    int nf = 0;
    for (char *tok = strtok_r(row, ",", &save); tok && nf < 10; tok = strtok_r(NULL, ",", &save)) f[nf++] = tok;
    if ((st = inherit_push(l, id, f))) return st;
    if (!tr.failed && hashmap_put(&l->latest, key, (int64_t)id)) return nasw_errorf(NASW_ENOMEM, "out of memory");
    inherit_answer(&l->inh_rec[l->n_inh - 1], r);
    r->from_epochs = 0;
    return NASW_OK;
}

static int live_query(struct bench *b, const struct arch *a, int epochs, struct bench_result *r)
{
    struct live *l = b->impl;
    int full = l->cfg.epochs, want = epochs <= 0 || epochs >= full ? full : epochs;
    uint64_t key = arch_key(l->space, a);
    const struct record *rec = find(l, key);
    if (rec && (rec->failed || rec->epochs >= want)) { /* journaled: r->from_epochs stays -1 */
        answer(rec, want, r);
        /* a full training's weights (its settings hash names them) */
        if (want == full && !rec->failed && hashmap_put(&l->latest, key, (int64_t)arch_settings(l, a, key)))
            return nasw_errorf(NASW_ENOMEM, "out of memory");
        return NASW_OK;
    }
    char arch[ARCH_STR_MAX];
    arch_format(l->space, a, arch, sizeof arch);
    uint64_t seed = arch_seed(l->seed, key), settings = train_settings_hash(&l->cfg, arch, seed);
    /* train: continue the paused training, or the checkpointed one, or
     * start (again) from scratch */
    struct train_run *run = paused_take(l, key);
    int st = NASW_OK;
    if (!run) {
        if ((st = train_run_new(&run, &l->cfg, l->data, l->space, a, seed))) return st;
        if (l->final && (st = checkpoint_resume(l, key, run, settings))) {
            train_run_free(run);
            return st;
        }
    }
    int from = train_run_epochs(run);
    struct train_epoch *eps = malloc(sizeof *eps * (size_t)full);
    struct record *curve = !l->final ? NULL : find(l, key) ? find(l, key) : pending_get(l, key);
    if (!eps || (l->final && !curve)) {
        free(eps);
        train_run_free(run);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    if (l->verbose) fprintf(stderr, "training %s (epochs %d..%d)\n", arch, from + 1, want);
    struct collect c = {l, eps, full, 0, arch, curve, l->final ? run : NULL, settings, want, NASW_OK};
    struct train_result tr;
    st = train_run_to(run, want, on_epoch, &c, &tr);
    if (!st) st = c.st;
    /* the weights before the row: a row always has them (a kill between
     * the two retrains, and writes the same weights again) */
    int whole = !tr.failed && train_run_epochs(run) >= full;
    if (!st && whole && b->keep_weights && l->final) st = weights_save(l, run, settings);
    if (!st) st = journal(l, a, &tr, eps, c.n);
    if (!st && whole && hashmap_put(&l->latest, key, (int64_t)settings)) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    /* the training stopped (done, diverged, or paused in memory): its
     * checkpoint is of no more use (a paused training lost with the
     * process is retrained, its journaled epochs kept) */
    if (!st && l->final) remove(l->ckpt_path);
    free(eps);
    if (!st && !tr.failed && train_run_epochs(run) < full) paused_put(l, key, run); /* stopped, kept to continue */
    else train_run_free(run);
    if (st) return st;
    answer(find(l, key), want, r);
    r->from_epochs = from;
    return NASW_OK;
}

static void live_free(struct bench *b)
{
    struct live *l = b->impl;
    if (l->final) fclose(l->final);
    if (l->curves) fclose(l->curves);
    hashmap_release(&l->done);
    for (long i = 0; i < l->n_rec; i++) record_release(&l->rec[i]);
    free(l->rec);
    for (int i = 0; i < LIVE_PAUSED; i++) train_run_free(l->paused[i].run);
    for (int i = 0; i < l->n_pend; i++) record_release(&l->pend[i].r);
    free(l->pend);
    free(l->final_path);
    free(l->curve_path);
    free(l->ckpt_path);
    if (l->inh) fclose(l->inh);
    free(l->wdir);
    free(l->inh_path);
    free(l->inh_rec);
    hashmap_release(&l->inh_done);
    hashmap_release(&l->latest);
    train_data_free(l->data);
    space_free(l->space);
    free(l);
}

/* The columns of a journal row (FINAL_HEADER) a multi-objective or
 * constrained search may name: the metrics, the training seconds and the
 * network's size (params) and forward FLOPs per image. */
static const char *const obj_columns[] = {"val_acc", "test_acc", "cost_s", "params", "flops"};
static const int obj_fields[] = {2, 3, 7, 8, 9};

static int obj_field(const char *bench, const char *name, int *field)
{
    for (size_t i = 0; i < sizeof obj_fields / sizeof *obj_fields; i++)
        if (!strcmp(name, obj_columns[i])) {
            *field = obj_fields[i];
            return NASW_OK;
        }
    return nasw_errorf(NASW_ENOTFOUND, "bench '%.200s' reports no column '%.64s' (columns: val_acc, test_acc, cost_s, params, flops)",
                       bench, name);
}

int live_check_objectives(const char *spec, const struct objectives *o)
{
    int field, st = NASW_OK;
    for (int i = 0; i < o->n && !st; i++) st = obj_field(spec, o->name[i], &field);
    for (int c = 0; c < o->n_con && !st; c++) st = obj_field(spec, o->con_name[c], &field);
    return st;
}

static int live_bind_objectives(struct bench *b)
{
    struct live *l = b->impl;
    const struct objectives *o = &b->obj;
    int st = NASW_OK;
    for (int i = 0; i < o->n && !st; i++) {
        st = obj_field(b->name, o->name[i], &l->obj_field[i]);
        l->obj_field[o->n + i] = l->obj_field[i] == 2 ? 3 : l->obj_field[i]; /* reported: test_acc for val_acc */
    }
    for (int c = 0; c < o->n_con && !st; c++) st = obj_field(b->name, o->con_name[c], &l->obj_field[2 * o->n + c]);
    return st; /* ranges and feasibility are unknown before training */
}

/* From the journal row of a (bench_query calls this after training it). */
static int live_objective_values(struct bench *b, const struct arch *a, double *out)
{
    struct live *l = b->impl;
    const struct record *rec = find(l, arch_key(l->space, a));
    if (!rec || !rec->line) return nasw_errorf(NASW_ENOTFOUND, "architecture not trained yet");
    for (int i = 0; i < 2 * b->obj.n + b->obj.n_con; i++) {
        const char *p = rec->line; /* architecture strings hold no comma */
        for (int f = 0; f < l->obj_field[i] && p; f++) {
            p = strchr(p, ',');
            if (p) p++;
        }
        out[i] = p ? strtod(p, NULL) : NAN;
    }
    return NASW_OK;
}

/* A zero-cost proxy as a column (warm starts, search/warm.c): computed on
 * the preset's network at initialisation, with the first 64 training
 * images and seed 1 (score's default), so the value is `nasw score --preset P --proxies NAME`'s. */
static int live_column(struct bench *b, const char *name, const struct arch *a, double *out)
{
    struct live *l = b->impl;
    int id = proxy_lookup(name);
    if (id < 0)
        return nasw_errorf(NASW_ENOTFOUND, "bench '%.200s' has no column '%.64s' (zero-cost proxies: %s)", b->name,
                           name, proxy_names());
    if (!a) return NASW_OK;
    const float *x;
    const int *y;
    int n = train_data_train_set(l->data, &x, &y);
    struct proxy_batch batch = {x, y, n < 64 ? n : 64};
    struct cnn_config cfg = {.C = l->cfg.C, .N = l->cfg.N, .in_ch = 1, .H = l->cfg.resolution,
                             .W = l->cfg.resolution, .classes = 10};
    int want[PROXY_COUNT] = {0};
    double v[PROXY_COUNT];
    want[id] = 1;
    int st = proxies_compute(l->space, a, &cfg, &batch, 1, want, v);
    if (!st) *out = v[id];
    return st;
}

/* The supernet of the one-shot strategies, on this bench's data (train/supernet.h). */
static int live_oneshot(const struct bench *b, const struct oneshot_opts *o, struct oneshot **out)
{
    const struct live *l = b->impl;
    return supernet_oneshot_new(l->space, &l->cfg, l->data, l->final_path, o, out);
}

static const struct bench_ops live_ops = {.name = "live", .query = live_query, .free = live_free,
                                          .bind_objectives = live_bind_objectives,
                                          .objective_values = live_objective_values, .column = live_column,
                                          .oneshot = live_oneshot, .query_inherit = live_query_inherit};

long live_bench_done(const struct bench *b) { return ((const struct live *)b->impl)->n_rec; }
long live_bench_fallbacks(const struct bench *b) { return ((const struct live *)b->impl)->fallbacks; }

/* "fmnist[:PRESET][:nodes=K][:ops=a+b+...]": the preset and the cell space. */
static int parse_spec(struct live *l, const char *spec)
{
    char buf[512], *save = NULL;
    if (!strncmp(spec, "live:", 5)) spec += 5;
    if (strlen(spec) >= sizeof buf) return nasw_errorf(NASW_EINVAL, "live bench spec too long");
    strcpy(buf, spec);
    char *tok = strtok_r(buf, ":", &save);
    if (!tok || strcmp(tok, "fmnist"))
        return nasw_errorf(NASW_ENOTFOUND, "unknown live bench 'live:%.64s' (known: live:fmnist[:PRESET][:nodes=K][:ops=a+b][:clock=cpu])", spec);
    const char *preset = "proxy";
    int nodes = 4, n_ops = 0, cpu_clock = 0;
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
        } else if (!strncmp(tok, "clock=", 6)) {
            if (strcmp(tok + 6, "wall") && strcmp(tok + 6, "cpu"))
                return nasw_errorf(NASW_EINVAL, "live bench: bad '%.64s' (clock=wall or clock=cpu)", tok);
            cpu_clock = !strcmp(tok + 6, "cpu");
        } else if (strchr(tok, '=')) {
            return nasw_errorf(NASW_EINVAL, "live bench: unknown option '%.64s' (nodes=, ops=, clock=)", tok);
        } else {
            preset = tok;
        }
    }
    int st = train_preset(&l->cfg, preset);
    if (st) return st;
    l->cfg.cpu_clock = cpu_clock;
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

int live_spec_epochs(const char *spec, int *epochs)
{
    struct live *l = calloc(1, sizeof *l);
    if (!l) return nasw_errorf(NASW_ENOMEM, "out of memory");
    int st = parse_spec(l, spec);
    *epochs = st ? 0 : l->cfg.epochs;
    space_free(l->space);
    free(l);
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
    if (!st && !(l->ckpt_path = malloc(n + 8))) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    if (!st && !(l->wdir = malloc(n + 16))) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    if (!st && !(l->inh_path = malloc(n + 16))) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    if (!st) {
        snprintf(l->ckpt_path, n + 8, "%s.ckpt", journal);
        snprintf(l->wdir, n + 16, "%s.weights", journal);
        strcpy(l->final_path, journal);
        strcpy(l->curve_path, journal);
        if (n > 4 && !strcmp(l->curve_path + n - 4, ".csv")) l->curve_path[n - 4] = '\0';
        strcpy(l->inh_path, l->curve_path);
        strcat(l->curve_path, "_curves.csv");
        strcat(l->inh_path, "_inherit.csv");
    }
    l->seed = o->seed;
    l->verbose = o->verbose;
    l->on_epoch = o->on_epoch;
    l->on_epoch_ctx = o->on_epoch_ctx;
    /* settings checked and data loaded before a journal file is touched:
     * a refused journal, or missing data, leaves the files as they were */
    if (!st && o->journal) st = check_journal(l);
    if (!st) st = train_data_new(&l->data, &l->cfg, o->data_dir ? o->data_dir : fmnist_dir());
    if (o->journal) {
        if (!st) st = resume(l);
        if (!st) st = write_sidecar(l);
        if (!st) st = open_append(&l->final, l->final_path, FINAL_HEADER);
        if (!st) st = open_append(&l->curves, l->curve_path, CURVE_HEADER);
    }
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
