/*
 * core/arch.h - architectures and search spaces.
 *
 * An architecture is a vector of discrete decisions (`struct arch`): one op
 * index per edge of a cell, one choice per layer of a chain, or one item index
 * of an unstructured set.  A `struct space` says how many decisions there are
 * and how many values each can take; it is read from a table (space_infer)
 * or built by a backend (space_cell_new for the live trainer).
 *
 * Three kinds of space:
 *  - SPACE_CELL: NAS-Bench-201 style cells, string "|op~0|+|op~0|op~1|+...".
 *    Node k (1..n_nodes-1) sums op(node j) over j<k; the decisions are the
 *    edges in string order (k=1: j=0; k=2: j=0,1; k=3: j=0,1,2; ...).  The
 *    op vocabulary and the number of nodes come from the table.
 *  - SPACE_CHAIN: NAS-Bench-Macro style digit codes, "01220012": L layers,
 *    layer i takes a digit in [0, n_choices[i]).
 *  - SPACE_SET: opaque architecture ids with no known structure (e.g. the
 *    NAS-Bench-NLP recipe ids).  One decision, the item index; a "mutation"
 *    is another member chosen uniformly.
 *  - SPACE_GRAPH: NAS-Bench-101 cells, DAGs of up to 7 labelled vertices and
 *    9 edges (core/graph.h): 21 adjacency decisions and 5 labels, always in
 *    canonical form (pruned, exact canonical labelling), so isomorphic graphs
 *    are one architecture; a mutation flips one edge, changes one label or
 *    adds a vertex.
 *  - SPACE_DARTS: DARTS / NASNet cells as in NAS-Bench-301 (core/darts.h):
 *    a normal and a reduction cell, 4 nodes each taking two different
 *    earlier nodes with one op each; 32 decisions, canonical (the edges of
 *    a node in input order); a mutation changes one op or one input.
 *
 * Keys: an architecture maps to a 64-bit key; this is what tables index and
 * what the search loop uses to detect repeats.  In a space of at most 2^63
 * architectures the key is the mixed-radix number of the decisions (decision
 * 0 is the least significant digit), computed without any table.  A larger
 * space (a 30-layer chain with 9 choices, 9^30 ~ 4e28, or the DARTS cells,
 * ~7e21 decision vectors) is "wide": its key is the architecture's index in
 * the space's intern table, which holds every architecture given a key so
 * far, exactly (a 64-bit hash of the decision vector finds the candidates, a
 * full comparison of the vectors decides; the hash is never the key).  Keys
 * of a wide space are dense (0, 1, 2, ... in order of first use), shared by
 * every clone of the space, and stable for the life of the process; they are
 * not comparable between processes, so anything written to a file names the
 * architecture by its string.  Interning takes a lock, so threads may share a
 * wide space.
 *
 * Restriction: a table that covers only part of a space restricts the space
 * to its rows (space_restrict).  Sampling, mutation and neighbourhoods then
 * only ever return members, so a strategy never proposes an architecture the
 * table lacks.
 *
 * Canonical form (cells): NATS-Bench's get_unique_str / to_unique_str(
 * consider_zero=True) rule: the op named "none" (or "zero") is the zero op,
 * "skip_connect" (or "identity"/"skip") the identity; two cells with the same
 * canonical string compute the same function.  NB201's 15,625 cells form
 * 6,466 classes under it.
 */
#ifndef NASW_CORE_ARCH_H
#define NASW_CORE_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/hashmap.h"

struct rng;
struct arch_intern; /* wide spaces: architecture <-> key, core/arch.c */

#define ARCH_MAX_DIMS 64
#define ARCH_MAX_NODES 12     /* cells: 66 edges would exceed ARCH_MAX_DIMS anyway */
#define ARCH_STR_MAX 1024     /* longest formatted architecture string */

enum space_kind { SPACE_CELL = 1, SPACE_CHAIN = 2, SPACE_SET = 3, SPACE_GRAPH = 4, SPACE_DARTS = 5 };

struct arch {
    int n;                             /* number of decisions = space->n_dims */
    uint16_t d[ARCH_MAX_DIMS];         /* decision values */
};

struct space {
    enum space_kind kind;
    int n_dims;                        /* cell: edges; chain: layers; set: 1 */
    int n_choices[ARCH_MAX_DIMS];      /* values per decision */
    uint64_t size;                     /* product of n_choices, UINT64_MAX if wide */
    int wide;                          /* the product exceeds 2^63: keys are interned */
    double log10_size;                 /* log10 of the product (any size) */
    struct arch_intern *intern;        /* wide: the shared intern table */

    /* SPACE_CELL */
    int n_nodes;                       /* including input node 0 and the output */
    int edge_from[ARCH_MAX_DIMS];      /* edge e goes from node edge_from[e] ... */
    int edge_to[ARCH_MAX_DIMS];        /* ... into node edge_to[e] */
    int n_ops;                         /* cell: op vocabulary size (= n_choices[e]) */
    char **ops;                        /* cell: op names; set: item names (n_ops of them) */
    int op_zero;                       /* index of the zero op ("none"), -1 if absent */
    int op_identity;                   /* index of the identity op ("skip_connect"), -1 */
    struct hashmap name_index;         /* set: fnv1a(name) -> item index */

    /* Restriction to the members of a (partial) table; n_members == 0 means
     * the whole space.  members[] is sorted ascending. */
    int64_t n_members;
    uint64_t *members;
    struct hashmap member_set;         /* key -> position in members[] */
};

