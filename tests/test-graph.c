/* Unit tests of the graph-file reader (core/graph.c): every field of a
 * valid graph, the documented defaults, and the exact message and code of
 * each kind of mistake a graph file can hold.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "graph.h"
#include "testutil.h"

/* Each test gets a folder of its own (f->dir), removed afterwards. */
typedef BpTestFixture Fixture;

static void
assert_mark (BpMark mark, guint line, guint column)
{
  g_assert_cmpuint (mark.line, ==, line);
  g_assert_cmpuint (mark.column, ==, column);
}

static const char valid_graph[] =
  "version: 1\n"
  "plugin_path: [plugins, /opt/bp/../bp/plugins]\n"
  "network:\n"
  "  input: 4\n"
  "  layers:\n"
  "    - affine: {units: 8, init: he}\n"
  "    - relu\n"
  "    - affine:\n"
  "        units: 3\n"
  "        weights: [[1, 2.5], [-3, 4e-1]]\n"
  "        bias: [0.5, -1]\n"
  "    - softmax:\n"
  "  loss: cross_entropy\n"
  "data:\n"
  "  train: {csv: data/iris.csv, label: species}\n"
  "  test: {csv: ../iris-test.csv, header: false, targets: [5, \"6\"]}\n"
  "training:\n"
  "  epochs: 200\n"
  "  batch: 16\n"
  "  optimizer: {sgd: {lr: 0.05}}\n"
  "  update: sequential\n"
  "  seed: 18446744073709551615\n"
  "  shuffle: false\n"
  "  threads: 3\n"
  "output:\n"
  "  model: out/iris-model.yaml\n";

static void
assert_scalar_arg (const BpGraphArg *arg, const char *key, const char *text,
                   guint line, guint key_column, guint value_column)
{
  g_assert_cmpstr (arg->key, ==, key);
  g_assert_cmpstr (arg->scalar, ==, text);
  g_assert_null (arg->reals);
  assert_mark (arg->key_mark, line, key_column);
  assert_mark (arg->value_mark, line, value_column);
}

static void
test_valid (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = bp_test_write_file (f->dir, "graph.yaml",
                                              valid_graph);
  g_autofree char *parent = g_path_get_dirname (f->dir);
  g_autofree char *plugins = g_build_filename (f->dir, "plugins", NULL);
  g_autofree char *train = g_build_filename (f->dir, "data", "iris.csv",
                                             NULL);
  g_autofree char *test = g_build_filename (parent, "iris-test.csv", NULL);
  g_autofree char *model = g_build_filename (f->dir, "out",
                                             "iris-model.yaml", NULL);
  g_autoptr (BpGraph) graph = NULL;
  const BpGraphPlugin *layer;
  const BpGraphArg *arg;

  (void) user_data;
  graph = bp_graph_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (graph);

  g_assert_cmpstr (graph->path, ==, path);
  g_assert_cmpstr (graph->dir, ==, f->dir);
  g_assert_cmpint (graph->version, ==, 1);
  g_assert_nonnull (graph->plugin_path);
  g_assert_cmpuint (g_strv_length (graph->plugin_path), ==, 2);
  g_assert_cmpstr (graph->plugin_path[0], ==, plugins);
  g_assert_cmpstr (graph->plugin_path[1], ==, "/opt/bp/plugins");

  /* The network, with the marks of names and parameters. */
  g_assert_cmpuint (graph->input, ==, 4);
  assert_mark (graph->input_mark, 4, 10);
  g_assert_cmpuint (graph->n_layers, ==, 4);

  layer = &graph->layers[0];
  g_assert_cmpstr (layer->plugin, ==, "affine");
  assert_mark (layer->mark, 6, 7);
  g_assert_cmpuint (layer->n_args, ==, 2);
  assert_scalar_arg (&layer->args[0], "units", "8", 6, 16, 23);
  assert_scalar_arg (&layer->args[1], "init", "he", 6, 26, 32);

  layer = &graph->layers[1];
  g_assert_cmpstr (layer->plugin, ==, "relu");
  assert_mark (layer->mark, 7, 7);
  g_assert_cmpuint (layer->n_args, ==, 0);
  g_assert_null (layer->args);

  layer = &graph->layers[2];
  g_assert_cmpstr (layer->plugin, ==, "affine");
  assert_mark (layer->mark, 8, 7);
  g_assert_cmpuint (layer->n_args, ==, 3);
  assert_scalar_arg (&layer->args[0], "units", "3", 9, 9, 16);
  arg = &layer->args[1];
  g_assert_cmpstr (arg->key, ==, "weights");
  g_assert_null (arg->scalar);
  assert_mark (arg->key_mark, 10, 9);
  assert_mark (arg->value_mark, 10, 18);
  g_assert_cmpuint (arg->rows, ==, 2);
  g_assert_cmpuint (arg->cols, ==, 2);
  g_assert_cmpuint (arg->n_reals, ==, 4);
  g_assert_cmpfloat (arg->reals[0], ==, 1.0);
  g_assert_cmpfloat (arg->reals[1], ==, 2.5);
  g_assert_cmpfloat (arg->reals[2], ==, -3.0);
  g_assert_cmpfloat_with_epsilon (arg->reals[3], 0.4, 1e-15);
  arg = &layer->args[2];
  g_assert_cmpstr (arg->key, ==, "bias");
  g_assert_null (arg->scalar);
  assert_mark (arg->value_mark, 11, 15);
  g_assert_cmpuint (arg->rows, ==, 0);
  g_assert_cmpuint (arg->cols, ==, 2);
  g_assert_cmpuint (arg->n_reals, ==, 2);
  g_assert_cmpfloat (arg->reals[0], ==, 0.5);
  g_assert_cmpfloat (arg->reals[1], ==, -1.0);

  layer = &graph->layers[3];
  g_assert_cmpstr (layer->plugin, ==, "softmax");
  assert_mark (layer->mark, 12, 7);
  g_assert_cmpuint (layer->n_args, ==, 0);

  g_assert_cmpstr (graph->loss.plugin, ==, "cross_entropy");
  assert_mark (graph->loss.mark, 13, 9);
  g_assert_cmpuint (graph->loss.n_args, ==, 0);

  /* The data sets, paths resolved against the graph's folder. */
  g_assert_cmpint (graph->train.kind, ==, BP_DATA_CSV);
  assert_mark (graph->train.mark, 15, 10);
  g_assert_cmpstr (graph->train.csv_path, ==, train);
  assert_mark (graph->train.csv_mark, 15, 16);
  g_assert_true (graph->train.header);
  g_assert_cmpstr (graph->train.label, ==, "species");
  assert_mark (graph->train.label_mark, 15, 38);
  g_assert_null (graph->train.targets);

  g_assert_cmpint (graph->test.kind, ==, BP_DATA_CSV);
  assert_mark (graph->test.mark, 16, 9);
  g_assert_cmpstr (graph->test.csv_path, ==, test);
  g_assert_false (graph->test.header);
  g_assert_null (graph->test.label);
  g_assert_nonnull (graph->test.targets);
  g_assert_cmpuint (g_strv_length (graph->test.targets), ==, 2);
  g_assert_cmpstr (graph->test.targets[0], ==, "5");
  g_assert_cmpstr (graph->test.targets[1], ==, "6");
  assert_mark (graph->test.targets_mark, 16, 57);
  g_assert_cmpfloat (graph->test_fraction, ==, 0.0);

  /* Training and output. */
  g_assert_cmpuint (graph->epochs, ==, 200);
  g_assert_cmpuint (graph->batch, ==, 16);
  g_assert_cmpint (graph->optimizer.kind, ==, BP_OPTIMIZER_SGD);
  g_assert_cmpfloat (graph->optimizer.learning_rate, ==, 0.05);
  g_assert_cmpint (graph->update, ==, BP_UPDATE_SEQUENTIAL);
  g_assert_cmpuint (graph->seed, ==, G_MAXUINT64);
  g_assert_false (graph->shuffle);
  g_assert_cmpuint (graph->threads, ==, 3);
  g_assert_cmpstr (graph->model_path, ==, model);
  g_assert_cmpstr (bp_graph_get_model_path (graph), ==, model);
}

