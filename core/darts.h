/*
 * core/darts.h - the DARTS / NASNet cell space (SPACE_DARTS, NAS-Bench-301),
 * private to core/arch.c, which dispatches to it.
 *
 * An architecture is a normal cell and a reduction cell (Liu et al., DARTS,
 * ICLR 2019; Zela et al., NAS-Bench-301).  A cell has two inputs (0: c_{k-2},
 * 1: c_{k-1}) and 4 intermediate nodes; node k = 0..3 sums two edges, each an
 * input among 0..k+1 (the cell inputs, then earlier nodes, so node k is input
 * k+2) with one of the 7 DARTS ops; the output concatenates nodes 0..3.  As
 * decisions (struct arch): cell c, node k, edge e at 16c + 4k + 2e (the
 * input) and 16c + 4k + 2e + 1 (the op): 32 decisions, a product of about
 * 6.9e21, so the space is wide (interned keys, core/arch.h).
 *
 * Canonical form: the two edges of a node are a sum, so their order is
 * immaterial; a node's edges come from two different inputs (DARTS keeps
 * the two strongest predecessors, so a genotype never repeats one), held
 * with the smaller input first.  1.08e18 canonical architectures.  Other
 * symmetries (permuting independent nodes, which permutes the channels the
 * output concatenates) are not merged: NAS-Bench-301 treats them as
 * different architectures too.
 *
 * Strings, both read, the first written:
 *   DARTS' genotype repr "Genotype(normal=[('sep_conv_3x3', 0), ...],
 *   normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])"
 *   (8 (op, input) pairs per cell; concat also as range(2, 6));
 *   NASLib's compact form "[[(0, 3), (1, 5), ...], [...]]" (8 (input, op)
 *   pairs per cell, op codes 0..6 in NASLib's order below; brackets and
 *   parentheses interchangeable, as Python prints lists or tuples).
 */
#ifndef NASW_CORE_DARTS_H
#define NASW_CORE_DARTS_H

#include <stddef.h>

#include "core/arch.h"

#define DARTS_NODES 4
#define DARTS_OPS 7
#define DARTS_DIMS 32
#define DARTS_EDGES_PER_CELL 14 /* (node, input) pairs: 2 + 3 + 4 + 5 */
/* neighbours: per node and edge, 6 other ops or k other inputs */
#define DARTS_MAX_NEIGHBOURS (2 * 2 * (6 + 0 + 6 + 1 + 6 + 2 + 6 + 3))

extern const char *const darts_op_names[DARTS_OPS];

/* 1 if str is written as a DARTS genotype (either format). */
int darts_looks_like(const char *str);
/* Parse either format and canonicalise.  NASW_EPARSE with a message. */
int darts_parse(const char *str, struct arch *out);
int darts_format(const struct arch *a, char *buf, size_t n);
/* 1 if a is valid and canonical. */
int darts_is_canonical(const struct arch *a);
/* Canonical form of any decision vector; 0 if valid, -1 if a node takes
 * one input twice. */
int darts_canonicalise(const struct arch *in, struct arch *out);
/* The canonical architectures one op change or one input change away
 * (a itself excluded), in a fixed order; returns how many (at most max). */
int darts_neighbours(const struct arch *a, struct arch *out, int max);
/* Edge-op adjacency encoding: per cell, per (node, input) edge, one
 * indicator per op; 2 * 14 * 7 = 196 entries. */
int darts_adjacency_dim(void);
void darts_encode_adjacency(const struct arch *a, double *x);

#endif
