/*
 * cli/replay.c - replaying a comparison from its manifest (--config) and
 * the journal of finished runs that `compare --resume` continues from.
 * See cli/replay.h for the formats and docs/cli.md for the user's view.
 * The journal follows the project's journal rules: append-only, one record
 * per line, flushed per record, a torn last line tolerated on resume.
 */
#define _GNU_SOURCE
#include "cli/replay.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "search/search.h"

/* --- --config */

/* Options that are one choice: giving one of a group on the command line
 * replaces the manifest's member of the group (--bench for its --table). */
static const char *const GROUPS[][2] = {{"table", "bench"}, {"quiet", "verbose"}, {"maximize", "minimize"}};

static void opt_name(const char *a, char *name, size_t n)
{
    name[0] = '\0';
    if (!strcmp(a, "-q")) snprintf(name, n, "quiet");
    else if (!strcmp(a, "-v")) snprintf(name, n, "verbose");
    else if (!strncmp(a, "--", 2)) snprintf(name, n, "%.*s", (int)strcspn(a + 2, "="), a + 2);
}

static int takes_value(const struct option *lo, const char *a, const char *name)
{
    if (strncmp(a, "--", 2) || strchr(a, '=')) return 0;
    for (int i = 0; lo[i].name; i++)
        if (!strcmp(lo[i].name, name)) return lo[i].has_arg == required_argument;
    return 0;
}

static int same_choice(const char *a, const char *b)
{
    if (!strcmp(a, b)) return 1;
    for (size_t g = 0; g < sizeof GROUPS / sizeof *GROUPS; g++)
        if ((!strcmp(a, GROUPS[g][0]) || !strcmp(a, GROUPS[g][1])) && (!strcmp(b, GROUPS[g][0]) || !strcmp(b, GROUPS[g][1])))
            return 1;
    return 0;
}

/* argv (from 1) gives the option name (or one of its group) */
static int given(int argc, char **argv, const struct option *lo, const char *name)
{
    char n2[64];
    for (int i = 1; i < argc; i++) {
        opt_name(argv[i], n2, sizeof n2);
        if (*n2 && strcmp(n2, "config") && same_choice(name, n2)) return 1;
        if (*n2 && takes_value(lo, argv[i], n2)) i++;
    }
    return 0;
}

int replay_config(const char *cmd, const struct option *longopts, int argc, char **argv, int *new_argc,
                  char ***new_argv, void **keep)
{
    *new_argv = NULL;
    *keep = NULL;
    const char *path = NULL;
    int at = -1;
    char name[64];
    for (int i = 1; i < argc; i++) {
        opt_name(argv[i], name, sizeof name);
        if (!strcmp(name, "config")) {
            if (path) return cli_usage_error(cmd, "option '--config' given more than once");
            at = i;
            path = strchr(argv[i], '=') ? strchr(argv[i], '=') + 1 : i + 1 < argc ? argv[i + 1] : NULL;
            if (!path || !*path) return cli_usage_error(cmd, "unknown or incomplete option '%.64s'", argv[i]);
        }
        if (*name && takes_value(longopts, argv[i], name)) i++;
    }
    if (!path) return 0;
    json_error_t je;
    json_t *m = json_load_file(path, 0, &je);
    if (!m) {
        if (je.line <= 0) return cli_error("cannot open manifest '%.200s': %s", path, strerror(errno ? errno : ENOENT));
        return cli_error("%.200s:%d: %s", path, je.line, je.text);
    }
    json_t *av = json_object_get(m, "argv");
    if (!json_is_array(av)) {
        json_decref(m);
        return cli_error("'%.200s' records no arguments (not a manifest.json of nasw %s 0.9.1 or later)", path, cmd);
    }
    size_t n = json_array_size(av);
    for (size_t j = 0; j < n; j++)
        if (!json_is_string(json_array_get(av, j))) {
            json_decref(m);
            return cli_error("%.200s: argument %zu of \"argv\" is not a string", path, j + 1);
        }
    char **v = calloc(n + (size_t)argc + 1, sizeof *v);
    if (!v) {
        json_decref(m);
        return cli_error("out of memory");
    }
    int k = 0;
    v[k++] = argv[0];
    for (size_t j = 0; j < n; j++) {
        const char *a = json_string_value(json_array_get(av, j));
        opt_name(a, name, sizeof name);
        int val = *name && takes_value(longopts, a, name) && j + 1 < n;
        if (*name && given(argc, argv, longopts, name)) { /* overridden here */
            j += (size_t)val;
            continue;
        }
        v[k++] = (char *)a;
        if (val) v[k++] = (char *)json_string_value(json_array_get(av, ++j));
    }
    for (int i = 1; i < argc; i++) {
        if (i == at) {
            i += !strchr(argv[i], '=');
            continue;
        }
        v[k++] = argv[i];
    }
    *new_argc = k;
    *new_argv = v;
    *keep = m;
    return 0;
}