/* The smallest graph: every optional key at its documented default, an
 * inline data set, flow-style layers and a loss with a parameter. */
static void
test_defaults (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = bp_test_write_file (f->dir, "graph.yaml",
    "version: 1\n"
    "network:\n"
    "  input: 2\n"
    "  layers: [{affine: {units: 2}}, logistic]\n"
    "  loss: {mse: {scale: 0.5}}\n"
    "data:\n"
    "  train: {inputs: [[0, 0], [0, 1], [1, 0]], targets: [[0], [1], [1]]}\n"
    "  test_fraction: 0.25\n"
    "training:\n"
    "  epochs: 10\n"
    "  optimizer:\n"
    "    sgd:\n"
    "      lr: 1e-2\n");
  static const double inputs[] = { 0, 0, 0, 1, 1, 0 };
  static const double targets[] = { 0, 1, 1 };
  g_autoptr (BpGraph) graph = NULL;
  gsize i;

  (void) user_data;
  graph = bp_graph_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (graph);

  g_assert_null (graph->plugin_path);
  g_assert_cmpuint (graph->input, ==, 2);
  g_assert_cmpuint (graph->n_layers, ==, 2);
  g_assert_cmpstr (graph->layers[0].plugin, ==, "affine");
  assert_mark (graph->layers[0].mark, 4, 13);
  g_assert_cmpuint (graph->layers[0].n_args, ==, 1);
  assert_scalar_arg (&graph->layers[0].args[0], "units", "2", 4, 22, 29);
  g_assert_cmpstr (graph->layers[1].plugin, ==, "logistic");
  assert_mark (graph->layers[1].mark, 4, 34);
  g_assert_cmpstr (graph->loss.plugin, ==, "mse");
  assert_mark (graph->loss.mark, 5, 10);
  g_assert_cmpuint (graph->loss.n_args, ==, 1);
  assert_scalar_arg (&graph->loss.args[0], "scale", "0.5", 5, 16, 23);

  g_assert_cmpint (graph->train.kind, ==, BP_DATA_INLINE);
  assert_mark (graph->train.mark, 7, 10);
  g_assert_cmpuint (graph->train.n_rows, ==, 3);
  g_assert_cmpuint (graph->train.n_input_cols, ==, 2);
  g_assert_cmpuint (graph->train.n_output_cols, ==, 1);
  for (i = 0; i < G_N_ELEMENTS (inputs); i++)
    g_assert_cmpfloat (graph->train.inputs[i], ==, inputs[i]);
  for (i = 0; i < G_N_ELEMENTS (targets); i++)
    g_assert_cmpfloat (graph->train.outputs[i], ==, targets[i]);
  g_assert_cmpint (graph->test.kind, ==, BP_DATA_NONE);
  g_assert_cmpfloat (graph->test_fraction, ==, 0.25);
  assert_mark (graph->test_fraction_mark, 8, 18);

  g_assert_cmpuint (graph->epochs, ==, 10);
  g_assert_cmpuint (graph->batch, ==, 1);
  g_assert_cmpint (graph->optimizer.kind, ==, BP_OPTIMIZER_SGD);
  g_assert_cmpfloat (graph->optimizer.learning_rate, ==, 0.01);
  g_assert_cmpfloat (graph->optimizer.weight_decay, ==, 0.0);
  g_assert_cmpint (graph->schedule.kind, ==, BP_SCHEDULE_NONE);
  g_assert_false (bp_graph_has_schedule (graph));
  g_assert_cmpint (graph->update, ==, BP_UPDATE_SIMULTANEOUS);
  g_assert_cmpuint (graph->seed, ==, 1);
  g_assert_true (graph->shuffle);
  g_assert_cmpuint (graph->threads, ==, 0);
  g_assert_null (graph->model_path);
}

/* A relative graph path: the folder is still absolute, so that the files
 * it names do not depend on the working folder later on. */
static void
test_relative_path (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = bp_test_write_file (f->dir, "graph.yaml",
                                              valid_graph);
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *here = NULL;
  g_autofree char *train = NULL;
  g_autoptr (BpGraph) graph = NULL;

  (void) user_data;
  g_assert_cmpint (g_chdir (f->dir), ==, 0);
  here = g_get_current_dir ();
  graph = bp_graph_load ("graph.yaml", &error);
  g_assert_cmpint (g_chdir (cwd), ==, 0);
  g_assert_no_error (error);

  train = g_build_filename (here, "data", "iris.csv", NULL);
  g_assert_cmpstr (graph->path, ==, "graph.yaml");
  g_assert_cmpstr (graph->dir, ==, here);
  g_assert_cmpstr (graph->train.csv_path, ==, train);
}

