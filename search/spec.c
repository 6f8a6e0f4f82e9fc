/*
 * search/spec.c - the strategy registry and "NAME[:key=value]..." specs.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "search/search.h"

extern const struct search_type search_type_random, search_type_evolution, search_type_local,
    search_type_reinforce, search_type_bo, search_type_pnas, search_type_sh, search_type_hyperband, search_type_bohb,
    search_type_et, search_type_ppo, search_type_qlearn, search_type_nsga2, search_type_pls, search_type_parego,
    search_type_ehvi, search_type_nao, search_type_bananas, search_type_darts, search_type_gdas, search_type_enas,
    search_type_rsws, search_type_spos;

const struct search_type *const search_registry[] = {
    &search_type_random, &search_type_evolution, &search_type_local, &search_type_reinforce, &search_type_bo,
    &search_type_pnas, &search_type_nao, &search_type_bananas, &search_type_sh, &search_type_hyperband, &search_type_bohb, &search_type_et,
    &search_type_ppo, &search_type_qlearn, &search_type_nsga2, &search_type_pls, &search_type_parego, &search_type_ehvi,
    &search_type_darts, &search_type_gdas, &search_type_enas, &search_type_rsws, &search_type_spos, NULL,
};

int search_needs_curves(const struct bench *b, const char *strategy)
{
    if (b->max_epochs > 0) return NASW_OK;
    if (!strncmp(b->name, "table:", 6)) { /* "table:PATH#dataset": name the file */
        int len = (int)strcspn(b->name + 6, "#");
        return nasw_errorf(NASW_EUNSUPPORTED, "strategy '%s' needs per-epoch curves; table '%.*s' has none", strategy,
                           len > 200 ? 200 : len, b->name + 6);
    }
    return nasw_errorf(NASW_EUNSUPPORTED, "strategy '%s' needs per-epoch curves; bench '%.200s' has none", strategy,
                       b->name);
}

int search_spec_check(const struct search_spec *spec, struct bench *b)
{
    int st;
    if (spec->type->space_ok && (st = spec->type->space_ok(bench_space(b)))) return st;
    return search_warm_check(spec, b);
}

int search_check_bench(const struct search_type *t, const struct bench *b)
{
    if (!t->oneshot || b->ops->oneshot) return NASW_OK;
    struct oneshot *o;
    return bench_oneshot(b, t->name, NULL, &o); /* the message of a bench without one */
}

/* The value of the spec's parameter `name`; def if its type has none. */
static double spec_value(const struct search_spec *spec, const char *name, double def)
{
    for (int i = 0; spec->type->params[i].name; i++)
        if (!strcmp(spec->type->params[i].name, name)) return spec->values[i];
    return def;
}

int search_spec_inherit_epochs(const struct search_spec *spec)
{
    return spec_value(spec, "inherit", 0) == 1 ? (int)spec_value(spec, "inherit_epochs", 0) : 0;
}

int search_spec_check_inherit(const struct search_spec *spec, const char *bench, int trains, int full_epochs,
                              int objectives)
{
    int e = search_spec_inherit_epochs(spec);
    const char *given = strstr(spec->label, ":inherit_epochs=");
    if (!e && given)
        return nasw_errorf(NASW_EINVAL, "strategy '%s': inherit_epochs needs inherit=1", spec->type->name);
    if (!e) return NASW_OK;
    if (!trains)
        return nasw_errorf(NASW_EINVAL, "strategy '%s': inherit=1 needs a bench that trains (live:fmnist), not "
                           "'%.200s'", spec->type->name, bench);
    if (objectives)
        return nasw_errorf(NASW_EINVAL, "strategy '%s': inherit=1 does not take objectives or constraints",
                           spec->type->name);
    if (full_epochs > 0 && e > full_epochs)
        return nasw_errorf(NASW_EINVAL, "strategy '%s': inherit_epochs=%d is more than the %d epochs of a full "
                           "training on '%.200s'", spec->type->name, e, full_epochs, bench);
    return NASW_OK;
}

