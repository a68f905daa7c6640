/* One online step on one sample, recorded with the paper's explicit
 * matrices (M, D, each layer's jacobian, m = diag of M-k, L-k and
 * delta[W | b]) for `bpframe explain`. It walks the chain as the training
 * step does, in the same update order, but always through the explicit
 * forms, which are the reference.
 */
#include <string.h>

#include "network.h"

static bp_real *
copy_reals (const bp_real *v, gsize n)
{
  return g_memdup2 (v, n * sizeof *v);
}

/* m_in = m J for a row vector m (n_out) and J (n_out x n_in): the paper's
 * products (M D) B, C J_phi(y), ..., written out as sums. */
static bp_real *
row_times_matrix (const bp_real *m, const bp_real *J, gsize n_out,
                  gsize n_in)
{
  bp_real *m_in = g_new (bp_real, n_in);

  for (gsize j = 0; j < n_in; j++)
    {
      double sum = 0.0;

      for (gsize k = 0; k < n_out; k++)
        sum += m[k] * J[k * n_in + j];
      m_in[j] = sum;
    }
  return m_in;
}

static void
record_forward (BpExplain *ex, BpNetwork *net)
{
  const bp_real *input = ex->x;

  for (gsize i = 0; i < net->n_layers; i++)
    {
      BpLayer *layer = &net->layers[i];
      BpExplainLayer *rec = &ex->layers[i];

      bp_layer_forward (net, layer, 1, input, net->outputs[i], TRUE);
      rec->plugin = layer->plugin->desc->name;
      rec->n_in = layer->n_in;
      rec->n_out = layer->n_out;
      rec->x = copy_reals (input, layer->n_in);
      rec->y = copy_reals (net->outputs[i], layer->n_out);
      input = net->outputs[i];
    }
  ex->sigma = copy_reals (input, net->n_out);
}

/* M from the loss; with a fused partner also sigma - f, which is what
 * carries on below the partner. */
static void
record_loss (BpExplain *ex, BpNetwork *net)
{
  const BpPlugin *loss = net->loss->desc;

  ex->loss_plugin = loss->name;
  ex->loss = loss->loss_value (net->loss_state, 1, ex->sigma, ex->f);
  ex->M = g_new (bp_real, net->n_out);
  loss->loss_gradient (net->loss_state, ex->sigma, ex->f, ex->M);
  if (net->fused)
    {
      ex->fused = g_new (bp_real, net->n_out);
      loss->loss_fused_gradient (net->loss_state, 1, ex->sigma, ex->f,
                                 ex->fused);
    }
}

/* Plain SGD as the training step takes it, P <- P - eta grad, so that
 * the explained step ends where `bpframe run` would with sgd; whatever
 * the graph's optimizer, the step explained is the paper's. */
static void
step_layer (BpLayer *layer, const bp_real *grad, double eta)
{
  gsize size = layer->param_rows * layer->param_cols;

  for (gsize j = 0; j < size; j++)
    layer->P[j] -= eta * grad[j];
}

/* Layer i's part of the walk back: its L, the gradient diag(m) L and
 * delta; in sequential order the step comes before the jacobian that
 * carries m on. Returns the gradient, for a simultaneous step later. */
static bp_real *
record_layer (BpExplain *ex, BpNetwork *net, gsize i, const bp_real *m)
{
  BpLayer *layer = &net->layers[i];
  BpExplainLayer *rec = &ex->layers[i];
  const BpPlugin *d = layer->plugin->desc;
  gsize size = layer->param_rows * layer->param_cols;
  bp_real *grad = NULL;

  rec->m = copy_reals (m, layer->n_out);
  if (layer->P != NULL)
    {
      rec->param_rows = layer->param_rows;
      rec->param_cols = layer->param_cols;
      rec->P_old = copy_reals (layer->P, size);
      rec->L = g_new (bp_real, size);
      d->local_L (layer->state, layer->P, rec->x, rec->y, rec->L);
      grad = g_new0 (bp_real, size);
      d->update (layer->state, m, rec->L, grad);
      rec->delta = g_new (bp_real, size);
      for (gsize j = 0; j < size; j++)
        rec->delta[j] = -(ex->learning_rate * grad[j]);
      if (ex->update == BP_UPDATE_SEQUENTIAL)
        {
          step_layer (layer, grad, ex->learning_rate);
          rec->carried_updated = TRUE;
        }
    }

  rec->J = g_new (bp_real, layer->n_out * layer->n_in);
  d->jacobian (layer->state, layer->P, rec->x, rec->y, rec->J);
  if (i > 0)
    rec->m_in = row_times_matrix (m, rec->J, layer->n_out, layer->n_in);
  return grad;
}

static BpExplain *
network_explain (BpNetwork *net, const bp_real *x, const bp_real *f,
                 double learning_rate, BpUpdateOrder update)
{
  BpExplain *ex = g_new0 (BpExplain, 1);
  g_autoptr (GPtrArray) grads = g_ptr_array_new_with_free_func (g_free);
  const bp_real *m;

  ex->learning_rate = learning_rate;
  ex->update = update;
  ex->n_in = net->n_in;
  ex->n_out = net->n_out;
  ex->x = copy_reals (x, net->n_in);
  ex->f = copy_reals (f, net->n_out);
  ex->n_layers = net->n_layers;
  ex->layers = g_new0 (BpExplainLayer, net->n_layers);

  /* Forward, then the loss's M (and the fused gradient). */
  record_forward (ex, net);
  record_loss (ex, net);

  /* Back from the output: each layer gets m, and m J goes on. Below a
   * fused partner, sigma - f carries on in place of M D. */
  m = ex->M;
  for (gsize i = net->n_layers; i-- > 0;)
    {
      g_ptr_array_add (grads, record_layer (ex, net, i, m));
      m = ex->layers[i].m_in;
      if (i == net->n_layers - 1 && ex->fused != NULL)
        m = ex->fused;
    }

  /* Simultaneous order: every step from the old weights, applied last. */
  for (gsize i = 0; i < net->n_layers; i++)
    {
      BpLayer *layer = &net->layers[i];
      const bp_real *grad = g_ptr_array_index (grads,
                                               net->n_layers - 1 - i);

      if (layer->P == NULL)
        continue;
      if (update == BP_UPDATE_SIMULTANEOUS)
        step_layer (layer, grad, learning_rate);
      ex->layers[i].P_new = copy_reals (layer->P, layer->param_rows
                                                  * layer->param_cols);
    }
  return ex;
}

BpExplain *
bp_network_explain (BpNetwork *net, const bp_real *x, const bp_real *f,
                    double learning_rate, BpUpdateOrder update)
{
  g_return_val_if_fail (net != NULL && x != NULL && f != NULL, NULL);
  return network_explain (net, x, f, learning_rate, update);
}

void
bp_explain_free (BpExplain *ex)
{
  if (ex == NULL)
    return;
  for (gsize i = 0; i < ex->n_layers; i++)
    {
      BpExplainLayer *rec = &ex->layers[i];

      g_free (rec->x);
      g_free (rec->y);
      g_free (rec->m);
      g_free (rec->J);
      g_free (rec->m_in);
      g_free (rec->P_old);
      g_free (rec->P_new);
      g_free (rec->L);
      g_free (rec->delta);
    }
  g_free (ex->layers);
  g_free (ex->x);
  g_free (ex->f);
  g_free (ex->sigma);
  g_free (ex->M);
  g_free (ex->fused);
  g_free (ex);
}
