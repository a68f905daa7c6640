/* Tests of the engine: one online step of the paper's 2-2-2 network
 * (section 6) worked out here by hand in both update orders, the
 * backward chain against finite differences of the loss (with fast forms,
 * explicit fallbacks and the fused softmax with cross_entropy), seeded
 * determinism, and the model file's exact round trip.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <yaml.h>

#include "data.h"
#include "network.h"
#include "run.h"
#include "testutil.h"

static char *tmp_dir;

static BpGraph *
load_graph_text (const char *name, const char *text)
{
  g_autofree char *path = bp_test_write_file (tmp_dir, name, text);
  g_autoptr (GError) error = NULL;
  BpGraph *graph = bp_graph_load (path, &error);

  g_assert_no_error (error);
  return graph;
}

static BpNetwork *
network_from_text (const char *text, gsize max_batch, BpGraph **graph_out)
{
  g_autoptr (BpGraph) graph = load_graph_text ("graph.yaml", text);
  g_autoptr (GError) error = NULL;
  BpNetwork *net = bp_network_new (graph, max_batch, &error);

  g_assert_no_error (error);
  g_assert_nonnull (net);
  if (graph_out != NULL)
    *graph_out = g_steal_pointer (&graph);
  return net;
}

static void
assert_close (double actual, double expected, double relative)
{
  double scale = MAX (fabs (expected), 1e-300);

  if (fabs (actual - expected) > relative * scale)
    g_error ("%.17g differs from %.17g by more than %g relative", actual,
             expected, relative);
}

/* ---- Section 6: the 2-2-2 network, one online step ------------------- */

static void
run_section6 (BpUpdateOrder order, bp_real out_A[6], bp_real out_B[6])
{
  g_autoptr (BpNetwork) net = network_from_text (bp_test_section6_graph, 1,
                                                 NULL);
  const bp_real x[2] = { 1.0, 0.5 }, f[2] = { 1.0, 0.0 };
  gsize rows, cols;
  double loss = bp_network_train_step (net, 1, x, f, order);

  g_assert_true (isfinite (loss) && loss > 0.0);
  memcpy (out_A, bp_network_layer_params (net, 0, &rows, &cols),
          6 * sizeof (bp_real));
  g_assert_cmpuint (rows, ==, 2);
  g_assert_cmpuint (cols, ==, 3);
  memcpy (out_B, bp_network_layer_params (net, 2, NULL, NULL),
          6 * sizeof (bp_real));
}

static void
test_section6_step (gconstpointer data)
{
  BpUpdateOrder order = GPOINTER_TO_INT (data);
  double A_new[2][3], B_new[2][3];
  bp_real A[6], B[6];

  bp_test_section6_by_hand (order == BP_UPDATE_SEQUENTIAL, A_new, B_new);
  run_section6 (order, A, B);
  for (int r = 0; r < 2; r++)
    for (int c = 0; c < 3; c++)
      {
        assert_close (B[r * 3 + c], B_new[r][c], 1e-12);
        assert_close (A[r * 3 + c], A_new[r][c], 1e-12);
      }
}

/* The orders differ only where the paper says: [B | Xi] is the same, the
 * layer before it is not. */
static void
test_section6_orders_differ (void)
{
  bp_real A_seq[6], B_seq[6], A_sim[6], B_sim[6];
  gsize differing = 0;

  run_section6 (BP_UPDATE_SEQUENTIAL, A_seq, B_seq);
  run_section6 (BP_UPDATE_SIMULTANEOUS, A_sim, B_sim);
  g_assert_cmpmem (B_seq, sizeof B_seq, B_sim, sizeof B_sim);
  for (int j = 0; j < 6; j++)
    differing += A_seq[j] != A_sim[j];
  g_assert_cmpuint (differing, ==, 6);
}

/* ---- The chain against finite differences ---------------------------- */

static double
mean_loss (BpNetwork *net, gsize n, const bp_real *X, const bp_real *F)
{
  bp_real sigma[8 * 8];

  g_assert_cmpuint (n * net->n_out, <=, G_N_ELEMENTS (sigma));
  bp_network_forward (net, n, X, sigma);
  return net->loss->desc->loss_value (net->loss_state, n, sigma, F)
         / (double) n;
}