/* Canonical op order used when a table's vocabulary is inferred: the NB201
 * ops first in this order, then any other op names in alphabetical order. */
extern const char *const arch_nb201_ops[5];

/* --- building spaces ---------------------------------------------------- */

/* A full cell space with n_nodes nodes and the given op vocabulary (copied). */
int space_cell_new(struct space **out, int n_nodes, const char *const *ops, int n_ops);
/* A full chain space with n_layers layers; layer i has n_choices[i] values. */
int space_chain_new(struct space **out, int n_layers, const int *n_choices);
/* The NAS-Bench-101 graph space (all valid graphs). */
int space_graph_new(struct space **out);
/* The DARTS / NAS-Bench-301 cell space (all canonical genotypes). */
int space_darts_new(struct space **out);
/* A set space of n distinct names (copied, kept in the given order). */
int space_set_new(struct space **out, const char *const *names, int n);

/* Infer the space of a list of architecture strings (a table's arch column):
 * cell if the strings are in the NB201 format (all with the same number of
 * nodes), graph if they are NAS-Bench-101 graphs (core/graph.h), darts if
 * they are DARTS genotypes (core/darts.h), chain if
 * they are digit strings of one length, set otherwise.  On a
 * string that breaks the pattern the others set (a cell string with a
 * different node count, a malformed cell string, ...) returns NASW_EPARSE
 * with the message and *bad = its index.  Duplicates are allowed. */
int space_infer(struct space **out, const char *const *strs, size_t n, size_t *bad);

/* Deep copy (restriction included). */
int space_clone(struct space **out, const struct space *s);
void space_free(struct space *s);      /* NULL is a no-op */

/* Restrict to the given keys (any order, duplicates allowed, all must be
 * valid keys of s).  Replaces any earlier restriction. */
int space_restrict(struct space *s, const uint64_t *keys, size_t n);

/* Number of architectures a strategy may propose (members, or the size). */
uint64_t space_count(const struct space *s);
/* 1 if a is a valid architecture of s and a member (when restricted). */
int space_contains(const struct space *s, const struct arch *a);
const char *space_kind_name(enum space_kind k);  /* "cell", "chain", "set" */
/* One-line description, e.g. "cell: 4 nodes, 6 edges, 5 ops (none,...)". */
void space_describe(const struct space *s, char *buf, size_t n);

/* --- architectures ------------------------------------------------------ */

/* The key of a (see the top).  In a wide space an architecture without a
 * key yet gets the next one; running out of memory there is fatal (an
 * assertion), as no caller could do anything sensible with a missing key. */
uint64_t arch_key(const struct space *s, const struct arch *a);
/* The architecture of a key; in a wide space the key must have been given. */
void arch_from_key(const struct space *s, uint64_t key, struct arch *a);
/* Number of keys a wide space has given so far (0 for the others). */
uint64_t space_interned(const struct space *s);
int arch_equal(const struct arch *a, const struct arch *b);

/* Parse a string of the space's format.  NASW_EPARSE with a message naming
 * the (bounded) string on failure: unknown op, wrong node count, bad digit,
 * unknown set item.  Does not check membership. */
int arch_parse(const struct space *s, const char *str, struct arch *out);
/* Format into buf (ARCH_STR_MAX is always enough). */
int arch_format(const struct space *s, const struct arch *a, char *buf, size_t n);

/* Canonical string under isomorphism (cells, see top); chains and sets
 * return their own formatted string. */
int arch_canonical(const struct space *s, const struct arch *a, char *buf, size_t n);

/* Uniform sample over the members (or the full space). */
void arch_sample(const struct space *s, struct rng *r, struct arch *out);
/* Uniform sample that avoids the keys in `avoid` (a set of arch keys): up to
 * `tries` draws, then the last draw whatever it is (the space may be used up). */
void arch_sample_avoiding(const struct space *s, struct rng *r, const struct hashmap *avoid, int tries,
                          struct arch *out);
/* Change exactly one decision to another value, uniformly over the member
 * neighbours of `in` (in == out is allowed).  NASW_ENOTFOUND if `in` has no
 * member neighbour (out is then unchanged). */
int arch_mutate(const struct space *s, struct rng *r, const struct arch *in, struct arch *out);
/* Maximum number of one-decision neighbours (sum of n_choices - 1). */
int space_max_neighbours(const struct space *s);
/* All member neighbours of a, in a fixed order (decision, then value);
 * returns how many were written (at most max). */
int arch_neighbours(const struct space *s, const struct arch *a, struct arch *out, int max);

/* --- encodings (for the surrogates) ------------------------------------ */

/* One-hot: for each decision a block of n_choices[i] indicators. */
int space_onehot_dim(const struct space *s);
void arch_encode_onehot(const struct space *s, const struct arch *a, double *x);
/* Path encoding (White et al., BANANAS): for cells, one count per possible
 * input-to-output op sequence (paths through the zero op do not exist and
 * the zero op is not a path symbol); for chains and sets it equals one-hot.
 * DARTS cells: the edge-op adjacency encoding instead (one indicator per
 * (cell, node, input, op), 196 entries; it does not depend on the order of
 * a node's two edges), as their path count is exponential (BANANAS
 * truncates it). */
int space_path_dim(const struct space *s);
void arch_encode_path(const struct space *s, const struct arch *a, double *x);

#endif
