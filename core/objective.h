/*
 * core/objective.h - objectives and constraints of a multi-objective search.
 *
 * A multi-objective search names its objectives with directions,
 * "val_acc:max,fpga_latency:min", and may add constraints on any column,
 * "fpga_latency<=5".  This file only parses and checks the text; a bench
 * resolves the names to its columns (bench_set_objectives in core/bench.h).
 * It is not the search: dominance and hypervolume live in stats/pareto.h.
 *
 * Conventions: at most OBJ_MAX objectives and OBJ_MAX_CON constraints; an
 * objective's value is stored as the column holds it and "oriented" (negated
 * when minimised) wherever strategies compare, so larger is always better.
 * A constraint is COLUMN OP NUMBER with OP one of <=, <, >=, > and the
 * number parsed strictly (strtod + end check, finite).
 */
#ifndef NASW_CORE_OBJECTIVE_H
#define NASW_CORE_OBJECTIVE_H

#define OBJ_MAX 4
#define OBJ_MAX_CON 4
#define OBJ_NAME_MAX 64

enum obj_op { OBJ_LE = 0, OBJ_LT, OBJ_GE, OBJ_GT };

struct objectives {
    int n;                            /* 0: a single-objective search */
    char name[OBJ_MAX][OBJ_NAME_MAX];
    int maximize[OBJ_MAX];
    int n_con;
    char con_name[OBJ_MAX_CON][OBJ_NAME_MAX];
    enum obj_op con_op[OBJ_MAX_CON];
    double con_bound[OBJ_MAX_CON];
};

/* "NAME:max,NAME:min,...": sets n, name and maximize (at least 2, at most
 * OBJ_MAX, no name twice).  NASW_EINVAL with a message otherwise. */
int objectives_parse(struct objectives *o, const char *text);
/* Append one constraint "NAME OP NUMBER" (spaces around OP allowed).
 * NASW_EINVAL with a message when malformed or one too many. */
int objectives_add_constraint(struct objectives *o, const char *text);
/* 1 if value satisfies constraint c (NaN never does). */
int objectives_satisfies(const struct objectives *o, int c, double value);
/* "<=", "<", ">=", ">" */
const char *objectives_op_name(enum obj_op op);
/* The objectives as text, "val_acc:max,fpga_latency:min" (then
 * ";fpga_latency<=5" per constraint), for run logs and manifests. */
void objectives_format(const struct objectives *o, char *buf, int n);

#endif
