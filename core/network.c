/* The engine: builds the chain of plugin instances from a graph, and runs
 * the paper's algorithm over it: forward through every layer, then the
 * generic backward pass of sections 6 and 7.2, in which the row vector m
 * is carried from the loss through each layer's jacobian and every layer
 * with parameters turns diag(m) L into its step.
 */
#include <math.h>
#include <string.h>

#include "blas.h"
#include "network.h"
#include "optimizer.h"

/* ---- Building ------------------------------------------------------------ */

static const BpParamSpec *
find_param_spec (const BpPlugin *d, const char *key)
{
  for (const BpParamSpec *s = d->params; s != NULL && s->name != NULL; s++)
    if (strcmp (s->name, key) == 0)
      return s;
  return NULL;
}

static char *
accepted_params (const BpPlugin *d)
{
  g_autoptr (GString) list = g_string_new (NULL);

  for (const BpParamSpec *s = d->params; s != NULL && s->name != NULL; s++)
    g_string_append_printf (list, "%s%s", list->len ? ", " : "", s->name);
  return list->len ? g_string_free (g_steal_pointer (&list), FALSE)
                   : g_strdup ("none");
}

/* Gives the graph's text and lists the types the plugin asked for. The
 * BpArg points into the graph's strings and arrays: no copies. */
static gboolean
convert_arg (const BpGraph *graph, const BpPlugin *d, const BpGraphArg *in,
             BpArg *out, GError **error)
{
  const BpParamSpec *spec = find_param_spec (d, in->key);
  g_autoptr (GError) parse_error = NULL;

  if (spec == NULL)
    {
      g_autofree char *known = accepted_params (d);

      bp_graph_error (error, graph, in->key_mark,
                      "unknown parameter '%s' for %s; it accepts %s",
                      in->key, d->name, known);
      return FALSE;
    }

  memset (out, 0, sizeof *out);
  out->name = spec->name;
  out->type = spec->type;

  if (spec->type == BP_ARG_REALS)
    {
      if (in->scalar != NULL)
        {
          bp_graph_error (error, graph, in->value_mark,
                          "%s: expected a list of numbers, got '%s'",
                          in->key, in->scalar);
          return FALSE;
        }
      out->reals = in->reals;
      out->n_reals = in->n_reals;
      out->rows = in->rows;
      out->cols = in->cols;
      return TRUE;
    }

  if (in->scalar == NULL)
    {
      bp_graph_error (error, graph, in->value_mark,
                      "%s: expected %s, got a list", in->key,
                      spec->type == BP_ARG_INT ? "an integer"
                      : spec->type == BP_ARG_REAL ? "a number"
                                                  : "a word");
      return FALSE;
    }

  switch (spec->type)
    {
    case BP_ARG_INT:
      if (!g_ascii_string_to_signed (in->scalar, 10, G_MININT64, G_MAXINT64,
                                     &out->integer, &parse_error))
        {
          bp_graph_error (error, graph, in->value_mark,
                          "%s: expected an integer, got '%s'", in->key,
                          in->scalar);
          return FALSE;
        }
      break;
    case BP_ARG_REAL:
      if (!bp_parse_real (in->scalar, &out->real))
        {
          bp_graph_error (error, graph, in->value_mark,
                          "%s: expected a finite number, got '%s'", in->key,
                          in->scalar);
          return FALSE;
        }
      break;
    case BP_ARG_STRING:
    default:
      out->string = in->scalar;
      break;
    }
  return TRUE;
}

static BpMark
arg_mark (const BpGraphPlugin *gp, const char *param)
{
  for (gsize i = 0; param != NULL && i < gp->n_args; i++)
    if (strcmp (gp->args[i].key, param) == 0)
      return gp->args[i].value_mark;
  return gp->mark;
}

