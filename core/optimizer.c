/* The optimizers: after the backward chain has left each layer's gradient
 * g in BpNetwork.grads, they step its P, one layer at a time, so that the
 * paper's sequential order can step a layer before m is carried through
 * it. The schedules give each epoch its learning rate.
 */
#include <math.h>

#include "optimizer.h"

BpOptimizer *
bp_optimizer_new (const BpOptimizerSettings *settings, const bp_real *params,
                  gsize n_params)
{
  BpOptimizer *opt;

  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (settings->learning_rate >= 0
                        && settings->weight_decay >= 0, NULL);

  opt = g_new0 (BpOptimizer, 1);
  opt->settings = *settings;
  opt->learning_rate = settings->learning_rate;
  opt->params = params;
  opt->n_params = n_params;

  /* One block for all the state: v, or Adam's m then v. */
  switch (settings->kind)
    {
    case BP_OPTIMIZER_MOMENTUM:
      opt->state = g_new0 (bp_real, MAX (n_params, 1));
      opt->v = opt->state;
      break;
    case BP_OPTIMIZER_ADAM:
      opt->state = g_new0 (bp_real, MAX (2 * n_params, 1));
      opt->m = opt->state;
      opt->v = opt->state + n_params;
      break;
    case BP_OPTIMIZER_SGD:
    default:
      break;
    }
  return opt;
}

void
bp_optimizer_free (BpOptimizer *opt)
{
  if (opt == NULL)
    return;
  g_free (opt->state);
  g_free (opt);
}

const char *
bp_optimizer_name (BpOptimizerKind kind)
{
  switch (kind)
    {
    case BP_OPTIMIZER_MOMENTUM:
      return "momentum";
    case BP_OPTIMIZER_ADAM:
      return "adam";
    case BP_OPTIMIZER_SGD:
    default:
      return "sgd";
    }
}

gboolean
bp_optimizer_is_plain_sgd (const BpOptimizer *opt)
{
  return opt->settings.kind == BP_OPTIMIZER_SGD
         && opt->settings.weight_decay == 0.0;
}

void
bp_optimizer_begin_step (BpOptimizer *opt)
{
  opt->t++;
  if (opt->settings.kind == BP_OPTIMIZER_ADAM)
    {
      opt->correction1 = 1.0 - pow (opt->settings.beta1, (double) opt->t);
      opt->correction2 = 1.0 - pow (opt->settings.beta2, (double) opt->t);
    }
}

/* L2 weight decay, the gradient of wd/2 |P|^2 added: g + wd P. With wd 0
 * the gradient is used as it is, to the bit. A layer's biases take wd 0
 * (bp_optimizer_step_layer). */
static inline double
decayed (double g, double p, double wd)
{
  return wd != 0.0 ? g + wd * p : g;
}

/* The paper's step: P <- P - lr g. */
static void
sgd (const BpOptimizer *opt, double wd, gsize size, bp_real *restrict P,
     const bp_real *restrict grad)
{
  double lr = opt->learning_rate;

  if (wd == 0.0)
    for (gsize j = 0; j < size; j++)
      P[j] -= lr * grad[j];
  else
    for (gsize j = 0; j < size; j++)
      P[j] -= lr * decayed (grad[j], P[j], wd);
}

/* v <- mu v + g; P <- P - lr v, or with Nesterov P <- P - lr (g + mu v). */
static void
momentum (const BpOptimizer *opt, double wd, gsize size,
          bp_real *restrict P, const bp_real *restrict grad,
          bp_real *restrict v)
{
  double lr = opt->learning_rate;
  double mu = opt->settings.momentum;

  for (gsize j = 0; j < size; j++)
    {
      double g = decayed (grad[j], P[j], wd);

      v[j] = mu * v[j] + g;
      P[j] -= lr * (opt->settings.nesterov ? g + mu * v[j] : v[j]);
    }
}