static void
test_setters (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = bp_test_write_file (f->dir, "graph.yaml",
                                              valid_graph);
  g_autoptr (BpGraph) graph = bp_graph_load (path, &error);

  (void) user_data;
  g_assert_no_error (error);

  bp_graph_set_epochs (graph, 7);
  g_assert_cmpuint (graph->epochs, ==, 7);
  bp_graph_set_seed (graph, G_GUINT64_CONSTANT (0x100000002));
  g_assert_cmpuint (graph->seed, ==, G_GUINT64_CONSTANT (0x100000002));
  bp_graph_set_threads (graph, 1);
  g_assert_cmpuint (graph->threads, ==, 1);
  bp_graph_set_threads (graph, 0);
  g_assert_cmpuint (graph->threads, ==, 0);

  /* Taken as given: not resolved against the graph's folder. */
  bp_graph_set_model_path (graph, "elsewhere/m.yaml");
  g_assert_cmpstr (bp_graph_get_model_path (graph), ==, "elsewhere/m.yaml");
  bp_graph_set_model_path (graph, NULL);
  g_assert_null (bp_graph_get_model_path (graph));
}

/* Solve mode with every key: no data, and the training settings of
 * normal mode at their defaults. */
static void
test_solve (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = bp_test_write_file (f->dir, "graph.yaml",
    "version: 1\n"
    "network:\n"
    "  input: 2\n"
    "  layers: [{power: {exponents: [2, 3]}}, sum]\n"
    "  loss: target\n"
    "training:\n"
    "  solve: input\n"
    "  target: -3.5\n"
    "  rule: gradient_sign\n"
    "  lr: 1e-5\n"
    "  start: [1, -2.5]\n"
    "  updates: 10000\n"
    "  tolerance: 1e-9\n"
    "  name: w\n"
    "output: {}\n");
  g_autoptr (BpGraph) graph = NULL;

  (void) user_data;
  graph = bp_graph_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (graph);

  g_assert_true (graph->solve);
  g_assert_true (bp_graph_solves (graph));
  g_assert_cmpfloat (graph->solve_target, ==, -3.5);
  g_assert_cmpfloat (bp_graph_get_solve_target (graph), ==, -3.5);
  assert_mark (graph->solve_target_mark, 8, 11);
  g_assert_cmpint (graph->solve_rule, ==, BP_SOLVE_GRADIENT_SIGN);
  assert_mark (graph->solve_rule_mark, 9, 9);
  g_assert_cmpfloat (graph->solve_lr, ==, 1e-5);
  assert_mark (graph->solve_lr_mark, 10, 7);
  g_assert_nonnull (graph->solve_start);
  g_assert_cmpfloat (graph->solve_start[0], ==, 1.0);
  g_assert_cmpfloat (graph->solve_start[1], ==, -2.5);
  assert_mark (graph->solve_start_mark, 11, 10);
  g_assert_cmpuint (graph->solve_updates, ==, 10000);
  assert_mark (graph->solve_updates_mark, 12, 12);
  g_assert_cmpfloat (graph->solve_tolerance, ==, 1e-9);
  g_assert_cmpstr (graph->solve_name, ==, "w");
  g_assert_cmpstr (bp_graph_get_solve_name (graph), ==, "w");

  g_assert_cmpint (graph->train.kind, ==, BP_DATA_NONE);
  g_assert_cmpuint (graph->epochs, ==, 0);
  g_assert_cmpfloat (graph->optimizer.learning_rate, ==, 0.0);
  g_assert_false (bp_graph_has_schedule (graph));
  g_assert_null (graph->model_path);
}

/* The smallest solve graph: the tangent rule, no lr, tolerance or name. */
static void
test_solve_defaults (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = bp_test_write_file (f->dir, "graph.yaml",
    "version: 1\n"
    "network: {input: 1, layers: [{power: {exponents: [2]}}], "
    "loss: target}\n"
    "training: {solve: input, target: 8, rule: tangent, start: [3], "
    "updates: 4}\n");
  g_autofree char *normal = bp_test_write_file (f->dir, "normal.yaml",
                                                valid_graph);
  g_autoptr (BpGraph) graph = NULL;
  g_autoptr (BpGraph) trains = NULL;

  (void) user_data;
  graph = bp_graph_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (bp_graph_solves (graph));
  g_assert_cmpint (graph->solve_rule, ==, BP_SOLVE_TANGENT);
  g_assert_cmpfloat (graph->solve_target, ==, 8.0);
  g_assert_cmpfloat (graph->solve_lr, ==, 0.0);
  g_assert_cmpfloat (graph->solve_start[0], ==, 3.0);
  g_assert_cmpuint (graph->solve_updates, ==, 4);
  g_assert_cmpfloat (graph->solve_tolerance, ==, 0.0);
  g_assert_cmpstr (bp_graph_get_solve_name (graph), ==, "x");

  /* A graph that trains is not in solve mode and has no name for x. */
  trains = bp_graph_load (normal, &error);
  g_assert_no_error (error);
  g_assert_false (bp_graph_solves (trains));
  g_assert_null (bp_graph_get_solve_name (trains));
}

/* An IDX data set: both files resolved like csv, the limit and the marks;
 * a data set without limit has 0, all its rows. */
static void
test_idx_data (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = bp_test_write_file (f->dir, "graph.yaml",
    "version: 1\n"
    "network: {input: 4, layers: [relu], loss: mse}\n"
    "data:\n"
    "  train: {images: mnist/i.gz, labels: /data/l, limit: 500}\n"
    "  test: {csv: t.csv, label: y}\n"
    "training: {epochs: 1, optimizer: {sgd: {lr: 0.1}}}\n");
  g_autofree char *images = g_build_filename (f->dir, "mnist", "i.gz",
                                              NULL);
  g_autoptr (BpGraph) graph = NULL;

  (void) user_data;
  graph = bp_graph_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (graph);
  g_assert_cmpint (graph->train.kind, ==, BP_DATA_IDX);
  g_assert_cmpstr (graph->train.images_path, ==, images);
  assert_mark (graph->train.images_mark, 4, 19);
  g_assert_cmpstr (graph->train.labels_path, ==, "/data/l");
  assert_mark (graph->train.labels_mark, 4, 39);
  g_assert_cmpuint (graph->train.limit, ==, 500);
  assert_mark (graph->train.limit_mark, 4, 55);
  g_assert_null (graph->train.csv_path);
  g_assert_cmpint (graph->test.kind, ==, BP_DATA_CSV);
  g_assert_cmpuint (graph->test.limit, ==, 0);
}

static void
test_missing_file (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "nowhere.yaml", NULL);
  g_autofree char *message = g_strdup_printf (
    "%s: cannot read the graph file: %s", path, g_strerror (ENOENT));
  g_autoptr (BpGraph) graph = NULL;

  (void) user_data;
  graph = bp_graph_load (path, &error);
  g_assert_null (graph);
  g_assert_error (error, BP_ERROR, BP_ERROR_IO);
  g_assert_cmpstr (error->message, ==, message);
}

/* The parts of a small valid graph, so that each case below changes one
 * thing. Lines: 1 version, 2-5 network, 6-7 data, 8-10 training. */