static BpLoadedPlugin *
load_graph_plugin (const BpGraph *graph, const BpGraphPlugin *gp,
                   const char *const *search_path, BpKind kind,
                   GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) load_error = NULL;
  g_autoptr (BpLoadedPlugin) plugin = NULL;
  const char *name = gp->plugin;

  /* An explicit .so path is taken relative to the graph file, like data. */
  if (g_str_has_suffix (name, ".so") && !g_path_is_absolute (name))
    name = path = g_build_filename (graph->dir, gp->plugin, NULL);

  plugin = bp_plugin_load (name, search_path, &load_error);
  if (plugin == NULL)
    {
      g_set_error (error, BP_ERROR, load_error->code, "%s:%u:%u: %s",
                   graph->path, gp->mark.line, gp->mark.column,
                   load_error->message);
      return NULL;
    }

  if (plugin->desc->kind != kind)
    {
      bp_graph_error (error, graph, gp->mark,
                      "'%s' is a %s plugin; a %s is expected here",
                      gp->plugin,
                      plugin->desc->kind == BP_KIND_LAYER ? "layer" : "loss",
                      kind == BP_KIND_LAYER ? "layer" : "loss");
      return NULL;
    }
  return g_steal_pointer (&plugin);
}

static BpArg *
convert_args (const BpGraph *graph, const BpGraphPlugin *gp,
              const BpPlugin *d, GError **error)
{
  g_autofree BpArg *args = g_new0 (BpArg, gp->n_args + 1);

  for (gsize i = 0; i < gp->n_args; i++)
    if (!convert_arg (graph, d, &gp->args[i], &args[i], error))
      return NULL;
  return g_steal_pointer (&args);
}

/* Reports a plugin's init failure at the parameter it names, or at the
 * plugin's name. */
static void
plugin_init_error (GError **error, const BpGraph *graph,
                   const BpGraphPlugin *gp, const BpPlugin *d,
                   const BpError *err)
{
  bp_graph_error (error, graph, arg_mark (gp, err->param), "%s: %s",
                  d->name, err->message[0] ? err->message
                                           : "initialisation failed");
}

/* Loads layer i's plugin and makes its instance; *args keeps the
 * converted parameters for init_params. */
static gboolean
init_layer (BpNetwork *net, gsize i, const BpGraph *graph,
            const char *const *search_path, GRand *rng, BpArg **args_out,
            GError **error)
{
  const BpGraphPlugin *gp = &graph->layers[i];
  BpLayer *layer = &net->layers[i];
  g_autofree BpArg *args = NULL;
  BpLayerConfig config = { 0 };
  BpLayerShape shape = { 0 };
  BpError err = { { 0 }, NULL };
  const BpPlugin *d;

  layer->n_in = i == 0 ? graph->input : net->layers[i - 1].n_out;
  layer->plugin = load_graph_plugin (graph, gp, search_path, BP_KIND_LAYER,
                                     error);
  if (layer->plugin == NULL)
    return FALSE;
  d = layer->plugin->desc;

  args = convert_args (graph, gp, d, error);
  if (args == NULL)
    return FALSE;

  config.n_in = layer->n_in;
  config.args = args;
  config.n_args = gp->n_args;
  config.host = bp_host ();
  config.rng = rng;
  if (d->layer_init (&config, &layer->state, &shape, &err) != 0)
    {
      layer->state = NULL;
      plugin_init_error (error, graph, gp, d, &err);
      return FALSE;
    }

  if (shape.n_out == 0
      || (shape.param_rows != 0 && shape.param_rows != shape.n_out)
      || (shape.param_rows == 0) != (shape.param_cols == 0)
      || (shape.param_rows != 0 && d->local_L == NULL))
    {
      bp_graph_error (error, graph, gp->mark,
                      "%s (%s) breaks the plugin ABI: it declared %zu "
                      "outputs and a %zu x %zu parameter matrix",
                      d->name, layer->plugin->file, shape.n_out,
                      shape.param_rows, shape.param_cols);
      return FALSE;
    }
  layer->n_out = shape.n_out;
  layer->param_rows = shape.param_rows;
  layer->param_cols = shape.param_cols;
  layer->bias_column = shape.param_cols != 0
                       && (d->layer_flags & BP_LAYER_BIAS_COLUMN);
  *args_out = g_steal_pointer (&args);
  return TRUE;
}