const struct search_type *search_find(const char *name)
{
    for (int i = 0; search_registry[i]; i++)
        if (!strcmp(search_registry[i]->name, name)) return search_registry[i];
    return NULL;
}

static int n_params(const struct search_type *t)
{
    int n = 0;
    while (t->params && t->params[n].name) n++;
    return n;
}

/* "a|b|c": index of `v`, or -1 */
static int choice_index(const char *choices, const char *v)
{
    int idx = 0;
    size_t n = strlen(v);
    for (const char *p = choices;; idx++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, v, n)) return idx;
        if (!bar) return -1;
        p = bar + 1;
    }
}

static void choice_name(const char *choices, int idx, char *buf, size_t n)
{
    const char *p = choices;
    for (int i = 0; i < idx && p; i++) {
        p = strchr(p, '|');
        if (p) p++;
    }
    if (!p) p = "?";
    size_t len = strcspn(p, "|");
    snprintf(buf, n, "%.*s", (int)len, p);
}

static void list_names(char *buf, size_t n, const struct search_type *t)
{
    size_t len = 0;
    buf[0] = '\0';
    if (t) {
        for (int i = 0; t->params && t->params[i].name; i++)
            len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s", i ? ", " : "",
                                    t->params[i].name);
        if (!t->params || !t->params[0].name) snprintf(buf, n, "none");
        return;
    }
    for (int i = 0; search_registry[i]; i++)
        len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s", i ? ", " : "",
                                search_registry[i]->name);
}

