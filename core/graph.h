/*
 * core/graph.h - the NAS-Bench-101 graph space (SPACE_GRAPH), private to
 * core/arch.c, which dispatches to it.
 *
 * A cell is a DAG of at most 7 vertices (input 0, output last) and 9 edges;
 * each inner vertex is labelled conv3x3-bn-relu, conv1x1-bn-relu or
 * maxpool3x3 (Ying et al. 2019).  As decisions (struct arch): the 21 entries
 * of the upper triangle of the 7x7 adjacency matrix (edge i->j is decision
 * j(j-1)/2 + i, as the cell spaces number their edges), then the labels of
 * vertices 1..5.
 *
 * Every architecture is held in canonical form, so that isomorphic graphs
 * are one architecture with one key: vertices on no input-output path are
 * pruned (as NAS-Bench-101 does), the remaining inner vertices take the
 * positions 1..m and the vertices m+1..5 are isolated with label 0, and of
 * all relabellings of the inner vertices that keep the matrix upper
 * triangular the one with the smallest key is kept.  This is an exact
 * canonical labelling (at most 5! = 120 relabellings), not a hash, so two
 * graphs get one key exactly when they are isomorphic as labelled DAGs.
 *
 * Strings: the pruned matrix's rows and the labels,
 *   "0110000.0001000.0001000.0000100.0000010.0000001.0000000:input,conv3x3-bn-relu,...,output"
 * (k rows of k digits, '.'-separated, then k labels).  NASLib's tuple
 * "(a00, a01, ..., a66, o0, ..., o6)" (49 matrix entries, then codes 0 input,
 * 1 output, 2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu) is read too.
 */
#ifndef NASW_CORE_GRAPH_H
#define NASW_CORE_GRAPH_H

#include <stddef.h>

#include "core/arch.h"

#define GRAPH_VERTICES 7
#define GRAPH_EDGES 21   /* decisions of the upper triangle */
#define GRAPH_MAX_EDGES 9
#define GRAPH_LABELS 3
#define GRAPH_DIMS (GRAPH_EDGES + GRAPH_VERTICES - 2)

extern const char *const graph_label_names[GRAPH_LABELS];

/* 1 if str is written as a graph (either format). */
int graph_looks_like(const char *str);
/* Parse either format, prune, check (a path from input to output, at most 9
 * edges, upper triangular), and canonicalise.  NASW_EPARSE with a message. */
int graph_parse(const char *str, struct arch *out);
/* The pruned matrix and labels of a canonical architecture. */
int graph_format(const struct arch *a, char *buf, size_t n);
/* 1 if a is a valid graph in canonical form. */
int graph_is_canonical(const struct arch *a);
/* Canonical form of any decision vector; 0 if valid, -1 if not (no
 * input-output path or more than 9 edges after pruning). */
int graph_canonicalise(const struct arch *in, struct arch *out);
/* The distinct canonical valid graphs one edge flip, one relabelling or one
 * new vertex (from a live vertex into the output, any label) away from a (a
 * itself excluded); returns how many (at most max, at most
 * GRAPH_MAX_NEIGHBOURS). */
#define GRAPH_MAX_NEIGHBOURS (GRAPH_EDGES + (GRAPH_VERTICES - 2) * (GRAPH_LABELS - 1) + (GRAPH_VERTICES - 1) * GRAPH_LABELS)
int graph_neighbours(const struct arch *a, struct arch *out, int max);
/* Path encoding: one count per input-to-output label sequence (lengths 0..5:
 * 1 + 3 + ... + 243 = 364 entries). */
int graph_path_dim(void);
void graph_encode_path(const struct arch *a, double *x);

#endif
