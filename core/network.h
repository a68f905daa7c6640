/* The network: the chain of plugin instances a graph file names, with the
 * parameters of every layer in one block the core owns (so optimizers and
 * the model file see them all) and every buffer sized once.
 */
#ifndef BP_CORE_NETWORK_H
#define BP_CORE_NETWORK_H

#include "graph.h"
#include "plugin.h"

typedef struct {
  BpLoadedPlugin *plugin;
  void *state;
  gsize n_in, n_out;
  gsize param_rows, param_cols; /* 0 x 0 without parameters */
  bp_real *P;                   /* into BpNetwork.params, or NULL */
  bp_real *grad;                /* into BpNetwork.grads, or NULL */
  gboolean bias_column;         /* P's last column is biases, which weight
                                   decay spares (BP_LAYER_BIAS_COLUMN) */
} BpLayer;

typedef struct BpOptimizer BpOptimizer; /* optimizer.h */

struct BpNetwork {
  BpLayer *layers;
  gsize n_layers;
  gsize n_in, n_out;

  BpLoadedPlugin *loss;
  void *loss_state;
  /* The last layer is the loss's fused partner (softmax before
   * cross_entropy): the chain starts one layer early from the fused
   * gradient, the paper's section 8. */
  gboolean fused;

  bp_real *params;   /* every layer's P, one after another */
  bp_real *grads;    /* the gradients, in the same places */
  gsize n_params;
  BpOptimizer *optimizer; /* the graph's, its state laid out as params */
  /* Plain SGD adds its step straight into P for the layers whose flags
   * allow it, leaving their grad untouched; tests that read grad clear
   * this. */
  gboolean step_in_place;

  /* Sized for max_batch rows at construction; nothing is allocated while
   * training. outputs[i] is layer i's output y for the batch. */
  gsize max_batch;
  bp_real **outputs;
  const bp_real *batch_input; /* X of the last forward pass (not owned) */
  bp_real *G, *G_in;           /* the carried row vectors m, one per row */
  bp_real *J;                  /* an explicit jacobian, for fallbacks */
  bp_real *L;                  /* an explicit L, for fallbacks */
  bp_real *G_step;             /* -lr G, for a step straight into P */
  bp_real *eval_X;             /* evaluate's rows as numbers (the data
                                  may hold bytes), max_batch x n_in */
  GRand *train_rng;            /* for forward_train (dropout's masks) */
};

/* Layer's forward pass on n rows, with forward_train while training. */
void bp_layer_forward (BpNetwork *net, BpLayer *layer, gsize n,
                       const bp_real *X, bp_real *Y, gboolean training);

/* For one sample x with target f: writes sigma (n_out) and
 * d loss / d x (n_in), and returns the loss. Nothing is updated. */
double bp_network_input_gradient (BpNetwork *net, const bp_real *x,
                                  const bp_real *f, bp_real *sigma,
                                  bp_real *grad);

/* One online step on the sample (x, f), recorded with the explicit
 * matrices (explain.c); the network is left stepped. */
BpExplain *bp_network_explain (BpNetwork *net, const bp_real *x,
                               const bp_real *f, double learning_rate,
                               BpUpdateOrder update);

#endif /* BP_CORE_NETWORK_H */