int search_spec_parse(const char *text, struct search_spec *out)
{
    memset(out, 0, sizeof *out);
    char buf[512], names[512];
    if (strlen(text) >= sizeof buf || strlen(text) >= sizeof out->label)
        return nasw_errorf(NASW_EINVAL, "strategy spec too long: '%.64s...'", text);
    strcpy(buf, text);
    strcpy(out->label, text);
    char *save = NULL, *name = strtok_r(buf, ":", &save);
    if (!name || text[0] == ':') return nasw_errorf(NASW_EINVAL, "empty strategy spec '%.64s'", text);
    const struct search_type *t = search_find(name);
    if (!t) {
        list_names(names, sizeof names, NULL);
        return nasw_errorf(NASW_ENOTFOUND, "unknown strategy '%.64s' (known: %s)", name, names);
    }
    /* strtok_r skips empty fields: "evolution:" and "a::b" would pass as if
     * nothing were there, so an empty key=value is refused before */
    for (const char *p = strchr(text, ':'); p; p = strchr(p + 1, ':'))
        if (p[1] == ':' || p[1] == '\0')
            return nasw_errorf(NASW_EINVAL, "strategy '%s': empty key=value in '%.64s'", t->name, text);
    out->type = t;
    int np = n_params(t);
    NASW_ASSERT(np <= SEARCH_MAX_PARAMS);
    int seen[SEARCH_MAX_PARAMS] = {0}, seen_dedupe = 0;
    for (int i = 0; i < np; i++) out->values[i] = t->params[i].def;
    char *pending = NULL; /* a token read ahead after init=zc:COLUMN */
    for (char *kv = strtok_r(NULL, ":", &save); kv; kv = pending ? pending : strtok_r(NULL, ":", &save)) {
        pending = NULL;
        if (!strcmp(kv, "init=zc")) {
            /* the warm start: its column, then its own pool=N if next */
            if (!t->warm) {
                char list[256];
                size_t len = 0;
                list[0] = '\0';
                for (int i = 0; search_registry[i]; i++)
                    if (search_registry[i]->warm && len < sizeof list)
                        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "",
                                                search_registry[i]->name);
                return nasw_errorf(NASW_EUNSUPPORTED, "strategy '%s' takes no warm start (init=zc: %s)", t->name, list);
            }
            if (out->warm_column[0])
                return nasw_errorf(NASW_EINVAL, "parameter 'init' of '%s' given twice", t->name);
            char *col = strtok_r(NULL, ":", &save);
            if (!col || strchr(col, '='))
                return nasw_errorf(NASW_EINVAL, "strategy '%s': init=zc needs a column, as in init=zc:nwot:pool=1000",
                                   t->name);
            if (strlen(col) >= sizeof out->warm_column)
                return nasw_errorf(NASW_EINVAL, "strategy '%s': column name too long: '%.64s...'", t->name, col);
            strcpy(out->warm_column, col);
            out->warm_pool = 1000;
            char *next = strtok_r(NULL, ":", &save);
            if (next && !strncmp(next, "pool=", 5)) {
                char *end;
                errno = 0;
                double v = strtod(next + 5, &end);
                if (end == next + 5 || *end || errno == ERANGE || v != floor(v) || v < 1 || v > 1e7)
                    return nasw_errorf(NASW_EINVAL, "strategy '%s': init=zc pool '%.64s' is not an integer in [1, 1e+07]",
                                       t->name, next + 5);
                out->warm_pool = (long)v;
            } else {
                pending = next;
            }
            continue;
        }
        if (!strncmp(kv, "init=", 5) && !strchr("0123456789+-.", kv[5]) && strcmp(kv + 5, "random"))
            return nasw_errorf(NASW_EINVAL, "strategy '%s': unknown initialisation '%.64s' (init=random or init=zc:COLUMN[:pool=N])",
                               t->name, kv + 5);
        if (!strcmp(kv, "init=random")) continue; /* the default start */
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv || !eq[1])
            return nasw_errorf(NASW_EINVAL, "strategy '%s': expected key=value, got '%.64s'", t->name, kv);
        *eq = '\0';
        const char *key = kv, *val = eq + 1;
        if (!strcmp(key, "dedupe")) { /* every strategy's key, kept out of params */
            if (seen_dedupe++) return nasw_errorf(NASW_EINVAL, "parameter 'dedupe' of '%s' given twice", t->name);
            if (strcmp(val, "iso") && strcmp(val, "none"))
                return nasw_errorf(NASW_EINVAL, "parameter 'dedupe' of '%s': '%.64s' is not one of iso|none", t->name,
                                   val);
            out->dedupe_iso = !strcmp(val, "iso");
            continue;
        }
        int k = -1;
        for (int i = 0; i < np; i++)
            if (!strcmp(t->params[i].name, key)) k = i;
        if (k < 0) {
            list_names(names, sizeof names, t);
            return nasw_errorf(NASW_ENOTFOUND, "unknown parameter '%.64s' for strategy '%s' (parameters: %s)",
                               key, t->name, names);
        }
        if (seen[k]) return nasw_errorf(NASW_EINVAL, "parameter '%s' of '%s' given twice", key, t->name);
        seen[k] = 1;
        const struct search_param *p = &t->params[k];
        double v;
        if (p->choices) {
            int c = choice_index(p->choices, val);
            if (c < 0)
                return nasw_errorf(NASW_EINVAL, "parameter '%s' of '%s': '%.64s' is not one of %s", key,
                                   t->name, val, p->choices);
            v = c;
        } else {
            char *end;
            errno = 0;
            v = strtod(val, &end);
            if (*end || errno == ERANGE || !isfinite(v))
                return nasw_errorf(NASW_EINVAL, "parameter '%s' of '%s': '%.64s' is not a number", key,
                                   t->name, val);
            if (p->is_int && v != floor(v))
                return nasw_errorf(NASW_EINVAL, "parameter '%s' of '%s': '%.64s' is not an integer", key,
                                   t->name, val);
            if (v < p->min || v > p->max)
                return nasw_errorf(NASW_EINVAL, "parameter '%s' of '%s': %.64s is outside [%g, %g]", key,
                                   t->name, val, p->min, p->max);
        }
        out->values[k] = v;
    }
    return NASW_OK;
}