/* Takes one step with learning rate 0 (so P stays), then compares every
 * entry of every gradient with a central difference of the mean loss. */
static void
check_chain_gradient (const char *text, gsize n, const bp_real *X,
                      const bp_real *F, gboolean expect_fused)
{
  g_autoptr (BpNetwork) net = network_from_text (text, 8, NULL);
  const double h = 1e-6;
  gsize compared = 0, nonzero = 0;
  g_autofree bp_real *grads = NULL;

  g_assert_cmpint (net->fused, ==, expect_fused);
  net->step_in_place = FALSE; /* so that grads holds every gradient */
  bp_network_set_learning_rate (net, 0.0);
  bp_network_train_step (net, n, X, F, BP_UPDATE_SIMULTANEOUS);
  grads = g_memdup2 (net->grads, net->n_params * sizeof (bp_real));

  for (gsize j = 0; j < net->n_params; j++)
    {
      bp_real saved = net->params[j];
      double up, down, numeric;

      net->params[j] = saved + h;
      up = mean_loss (net, n, X, F);
      net->params[j] = saved - h;
      down = mean_loss (net, n, X, F);
      net->params[j] = saved;
      numeric = (up - down) / (2 * h);

      if (fabs (numeric - grads[j]) > 1e-6 * MAX (1.0, fabs (numeric)))
        g_error ("parameter %zu: chain gives %.10g, finite differences "
                 "%.10g", j, grads[j], numeric);
      compared++;
      nonzero += grads[j] != 0.0;
    }
  g_assert_cmpuint (compared, >, 10);
  g_assert_cmpuint (nonzero, >, compared / 2);
}

/* Plain SGD steps straight into P for affine layers; the result must be
 * the gradient path's, P - lr g, to rounding, in both orders, online and
 * on batches, and the gradient buffers must stay untouched (the in-place
 * path really ran). */
static void
test_step_in_place (void)
{
  static const char text[] =
    "version: 1\n"
    "network:\n"
    "  input: 3\n"
    "  layers:\n"
    "    - affine: {units: 5, init: xavier}\n"
    "    - logistic\n"
    "    - affine: {units: 4, init: uniform}\n"
    "    - relu\n"
    "    - affine: {units: 2}\n"
    "    - softmax\n"
    "  loss: cross_entropy\n"
    "data:\n"
    "  train: {inputs: [[0, 0, 0]], targets: [[1, 0]]}\n"
    "training: {epochs: 1, optimizer: {sgd: {lr: 0.3}}, seed: 3}\n";
  const bp_real X[3 * 3] = { 0.3, -1.2, 0.8, 1.5, 0.4, -0.7, -0.2, 0.9,
                             1.1 };
  const bp_real F[3 * 2] = { 1, 0, 0, 1, 1, 0 };

  for (int order = 0; order < 2; order++)
    for (gsize n = 1; n <= 3; n += 2)
      {
        BpUpdateOrder update = order ? BP_UPDATE_SEQUENTIAL
                                     : BP_UPDATE_SIMULTANEOUS;
        g_autoptr (BpNetwork) fast = network_from_text (text, 3, NULL);
        g_autoptr (BpNetwork) slow = network_from_text (text, 3, NULL);
        g_autofree bp_real *start = g_memdup2 (
          fast->params, fast->n_params * sizeof (bp_real));
        double moved = 0;

        slow->step_in_place = FALSE;
        for (int step = 0; step < 4; step++)
          {
            double a = bp_network_train_step (fast, n, X, F, update);
            double b = bp_network_train_step (slow, n, X, F, update);

            g_assert_cmpfloat_with_epsilon (a, b, 1e-12);
          }
        for (gsize j = 0; j < fast->n_params; j++)
          {
            g_assert_cmpfloat_with_epsilon (fast->params[j],
                                            slow->params[j], 1e-13);
            g_assert_cmpfloat (fast->grads[j], ==, 0.0);
            moved = MAX (moved, fabs (fast->params[j] - start[j]));
          }
        g_assert_cmpfloat (moved, >, 1e-3);
      }
}