/* The loss must be able to read what the last layer gives: cross_entropy
 * takes logarithms of probabilities, binary_cross_entropy of values in
 * (0, 1). */
static gboolean
check_loss_fits (const BpGraph *graph, const BpNetwork *net,
                 GError **error)
{
  const BpLayer *last = &net->layers[net->n_layers - 1];
  const BpPlugin *loss = net->loss->desc;
  uint32_t missing = loss->input_flags & ~last->plugin->desc->output_flags;

  if (missing == 0)
    return TRUE;

  bp_graph_error (error, graph, graph->loss.mark,
                  "the loss %s needs %s, but the last layer, %s, gives "
                  "no such outputs; end the network with %s",
                  loss->name,
                  missing & BP_OUTPUT_DISTRIBUTION
                    ? "probabilities that sum to 1"
                    : "outputs between 0 and 1",
                  last->plugin->desc->name,
                  missing & BP_OUTPUT_DISTRIBUTION
                    ? "a softmax layer" : "a logistic or softmax layer");
  return FALSE;
}

static gboolean
init_loss (BpNetwork *net, const BpGraph *graph,
           const char *const *search_path, GError **error)
{
  g_autofree BpArg *args = NULL;
  BpLossConfig config = { 0 };
  BpError err = { { 0 }, NULL };
  const BpPlugin *d;

  net->loss = load_graph_plugin (graph, &graph->loss, search_path,
                                 BP_KIND_LOSS, error);
  if (net->loss == NULL)
    return FALSE;
  d = net->loss->desc;

  args = convert_args (graph, &graph->loss, d, error);
  if (args == NULL)
    return FALSE;

  config.n_out = net->n_out;
  config.args = args;
  config.n_args = graph->loss.n_args;
  if (d->loss_init (&config, &net->loss_state, &err) != 0)
    {
      net->loss_state = NULL;
      plugin_init_error (error, graph, &graph->loss, d, &err);
      return FALSE;
    }

  net->fused = d->fused_partner != NULL
               && strcmp (d->fused_partner,
                          net->layers[net->n_layers - 1].plugin->desc->name)
                    == 0;
  return check_loss_fits (graph, net, error);
}

/* One block for every P and one for every gradient, then the buffers of
 * the forward and backward passes, all sized for max_batch rows. */
static void
allocate_buffers (BpNetwork *net)
{
  gsize width = net->n_in, jacobian = 0, local = 0, offset = 0;

  for (gsize i = 0; i < net->n_layers; i++)
    {
      BpLayer *layer = &net->layers[i];

      net->n_params += layer->param_rows * layer->param_cols;
      width = MAX (width, layer->n_out);
      jacobian = MAX (jacobian, layer->n_out * layer->n_in);
      local = MAX (local, layer->param_rows * layer->param_cols);
    }

  net->params = g_new0 (bp_real, MAX (net->n_params, 1));
  net->grads = g_new0 (bp_real, MAX (net->n_params, 1));
  net->outputs = g_new0 (bp_real *, net->n_layers);
  for (gsize i = 0; i < net->n_layers; i++)
    {
      BpLayer *layer = &net->layers[i];
      gsize size = layer->param_rows * layer->param_cols;

      net->outputs[i] = g_new0 (bp_real, net->max_batch * layer->n_out);
      if (size == 0)
        continue;
      layer->P = net->params + offset;
      layer->grad = net->grads + offset;
      offset += size;
    }
  net->G = g_new0 (bp_real, net->max_batch * width);
  net->G_in = g_new0 (bp_real, net->max_batch * width);
  net->G_step = g_new0 (bp_real, net->max_batch * width);
  net->eval_X = g_new0 (bp_real, net->max_batch * net->n_in);
  net->J = g_new0 (bp_real, MAX (jacobian, 1));
  net->L = g_new0 (bp_real, MAX (local, 1));
}

