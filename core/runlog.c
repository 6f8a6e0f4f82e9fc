/*
 * core/runlog.c - JSONL run logs (jansson).  See core/runlog.h.
 *
 * Numbers that are not finite (a failed training's NaN) are written as
 * JSON null, since JSON has no NaN.
 */
#include "core/runlog.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/outfile.h"
#include "core/status.h"

#ifndef NASW_VERSION
#define NASW_VERSION "unknown"
#endif

struct runlog {
    struct outfile *out;
    FILE *f;
    char *path;
    int failed;
};

const char *nasw_version(void) { return NASW_VERSION; }

int runlog_open(struct runlog **out, const char *path)
{
    *out = NULL;
    struct runlog *l = calloc(1, sizeof *l);
    if (!l || !(l->path = strdup(path))) {
        free(l);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    int st = outfile_open(&l->out, path);
    if (st) {
        free(l->path);
        free(l);
        return st;
    }
    l->f = outfile_stream(l->out);
    *out = l;
    return NASW_OK;
}

static json_t *num(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static int emit(struct runlog *l, json_t *obj)
{
    if (!obj) return nasw_errorf(NASW_ENOMEM, "out of memory");
    char *s = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(obj);
    if (!s) return nasw_errorf(NASW_ENOMEM, "out of memory");
    int bad = fputs(s, l->f) < 0 || fputc('\n', l->f) == EOF || fflush(l->f) != 0;
    free(s);
    if (bad) {
        l->failed = 1;
        return nasw_errorf(NASW_EIO, "cannot write '%.200s': %s", l->path, strerror(errno));
    }
    return NASW_OK;
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

int runlog_header(struct runlog *l, const struct runlog_header *h)
{
    json_t *o = json_object();
    if (!o) return nasw_errorf(NASW_ENOMEM, "out of memory");
    json_object_set_new(o, "type", json_string("header"));
    json_object_set_new(o, "nasw", json_string(h->version ? h->version : nasw_version()));
    json_object_set_new(o, "command", str_or_null(h->command));
    json_object_set_new(o, "seed", json_integer((json_int_t)h->seed));
    json_object_set_new(o, "bench", str_or_null(h->bench));
    json_object_set_new(o, "checksum", str_or_null(h->checksum));
    json_object_set_new(o, "dataset", str_or_null(h->dataset));
    json_object_set_new(o, "search_metric", str_or_null(h->search_metric));
    json_object_set_new(o, "report_metric", str_or_null(h->report_metric));
    json_object_set_new(o, "strategy", str_or_null(h->strategy));
    json_object_set_new(o, "budget", num(h->budget));
    json_object_set_new(o, "budget_unit", str_or_null(h->budget_unit));
    return emit(l, o);
}

int runlog_query(struct runlog *l, const struct runlog_query *q)
{
    json_t *o = json_object();
    if (!o) return nasw_errorf(NASW_ENOMEM, "out of memory");
    json_object_set_new(o, "type", json_string("query"));
    json_object_set_new(o, "query", json_integer(q->query));
    json_object_set_new(o, "arch", str_or_null(q->arch));
    json_object_set_new(o, "epochs", json_integer(q->epochs));
    json_object_set_new(o, "epochs_charged", json_integer(q->epochs_charged));
    json_object_set_new(o, "total_epochs", num(q->total_epochs));
    json_object_set_new(o, "val", num(q->val));
    json_object_set_new(o, "test", num(q->test));
    json_object_set_new(o, "cost_s", num(q->cost_s));
    json_object_set_new(o, "total_cost_s", num(q->total_cost_s));
    json_object_set_new(o, "best_val", num(q->best_val));
    json_object_set_new(o, "test_at_best", num(q->test_at_best));
    if (q->failed) json_object_set_new(o, "failed", json_true());
    return emit(l, o);
}

int runlog_end(struct runlog *l, long queries, double total_cost_s, const char *reason)
{
    json_t *o = json_object();
    if (!o) return nasw_errorf(NASW_ENOMEM, "out of memory");
    json_object_set_new(o, "type", json_string("end"));
    json_object_set_new(o, "queries", json_integer(queries));
    json_object_set_new(o, "total_cost_s", num(total_cost_s));
    json_object_set_new(o, "stop", str_or_null(reason));
    return emit(l, o);
}

int runlog_close(struct runlog *l, int commit)
{
    if (!l) return NASW_OK;
    int st = NASW_OK;
    if (commit && !l->failed) {
        st = outfile_commit(l->out);
    } else {
        outfile_abort(l->out);
        if (commit) st = NASW_EIO; /* the failed write was reported by emit() */
    }
    free(l->path);
    free(l);
    return st;
}