/* m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
 * P <- P - lr mhat / (sqrt(vhat) + eps), mhat = m / (1 - b1^t),
 * vhat = v / (1 - b2^t). The corrections are folded into two constants,
 * lr / (1 - b1^t) and 1 / sqrt(1 - b2^t), leaving one division and one
 * square root an entry, in a loop the compiler vectorises (restrict, and
 * -fno-math-errno in core/meson.build): written entry by entry with both
 * corrections, Adam took longer than the step's matrix products. */
static void
adam (const BpOptimizer *opt, double wd, gsize size, bp_real *restrict P,
      const bp_real *restrict grad, bp_real *restrict m,
      bp_real *restrict v)
{
  double b1 = opt->settings.beta1, b2 = opt->settings.beta2;
  double eps = opt->settings.epsilon;
  double rate = opt->learning_rate / opt->correction1;
  double root_scale = 1.0 / sqrt (opt->correction2);

  for (gsize j = 0; j < size; j++)
    {
      double g = decayed (grad[j], P[j], wd);
      double mj = b1 * m[j] + (1.0 - b1) * g;
      double vj = b2 * v[j] + (1.0 - b2) * g * g;

      m[j] = mj;
      v[j] = vj;
      P[j] -= rate * mj / (sqrt (vj) * root_scale + eps);
    }
}

/* Steps size entries of P with weight decay wd; their state sits at
 * offset in the optimizer's blocks, as P does in the parameter block. */
static void
step_entries (BpOptimizer *opt, double wd, gsize offset, gsize size,
              bp_real *P, const bp_real *grad)
{
  switch (opt->settings.kind)
    {
    case BP_OPTIMIZER_MOMENTUM:
      momentum (opt, wd, size, P, grad, opt->v + offset);
      break;
    case BP_OPTIMIZER_ADAM:
      adam (opt, wd, size, P, grad, opt->m + offset, opt->v + offset);
      break;
    case BP_OPTIMIZER_SGD:
    default:
      sgd (opt, wd, size, P, grad);
      break;
    }
}

void
bp_optimizer_step_layer (BpOptimizer *opt, BpLayer *layer)
{
  gsize rows = layer->param_rows, cols = layer->param_cols;
  gsize size = rows * cols;
  double wd = opt->settings.weight_decay;
  gsize offset;

  if (layer->P == NULL)
    return;
  g_return_if_fail (layer->P >= opt->params
                    && (gsize) (layer->P - opt->params) + size
                         <= opt->n_params);
  g_return_if_fail (opt->t > 0);

  /* The layer's state sits where its P sits in the parameter block. */
  offset = (gsize) (layer->P - opt->params);
  if (wd == 0.0 || !layer->bias_column)
    {
      step_entries (opt, wd, offset, size, layer->P, layer->grad);
      return;
    }

  /* Row by row: the weights with decay, the bias in the last column
   * without. */
  for (gsize r = 0; r < rows; r++)
    {
      gsize at = r * cols;

      step_entries (opt, wd, offset + at, cols - 1, layer->P + at,
                    layer->grad + at);
      step_entries (opt, 0.0, offset + at + cols - 1, 1,
                    layer->P + at + cols - 1, layer->grad + at + cols - 1);
    }
}

/* step: lr factor^floor((e - 1) / every);
 * cosine: min_lr + (lr - min_lr) (1 + cos(pi (e - 1) / (E - 1))) / 2. */
double
bp_schedule_learning_rate (const BpSchedule *schedule, double lr,
                           guint epoch, guint epochs)
{
  g_return_val_if_fail (epoch >= 1, lr);

  switch (schedule->kind)
    {
    case BP_SCHEDULE_STEP:
      return lr * pow (schedule->factor,
                       (double) ((epoch - 1) / schedule->every));
    case BP_SCHEDULE_COSINE:
      /* The first epoch has lr itself, also when it is the only one. */
      if (epoch == 1 || epochs <= 1)
        return lr;
      return schedule->min_lr
             + (lr - schedule->min_lr)
                 * (1.0 + cos (G_PI * (double) (epoch - 1)
                               / (double) (epochs - 1)))
                 / 2.0;
    case BP_SCHEDULE_NONE:
    default:
      return lr;
    }
}