BpNetwork *
bp_network_new (const BpGraph *graph, gsize max_batch, GError **error)
{
  g_autoptr (BpNetwork) net = g_new0 (BpNetwork, 1);
  g_auto (GStrv) search_path = NULL;
  g_autoptr (GRand) rng = NULL;
  g_autoptr (GPtrArray) layer_args = NULL;
  guint32 seed[3];

  g_return_val_if_fail (graph != NULL && graph->n_layers > 0, NULL);
  g_return_val_if_fail (max_batch > 0, NULL);

  search_path = bp_plugin_search_path ((const char *const *)
                                       graph->plugin_path);

  /* The initial weights draw from their own stream of the seed, and
   * training (dropout's masks) from another, so that adding a shuffle, a
   * split or a dropout layer never changes the others' numbers. */
  seed[0] = (guint32) graph->seed;
  seed[1] = (guint32) (graph->seed >> 32);
  seed[2] = 1;
  rng = g_rand_new_with_seed_array (seed, G_N_ELEMENTS (seed));
  seed[2] = 3;
  net->train_rng = g_rand_new_with_seed_array (seed, G_N_ELEMENTS (seed));

  net->max_batch = max_batch;
  net->n_in = graph->input;
  net->n_layers = graph->n_layers;
  net->layers = g_new0 (BpLayer, graph->n_layers);
  layer_args = g_ptr_array_new_full (graph->n_layers, g_free);
  for (gsize i = 0; i < graph->n_layers; i++)
    {
      BpArg *args = NULL;

      if (!init_layer (net, i, graph, (const char *const *) search_path, rng,
                       &args, error))
        return NULL;
      g_ptr_array_add (layer_args, args);
    }
  net->n_out = net->layers[net->n_layers - 1].n_out;

  if (!init_loss (net, graph, (const char *const *) search_path, error))
    return NULL;

  /* P exists only now, in the one block: each layer fills its own. */
  allocate_buffers (net);
  for (gsize i = 0; i < net->n_layers; i++)
    {
      BpLayer *layer = &net->layers[i];
      BpLayerConfig config = { 0 };

      if (layer->P == NULL)
        continue;
      config.n_in = layer->n_in;
      config.args = g_ptr_array_index (layer_args, i);
      config.n_args = graph->layers[i].n_args;
      config.host = bp_host ();
      config.rng = rng;
      layer->plugin->desc->init_params (layer->state, &config, layer->P);
    }

  /* The optimizer's state, once, beside the parameters it follows. */
  net->optimizer = bp_optimizer_new (&graph->optimizer, net->params,
                                     net->n_params);
  net->step_in_place = TRUE;
  return g_steal_pointer (&net);
}

void
bp_network_free (BpNetwork *net)
{
  if (net == NULL)
    return;

  for (gsize i = 0; net->layers != NULL && i < net->n_layers; i++)
    {
      BpLayer *layer = &net->layers[i];

      if (layer->plugin != NULL && layer->state != NULL
          && layer->plugin->desc->fini != NULL)
        layer->plugin->desc->fini (layer->state);
      bp_plugin_unload (layer->plugin);
      if (net->outputs != NULL)
        g_free (net->outputs[i]);
    }
  if (net->loss != NULL && net->loss_state != NULL
      && net->loss->desc->fini != NULL)
    net->loss->desc->fini (net->loss_state);
  bp_plugin_unload (net->loss);

  bp_optimizer_free (net->optimizer);
  g_free (net->layers);
  g_free (net->outputs);
  g_free (net->params);
  g_free (net->grads);
  g_free (net->G);
  g_free (net->G_in);
  g_free (net->G_step);
  g_free (net->J);
  g_free (net->L);
  g_free (net->eval_X);
  if (net->train_rng != NULL)
    g_rand_free (net->train_rng);
  g_free (net);
}

/* ---- Accessors ----------------------------------------------------------- */

gsize
bp_network_n_layers (const BpNetwork *net)
{
  return net->n_layers;
}

gsize
bp_network_n_in (const BpNetwork *net)
{
  return net->n_in;
}

