/* Tests of the core's optimizers (core/optimizer.c): a few steps of each
 * on a small vector against the values worked out by hand here, the
 * schedules' rate per epoch, SGD to the bit, and Adam training iris.
 */
#include <math.h>
#include <string.h>

#include "network.h"
#include "optimizer.h"
#include "testutil.h"

static char *tmp_dir;

/* A layer of 1 x n parameters over P and grad, as the network lays out
 * one with parameters. */
static BpLayer
vector_layer (bp_real *P, bp_real *grad, gsize n)
{
  BpLayer layer = { 0 };

  layer.n_in = layer.n_out = 1;
  layer.param_rows = 1;
  layer.param_cols = n;
  layer.P = P;
  layer.grad = grad;
  return layer;
}

static BpOptimizerSettings
settings_of (BpOptimizerKind kind, double lr)
{
  BpOptimizerSettings s = { 0 };

  s.kind = kind;
  s.learning_rate = lr;
  s.momentum = 0.9;
  s.beta1 = 0.9;
  s.beta2 = 0.999;
  s.epsilon = 1e-8;
  return s;
}

/* One training step: begin, then the layer from its gradient g. */
static void
step (BpOptimizer *opt, BpLayer *layer, const bp_real *g)
{
  gsize n = layer->param_rows * layer->param_cols;

  memcpy (layer->grad, g, n * sizeof *g);
  bp_optimizer_begin_step (opt);
  bp_optimizer_step_layer (opt, layer);
  g_assert_cmpmem (layer->grad, n * sizeof *g, g, n * sizeof *g);
}

static void
assert_near (double actual, double expected)
{
  g_assert_cmpfloat_with_epsilon (actual, expected, 1e-13);
}

/* ---- Steps on a vector --------------------------------------------------- */

/* P - lr g, the expression the paper's step has always been, to the bit,
 * over values that round. */
static void
test_sgd_bits (void)
{
  BpOptimizerSettings s = settings_of (BP_OPTIMIZER_SGD, 0.037);
  bp_real P[5] = { 0.1, -2.3, 1e-3, 7.77, -0.6 };
  bp_real expected[5], grad[5];
  const bp_real g[2][5] = {
    { 0.3, 1.7, -2.9e-2, 0.11, 5.5 },
    { -1.3, 0.07, 3.3, -0.123, 1e-5 },
  };
  BpLayer layer = vector_layer (P, grad, 5);
  g_autoptr (BpOptimizer) opt = bp_optimizer_new (&s, P, 5);

  g_assert_null (opt->state);
  memcpy (expected, P, sizeof P);
  for (int k = 0; k < 2; k++)
    {
      for (int j = 0; j < 5; j++)
        expected[j] = expected[j] - 0.037 * g[k][j];
      step (opt, &layer, g[k]);
      g_assert_cmpmem (P, sizeof P, expected, sizeof expected);
    }
}

/* lr 0.1, wd 0.5, P = (1, -2): g + wd P = (0.5 + 0.5, 0 - 1) = (1, -1),
 * P = (0.9, -1.9); then g = 0: (0.45, -0.95), P = (0.855, -1.805). */
static void
test_sgd_weight_decay (void)
{
  BpOptimizerSettings s = settings_of (BP_OPTIMIZER_SGD, 0.1);
  bp_real P[2] = { 1, -2 }, grad[2];
  const bp_real g1[2] = { 0.5, 0 }, zero[2] = { 0, 0 };
  BpLayer layer = vector_layer (P, grad, 2);
  g_autoptr (BpOptimizer) opt = NULL;

  s.weight_decay = 0.5;
  opt = bp_optimizer_new (&s, P, 2);
  step (opt, &layer, g1);
  assert_near (P[0], 0.9);
  assert_near (P[1], -1.9);
  step (opt, &layer, zero);
  assert_near (P[0], 0.855);
  assert_near (P[1], -1.805);
}

/* The 2 x 3 parameters of the weight decay tests, [W | b] row by row. */
static const bp_real biased_start[6] = { 1, -2, 3, 0.5, 1, -1 };