#define VERSION "version: 1\n"
#define NETWORK \
  "network:\n  input: 2\n  layers: [relu]\n  loss: mse\n"
#define DATA "data:\n  train: {csv: t.csv, label: y}\n"
#define TRAINING \
  "training:\n  epochs: 5\n  optimizer: {sgd: {lr: 0.1}}\n"

/* A small valid solve graph, for the same. Lines: 1 version, 2-5 network,
 * 6-11 training (7 solve, 8 target, 9 rule, 10 start, 11 updates). */
#define SOLVE_NETWORK \
  "network:\n  input: 1\n  layers: [{power: {exponents: [2]}}]\n" \
  "  loss: target\n"
#define SOLVE_HEAD "training:\n  solve: input\n  target: 8\n"
#define SOLVE SOLVE_HEAD "  rule: tangent\n  start: [3]\n  updates: 4\n"
#define SOLVE_SIGN(lr) \
  SOLVE_HEAD "  rule: gradient_sign\n  start: [3]\n  updates: 4\n" lr

/* A mistake, and the message that follows "PATH:". */
typedef struct {
  const char *name;
  const char *text;
  const char *message;
} BadGraph;

static const BadGraph bad_graphs[] = {
  /* Not a graph at all. */
  { "yaml-flow", VERSION "network: [relu\n",
    "3:1: invalid YAML: did not find expected ',' or ']' "
    "while parsing a flow sequence" },
  { "yaml-mapping", VERSION "network: a: b\n",
    "2:11: invalid YAML: mapping values are not allowed in this context" },
  { "yaml-utf8", VERSION "network: \xff\n",
    "2:10: invalid YAML: invalid leading UTF-8 octet" },
  { "empty", "", " empty graph file; expected a mapping with version, "
    "network, data and training" },
  { "comment-only", "# nothing yet\n", " empty graph file; expected a "
    "mapping with version, network, data and training" },
  { "list", "- version: 1\n",
    "1:1: expected a mapping at the top level, got a list" },
  { "two-documents", VERSION NETWORK DATA TRAINING "---\nversion: 1\n",
    "11:1: a graph file holds one YAML document; a second one starts here" },

  /* The version. */
  { "version-2", "version: 2\n" NETWORK DATA TRAINING,
    "1:10: unsupported graph version 2; this bpframe reads version 1" },
  { "version-word", "version: one\n" NETWORK DATA TRAINING,
    "1:10: version: expected an integer, got 'one'" },
  { "version-missing", NETWORK DATA TRAINING,
    "1:1: missing required key 'version' at the top level" },

  /* Unknown keys, at every level. */
  { "unknown-top", VERSION "networks: 1\n" NETWORK DATA TRAINING,
    "2:1: unknown key 'networks' at the top level; expected one of "
    "version, plugin_path, network, data, training, output" },
  { "unknown-network", VERSION
    "network:\n  input: 2\n  units: 3\n  layers: [relu]\n  loss: mse\n"
    DATA TRAINING,
    "4:3: unknown key 'units' in network; expected one of input, layers, "
    "loss" },
  { "unknown-data", VERSION NETWORK DATA "  tests: {csv: u.csv, label: y}\n"
    TRAINING,
    "8:3: unknown key 'tests' in data; expected one of train, test, "
    "test_fraction" },
  { "unknown-csv", VERSION NETWORK "data:\n  train: {csv: t.csv, lable: y}\n"
    TRAINING,
    "7:23: unknown key 'lable' in train; expected one of csv, header, "
    "label, targets, limit" },
  { "unknown-set", VERSION NETWORK "data:\n  train: {cvs: t.csv, label: y}\n"
    TRAINING,
    "7:11: unknown key 'cvs' in train; expected one of csv, header, label, "
    "targets, images, labels, limit, inputs" },
  { "unknown-training", VERSION NETWORK DATA
    "training:\n  epoch: 5\n  optimizer: {sgd: {lr: 0.1}}\n",
    "9:3: unknown key 'epoch' in training; expected one of epochs, batch, "
    "optimizer, schedule, weight_decay, update, seed, shuffle, threads" },
  { "unknown-sgd", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {sgd: {rate: 0.1}}\n",
    "10:21: unknown key 'rate' in sgd; expected one of lr" },
  { "unknown-output", VERSION NETWORK DATA TRAINING
    "output:\n  models: m.yaml\n",
    "12:3: unknown key 'models' in output; expected one of model" },
  { "unknown-optimizer", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {rmsprop: {lr: 0.1}}\n",
    "10:15: unknown optimizer 'rmsprop'; expected one of sgd, momentum, "
    "adam" },
  { "unknown-momentum", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {momentum: {lr: 0.1, mu: 0.9}}\n",
    "10:35: unknown key 'mu' in momentum; expected one of lr, momentum, "
    "nesterov" },
  { "unknown-adam", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {adam: {lr: 0.1, eps: 1}}\n",
    "10:31: unknown key 'eps' in adam; expected one of lr, beta1, beta2, "
    "epsilon" },
  { "unknown-schedule", VERSION NETWORK DATA TRAINING
    "  schedule: {linear: {}}\n",
    "11:14: unknown schedule 'linear'; expected one of step, cosine" },
  { "unknown-step", VERSION NETWORK DATA TRAINING
    "  schedule: {step: {every: 2, factor: 0.5, gamma: 1}}\n",
    "11:44: unknown key 'gamma' in step; expected one of every, factor" },
  { "unknown-cosine", VERSION NETWORK DATA TRAINING
    "  schedule: {cosine: {min: 0}}\n",
    "11:23: unknown key 'min' in cosine; expected one of min_lr" },

  /* Duplicate keys. */
  { "duplicate", VERSION NETWORK DATA TRAINING "  epochs: 6\n",
    "11:3: duplicate key 'epochs' (first at line 9)" },
  { "duplicate-parameter", VERSION
    "network:\n  input: 2\n  layers: [{affine: {units: 2, units: 3}}]\n"
    "  loss: mse\n" DATA TRAINING,
    "4:32: duplicate key 'units' (first at line 4)" },

  /* Wrong types and ranges. */
  { "epochs-word", VERSION NETWORK DATA
    "training:\n  epochs: ten\n  optimizer: {sgd: {lr: 0.1}}\n",
    "9:11: epochs: expected a positive integer, got 'ten'" },
  { "epochs-zero", VERSION NETWORK DATA
    "training:\n  epochs: 0\n  optimizer: {sgd: {lr: 0.1}}\n",
    "9:11: epochs: expected a positive integer, got '0'" },
  { "epochs-junk", VERSION NETWORK DATA
    "training:\n  epochs: 10abc\n  optimizer: {sgd: {lr: 0.1}}\n",
    "9:11: epochs: expected a positive integer, got '10abc'" },
  { "epochs-real", VERSION NETWORK DATA
    "training:\n  epochs: 2.5\n  optimizer: {sgd: {lr: 0.1}}\n",
    "9:11: epochs: expected a positive integer, got '2.5'" },
  { "epochs-large", VERSION NETWORK DATA
    "training:\n  epochs: 4294967296\n  optimizer: {sgd: {lr: 0.1}}\n",
    "9:11: epochs: 4294967296 is too large; at most 4294967295" },
  { "epochs-list", VERSION NETWORK DATA
    "training:\n  epochs: [5]\n  optimizer: {sgd: {lr: 0.1}}\n",
    "9:11: epochs: expected a positive integer, got a list" },
  { "epochs-nothing", VERSION NETWORK DATA
    "training:\n  epochs:\n  optimizer: {sgd: {lr: 0.1}}\n",
    "9:10: epochs: expected a positive integer, got nothing" },
  { "batch-negative", VERSION NETWORK DATA TRAINING "  batch: -1\n",
    "11:10: batch: expected a positive integer, got '-1'" },
  { "lr-word", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {sgd: {lr: abc}}\n",
    "10:25: lr: expected a positive number, got 'abc'" },
  { "lr-zero", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {sgd: {lr: 0}}\n",
    "10:25: lr: expected a positive number, got '0'" },
  { "lr-infinite", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {sgd: {lr: 1e999}}\n",
    "10:25: lr: expected a positive number, got '1e999'" },
  { "lr-nan", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {sgd: {lr: nan}}\n",
    "10:25: lr: expected a positive number, got 'nan'" },
  { "optimizer-scalar", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: sgd\n",
    "10:14: optimizer: expected one optimizer mapped to its settings, as "
    "{sgd: {lr: 0.05}}, got 'sgd'" },
  { "momentum-one", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {momentum: {lr: 1, momentum: 1}}\n",
    "10:43: momentum: expected a number between 0 and 1 (both excluded), "
    "got '1'" },
  { "nesterov-yes", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {momentum: {lr: 1, nesterov: yes}}"
    "\n",
    "10:43: nesterov: expected true or false, got 'yes'" },
  { "momentum-lr-zero", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {momentum: {lr: 0}}\n",
    "10:30: lr: expected a positive number, got '0'" },
  { "beta1-zero", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {adam: {lr: 1, beta1: 0}}\n",
    "10:36: beta1: expected a number between 0 and 1 (both excluded), "
    "got '0'" },
  { "beta2-word", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {adam: {lr: 1, beta2: high}}\n",
    "10:36: beta2: expected a number between 0 and 1 (both excluded), "
    "got 'high'" },
  { "epsilon-zero", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {adam: {lr: 1, epsilon: 0}}\n",
    "10:38: epsilon: expected a positive number, got '0'" },
  { "schedule-scalar", VERSION NETWORK DATA TRAINING "  schedule: cosine\n",
    "11:13: schedule: expected one schedule mapped to its settings, as "
    "{step: {every: 10, factor: 0.5}}, got 'cosine'" },
  { "every-zero", VERSION NETWORK DATA TRAINING
    "  schedule: {step: {every: 0, factor: 0.5}}\n",
    "11:28: every: expected a positive integer, got '0'" },
  { "factor-one", VERSION NETWORK DATA TRAINING
    "  schedule: {step: {every: 2, factor: 1}}\n",
    "11:39: factor: expected a number between 0 and 1 (both excluded), "
    "got '1'" },
  { "min-lr-negative", VERSION NETWORK DATA TRAINING
    "  schedule: {cosine: {min_lr: -1}}\n",
    "11:31: min_lr: expected a number, 0 or more, got '-1'" },
  { "min-lr-above-lr", VERSION NETWORK DATA TRAINING
    "  schedule: {cosine: {min_lr: 0.1}}\n",
    "11:31: min_lr: expected a number below the optimizer's lr (0.1), "
    "got '0.1'" },
  { "weight-decay-negative", VERSION NETWORK DATA TRAINING
    "  weight_decay: -1e-4\n",
    "11:17: weight_decay: expected a number, 0 or more, got '-1e-4'" },
  { "weight-decay-list", VERSION NETWORK DATA TRAINING
    "  weight_decay: [0]\n",
    "11:17: weight_decay: expected a number, 0 or more, got a list" },
  { "seed-negative", VERSION NETWORK DATA TRAINING "  seed: -1\n",
    "11:9: seed: expected an unsigned 64-bit integer, got '-1'" },
  { "seed-large", VERSION NETWORK DATA TRAINING
    "  seed: 18446744073709551616\n",
    "11:9: seed: 18446744073709551616 is too large; at most "
    "18446744073709551615" },
  { "threads-zero", VERSION NETWORK DATA TRAINING "  threads: 0\n",
    "11:12: threads: expected a positive integer, got '0'" },
  { "threads-negative", VERSION NETWORK DATA TRAINING "  threads: -1\n",
    "11:12: threads: expected a positive integer, got '-1'" },
  { "threads-word", VERSION NETWORK DATA TRAINING "  threads: two\n",
    "11:12: threads: expected a positive integer, got 'two'" },
  { "threads-real", VERSION NETWORK DATA TRAINING "  threads: 1.5\n",
    "11:12: threads: expected a positive integer, got '1.5'" },
  { "threads-large", VERSION NETWORK DATA TRAINING
    "  threads: 2147483648\n",
    "11:12: threads: 2147483648 is too large; at most 2147483647" },
  { "shuffle-yes", VERSION NETWORK DATA TRAINING "  shuffle: yes\n",
    "11:12: shuffle: expected true or false, got 'yes'" },
  { "update-word", VERSION NETWORK DATA TRAINING "  update: parallel\n",
    "11:11: update: expected simultaneous or sequential, got 'parallel'" },
  { "header-yes", VERSION NETWORK
    "data:\n  train: {csv: t.csv, header: yes, label: y}\n" TRAINING,
    "7:31: header: expected true or false, got 'yes'" },
  { "fraction-large", VERSION NETWORK DATA "  test_fraction: 1.5\n"
    TRAINING,
    "8:18: test_fraction: expected a number between 0 and 1 (both "
    "excluded), got '1.5'" },
  { "input-word", VERSION
    "network:\n  input: two\n  layers: [relu]\n  loss: mse\n" DATA TRAINING,
    "3:10: input: expected a positive integer, got 'two'" },
  { "plugin-path-scalar", VERSION "plugin_path: plugins\n" NETWORK DATA
    TRAINING,
    "2:14: plugin_path: expected a list of folders, got 'plugins'" },
  { "long-scalar", VERSION NETWORK DATA
    "training:\n  epochs: abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ\n"
    "  optimizer: {sgd: {lr: 0.1}}\n",
    "9:11: epochs: expected a positive integer, got "
    "'abcdefghijklmnopqrstuvwxyz0123456789A...'" },

  /* Missing required keys, reported at the mapping that lacks them. */
  { "missing-network", VERSION DATA TRAINING,
    "1:1: missing required key 'network' at the top level" },
  { "missing-epochs", VERSION NETWORK DATA
    "training:\n  optimizer: {sgd: {lr: 0.1}}\n",
    "9:3: missing required key 'epochs' in training" },
  { "missing-lr", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {sgd: {}}\n",
    "10:20: missing required key 'lr' in sgd" },
  { "missing-lr-null", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {sgd: }\n",
    "10:15: missing required key 'lr' in sgd" },
  { "missing-lr-adam", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {adam: {beta1: 0.5}}\n",
    "10:21: missing required key 'lr' in adam" },
  { "missing-lr-momentum-null", VERSION NETWORK DATA
    "training:\n  epochs: 5\n  optimizer: {momentum: }\n",
    "10:15: missing required key 'lr' in momentum" },
  { "missing-every", VERSION NETWORK DATA TRAINING
    "  schedule: {step: {factor: 0.5}}\n",
    "11:20: missing required key 'every' in step" },
  { "missing-every-null", VERSION NETWORK DATA TRAINING
    "  schedule: {step: }\n",
    "11:14: missing required key 'every' in step" },
  { "missing-factor", VERSION NETWORK DATA TRAINING
    "  schedule: {step: {every: 3}}\n",
    "11:20: missing required key 'factor' in step" },
  { "missing-train", VERSION NETWORK
    "data:\n  test: {csv: t.csv, label: y}\n" TRAINING,
    "7:3: missing required key 'train' in data" },
  { "missing-label", VERSION NETWORK "data:\n  train: {csv: t.csv}\n"
    TRAINING,
    "7:10: missing required key 'label' or 'targets' in train" },
  { "missing-set", VERSION NETWORK "data:\n  train: {header: true}\n"
    TRAINING,
    "7:10: missing required key 'csv', 'images' or 'inputs' in train" },

  /* Layers, losses and their parameters. */
  { "layers-empty", VERSION
    "network:\n  input: 2\n  layers: []\n  loss: mse\n" DATA TRAINING,
    "4:11: layers: expected a list of at least one layer, got an empty "
    "list" },
  { "layer-two-keys", VERSION
    "network:\n  input: 2\n  layers:\n    - affine:\n      units: 3\n"
    "  loss: mse\n" DATA TRAINING,
    "5:7: layer 1: expected one key, the plugin name, got 2 keys (affine, "
    "units); indent the parameters under the name" },
  { "layer-list", VERSION
    "network:\n  input: 2\n  layers: [[relu]]\n  loss: mse\n" DATA TRAINING,
    "4:12: layer 1: expected a plugin name, or a plugin name mapped to its "
    "parameters, got a list" },
  { "loss-missing-value", VERSION
    "network:\n  input: 2\n  layers: [relu]\n  loss:\n" DATA TRAINING,
    "5:8: loss: expected a plugin name, or a plugin name mapped to its "
    "parameters, got nothing" },
  { "parameters-scalar", VERSION
    "network:\n  input: 2\n  layers: [{affine: 8}]\n  loss: mse\n"
    DATA TRAINING,
    "4:21: affine: expected a mapping of parameters, got '8'" },
  { "weights-ragged", VERSION
    "network:\n  input: 2\n  layers:\n    - affine:\n"
    "        weights: [[1, 2], [3, 4, 5]]\n  loss: mse\n" DATA TRAINING,
    "6:27: weights: row 2 has 3 numbers; row 1 has 2" },
  { "weights-word", VERSION
    "network:\n  input: 2\n  layers:\n    - affine:\n"
    "        weights: [[1, 2], [3, x]]\n  loss: mse\n" DATA TRAINING,
    "6:31: weights: expected a number, got 'x'" },
  { "weights-row-scalar", VERSION
    "network:\n  input: 2\n  layers:\n    - affine:\n"
    "        weights: [[1, 2], 3]\n  loss: mse\n" DATA TRAINING,
    "6:27: weights: row 2: expected a list of numbers, got '3'" },
  { "bias-word", VERSION
    "network:\n  input: 2\n  layers:\n    - affine:\n"
    "        bias: [1, two]\n  loss: mse\n" DATA TRAINING,
    "6:19: bias: expected a number, got 'two'" },
  { "parameter-mapping", VERSION
    "network:\n  input: 2\n  layers:\n    - affine:\n"
    "        units: {n: 2}\n  loss: mse\n" DATA TRAINING,
    "6:16: units: expected a value or a list of numbers, got a mapping" },

  /* Data sets. */
  { "test-and-fraction", VERSION NETWORK DATA
    "  test: {csv: u.csv, label: y}\n  test_fraction: 0.2\n" TRAINING,
    "9:3: test_fraction cannot be used together with test (line 8)" },
  { "label-and-targets", VERSION NETWORK
    "data:\n  train: {csv: t.csv, label: y, targets: [z]}\n" TRAINING,
    "7:33: give either label or targets in train, not both" },
  { "targets-twice", VERSION NETWORK
    "data:\n  train: {csv: t.csv, targets: [z, z]}\n" TRAINING,
    "7:36: targets: column 'z' is listed twice" },
  { "inline-rows", VERSION NETWORK
    "data:\n  train: {inputs: [[0], [1]], targets: [[1]]}\n" TRAINING,
    "7:40: targets has 1 row; inputs has 2" },
  { "inline-flat", VERSION NETWORK
    "data:\n  train: {inputs: [0, 1], targets: [[1], [0]]}\n" TRAINING,
    "7:20: inputs: row 1: expected a list of numbers, got '0'" },
  { "csv-empty-path", VERSION NETWORK
    "data:\n  train: {csv: '', label: y}\n" TRAINING,
    "7:16: csv: expected a file path, got ''" },
  { "idx-missing-labels", VERSION NETWORK
    "data:\n  train: {images: i.gz}\n" TRAINING,
    "7:10: missing required key 'labels' in train" },
  { "idx-missing-images", VERSION NETWORK
    "data:\n  train: {labels: l.gz, limit: 5}\n" TRAINING,
    "7:10: missing required key 'images' in train" },
  { "idx-unknown", VERSION NETWORK
    "data:\n  train: {images: i.gz, labels: l.gz, label: y}\n" TRAINING,
    "7:39: unknown key 'label' in train; expected one of images, labels, "
    "limit" },
  { "idx-images-empty", VERSION NETWORK
    "data:\n  train: {images: '', labels: l.gz}\n" TRAINING,
    "7:19: images: expected a file path, got ''" },
  { "idx-labels-list", VERSION NETWORK
    "data:\n  train: {images: i.gz, labels: [l.gz]}\n" TRAINING,
    "7:33: labels: expected a file path, got a list" },
  { "csv-and-images", VERSION NETWORK
    "data:\n  train: {csv: t.csv, images: i.gz}\n" TRAINING,
    "7:23: unknown key 'images' in train; expected one of csv, header, "
    "label, targets, limit" },
  { "limit-zero", VERSION NETWORK
    "data:\n  train: {csv: t.csv, label: y, limit: 0}\n" TRAINING,
    "7:40: limit: expected a positive integer, got '0'" },
  { "limit-word", VERSION NETWORK
    "data:\n  train: {images: i.gz, labels: l.gz, limit: ten}\n" TRAINING,
    "7:46: limit: expected a positive integer, got 'ten'" },
  { "limit-inline", VERSION NETWORK
    "data:\n  train: {inputs: [[0]], targets: [[1]], limit: 1}\n" TRAINING,
    "7:42: unknown key 'limit' in train; expected one of inputs, targets" },

  /* Solve mode: what it has no use for. */
  { "solve-data", VERSION SOLVE_NETWORK DATA SOLVE,
    "6:1: data is not used when training solves for the input" },
  { "solve-epochs", VERSION SOLVE_NETWORK SOLVE "  epochs: 5\n",
    "12:3: epochs is not used when training solves for the input" },
  { "solve-optimizer", VERSION SOLVE_NETWORK
    "training:\n  optimizer: {sgd: {lr: 0.1}}\n  solve: input\n",
    "7:3: optimizer is not used when training solves for the input" },
  { "solve-schedule", VERSION SOLVE_NETWORK SOLVE
    "  schedule: {cosine: }\n",
    "12:3: schedule is not used when training solves for the input" },
  { "solve-weight-decay", VERSION SOLVE_NETWORK SOLVE
    "  weight_decay: 0.1\n",
    "12:3: weight_decay is not used when training solves for the input" },
  { "solve-seed", VERSION SOLVE_NETWORK SOLVE "  seed: 3\n",
    "12:3: seed is not used when training solves for the input" },
  { "solve-threads", VERSION SOLVE_NETWORK SOLVE "  threads: 2\n",
    "12:3: threads is not used when training solves for the input" },
  { "solve-model", VERSION SOLVE_NETWORK SOLVE "output:\n  model: m.yaml\n",
    "13:3: model is not used when training solves for the input" },
  { "solve-tangent-lr", VERSION SOLVE_NETWORK SOLVE "  lr: 0.1\n",
    "12:3: lr is not used by the tangent rule" },
  { "solve-tangent-inputs", VERSION
    "network:\n  input: 2\n  layers: [{power: {exponents: [2, 3]}}, sum]\n"
    "  loss: target\n" SOLVE,
    "9:9: the tangent rule needs a single input; network.input is 2 "
    "(gradient_sign takes several)" },
  { "solve-unknown", VERSION SOLVE_NETWORK SOLVE "  steps: 3\n",
    "12:3: unknown key 'steps' in training; expected one of solve, target, "
    "rule, lr, start, updates, tolerance, name" },

  /* Solve mode: missing keys and wrong values. */
  { "solve-value", VERSION SOLVE_NETWORK
    "training:\n  solve: output\n  target: 8\n",
    "7:10: solve: expected input, got 'output'" },
  { "solve-missing-target", VERSION SOLVE_NETWORK
    "training:\n  solve: input\n  rule: tangent\n",
    "7:3: missing required key 'target' in training" },
  { "solve-target-word", VERSION SOLVE_NETWORK
    "training:\n  solve: input\n  target: eight\n",
    "8:11: target: expected a number, got 'eight'" },
  { "solve-missing-rule", VERSION SOLVE_NETWORK SOLVE_HEAD,
    "7:3: missing required key 'rule' in training" },
  { "solve-rule-word", VERSION SOLVE_NETWORK SOLVE_HEAD "  rule: newton\n",
    "9:9: rule: expected tangent or gradient_sign, got 'newton'" },
  { "solve-missing-lr", VERSION SOLVE_NETWORK SOLVE_SIGN (""),
    "7:3: missing required key 'lr' in training" },
  { "solve-lr-zero", VERSION SOLVE_NETWORK SOLVE_SIGN ("  lr: 0\n"),
    "12:7: lr: expected a positive number, got '0'" },
  { "solve-missing-start", VERSION SOLVE_NETWORK
    SOLVE_HEAD "  rule: tangent\n  updates: 4\n",
    "7:3: missing required key 'start' in training" },
  { "solve-start-scalar", VERSION SOLVE_NETWORK
    SOLVE_HEAD "  rule: tangent\n  start: 3\n",
    "10:10: start: expected a list of numbers, got '3'" },
  { "solve-start-word", VERSION SOLVE_NETWORK
    SOLVE_HEAD "  rule: tangent\n  start: [x]\n",
    "10:11: start: expected a number, got 'x'" },
  { "solve-start-width", VERSION SOLVE_NETWORK
    SOLVE_HEAD "  rule: tangent\n  start: [3, 4]\n",
    "10:10: start has 2 numbers; network.input is 1" },
  { "solve-missing-updates", VERSION SOLVE_NETWORK
    SOLVE_HEAD "  rule: tangent\n  start: [3]\n",
    "7:3: missing required key 'updates' in training" },
  { "solve-updates-zero", VERSION SOLVE_NETWORK
    SOLVE_HEAD "  rule: tangent\n  start: [3]\n  updates: 0\n",
    "11:12: updates: expected a positive integer, got '0'" },
  { "solve-tolerance-negative", VERSION SOLVE_NETWORK SOLVE
    "  tolerance: -1\n",
    "12:14: tolerance: expected a positive number, got '-1'" },
  { "solve-name-empty", VERSION SOLVE_NETWORK SOLVE "  name: ''\n",
    "12:9: name: expected a name, got ''" },
};