gsize
bp_network_n_out (const BpNetwork *net)
{
  return net->n_out;
}

const char *
bp_network_layer_name (const BpNetwork *net, gsize layer)
{
  g_return_val_if_fail (layer < net->n_layers, NULL);
  return net->layers[layer].plugin->desc->name;
}

bp_real *
bp_network_layer_params (BpNetwork *net, gsize layer, gsize *rows,
                         gsize *cols)
{
  g_return_val_if_fail (layer < net->n_layers, NULL);
  if (rows != NULL)
    *rows = net->layers[layer].param_rows;
  if (cols != NULL)
    *cols = net->layers[layer].param_cols;
  return net->layers[layer].P;
}

/* ---- Forward ------------------------------------------------------------- */

static const bp_real *
layer_input (const BpNetwork *net, gsize i)
{
  return i == 0 ? net->batch_input : net->outputs[i - 1];
}

/* One layer's forward pass; while training, its forward_train when it has
 * one (dropout draws its mask there). */
void
bp_layer_forward (BpNetwork *net, BpLayer *layer, gsize n, const bp_real *X,
                  bp_real *Y, gboolean training)
{
  const BpPlugin *d = layer->plugin->desc;

  if (training && d->forward_train != NULL)
    d->forward_train (layer->state, layer->P, n, X, Y, net->train_rng);
  else
    d->forward (layer->state, layer->P, n, X, Y);
}

static const bp_real *
run_forward (BpNetwork *net, gsize n, const bp_real *X, gboolean training)
{
  net->batch_input = X;
  for (gsize i = 0; i < net->n_layers; i++)
    bp_layer_forward (net, &net->layers[i], n, layer_input (net, i),
                      net->outputs[i], training);
  return net->outputs[net->n_layers - 1];
}

void
bp_network_forward (BpNetwork *net, gsize n, const bp_real *X,
                    bp_real *sigma)
{
  g_return_if_fail (n <= net->max_batch);

  memcpy (sigma, run_forward (net, n, X, FALSE),
          n * net->n_out * sizeof *sigma);
}

/* ---- Backward ------------------------------------------------------------ */

/* Adds sum_i diag(m_i) L_i over the batch to the layer's gradient: one
 * call of the fast form, or the paper's explicit L sample by sample. */
static void
layer_gradient (BpNetwork *net, gsize i, gsize n)
{
  BpLayer *layer = &net->layers[i];
  const BpPlugin *d = layer->plugin->desc;
  const bp_real *X = layer_input (net, i), *Y = net->outputs[i];

  memset (layer->grad, 0,
          layer->param_rows * layer->param_cols * sizeof *layer->grad);
  if (d->update_batch != NULL)
    {
      d->update_batch (layer->state, layer->P, n, X, Y, net->G,
                       layer->grad);
      return;
    }

  for (gsize s = 0; s < n; s++)
    {
      d->local_L (layer->state, layer->P, X + s * layer->n_in,
                  Y + s * layer->n_out, net->L);
      d->update (layer->state, net->G + s * layer->n_out, net->L,
                 layer->grad);
    }
}

/* Whether the layer's step goes straight into its P: plain SGD stepping
 * in place (sgd_in_place, asked once a step), and a layer whose L and
 * update never read P (BP_LAYER_UPDATE_INTO_P). */
static gboolean
steps_into_P (const BpLayer *layer, gboolean sgd_in_place)
{
  return sgd_in_place && layer->P != NULL
         && (layer->plugin->desc->layer_flags & BP_LAYER_UPDATE_INTO_P);
}

/* The rows m of G scaled by -lr, for layer i's step into P. */
static void
scale_for_step (BpNetwork *net, gsize i, gsize n)
{
  double scale = -net->optimizer->learning_rate;
  gsize size = n * net->layers[i].n_out;

  for (gsize j = 0; j < size; j++)
    net->G_step[j] = scale * net->G[j];
}

