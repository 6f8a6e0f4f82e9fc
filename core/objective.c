/*
 * core/objective.c - parsing objectives ("val_acc:max,lat:min") and
 * constraints ("lat<=5"); see core/objective.h.
 */
#include "core/objective.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

static const char *const op_names[] = {"<=", "<", ">=", ">"};

const char *objectives_op_name(enum obj_op op) { return op_names[op]; }

/* A column name: non-empty, no separator or operator characters, short. */
static int name_ok(const char *s, size_t len)
{
    if (len == 0 || len >= OBJ_NAME_MAX) return 0;
    for (size_t i = 0; i < len; i++)
        if (strchr(",:<>=; \t", s[i])) return 0;
    return 1;
}

int objectives_parse(struct objectives *out, const char *text)
{
    /* parsed into a copy: *out changes only on success */
    struct objectives tmp = *out, *o = &tmp;
    o->n = 0;
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *colon = memchr(p, ':', len);
        if (len == 0)
            return nasw_errorf(NASW_EINVAL, "empty objective in '%.64s' (expected NAME:max or NAME:min)", text);
        if (!colon)
            return nasw_errorf(NASW_EINVAL, "objective '%.*s' has no direction (expected '%.*s:max' or '%.*s:min')",
                               (int)(len > 64 ? 64 : len), p, (int)(len > 64 ? 64 : len), p,
                               (int)(len > 64 ? 64 : len), p);
        size_t nlen = (size_t)(colon - p), dlen = len - nlen - 1;
        if (!name_ok(p, nlen))
            return nasw_errorf(NASW_EINVAL, "bad objective name '%.*s'", (int)(nlen > 64 ? 64 : nlen), p);
        int max;
        if (dlen == 3 && !strncmp(colon + 1, "max", 3)) max = 1;
        else if (dlen == 3 && !strncmp(colon + 1, "min", 3)) max = 0;
        else
            return nasw_errorf(NASW_EINVAL, "objective '%.*s': direction '%.*s' is not max or min",
                               (int)(nlen > 64 ? 64 : nlen), p, (int)(dlen > 64 ? 64 : dlen), colon + 1);
        if (o->n == OBJ_MAX) return nasw_errorf(NASW_EINVAL, "too many objectives (at most %d)", OBJ_MAX);
        for (int i = 0; i < o->n; i++)
            if (strlen(o->name[i]) == nlen && !strncmp(o->name[i], p, nlen))
                return nasw_errorf(NASW_EINVAL, "objective '%.*s' given twice", (int)nlen, p);
        memcpy(o->name[o->n], p, nlen);
        o->name[o->n][nlen] = '\0';
        o->maximize[o->n++] = max;
        if (!p[len]) break;
        p += len + 1;
    }
    if (o->n < 2)
        return nasw_errorf(NASW_EINVAL, "a multi-objective search needs at least 2 objectives, got '%.64s'", text);
    *out = tmp;
    return NASW_OK;
}

int objectives_add_constraint(struct objectives *o, const char *text)
{
    const char *p = text;
    while (*p == ' ') p++;
    size_t nlen = strcspn(p, "<>= ");
    const char *q = p + nlen;
    while (*q == ' ') q++;
    int op = -1;
    size_t oplen = 0;
    if (!strncmp(q, "<=", 2)) op = OBJ_LE, oplen = 2;
    else if (!strncmp(q, ">=", 2)) op = OBJ_GE, oplen = 2;
    else if (*q == '<') op = OBJ_LT, oplen = 1;
    else if (*q == '>') op = OBJ_GT, oplen = 1;
    if (op < 0 || !name_ok(p, nlen))
        return nasw_errorf(NASW_EINVAL, "bad constraint '%.64s' (expected COLUMN<=NUMBER, <, >= or >)", text);
    const char *num = q + oplen;
    while (*num == ' ') num++;
    char *end;
    errno = 0;
    double v = strtod(num, &end);
    while (end && *end == ' ') end++;
    if (num[0] == '\0' || *end || errno == ERANGE || !isfinite(v))
        return nasw_errorf(NASW_EINVAL, "bad constraint '%.64s': '%.64s' is not a number", text, num);
    if (o->n_con == OBJ_MAX_CON) return nasw_errorf(NASW_EINVAL, "too many constraints (at most %d)", OBJ_MAX_CON);
    memcpy(o->con_name[o->n_con], p, nlen);
    o->con_name[o->n_con][nlen] = '\0';
    o->con_op[o->n_con] = (enum obj_op)op;
    o->con_bound[o->n_con++] = v;
    return NASW_OK;
}

int objectives_satisfies(const struct objectives *o, int c, double v)
{
    double b = o->con_bound[c];
    switch (o->con_op[c]) {
    case OBJ_LE: return v <= b;
    case OBJ_LT: return v < b;
    case OBJ_GE: return v >= b;
    case OBJ_GT: return v > b;
    }
    return 0;
}

void objectives_format(const struct objectives *o, char *buf, int n)
{
    int len = 0;
    buf[0] = '\0';
    for (int i = 0; i < o->n && len < n; i++)
        len += snprintf(buf + len, (size_t)(n - len), "%s%s:%s", i ? "," : "", o->name[i], o->maximize[i] ? "max" : "min");
    for (int c = 0; c < o->n_con && len < n; c++)
        len += snprintf(buf + len, (size_t)(n - len), ";%s%s%.17g", o->con_name[c], op_names[o->con_op[c]],
                        o->con_bound[c]);
}
