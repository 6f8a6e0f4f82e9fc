/*
 * api/handle.h - not installed: the handle behind nasw_table (api/nasw.h)
 * and the calls the library's files share.
 */
#ifndef NASW_API_HANDLE_H
#define NASW_API_HANDLE_H

#include "api/nasw.h"
#include "search/search.h"

struct nasw_table {
    struct table *t;  /* NULL: the live trainer */
    struct bench **b; /* one per dataset, made at open (read-only afterwards for tables) */
    int n;            /* datasets */
};

/* 0, or a negative status with the message when d is not a dataset of h. */
int api_check_dataset(const nasw_table *h, int d);

/* The budget kind of o, checked (a unit of NASW_BUDGET_*, a positive
 * budget, whole for queries and epochs).  NASW_OK or NASW_EINVAL. */
int api_budget_kind(const nasw_run_opts *o, enum budget_kind *kind);

/* What a run of spec on b needs before it starts, checked once for all its
 * seeds: a cost column for a budget in seconds, curves for one in epochs,
 * the strategy's own requirements (a supernet, the space, a column, an
 * encoding its model can take).  NASW_OK or a status with the message. */
int api_run_check(struct bench *b, const struct search_spec *spec, enum budget_kind kind);

#endif
