/* The core's optimizers and learning-rate schedules: how the gradient g of
 * each layer, diag(m) L over the batch, moves its P. Their state is one
 * block laid out as BpNetwork.params, allocated once; plugins never see it.
 */
#ifndef BP_CORE_OPTIMIZER_H
#define BP_CORE_OPTIMIZER_H

#include "network.h"

struct BpOptimizer {
  BpOptimizerSettings settings;
  double learning_rate;   /* of the coming steps: the schedule's */
  const bp_real *params;  /* the block the state mirrors */
  gsize n_params;
  bp_real *state;         /* the one block; NULL for sgd */
  bp_real *m;             /* adam: the first moment, into state */
  bp_real *v;             /* momentum: the velocity; adam: the second
                             moment; into state */
  guint64 t;              /* training steps begun, shared by all layers */
  double correction1;     /* adam: 1 - beta1^t */
  double correction2;     /* adam: 1 - beta2^t */
};

/* An optimizer for the n_params parameters at params (laid out as
 * BpNetwork.params), its state zero, at the settings' learning rate. */
BpOptimizer *bp_optimizer_new (const BpOptimizerSettings *settings,
                               const bp_real *params, gsize n_params);
void bp_optimizer_free (BpOptimizer *opt);

/* "sgd", "momentum" or "adam", as graph files write them. */
const char *bp_optimizer_name (BpOptimizerKind kind);

/* Whether the optimizer is the paper's plain SGD, P <- P - lr g, without
 * weight decay or state: its step may then be taken straight into P. */
gboolean bp_optimizer_is_plain_sgd (const BpOptimizer *opt);

/* Counts one training step (a batch): call it once before the step's
 * first bp_optimizer_step_layer. */
void bp_optimizer_begin_step (BpOptimizer *opt);

/* Moves layer->P by its gradient layer->grad (left unchanged), with the
 * state of the same entries; layer->P must lie in opt's params. A layer
 * without parameters is left alone. */
void bp_optimizer_step_layer (BpOptimizer *opt, BpLayer *layer);

/* The learning rate of epoch (1-based) of epochs, from the base rate lr. */
double bp_schedule_learning_rate (const BpSchedule *schedule, double lr,
                                  guint epoch, guint epochs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpOptimizer, bp_optimizer_free)

#endif /* BP_CORE_OPTIMIZER_H */