static const bp_real chain_X[3 * 3] = {
  0.3, -1.2, 0.8,
  1.5, 0.4, -0.7,
  -0.2, 0.9, 1.1,
};

/* softsign, from tests/plugins/, has only forward and jacobian: the chain
 * must fall back to the explicit jacobian; the fused gradient starts it. */
static void
test_chain_fused_with_fallback (void)
{
  const bp_real F[3 * 2] = { 1, 0, 0, 1, 1, 0 };
  g_autofree char *text = g_strdup_printf (
    "version: 1\n"
    "plugin_path: [%s]\n"
    "network:\n"
    "  input: 3\n"
    "  layers:\n"
    "    - affine: {units: 4, init: xavier}\n"
    "    - softsign\n"
    "    - affine: {units: 4, init: uniform}\n"
    "    - logistic\n"
    "    - affine: {units: 2}\n"
    "    - softmax\n"
    "  loss: cross_entropy\n"
    "data:\n"
    "  train: {inputs: [[0, 0, 0]], targets: [[1, 0]]}\n"
    "training: {epochs: 1, optimizer: {sgd: {lr: 0.1}}, seed: 7}\n",
    g_getenv ("BP_TEST_PLUGINDIR"));

  check_chain_gradient (text, 3, chain_X, F, TRUE);
}

/* mse after logistic: M from the loss, D from the logistic's jacobian. */
static void
test_chain_unfused (void)
{
  const bp_real F[3 * 2] = { 0.2, 0.9, 0.5, 0.1, 0.7, 0.3 };

  check_chain_gradient ("version: 1\n"
                        "network:\n"
                        "  input: 3\n"
                        "  layers:\n"
                        "    - affine: {units: 5}\n"
                        "    - relu\n"
                        "    - affine: {units: 2, init: xavier}\n"
                        "    - logistic\n"
                        "  loss: mse\n"
                        "data:\n"
                        "  train: {inputs: [[0, 0, 0]], targets: [[1, 0]]}\n"
                        "training: {epochs: 1, optimizer: {sgd: {lr: 1}},"
                        " seed: 3}\n",
                        3, chain_X, F, FALSE);
}

/* Softmax with cross_entropy: the fused sigma - f and the explicit M D
 * give the same step (the paper's section 8). */
static void
test_fused_matches_explicit (void)
{
  const char *text = "version: 1\n"
                     "network:\n"
                     "  input: 3\n"
                     "  layers:\n"
                     "    - affine: {units: 3, init: xavier}\n"
                     "    - softmax\n"
                     "  loss: cross_entropy\n"
                     "data:\n"
                     "  train: {inputs: [[0, 0, 0]], targets: [[1, 0, 0]]}\n"
                     "training: {epochs: 1, optimizer: {sgd: {lr: 0.5}}}\n";
  const bp_real F[3 * 3] = { 0, 1, 0, 1, 0, 0, 0, 0.5, 0.5 };
  g_autoptr (BpNetwork) fused = network_from_text (text, 4, NULL);
  g_autoptr (BpNetwork) explicit = network_from_text (text, 4, NULL);

  explicit->fused = FALSE;
  bp_network_train_step (fused, 3, chain_X, F, BP_UPDATE_SEQUENTIAL);
  bp_network_train_step (explicit, 3, chain_X, F, BP_UPDATE_SEQUENTIAL);
  for (gsize j = 0; j < fused->n_params; j++)
    assert_close (fused->params[j], explicit->params[j], 1e-12);
}

/* A dropout layer changes training steps only: evaluation gives the same
 * sigma every time, and two networks from the same seed take the same
 * steps, masks included, bit for bit. */