/* Loads VERSION NETWORK DATA followed by training, which must be valid. */
static BpGraph *
load_training (Fixture *f, const char *training)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = g_strconcat (VERSION NETWORK DATA, training, NULL);
  g_autofree char *path = bp_test_write_file (f->dir, "graph.yaml", text);
  BpGraph *graph = bp_graph_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (graph);
  return graph;
}

/* Every optimizer and schedule with its defaults, then with every setting
 * written out. */
static void
test_optimizers (Fixture *f, gconstpointer user_data)
{
  g_autoptr (BpGraph) momentum = NULL;
  g_autoptr (BpGraph) nesterov = NULL;
  g_autoptr (BpGraph) adam = NULL;
  g_autoptr (BpGraph) adam_set = NULL;
  g_autoptr (BpGraph) cosine = NULL;
  g_autoptr (BpGraph) cosine_min = NULL;

  (void) user_data;
  momentum = load_training (f, "training:\n  epochs: 5\n"
                               "  optimizer: {momentum: {lr: 0.01}}\n");
  g_assert_cmpint (momentum->optimizer.kind, ==, BP_OPTIMIZER_MOMENTUM);
  g_assert_cmpfloat (momentum->optimizer.learning_rate, ==, 0.01);
  g_assert_cmpfloat (momentum->optimizer.momentum, ==, 0.9);
  g_assert_false (momentum->optimizer.nesterov);
  g_assert_cmpfloat (momentum->optimizer.weight_decay, ==, 0.0);

  nesterov = load_training (f, "training:\n  epochs: 5\n"
                               "  optimizer:\n"
                               "    momentum: {lr: 0.5, momentum: 0.25,"
                               " nesterov: true}\n"
                               "  weight_decay: 1e-4\n"
                               "  schedule: {step: {every: 5, factor: 0.5}}"
                               "\n");
  g_assert_cmpfloat (nesterov->optimizer.learning_rate, ==, 0.5);
  g_assert_cmpfloat (nesterov->optimizer.momentum, ==, 0.25);
  g_assert_true (nesterov->optimizer.nesterov);
  g_assert_cmpfloat (nesterov->optimizer.weight_decay, ==, 1e-4);
  g_assert_cmpint (nesterov->schedule.kind, ==, BP_SCHEDULE_STEP);
  g_assert_cmpuint (nesterov->schedule.every, ==, 5);
  g_assert_cmpfloat (nesterov->schedule.factor, ==, 0.5);
  g_assert_true (bp_graph_has_schedule (nesterov));

  adam = load_training (f, "training:\n  epochs: 5\n"
                           "  optimizer: {adam: {lr: 0.001}}\n"
                           "  weight_decay: 0\n");
  g_assert_cmpint (adam->optimizer.kind, ==, BP_OPTIMIZER_ADAM);
  g_assert_cmpfloat (adam->optimizer.learning_rate, ==, 0.001);
  g_assert_cmpfloat (adam->optimizer.beta1, ==, 0.9);
  g_assert_cmpfloat (adam->optimizer.beta2, ==, 0.999);
  g_assert_cmpfloat (adam->optimizer.epsilon, ==, 1e-8);
  g_assert_cmpfloat (adam->optimizer.weight_decay, ==, 0.0);
  g_assert_false (bp_graph_has_schedule (adam));

  adam_set = load_training (f, "training:\n  epochs: 5\n"
                               "  optimizer:\n"
                               "    adam: {lr: 2e-3, beta1: 0.8,"
                               " beta2: 0.99, epsilon: 1e-6}\n");
  g_assert_cmpfloat (adam_set->optimizer.learning_rate, ==, 2e-3);
  g_assert_cmpfloat (adam_set->optimizer.beta1, ==, 0.8);
  g_assert_cmpfloat (adam_set->optimizer.beta2, ==, 0.99);
  g_assert_cmpfloat (adam_set->optimizer.epsilon, ==, 1e-6);

  cosine = load_training (f, TRAINING "  schedule: {cosine: }\n");
  g_assert_cmpint (cosine->schedule.kind, ==, BP_SCHEDULE_COSINE);
  g_assert_cmpfloat (cosine->schedule.min_lr, ==, 0.0);
  g_assert_true (bp_graph_has_schedule (cosine));

  cosine_min = load_training (f, TRAINING
                                 "  schedule: {cosine: {min_lr: 0.01}}\n");
  g_assert_cmpint (cosine_min->schedule.kind, ==, BP_SCHEDULE_COSINE);
  g_assert_cmpfloat (cosine_min->schedule.min_lr, ==, 0.01);
}