int search_spec_list_parse(const char *text, struct search_spec **out, int *n)
{
    *out = NULL;
    *n = 0;
    int cap = 1;
    for (const char *p = text; *p; p++) cap += *p == ',';
    struct search_spec *v = calloc((size_t)cap, sizeof *v);
    char *copy = malloc(strlen(text) + 1);
    if (!v || !copy) {
        free(v);
        free(copy);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    strcpy(copy, text);
    int k = 0, st = NASW_OK;
    /* an empty item (",a", "a,", "a,,b") is a typo, not nothing */
    size_t len = strlen(text);
    if (len && (text[0] == ',' || text[len - 1] == ',' || strstr(text, ",,"))) {
        free(v);
        free(copy);
        return nasw_errorf(NASW_EINVAL, "empty strategy in the list '%.64s'", text);
    }
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if ((st = search_spec_parse(tok, &v[k++]))) break;
    free(copy);
    if (st == NASW_OK && k == 0) st = nasw_errorf(NASW_EINVAL, "no strategy given");
    if (st) {
        free(v);
        return st;
    }
    *out = v;
    *n = k;
    return NASW_OK;
}

/* Numbers in the shortest %g form that reads back as the same double (6 to
 * 17 digits): the full spec a run log records must reproduce the run, and
 * "%g" alone writes a default of 1/3 as 0.333333. */
static int format_value(const struct search_param *p, double v, char *buf, size_t n)
{
    if (p->choices) {
        choice_name(p->choices, (int)v, buf, n);
        return 0;
    }
    if (p->is_int) return snprintf(buf, n, "%.0f", v);
    int w = 0;
    for (int prec = 6; prec <= 17; prec++) {
        w = snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    return w;
}

int search_spec_format(const struct search_spec *spec, char *buf, size_t n)
{
    const struct search_type *t = spec->type;
    size_t len = (size_t)snprintf(buf, n, "%s", t->name);
    for (int i = 0; t->params && t->params[i].name; i++) {
        char v[64];
        format_value(&t->params[i], spec->values[i], v, sizeof v);
        len += (size_t)snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, ":%s=%s",
                                t->params[i].name, v);
    }
    if (spec->dedupe_iso) len += (size_t)snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, ":dedupe=iso");
    if (spec->warm_column[0])
        len += (size_t)snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, ":init=zc:%s:pool=%ld",
                                spec->warm_column, spec->warm_pool);
    return len < n ? NASW_OK : NASW_EINVAL;
}

void search_registry_help(FILE *f)
{
    fputs("every strategy also takes dedupe=iso: a query of an architecture isomorphic to\n"
          "one already evaluated (NB201 cells: the same NATS-Bench unique string; NB101\n"
          "graphs are canonical anyway) is a repeat, free and not counted\n",
          f);
    fputs("strategies (spec NAME[:key=value]..., defaults shown; init=zc:COLUMN[:pool=N] is a warm start\n"
          "from a zero-cost column, for", f);
    for (int i = 0, k = 0; search_registry[i]; i++)
        if (search_registry[i]->warm) fprintf(f, "%s %s", k++ ? "," : "", search_registry[i]->name);
    fputs("):\n", f);
    for (int i = 0; search_registry[i]; i++) {
        const struct search_type *t = search_registry[i];
        fprintf(f, "  %-10s %s\n", t->name, t->help);
        for (int j = 0; t->params && t->params[j].name; j++) {
            const struct search_param *p = &t->params[j];
            char v[64], kv[96];
            format_value(p, p->def, v, sizeof v);
            snprintf(kv, sizeof kv, "%s=%s", p->name, v);
            if (p->choices)
                fprintf(f, "      %-20s %s (%s)\n", kv, p->help, p->choices);
            else
                fprintf(f, "      %-20s %s [%g..%g]\n", kv, p->help, p->min, p->max);
        }
    }
}