static void
test_dropout_in_the_chain (void)
{
  const char *text = "version: 1\n"
                     "network:\n"
                     "  input: 3\n"
                     "  layers:\n"
                     "    - affine: {units: 16}\n"
                     "    - relu\n"
                     "    - dropout: {rate: 0.5}\n"
                     "    - affine: {units: 2}\n"
                     "    - softmax\n"
                     "  loss: cross_entropy\n"
                     "data:\n"
                     "  train: {inputs: [[0, 0, 0]], targets: [[1, 0]]}\n"
                     "training: {epochs: 1, optimizer: {sgd: {lr: 0.1}},"
                     " seed: 4}\n";
  const bp_real F[3 * 2] = { 1, 0, 0, 1, 1, 0 };
  g_autoptr (BpNetwork) a = network_from_text (text, 4, NULL);
  g_autoptr (BpNetwork) b = network_from_text (text, 4, NULL);
  bp_real first[3 * 2], again[3 * 2];
  gsize dropped = 0;

  bp_network_forward (a, 3, chain_X, first);
  bp_network_forward (a, 3, chain_X, again);
  g_assert_cmpmem (first, sizeof first, again, sizeof again);

  for (int step = 0; step < 5; step++)
    {
      bp_network_train_step (a, 3, chain_X, F, BP_UPDATE_SIMULTANEOUS);
      bp_network_train_step (b, 3, chain_X, F, BP_UPDATE_SIMULTANEOUS);
    }
  g_assert_cmpmem (a->params, a->n_params * sizeof (bp_real), b->params,
                   b->n_params * sizeof (bp_real));

  /* The last training pass really dropped some of the 48 outputs. */
  for (gsize j = 0; j < 3 * 16; j++)
    dropped += a->outputs[2][j] == 0 && a->outputs[1][j] != 0;
  g_assert_cmpuint (dropped, >, 5);
}

/* ---- Determinism and the model file -------------------------------------- */

static const char iris_graph[] =
  "version: 1\n"
  "network:\n"
  "  input: 4\n"
  "  layers:\n"
  "    - affine: {units: 6, init: he}\n"
  "    - relu\n"
  "    - affine: {units: 3}\n"
  "    - softmax\n"
  "  loss: cross_entropy\n"
  "data:\n"
  "  train: {csv: %s, label: species}\n"
  "  test_fraction: 0.2\n"
  "training:\n"
  "  epochs: 3\n"
  "  batch: 4\n"
  "  optimizer: {sgd: {lr: 0.01}}\n"
  "  seed: %d\n";

static bp_real *
train_iris (int seed, gsize *n_params, char **model_text)
{
  g_autofree char *csv = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                           "iris.csv", NULL);
  g_autofree char *text = g_strdup_printf (iris_graph, csv, seed);
  g_autoptr (BpGraph) graph = load_graph_text ("iris.yaml", text);
  g_autoptr (GError) error = NULL;
  g_autoptr (BpRun) run = bp_run_new (graph, &error);
  BpNetwork *net;

  g_assert_no_error (error);
  g_assert_true (bp_run_train (run, NULL, NULL, &error));
  g_assert_no_error (error);
  net = bp_run_get_network (run);
  *n_params = net->n_params;
  if (model_text != NULL)
    *model_text = bp_model_to_yaml (net);
  return g_memdup2 (net->params, net->n_params * sizeof (bp_real));
}

static void
test_same_seed_same_bits (void)
{
  gsize n1, n2, n3;
  g_autofree bp_real *first = train_iris (5, &n1, NULL);
  g_autofree bp_real *again = train_iris (5, &n2, NULL);
  g_autofree bp_real *other = train_iris (6, &n3, NULL);

  g_assert_cmpuint (n1, ==, 6 * 5 + 3 * 7);
  g_assert_cmpmem (first, n1 * sizeof (bp_real), again,
                   n2 * sizeof (bp_real));
  g_assert_true (memcmp (first, other, n1 * sizeof (bp_real)) != 0);
}