/* A 2 x 3 layer over P (filled with biased_start) and grad, its last
 * column biases or not, and an optimizer of kind at lr 0.1 with weight
 * decay 0.5 for it. */
static BpOptimizer *
biased_layer (BpOptimizerKind kind, gboolean bias_column, bp_real *P,
              bp_real *grad, BpLayer *layer)
{
  BpOptimizerSettings s = settings_of (kind, 0.1);

  memcpy (P, biased_start, sizeof biased_start);
  *layer = vector_layer (P, grad, 6);
  layer->n_out = layer->param_rows = 2;
  layer->param_cols = 3;
  layer->bias_column = bias_column;
  s.weight_decay = 0.5;
  return bp_optimizer_new (&s, P, 6);
}

/* A 2 x 3 layer whose last column is biases (affine's [W | b]), lr 0.1,
 * wd 0.5, g = [[0.5, 0, 1], [0, 0, -2]]: each weight steps along
 * g + wd P, each bias along g alone.
 *   row 1: 1 - 0.1 (0.5 + 0.5) = 0.9, -2 - 0.1 (0 - 1) = -1.9,
 *          bias 3 - 0.1 (1) = 2.9;
 *   row 2: 0.5 - 0.1 (0.25) = 0.475, 1 - 0.1 (0.5) = 0.95,
 *          bias -1 - 0.1 (-2) = -0.8.
 * The same layer without bias_column decays the biases too: 3 - 0.1 (1 +
 * 1.5) = 2.75 and -1 - 0.1 (-2 - 0.5) = -0.75. */
static void
test_weight_decay_spares_biases (void)
{
  const bp_real g[6] = { 0.5, 0, 1, 0, 0, -2 };
  const double spared[6] = { 0.9, -1.9, 2.9, 0.475, 0.95, -0.8 };
  const double all[6] = { 0.9, -1.9, 2.75, 0.475, 0.95, -0.75 };

  for (int bias_column = 0; bias_column <= 1; bias_column++)
    {
      bp_real P[6], grad[6];
      BpLayer layer;
      g_autoptr (BpOptimizer) opt = biased_layer (BP_OPTIMIZER_SGD,
                                                  bias_column, P, grad,
                                                  &layer);

      step (opt, &layer, g);
      for (int j = 0; j < 6; j++)
        assert_near (P[j], bias_column ? spared[j] : all[j]);
    }
}

/* Momentum and Adam spare the biases alike: with g = 0, weight decay is a
 * weight's whole gradient, so each weight moves and each bias stays, to
 * the bit (Adam's step for a zero gradient is 0 / (0 + eps)). */
static void
test_weight_decay_spares_biases_stateful (gconstpointer data)
{
  const bp_real zero[6] = { 0 };
  bp_real P[6], grad[6];
  BpLayer layer;
  g_autoptr (BpOptimizer) opt = biased_layer (GPOINTER_TO_INT (data), TRUE,
                                              P, grad, &layer);

  for (int k = 0; k < 3; k++)
    step (opt, &layer, zero);
  for (int j = 0; j < 6; j++)
    if (j % 3 == 2)
      g_assert_cmpfloat (P[j], ==, biased_start[j]);
    else
      g_assert_cmpfloat (fabs (P[j]), <, fabs (biased_start[j]));
}

/* mu 0.5, lr 0.1, P = (1, -1), g = (1, 2), (1, -2), (0, 4):
 * v = (1, 2),    P = (0.9, -1.2);
 * v = (1.5, -1), P = (0.75, -1.1);
 * v = (0.75, 3.5), P = (0.675, -1.45).
 * Nesterov steps along g + mu v with the new v:
 * (1.5, 3), P = (0.85, -1.3); (1.75, -2.5), P = (0.675, -1.05);
 * (0.375, 5.75), P = (0.6375, -1.625). */
