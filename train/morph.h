/*
 * train/morph.h - weight inheritance between NB201 networks (network
 * morphism): a child network starts from its parent's trained weights.
 *
 * morph_inherit copies every parameter a one-edge (or any) cell mutation
 * leaves meaningful: the stem, the reduction blocks, the classifier and the
 * ReLU-conv-BN edges whose op is unchanged, with their BN running
 * statistics.  A changed edge starts function-preservingly where one
 * exists (Net2Net, Chen et al. 2016; EAS, Cai et al. 2018):
 *   nor_conv_1x1 -> nor_conv_3x3   the 1x1 kernel at the centre of the 3x3,
 *                                  BN copied: exact
 *   none -> conv                   BN gamma = beta = 0: the edge adds exactly
 *                                  zero (the conv keeps its fresh init and
 *                                  learns once gamma moves)
 *   skip_connect -> conv           identity kernel, BN the identity in eval
 *                                  mode: the edge computes ReLU(x), which is
 *                                  x only where x >= 0 (the ReLU in front of
 *                                  every NB201 conv): approximate
 *   anything else -> conv          (nor_conv_3x3 -> 1x1, avg_pool -> conv):
 *                                  no preserving init, the fresh random one
 * Edges that become none, skip_connect or avg_pool_3x3 have no parameters.
 *
 * Net2WiderNet (morph_wider) and Net2DeeperNet (morph_deeper) change the
 * macro size (channels C, cells per stage N) preserving the function
 * exactly up to float rounding (BN in eval mode; Wider also in training
 * mode: replicated channels have equal batch statistics).
 *
 * The networks must come from cnn_new; morph never reads or changes the
 * momentum buffers, which a fresh network has at zero.  The source network
 * is only read (its buffers are not const in the cnn API).
 */
#ifndef NASW_TRAIN_MORPH_H
#define NASW_TRAIN_MORPH_H

#include "core/arch.h"

struct cnn;
struct rng;

/* What morph_inherit did with the cell edges (summed over every cell). */
struct morph_stats {
    int copied;      /* conv edges copied unchanged */
    int preserved;   /* changed conv edges given an exact preserving init */
    int approx;      /* skip_connect -> conv: exact only for non-negative input */
    int fresh;       /* changed conv edges left at their random init */
};

/* Child (architecture ca) from parent (pa), both of cell space s and the
 * same cnn_config but the architecture.  NASW_EINVAL (message) if the
 * networks differ in anything but the cell.  st may be NULL. */
int morph_inherit(struct cnn *child, const struct arch *ca, struct cnn *parent, const struct arch *pa,
                  const struct space *s, struct morph_stats *st);

/* Net2WiderNet: dst has C' >= C channels in its first stage (2C', 4C' in
 * the others), everything else as src, same architecture a.  Each new
 * channel of a stage replicates a random old one (drawn from r, the same
 * mapping for every tensor of the stage, as the cell sums require); the
 * weights reading a replicated channel are divided by its number of
 * copies; BN and the running statistics follow the mapping. */
int morph_wider(struct cnn *dst, struct cnn *src, const struct arch *a, const struct space *s, struct rng *r);

/* Net2DeeperNet: dst has N' >= N cells per stage, everything else as src.
 * Cells 0..N-1 of each stage are copied; cells N..N'-1 (at the end of the
 * stage) are identity cells: every conv edge gets BN gamma = beta = 0, so
 * with the other ops the cell computes exactly its input iff, conv edges
 * removed, exactly one path of skip_connects leads from the input node to
 * the output node and no path through avg_pool does (e.g. NB201's ResNet
 * cell).  NASW_EINVAL (message naming the cell) otherwise. */
int morph_deeper(struct cnn *dst, struct cnn *src, const struct arch *a, const struct space *s);

/* 1 if the cell of a has the identity form morph_deeper needs. */
int morph_cell_has_identity(const struct space *s, const struct arch *a);

#endif