/* The paper's step delta[W | b] = -lr sum_i diag(m_i) L_i added straight
 * to P by the layer's own update, from the rows of G_step: one pass over
 * P where clearing, filling and applying a gradient would take three. */
static void
step_into_P (BpNetwork *net, gsize i, gsize n)
{
  BpLayer *layer = &net->layers[i];
  const BpPlugin *d = layer->plugin->desc;
  const bp_real *X = layer_input (net, i), *Y = net->outputs[i];

  if (d->update_batch != NULL)
    {
      d->update_batch (layer->state, layer->P, n, X, Y, net->G_step,
                       layer->P);
      return;
    }

  for (gsize s = 0; s < n; s++)
    {
      d->local_L (layer->state, layer->P, X + s * layer->n_in,
                  Y + s * layer->n_out, net->L);
      d->update (layer->state, net->G_step + s * layer->n_out, net->L,
                 layer->P);
    }
}

/* G_in = G J row by row: the row vector m carried back through the layer,
 * with its fast form or the explicit jacobian. */
static void
carry_back (BpNetwork *net, gsize i, gsize n)
{
  BpLayer *layer = &net->layers[i];
  const BpPlugin *d = layer->plugin->desc;
  const bp_real *X = layer_input (net, i), *Y = net->outputs[i];
  bp_real *swap;

  if (d->jacobian_product != NULL)
    d->jacobian_product (layer->state, layer->P, n, X, Y, net->G,
                         net->G_in);
  else
    for (gsize s = 0; s < n; s++)
      {
        d->jacobian (layer->state, layer->P, X + s * layer->n_in,
                     Y + s * layer->n_out, net->J);
        bp_row_times (net->G + s * layer->n_out, net->J, layer->n_out,
                      layer->n_in, net->G_in + s * layer->n_in);
      }

  swap = net->G;
  net->G = net->G_in;
  net->G_in = swap;
}

double
bp_network_train_step (BpNetwork *net, gsize n, const bp_real *X,
                       const bp_real *F, BpUpdateOrder order)
{
  const BpPlugin *loss = net->loss->desc;
  const bp_real *sigma;
  gssize first;
  double loss_sum;
  gboolean sgd_in_place;

  g_return_val_if_fail (n > 0 && n <= net->max_batch, NAN);
  bp_optimizer_begin_step (net->optimizer);
  sgd_in_place = net->step_in_place
                 && bp_optimizer_is_plain_sgd (net->optimizer);

  /* Forward: shoot the batch through the chain. */
  sigma = run_forward (net, n, X, TRUE);
  loss_sum = loss->loss_value (net->loss_state, n, sigma, F);

  /* The start of the chain: M = d loss / d sigma for each sample, or,
   * with softmax before cross_entropy, sigma - f with respect to z, which
   * skips the softmax layer (section 8). */
  first = (gssize) net->n_layers - 1;
  if (net->fused)
    {
      loss->loss_fused_gradient (net->loss_state, n, sigma, F, net->G);
      first--;
    }
  else
    for (gsize s = 0; s < n; s++)
      loss->loss_gradient (net->loss_state, sigma + s * net->n_out,
                           F + s * net->n_out, net->G + s * net->n_out);

  /* The step follows the mean loss over the batch; with one sample (the
   * paper's online algorithm) nothing is scaled. */
  if (n > 1)
    {
      gsize width = first >= 0 ? net->layers[first].n_out : 0;

      for (gsize j = 0; j < n * width; j++)
        net->G[j] /= (double) n;
    }

  /* Backward: from the last layer to the first, each layer with
   * parameters takes diag(m) L; in sequential order the optimizer steps it
   * at once, so that m reaches the layers before it through its updated
   * weights. The first layer's input needs no m. */
  for (gssize i = first; i >= 0; i--)
    {
      BpLayer *layer = &net->layers[i];
      gboolean in_place = steps_into_P (layer, sgd_in_place);

      if (in_place)
        {
          /* Simultaneous order carries m through the old P first. */
          scale_for_step (net, (gsize) i, n);
          if (order == BP_UPDATE_SEQUENTIAL)
            step_into_P (net, (gsize) i, n);
        }
      else if (layer->P != NULL)
        {
          layer_gradient (net, (gsize) i, n);
          if (order == BP_UPDATE_SEQUENTIAL)
            bp_optimizer_step_layer (net->optimizer, layer);
        }
      if (i > 0)
        carry_back (net, (gsize) i, n);
      if (in_place && order == BP_UPDATE_SIMULTANEOUS)
        step_into_P (net, (gsize) i, n);
    }

  /* Simultaneous order: every gradient came from the old weights; step
   * the rest now. */
  if (order == BP_UPDATE_SIMULTANEOUS)
    for (gssize i = first; i >= 0; i--)
      if (net->layers[i].P != NULL
          && !steps_into_P (&net->layers[i], sgd_in_place))
        bp_optimizer_step_layer (net->optimizer, &net->layers[i]);

  return loss_sum;
}