static void
test_momentum (gconstpointer data)
{
  gboolean nesterov = GPOINTER_TO_INT (data);
  BpOptimizerSettings s = settings_of (BP_OPTIMIZER_MOMENTUM, 0.1);
  bp_real P[2] = { 1, -1 }, grad[2];
  const bp_real g[3][2] = { { 1, 2 }, { 1, -2 }, { 0, 4 } };
  const double plain[3][2] = {
    { 0.9, -1.2 }, { 0.75, -1.1 }, { 0.675, -1.45 }
  };
  const double ahead[3][2] = {
    { 0.85, -1.3 }, { 0.675, -1.05 }, { 0.6375, -1.625 }
  };
  const double v[3][2] = { { 1, 2 }, { 1.5, -1 }, { 0.75, 3.5 } };
  BpLayer layer = vector_layer (P, grad, 2);
  g_autoptr (BpOptimizer) opt = NULL;

  s.momentum = 0.5;
  s.nesterov = nesterov;
  opt = bp_optimizer_new (&s, P, 2);
  for (int k = 0; k < 3; k++)
    {
      step (opt, &layer, g[k]);
      for (int j = 0; j < 2; j++)
        {
          assert_near (opt->v[j], v[k][j]);
          assert_near (P[j], nesterov ? ahead[k][j] : plain[k][j]);
        }
    }
}

/* mu 0.5, lr 0.1, wd 0.5, P = 1, g = 0 twice: the decay enters v.
 * g + wd P = 0.5, v = 0.5, P = 0.95; 0.475, v = 0.725, P = 0.8775. */
static void
test_momentum_weight_decay (void)
{
  BpOptimizerSettings s = settings_of (BP_OPTIMIZER_MOMENTUM, 0.1);
  bp_real P[1] = { 1 }, grad[1];
  const bp_real zero[1] = { 0 };
  BpLayer layer = vector_layer (P, grad, 1);
  g_autoptr (BpOptimizer) opt = NULL;

  s.momentum = 0.5;
  s.weight_decay = 0.5;
  opt = bp_optimizer_new (&s, P, 1);
  step (opt, &layer, zero);
  assert_near (P[0], 0.95);
  step (opt, &layer, zero);
  assert_near (opt->v[0], 0.725);
  assert_near (P[0], 0.8775);
}

/* b1 0.5, b2 0.75, eps 1e-8, lr 0.1, P = (1, 2); g = (2, -4), (4, 0),
 * (-2, 2). The corrections 1 - b^t: t = 1: 0.5, 0.25; t = 2: 0.75,
 * 0.4375; t = 3: 0.875, 0.578125.
 * t = 1: m = (1, -2), v = (1, 4); mhat = (2, -4), vhat = (4, 16).
 * t = 2: m = (2.5, -1), v = (4.75, 3); mhat = (10/3, -4/3),
 *        vhat = (76/7, 48/7).
 * t = 3: m = (0.25, 0.5), v = (4.5625, 3.25); mhat = (2/7, 4/7),
 *        vhat = (292/37, 208/37). */
static void
test_adam (void)
{
  BpOptimizerSettings s = settings_of (BP_OPTIMIZER_ADAM, 0.1);
  bp_real P[2] = { 1, 2 }, grad[2];
  const bp_real g[3][2] = { { 2, -4 }, { 4, 0 }, { -2, 2 } };
  const double m[3][2] = { { 1, -2 }, { 2.5, -1 }, { 0.25, 0.5 } };
  const double v[3][2] = { { 1, 4 }, { 4.75, 3 }, { 4.5625, 3.25 } };
  const double mhat[3][2] = {
    { 2, -4 }, { 10.0 / 3, -4.0 / 3 }, { 2.0 / 7, 4.0 / 7 }
  };
  const double vhat[3][2] = {
    { 4, 16 }, { 76.0 / 7, 48.0 / 7 }, { 292.0 / 37, 208.0 / 37 }
  };
  double expected[2] = { 1, 2 };
  BpLayer layer = vector_layer (P, grad, 2);
  g_autoptr (BpOptimizer) opt = NULL;

  s.beta1 = 0.5;
  s.beta2 = 0.75;
  opt = bp_optimizer_new (&s, P, 2);
  g_assert_true (opt->m == opt->state && opt->v == opt->state + 2);
  for (int k = 0; k < 3; k++)
    {
      step (opt, &layer, g[k]);
      g_assert_cmpuint (opt->t, ==, (guint64) k + 1);
      for (int j = 0; j < 2; j++)
        {
          expected[j] -= 0.1 * mhat[k][j] / (sqrt (vhat[k][j]) + 1e-8);
          assert_near (opt->m[j], m[k][j]);
          assert_near (opt->v[j], v[k][j]);
          assert_near (P[j], expected[j]);
        }
    }
}