/* Collects every scalar under each "parameters" key, in order. */
static void
collect_parameters (yaml_document_t *doc, yaml_node_t *node,
                    gboolean inside, GArray *values, GPtrArray *plugins)
{
  if (node->type == YAML_SCALAR_NODE && inside)
    {
      double v = g_ascii_strtod ((char *) node->data.scalar.value, NULL);

      g_array_append_val (values, v);
    }
  else if (node->type == YAML_SEQUENCE_NODE)
    for (yaml_node_item_t *i = node->data.sequence.items.start;
         i < node->data.sequence.items.top; i++)
      collect_parameters (doc, yaml_document_get_node (doc, *i), inside,
                          values, plugins);
  else if (node->type == YAML_MAPPING_NODE)
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         p < node->data.mapping.pairs.top; p++)
      {
        yaml_node_t *key = yaml_document_get_node (doc, p->key);
        yaml_node_t *value = yaml_document_get_node (doc, p->value);
        const char *name = (const char *) key->data.scalar.value;

        if (strcmp (name, "plugin") == 0)
          g_ptr_array_add (plugins,
                           g_strdup ((char *) value->data.scalar.value));
        collect_parameters (doc, value, strcmp (name, "parameters") == 0,
                            values, plugins);
      }
}

static void
test_model_round_trip (void)
{
  g_autofree char *text = NULL;
  gsize n;
  g_autofree bp_real *params = train_iris (2, &n, &text);
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GPtrArray) plugins = g_ptr_array_new_with_free_func (g_free);
  yaml_parser_t parser;
  yaml_document_t doc;

  g_assert_true (g_str_has_prefix (text, "format: bpframe-model\n"
                                         "version: 1\ninput: 4\n"));
  g_assert_true (g_str_has_suffix (text, "loss: cross_entropy\n"));

  yaml_parser_initialize (&parser);
  yaml_parser_set_input_string (&parser, (const unsigned char *) text,
                                strlen (text));
  g_assert_true (yaml_parser_load (&parser, &doc));
  collect_parameters (&doc, yaml_document_get_root_node (&doc), FALSE,
                      values, plugins);
  yaml_document_delete (&doc);
  yaml_parser_delete (&parser);

  g_assert_cmpuint (plugins->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (plugins, 0), ==, "affine");
  g_assert_cmpstr (g_ptr_array_index (plugins, 3), ==, "softmax");
  g_assert_cmpuint (values->len, ==, n);
  g_assert_cmpmem (values->data, n * sizeof (double), params,
                   n * sizeof (bp_real));
}

/* A model path in a folder that does not exist fails with a message and
 * leaves nothing behind. */
static void
test_model_write_failure (void)
{
  g_autoptr (BpNetwork) net = network_from_text (bp_test_section6_graph, 1,
                                                 NULL);
  g_autofree char *path = g_build_filename (tmp_dir, "no-such-dir",
                                            "model.yaml", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_false (bp_model_save (net, path, &error));
  g_assert_error (error, BP_ERROR, BP_ERROR_IO);
  {
    g_autofree char *expected = g_strdup_printf (
      "%s: cannot write the model file: %s", path, g_strerror (ENOENT));

    g_assert_cmpstr (error->message, ==, expected);
  }
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = bp_test_dir_new ("test-network");

  g_test_add_data_func ("/network/section6/sequential",
                        GINT_TO_POINTER (BP_UPDATE_SEQUENTIAL),
                        test_section6_step);
  g_test_add_data_func ("/network/section6/simultaneous",
                        GINT_TO_POINTER (BP_UPDATE_SIMULTANEOUS),
                        test_section6_step);
  g_test_add_func ("/network/section6/orders-differ",
                   test_section6_orders_differ);
  g_test_add_func ("/network/chain/fused-with-fallback",
                   test_chain_fused_with_fallback);
  g_test_add_func ("/network/chain/unfused", test_chain_unfused);
  g_test_add_func ("/network/chain/fused-matches-explicit",
                   test_fused_matches_explicit);
  g_test_add_func ("/network/determinism", test_same_seed_same_bits);
  g_test_add_func ("/network/step-in-place", test_step_in_place);
  g_test_add_func ("/network/dropout", test_dropout_in_the_chain);
  g_test_add_func ("/network/model/round-trip", test_model_round_trip);
  g_test_add_func ("/network/model/write-failure", test_model_write_failure);

  status = g_test_run ();
  bp_test_dir_remove (tmp_dir);
  g_free (tmp_dir);
  return status;
}