void
bp_network_set_learning_rate (BpNetwork *net, double learning_rate)
{
  g_return_if_fail (net != NULL && learning_rate >= 0);

  net->optimizer->learning_rate = learning_rate;
}

/* For one sample, the shooting of the paper's sections 2 and 3: sigma,
 * and the loss's gradient with respect to the input x, carried back
 * through every layer's jacobian, the first one included. The parameters
 * do not move. */
double
bp_network_input_gradient (BpNetwork *net, const bp_real *x,
                           const bp_real *f, bp_real *sigma_out,
                           bp_real *grad)
{
  const BpPlugin *loss = net->loss->desc;
  const bp_real *sigma = run_forward (net, 1, x, FALSE);
  double value = loss->loss_value (net->loss_state, 1, sigma, f);
  gssize first = (gssize) net->n_layers - 1;

  if (net->fused)
    {
      loss->loss_fused_gradient (net->loss_state, 1, sigma, f, net->G);
      first--;
    }
  else
    loss->loss_gradient (net->loss_state, sigma, f, net->G);

  memcpy (sigma_out, sigma, net->n_out * sizeof *sigma_out);
  for (gssize i = first; i >= 0; i--)
    carry_back (net, (gsize) i, 1);
  memcpy (grad, net->G, net->n_in * sizeof *grad);
  return value;
}

/* ---- Evaluation ---------------------------------------------------------- */

static gsize
argmax (const bp_real *v, gsize n)
{
  gsize best = 0;

  for (gsize k = 1; k < n; k++)
    if (v[k] > v[best])
      best = k;
  return best;
}

static gboolean
prediction_correct (const bp_real *sigma, const bp_real *f, gsize n_out)
{
  if (n_out == 1)
    return (sigma[0] >= 0.5) == (f[0] >= 0.5);
  return argmax (sigma, n_out) == argmax (f, n_out);
}

void
bp_network_evaluate (BpNetwork *net, const BpDataset *data,
                     double *mean_loss, double *accuracy)
{
  const BpPlugin *loss = net->loss->desc;
  double loss_sum = 0.0;
  gsize correct = 0;

  g_return_if_fail (data->n_in == net->n_in && data->n_out == net->n_out);

  for (gsize start = 0; start < data->n; start += net->max_batch)
    {
      gsize n = MIN (net->max_batch, data->n - start);
      const bp_real *F = data->F + start * data->n_out;
      const bp_real *sigma;

      /* The chunk's inputs as numbers, into the buffer sized for it. */
      bp_dataset_gather (data, NULL, start, n, net->eval_X, NULL);
      sigma = run_forward (net, n, net->eval_X, FALSE);

      loss_sum += loss->loss_value (net->loss_state, n, sigma, F);
      for (gsize s = 0; s < n; s++)
        correct += prediction_correct (sigma + s * net->n_out,
                                       F + s * net->n_out, net->n_out);
    }

  if (mean_loss != NULL)
    *mean_loss = data->n ? loss_sum / (double) data->n : NAN;
  if (accuracy != NULL)
    *accuracy = data->n ? (double) correct / (double) data->n : NAN;
}