/* The first step of Adam moves every entry by about lr, whatever the size
 * of its gradient: mhat / sqrt(vhat) = g / |g|. */
static void
test_adam_first_step (void)
{
  BpOptimizerSettings s = settings_of (BP_OPTIMIZER_ADAM, 0.01);
  bp_real P[3] = { 0, 0, 0 }, grad[3];
  const bp_real g[3] = { 1e3, -2.5, 1e-2 };
  BpLayer layer = vector_layer (P, grad, 3);
  g_autoptr (BpOptimizer) opt = bp_optimizer_new (&s, P, 3);

  step (opt, &layer, g);
  g_assert_cmpfloat_with_epsilon (P[0], -0.01, 1e-12);
  g_assert_cmpfloat_with_epsilon (P[1], 0.01, 1e-10);
  g_assert_cmpfloat_with_epsilon (P[2], -0.01, 1e-7);
}

/* t counts training steps, not layers: two layers in one block, stepped
 * in each step from the same gradient, end the same; each layer's state
 * sits where its P does. */
static void
test_adam_shared_t (void)
{
  BpOptimizerSettings s = settings_of (BP_OPTIMIZER_ADAM, 0.1);
  bp_real P[4] = { 1, 2, 1, 2 }, grad[4];
  const bp_real g[3][2] = { { 2, -4 }, { 4, 0 }, { -2, 2 } };
  BpLayer first = vector_layer (P, grad, 2);
  BpLayer second = vector_layer (P + 2, grad + 2, 2);
  g_autoptr (BpOptimizer) opt = bp_optimizer_new (&s, P, 4);

  for (int k = 0; k < 3; k++)
    {
      memcpy (grad, g[k], sizeof g[k]);
      memcpy (grad + 2, g[k], sizeof g[k]);
      bp_optimizer_begin_step (opt);
      bp_optimizer_step_layer (opt, &second);
      bp_optimizer_step_layer (opt, &first);
    }
  g_assert_cmpuint (opt->t, ==, 3);
  g_assert_cmpmem (P, 2 * sizeof (bp_real), P + 2, 2 * sizeof (bp_real));
  g_assert_cmpmem (opt->m, 2 * sizeof (bp_real), opt->m + 2,
                   2 * sizeof (bp_real));
  g_assert_cmpmem (opt->v, 2 * sizeof (bp_real), opt->v + 2,
                   2 * sizeof (bp_real));
}

/* ---- Schedules ----------------------------------------------------------- */

static void
test_schedule_none (void)
{
  BpSchedule none = { 0 };

  for (guint e = 1; e <= 4; e++)
    g_assert_cmpfloat (bp_schedule_learning_rate (&none, 0.3, e, 4), ==,
                       0.3);
}

/* lr 0.1, halved every 2 epochs: 0.1 0.1 0.05 0.05 0.025 0.025; every 3
 * with factor 0.1: 2 2 2 0.2 0.2 0.2 0.02. */
static void
test_schedule_step (void)
{
  BpSchedule halve = { BP_SCHEDULE_STEP, 2, 0.5, 0 };
  BpSchedule tenth = { BP_SCHEDULE_STEP, 3, 0.1, 0 };
  const double halved[6] = { 0.1, 0.1, 0.05, 0.05, 0.025, 0.025 };
  const double tenths[7] = { 2, 2, 2, 2 * 0.1, 2 * 0.1, 2 * 0.1,
                             2 * (0.1 * 0.1) };

  for (guint e = 1; e <= 6; e++)
    g_assert_cmpfloat (bp_schedule_learning_rate (&halve, 0.1, e, 6), ==,
                       halved[e - 1]);
  for (guint e = 1; e <= 7; e++)
    g_assert_cmpfloat (bp_schedule_learning_rate (&tenth, 2, e, 7), ==,
                       tenths[e - 1]);
}

