/*
 * surrogate/gcn.h - a graph-convolutional predictor on the cell DAG: the
 * neural predictor of Wen et al. 2020 ("Neural Predictor for Neural
 * Architecture Search", ECCV) as NPENAS (Wei et al. 2022) uses it on
 * NAS-Bench-201, as an ensemble whose spread is the uncertainty.
 *
 * Graph: NAS-Bench-201 puts operations on edges; here operations are NODES
 * (the "ops as nodes" line graph of Wen et al. and NPENAS): node 0 is the
 * cell's input, nodes 1..E its E edges' operations (in string order), node
 * E+1 the output.  An op node on edge j->k takes input from the cell input
 * (j = 0) or from every op node on an edge into j; the op nodes on edges
 * into the last node feed the output.  The zero op ("none") computes
 * nothing: its node keeps its feature but has no edges.  Node features are
 * one-hot: input, output, then the space's ops.
 * Row layout of one graph (gcn_encode): A (N,N) with A[u][v] = 1 for an
 * edge u -> v, then the node features (N,F).
 *
 * Network of one member (float64, parameters in one block with four views
 * of equal layout: weights, gradients, Adam m, Adam v):
 *   Ahat = D^-1/2 (A + A^T + I) D^-1/2           symmetric, per graph (N,N)
 *   H_0 = features (N,F)
 *   H_{l+1} = relu(Ahat H_l W_l + b_l)           W_l (in_l, C), b_l (C)
 *   g = mean over the nodes of H_L               (C)
 *   out = g . w_o + b_o
 * Loss: mean squared error / 2 on standardised targets (Wen et al.), Adam.
 * Backward accumulates (+=) into the gradient view.  Initialisation: PyTorch
 * nn.Linear's U(-1/sqrt(in), 1/sqrt(in)).  Same rng state, same model bit
 * for bit.
 */
#ifndef NASW_SURROGATE_GCN_H
#define NASW_SURROGATE_GCN_H

#include <stddef.h>

struct rng;
struct space;
struct arch;
struct gcn;

struct gcn_params {
    int layers;    /* graph convolutions L, default 3 */
    int hidden;    /* channels C, default 32 */
    int ensemble;  /* members, default 3 */
    int epochs;    /* default 100 */
    int batch;     /* minibatch of graphs, default 32 */
    double lr;     /* Adam, default 0.005 */
};

void gcn_default_params(struct gcn_params *p);

/* Nodes N and features F of the space's graphs; 0 for a space that is not
 * a cell space (unsupported). */
int gcn_nodes(const struct space *s);
int gcn_features(const struct space *s);
/* Doubles per encoded graph: N*N + N*F (0: unsupported). */
int gcn_row_len(const struct space *s);
void gcn_encode(const struct space *s, const struct arch *a, double *row);

/* Fit on n graphs X (n rows of N*N + N*F) with targets y. */
int gcn_fit(struct gcn **out, const double *X, int n, int N, int F, const double *y, const struct gcn_params *p,
            struct rng *r);
/* mean (n) over the members and, if members is not NULL, member k's
 * prediction of row i at members[k*n + i]. */
int gcn_predict(const struct gcn *m, const double *X, int n, double *mean, double *members);
int gcn_n_members(const struct gcn *m);
void gcn_free(struct gcn *m);   /* NULL is a no-op */

/* For the gradient test: member k's parameter block (view 0 weights, 1
 * gradients) and the loss of B graphs X against standardised targets ys
 * (gradient added to view 1 when grad). */
double *gcn_member_block(struct gcn *m, int k, int view, size_t *n);
double gcn_batch_loss(struct gcn *m, int k, const double *X, const double *ys, int B, int grad);

#endif