static void
test_bad (Fixture *f, gconstpointer user_data)
{
  const BadGraph *bad = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = bp_test_write_file (f->dir, "graph.yaml", bad->text);
  g_autofree char *message = NULL;
  g_autoptr (BpGraph) graph = NULL;

  /* The table's messages start at the line, or at the space after
   * "PATH:" for a message about the whole file. */
  message = g_strdup_printf ("%s:%s", path, bad->message);
  graph = bp_graph_load (path, &error);
  g_assert_null (graph);
  g_assert_error (error, BP_ERROR, BP_ERROR_GRAPH);
  g_assert_cmpstr (error->message, ==, message);
}

int
main (int argc, char *argv[])
{
  gsize i;

  g_test_init (&argc, &argv, NULL);

  g_test_add ("/graph/valid", Fixture, NULL, bp_test_fixture_set_up,
              test_valid, bp_test_fixture_tear_down);
  g_test_add ("/graph/defaults", Fixture, NULL, bp_test_fixture_set_up,
              test_defaults, bp_test_fixture_tear_down);
  g_test_add ("/graph/optimizers", Fixture, NULL, bp_test_fixture_set_up,
              test_optimizers, bp_test_fixture_tear_down);
  g_test_add ("/graph/relative-path", Fixture, NULL, bp_test_fixture_set_up,
              test_relative_path, bp_test_fixture_tear_down);
  g_test_add ("/graph/setters", Fixture, NULL, bp_test_fixture_set_up,
              test_setters, bp_test_fixture_tear_down);
  g_test_add ("/graph/missing-file", Fixture, NULL, bp_test_fixture_set_up,
              test_missing_file, bp_test_fixture_tear_down);
  g_test_add ("/graph/idx-data", Fixture, NULL, bp_test_fixture_set_up,
              test_idx_data, bp_test_fixture_tear_down);
  g_test_add ("/graph/solve", Fixture, NULL, bp_test_fixture_set_up,
              test_solve, bp_test_fixture_tear_down);
  g_test_add ("/graph/solve-defaults", Fixture, NULL, bp_test_fixture_set_up,
              test_solve_defaults, bp_test_fixture_tear_down);
  for (i = 0; i < G_N_ELEMENTS (bad_graphs); i++)
    {
      g_autofree char *name = g_strdup_printf ("/graph/bad/%s",
                                               bad_graphs[i].name);

      g_test_add (name, Fixture, &bad_graphs[i], bp_test_fixture_set_up,
                  test_bad, bp_test_fixture_tear_down);
    }

  return g_test_run ();
}