/* From lr at epoch 1 to min_lr at the last, exactly at both ends; in
 * between min_lr + (lr - min_lr) (1 + cos(pi (e - 1) / (E - 1))) / 2.
 * lr 0.1 to 0 over 3 epochs: 0.1, 0.05, 0. lr 0.1 to 0.02 over 5:
 * 0.1, 0.02 + 0.04 (1 + sqrt(2)/2), 0.06, 0.02 + 0.04 (1 - sqrt(2)/2),
 * 0.02. One epoch: lr. */
static void
test_schedule_cosine (void)
{
  BpSchedule to_zero = { BP_SCHEDULE_COSINE, 0, 0, 0 };
  BpSchedule to_min = { BP_SCHEDULE_COSINE, 0, 0, 0.02 };
  const double five[5] = {
    0.1, 0.02 + 0.04 * (1 + G_SQRT2 / 2), 0.06,
    0.02 + 0.04 * (1 - G_SQRT2 / 2), 0.02
  };

  g_assert_cmpfloat (bp_schedule_learning_rate (&to_zero, 0.1, 1, 3), ==,
                     0.1);
  g_assert_cmpfloat (bp_schedule_learning_rate (&to_zero, 0.1, 2, 3), ==,
                     0.05);
  g_assert_cmpfloat (bp_schedule_learning_rate (&to_zero, 0.1, 3, 3), ==,
                     0.0);
  g_assert_cmpfloat (bp_schedule_learning_rate (&to_min, 0.1, 1, 5), ==,
                     0.1);
  g_assert_cmpfloat (bp_schedule_learning_rate (&to_min, 0.1, 5, 5), ==,
                     0.02);
  for (guint e = 2; e <= 4; e++)
    g_assert_cmpfloat_with_epsilon (bp_schedule_learning_rate (&to_min, 0.1,
                                                               e, 5),
                                    five[e - 1], 1e-16);
  g_assert_cmpfloat (bp_schedule_learning_rate (&to_min, 0.1, 1, 1), ==,
                     0.1);
}

/* ---- In the network ------------------------------------------------------ */

static const char iris_graph[] =
  "version: 1\n"
  "network:\n"
  "  input: 4\n"
  "  layers:\n"
  "    - affine: {units: 8, init: he}\n"
  "    - relu\n"
  "    - affine: {units: 3}\n"
  "    - softmax\n"
  "  loss: cross_entropy\n"
  "data:\n"
  "  train: {csv: %s, label: species}\n"
  "  test_fraction: 0.2\n"
  "training:\n"
  "  epochs: %u\n"
  "  batch: 8\n"
  "  optimizer: %s\n"
  "  update: %s\n"
  "  seed: 2\n"
  "%s";

static gboolean
keep_report (const BpEpochReport *report, gpointer user_data)
{
  g_array_append_val ((GArray *) user_data, *report);
  return TRUE;
}

/* The iris graph with the given optimizer, update order and further
 * training keys, loaded into *graph, and a run of it (which borrows the
 * graph). */
static BpRun *
iris_run (guint epochs, const char *optimizer, const char *update,
          const char *more, BpGraph **graph)
{
  g_autofree char *csv = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                           "iris.csv", NULL);
  g_autofree char *text = g_strdup_printf (iris_graph, csv, epochs,
                                           optimizer, update, more);
  g_autofree char *path = bp_test_write_file (tmp_dir, "iris.yaml", text);
  g_autoptr (GError) error = NULL;
  BpRun *run;

  *graph = bp_graph_load (path, &error);
  g_assert_no_error (error);
  run = bp_run_new (*graph, &error);
  g_assert_no_error (error);
  return run;
}

/* Trains iris as iris_run sets it up; returns a copy of the trained
 * parameters, and every epoch's report in reports. */