void replay_config_free(char **new_argv, void *keep)
{
    free(new_argv);
    json_decref(keep);
}

/* --- the run journal */

static json_t *num(double x)
{
    if (isfinite(x)) return json_real(x);
    return json_string(isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
}

static int get_num(json_t *j, double *x)
{
    const char *s = json_string_value(j);
    if (json_is_number(j)) *x = json_number_value(j);
    else if (s && !strcmp(s, "nan")) *x = NAN;
    else if (s && !strcmp(s, "inf")) *x = INFINITY;
    else if (s && !strcmp(s, "-inf")) *x = -INFINITY;
    else return -1;
    return 0;
}

enum { NF = 14 }; /* fields of a step, in the order below */

int replay_journal_write(FILE *f, const char *dataset, const char *label, long seed, double secs,
                         const struct search_trace *tr)
{
    json_t *o = json_object(), *steps = json_array(), *obj = json_array();
    if (!o || !steps || !obj) {
        json_decref(o);
        json_decref(steps);
        json_decref(obj);
        return -1;
    }
    json_object_set_new(o, "dataset", json_string(dataset));
    json_object_set_new(o, "strategy", json_string(label));
    json_object_set_new(o, "seed", json_integer(seed));
    json_object_set_new(o, "secs", num(secs));
    json_object_set_new(o, "stop", json_integer(tr->stop));
    json_object_set_new(o, "n_obj", json_integer(tr->n_obj));
    for (long i = 0; i < tr->n; i++) {
        const struct search_step *p = &tr->steps[i];
        json_t *s = json_array();
        /* the fields in the order parse_run() reads them; the integers are
         * exact as doubles (epochs, indices far below 2^53) */
        double f[NF] = {0, p->val, p->test, p->cost_s, p->total_cost_s, p->best_val, p->test_at_best,
                        p->epochs, p->fidelity, p->epochs_charged, p->total_epochs, (double)p->incumbent,
                        p->failed, p->infeasible};
        json_array_append_new(s, json_integer((json_int_t)p->key));
        for (int k = 1; k < NF; k++) json_array_append_new(s, num(f[k]));
        json_array_append_new(steps, s);
    }
    for (long i = 0; tr->n_obj > 0 && i < tr->n * 2 * tr->n_obj; i++) json_array_append_new(obj, num(tr->obj[i]));
    json_object_set_new(o, "steps", steps);
    json_object_set_new(o, "obj", obj);
    char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(o);
    if (!line) return -1;
    /* one write of the whole line: a kill leaves at most a torn last line */
    int rc = fprintf(f, "%s\n", line) < 0 || fflush(f) != 0 ? -1 : 0;
    free(line);
    return rc;
}

static int parse_run(json_t *o, const char **dataset, const char **label, long *seed, double *secs,
                     struct search_trace *tr)
{
    memset(tr, 0, sizeof *tr);
    json_t *steps = json_object_get(o, "steps"), *obj = json_object_get(o, "obj");
    *dataset = json_string_value(json_object_get(o, "dataset"));
    *label = json_string_value(json_object_get(o, "strategy"));
    if (!*dataset || !*label || !json_is_integer(json_object_get(o, "seed")) || !json_is_array(steps) ||
        !json_is_array(obj) || get_num(json_object_get(o, "secs"), secs))
        return -1;
    *seed = (long)json_integer_value(json_object_get(o, "seed"));
    tr->stop = (enum search_stop)json_integer_value(json_object_get(o, "stop"));
    tr->n_obj = (int)json_integer_value(json_object_get(o, "n_obj"));
    tr->n = tr->cap = (long)json_array_size(steps);
    if (tr->n_obj < 0 || tr->n_obj > 16 || json_array_size(obj) != (size_t)(tr->n * 2 * tr->n_obj)) return -1;
    if (tr->n && !(tr->steps = calloc((size_t)tr->n, sizeof *tr->steps))) return -1;
    if (tr->n_obj && tr->n && !(tr->obj = malloc(sizeof *tr->obj * (size_t)(tr->n * 2 * tr->n_obj)))) return -1;
    for (long i = 0; i < tr->n; i++) {
        json_t *s = json_array_get(steps, (size_t)i);
        double f[NF];
        if (json_array_size(s) != NF) return -1;
        for (int k = 0; k < NF; k++)
            if (get_num(json_array_get(s, (size_t)k), &f[k])) return -1;
        struct search_step *p = &tr->steps[i];
        p->key = (uint64_t)json_integer_value(json_array_get(s, 0)); /* exact, not through a double */
        p->val = f[1], p->test = f[2], p->cost_s = f[3], p->total_cost_s = f[4], p->best_val = f[5];
        p->test_at_best = f[6], p->epochs = (int)f[7], p->fidelity = (int)f[8], p->epochs_charged = (int)f[9];
        p->total_epochs = f[10], p->incumbent = (long)f[11], p->failed = (int)f[12], p->infeasible = (int)f[13];
    }
    for (long i = 0; tr->n_obj > 0 && i < tr->n * 2 * tr->n_obj; i++)
        if (get_num(json_array_get(obj, (size_t)i), &tr->obj[i])) return -1;
    return 0;
}

int replay_journal_read(const char *path,
                        int (*on_run)(void *ctx, const char *dataset, const char *label, long seed, double secs,
                                      struct search_trace *tr),
                        void *ctx, long *good_end)
{
    *good_end = 0;
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 0 : cli_error("cannot open '%.200s': %s", path, strerror(errno));
    char *line = NULL, *next = NULL;
    size_t cap = 0, cap2 = 0;
    ssize_t len = getline(&line, &cap, f), len2;
    int rc = 0;
    for (long ln = 1; len >= 0 && !rc; ln++, len = len2) {
        /* the next line first: a bad line is forgiven only as the last */
        len2 = getline(&next, &cap2, f);
        json_t *o = json_loads(line, 0, NULL);
        const char *ds, *label;
        long seed;
        double secs;
        struct search_trace tr;
        int whole = len > 0 && line[len - 1] == '\n';
        if (!o || !whole || parse_run(o, &ds, &label, &seed, &secs, &tr)) {
            if (o && whole) search_trace_release(&tr);
            json_decref(o);
            if (len2 >= 0) rc = cli_error("%.200s:%ld: not a run record of nasw compare", path, ln);
            break; /* else a torn last line: that run is redone */
        }
        *good_end += (long)len;
        if ((rc = on_run(ctx, ds, label, seed, secs, &tr))) search_trace_release(&tr);
        json_decref(o);
        char *t = line;
        line = next, next = t;
        size_t c = cap;
        cap = cap2, cap2 = c;
    }
    free(line);
    free(next);
    fclose(f);
    return rc;
}

/* --- what a resumed comparison must share with the interrupted one */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *replay_runs_key(const struct option *longopts, int argc, char **argv)
{
    /* flags that change no run: where outputs go, threads, talk, plots */
    static const char *const free_flags[] = {"dir", "jobs", "resume", "no-plot", "size", "quiet", "verbose", "config",
                                             "checkpoints", NULL};
    char **items = calloc((size_t)argc + 1, sizeof *items), name[64];
    size_t len = 1;
    int n = 0;
    if (!items) return NULL;
    for (int i = 1; i < argc; i++) {
        opt_name(argv[i], name, sizeof name);
        int val = *name && takes_value(longopts, argv[i], name) && i + 1 < argc;
        int skip = 0;
        for (int k = 0; free_flags[k]; k++) skip |= !strcmp(name, free_flags[k]);
        if (!skip) {
            /* "--seeds 5" and "--seeds=5" are the same item */
            size_t m = strlen(argv[i]) + (val ? strlen(argv[i + 1]) + 1 : 0) + 1;
            if (!(items[n] = malloc(m))) break;
            snprintf(items[n], m, "%s%s%s", argv[i], val ? "=" : "", val ? argv[i + 1] : "");
            len += m;
            n++;
        }
        i += val;
    }
    qsort(items, (size_t)n, sizeof *items, cmp_str); /* the order of flags changes nothing */
    char *key = malloc(len);
    if (key) {
        key[0] = '\0';
        for (int i = 0; i < n; i++) {
            if (i) strcat(key, " ");
            strcat(key, items[i]);
        }
    }
    for (int i = 0; i < n; i++) free(items[i]);
    free(items);
    return key;
}