static bp_real *
train_iris (guint epochs, const char *optimizer, const char *update,
            const char *more, GArray *reports, gsize *n_params)
{
  g_autoptr (BpGraph) graph = NULL;
  g_autoptr (BpRun) run = iris_run (epochs, optimizer, update, more,
                                    &graph);
  g_autoptr (GError) error = NULL;
  BpNetwork *net;

  bp_run_train (run, keep_report, reports, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (reports->len, ==, epochs);

  net = bp_run_get_network (run);
  *n_params = net->n_params;
  return g_memdup2 (net->params, net->n_params * sizeof (bp_real));
}

/* affine declares its last column biases (BP_LAYER_BIAS_COLUMN), relu
 * and softmax have no parameters: only the affine layers are flagged. */
static void
test_bias_column_from_plugin (void)
{
  g_autoptr (BpGraph) graph = NULL;
  g_autoptr (BpRun) run = iris_run (1, "{sgd: {lr: 0.1}}", "sequential",
                                    "  weight_decay: 0.01\n", &graph);
  BpNetwork *net = bp_run_get_network (run);

  g_assert_cmpuint (net->n_layers, ==, 4);
  g_assert_true (net->layers[0].bias_column);
  g_assert_false (net->layers[1].bias_column);
  g_assert_true (net->layers[2].bias_column);
  g_assert_false (net->layers[3].bias_column);
}

static const BpEpochReport *
report_of (GArray *reports, guint epoch)
{
  return &g_array_index (reports, BpEpochReport, epoch - 1);
}

/* Adam, lr 0.01, batch 8, 50 epochs: the loss falls below the first
 * epoch's, the test accuracy reaches 0.9, and a second run takes the same
 * steps to the bit. */
static void
test_adam_trains_iris (gconstpointer data)
{
  const char *update = data;
  const char *adam = "{adam: {lr: 0.01}}";
  g_autoptr (GArray) reports = g_array_new (FALSE, TRUE,
                                            sizeof (BpEpochReport));
  g_autoptr (GArray) again = g_array_new (FALSE, TRUE,
                                          sizeof (BpEpochReport));
  gsize n, n_again;
  g_autofree bp_real *params = train_iris (50, adam, update, "", reports,
                                           &n);
  g_autofree bp_real *params_again = train_iris (50, adam, update, "",
                                                 again, &n_again);
  const BpEpochReport *first = report_of (reports, 1);
  const BpEpochReport *last = report_of (reports, 50);

  g_assert_cmpfloat (last->train_loss, <, first->train_loss);
  g_assert_cmpfloat (last->test_accuracy, >=, 0.9);
  for (guint e = 1; e <= 50; e++)
    {
      g_assert_cmpfloat (report_of (reports, e)->learning_rate, ==, 0.01);
      g_assert_cmpfloat (report_of (reports, e)->train_loss, ==,
                         report_of (again, e)->train_loss);
    }
  g_assert_cmpuint (n, ==, 8 * 5 + 3 * 9);
  g_assert_cmpmem (params, n * sizeof (bp_real), params_again,
                   n_again * sizeof (bp_real));
}

/* The run sets each epoch's rate from the schedule and reports it. */
static void
test_run_schedule (void)
{
  g_autoptr (GArray) reports = g_array_new (FALSE, TRUE,
                                            sizeof (BpEpochReport));
  const double rates[5] = { 0.02, 0.02, 0.01, 0.01, 0.005 };
  gsize n;
  g_autofree bp_real *params = train_iris (
    5, "{momentum: {lr: 0.02, nesterov: true}}", "sequential",
    "  schedule: {step: {every: 2, factor: 0.5}}\n  weight_decay: 1e-4\n",
    reports, &n);

  for (guint e = 1; e <= 5; e++)
    g_assert_cmpfloat (report_of (reports, e)->learning_rate, ==,
                       rates[e - 1]);
  for (gsize j = 0; j < n; j++)
    g_assert_true (isfinite (params[j]));
}

/* Through the network, in both orders: one SGD step leaves
 * P - lr * gradient, to the bit. */
static void
test_network_sgd_bits (gconstpointer data)
{
  BpUpdateOrder order = GPOINTER_TO_INT (data);
  g_autofree char *path = bp_test_write_file (tmp_dir, "section6.yaml",
                                              bp_test_section6_graph);
  g_autoptr (GError) error = NULL;
  g_autoptr (BpGraph) graph = bp_graph_load (path, &error);
  g_autoptr (BpNetwork) net = NULL;
  const bp_real x[2] = { 1.0, 0.5 }, f[2] = { 1.0, 0.0 };
  g_autofree bp_real *before = NULL;
  g_autofree bp_real *expected = NULL;

  g_assert_no_error (error);
  net = bp_network_new (graph, 1, &error);
  g_assert_no_error (error);
  net->step_in_place = FALSE; /* so that grads holds every gradient */

  /* The last layer's gradient comes from the old weights in either
   * order, so each layer can be checked against its own gradient. */
  before = g_memdup2 (net->params, net->n_params * sizeof (bp_real));
  expected = g_new (bp_real, net->n_params);
  bp_network_train_step (net, 1, x, f, order);
  for (gsize j = 0; j < net->n_params; j++)
    expected[j] = before[j] - 0.1 * net->grads[j];
  g_assert_cmpmem (net->params, net->n_params * sizeof (bp_real), expected,
                   net->n_params * sizeof (bp_real));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = bp_test_dir_new ("test-optimizer");

  g_test_add_func ("/optimizer/sgd/bits", test_sgd_bits);
  g_test_add_func ("/optimizer/sgd/weight-decay", test_sgd_weight_decay);
  g_test_add_func ("/optimizer/sgd/weight-decay-spares-biases",
                   test_weight_decay_spares_biases);
  g_test_add_data_func ("/optimizer/momentum/weight-decay-spares-biases",
                        GINT_TO_POINTER (BP_OPTIMIZER_MOMENTUM),
                        test_weight_decay_spares_biases_stateful);
  g_test_add_data_func ("/optimizer/adam/weight-decay-spares-biases",
                        GINT_TO_POINTER (BP_OPTIMIZER_ADAM),
                        test_weight_decay_spares_biases_stateful);
  g_test_add_data_func ("/optimizer/momentum/plain", GINT_TO_POINTER (0),
                        test_momentum);
  g_test_add_data_func ("/optimizer/momentum/nesterov", GINT_TO_POINTER (1),
                        test_momentum);
  g_test_add_func ("/optimizer/momentum/weight-decay",
                   test_momentum_weight_decay);
  g_test_add_func ("/optimizer/adam/steps", test_adam);
  g_test_add_func ("/optimizer/adam/first-step", test_adam_first_step);
  g_test_add_func ("/optimizer/adam/shared-t", test_adam_shared_t);
  g_test_add_func ("/optimizer/schedule/none", test_schedule_none);
  g_test_add_func ("/optimizer/schedule/step", test_schedule_step);
  g_test_add_func ("/optimizer/schedule/cosine", test_schedule_cosine);
  g_test_add_data_func ("/optimizer/network/sgd-bits/simultaneous",
                        GINT_TO_POINTER (BP_UPDATE_SIMULTANEOUS),
                        test_network_sgd_bits);
  g_test_add_data_func ("/optimizer/network/sgd-bits/sequential",
                        GINT_TO_POINTER (BP_UPDATE_SEQUENTIAL),
                        test_network_sgd_bits);
  g_test_add_data_func ("/optimizer/network/adam-iris/simultaneous",
                        "simultaneous", test_adam_trains_iris);
  g_test_add_data_func ("/optimizer/network/adam-iris/sequential",
                        "sequential", test_adam_trains_iris);
  g_test_add_func ("/optimizer/network/schedule", test_run_schedule);
  g_test_add_func ("/optimizer/network/bias-column",
                   test_bias_column_from_plugin);

  status = g_test_run ();
  bp_test_dir_remove (tmp_dir);
  g_free (tmp_dir);
  return status;
}
