/* Tests of `bpframe explain`: its figures (read from --format yaml) against
 * the paper's 2-2-2 step worked out by hand, in both update orders; the
 * paper's labels in the order of section 6; the fused gradient of section
 * 8 shown beside M D; and its usage errors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "testutil.h"

static char *tmp_dir;

static void
run_explain (BpTestRun *r, const char *const *args)
{
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
  g_auto (GStrv) command = NULL;

  g_strv_builder_add (argv, "explain");
  g_strv_builder_addv (argv, (const char **) args);
  command = g_strv_builder_end (argv);
  bp_test_run_bpframe_argv (r, NULL, (const char *const *) command);
}

/* ---- Reading the YAML output --------------------------------------------- */

static yaml_node_t *
mapping_get (yaml_document_t *doc, yaml_node_t *map, const char *key)
{
  g_assert_cmpint (map->type, ==, YAML_MAPPING_NODE);
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
       p < map->data.mapping.pairs.top; p++)
    {
      yaml_node_t *k = yaml_document_get_node (doc, p->key);

      if (strcmp ((const char *) k->data.scalar.value, key) == 0)
        return yaml_document_get_node (doc, p->value);
    }
  return NULL;
}

static const char *
scalar (yaml_node_t *node)
{
  g_assert_nonnull (node);
  g_assert_cmpint (node->type, ==, YAML_SCALAR_NODE);
  return (const char *) node->data.scalar.value;
}

/* The entries of a list of lists of numbers, row by row, into out. */
static gsize
read_matrix (yaml_document_t *doc, yaml_node_t *rows, double *out,
             gsize capacity)
{
  gsize n = 0;

  g_assert_nonnull (rows);
  for (yaml_node_item_t *r = rows->data.sequence.items.start;
       r < rows->data.sequence.items.top; r++)
    {
      yaml_node_t *row = yaml_document_get_node (doc, *r);

      for (yaml_node_item_t *c = row->data.sequence.items.start;
           c < row->data.sequence.items.top; c++)
        {
          g_assert_cmpuint (n, <, capacity);
          out[n++] = g_ascii_strtod (scalar (yaml_document_get_node (doc,
                                                                      *c)),
                                     NULL);
        }
    }
  return n;
}

/* The backward entry of layer (1-based) in the explain document. */
static yaml_node_t *
backward_layer (yaml_document_t *doc, int layer)
{
  yaml_node_t *root = yaml_document_get_root_node (doc);
  yaml_node_t *backward = mapping_get (doc, root, "backward");

  g_assert_nonnull (backward);
  for (yaml_node_item_t *i = backward->data.sequence.items.start;
       i < backward->data.sequence.items.top; i++)
    {
      yaml_node_t *entry = yaml_document_get_node (doc, *i);

      if (atoi (scalar (mapping_get (doc, entry, "layer"))) == layer)
        return entry;
    }
  g_error ("no layer %d in the explain output", layer);
  return NULL;
}

static void
assert_close (double actual, double expected)
{
  if (fabs (actual - expected) > 1e-12 * MAX (fabs (expected), 1e-3))
    g_error ("%.17g differs from %.17g", actual, expected);
}

/* ---- The figures --------------------------------------------------------- */

static void
test_yaml_against_hand (gconstpointer data)
{
  gboolean sequential = GPOINTER_TO_INT (data);
  g_autofree char *path = bp_test_write_file (tmp_dir, "s6.yaml",
                                              bp_test_section6_graph);
  const char *args[] = { "--format", "yaml", path, "--sample", "1", NULL };
  const char *seq_args[] = { "--format=yaml", path, NULL };
  double A_new[2][3], B_new[2][3], A[6], B[6], delta_B[6];
  g_auto (BpTestRun) r = { 0 };
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_node_t *layer1, *layer3;

  /* The graph's order is simultaneous; sequential comes from a copy. */
  if (sequential)
    {
      g_autofree char *text = g_strconcat (bp_test_section6_graph,
                                           "  update: sequential\n", NULL);

      g_free (path);
      path = bp_test_write_file (tmp_dir, "s6-seq.yaml", text);
      seq_args[1] = path;
    }
  run_explain (&r, sequential ? seq_args : args);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "format: bpframe-explain\n"
                                          "version: 1\n"));

  yaml_parser_initialize (&parser);
  yaml_parser_set_input_string (&parser, (const unsigned char *) r.out,
                                strlen (r.out));
  g_assert_true (yaml_parser_load (&parser, &doc));

  bp_test_section6_by_hand (sequential, A_new, B_new);
  layer1 = backward_layer (&doc, 1);
  layer3 = backward_layer (&doc, 3);
  g_assert_cmpuint (read_matrix (&doc, mapping_get (&doc, layer1,
                                                    "parameters_after"),
                                 A, 6), ==, 6);
  g_assert_cmpuint (read_matrix (&doc, mapping_get (&doc, layer3,
                                                    "parameters_after"),
                                 B, 6), ==, 6);
  g_assert_cmpuint (read_matrix (&doc, mapping_get (&doc, layer3, "delta"),
                                 delta_B, 6), ==, 6);
  for (int j = 0; j < 6; j++)
    {
      const double B_old[6] = { 0.5, -0.6, 0.01, 0.7, 0.8, 0.02 };

      assert_close (A[j], A_new[j / 3][j % 3]);
      assert_close (B[j], B_new[j / 3][j % 3]);
      assert_close (delta_B[j], B_new[j / 3][j % 3] - B_old[j]);
    }
  g_assert_cmpstr (scalar (mapping_get (&doc, layer3, "carried_with")), ==,
                   sequential ? "updated" : "old");
  g_assert_cmpstr (scalar (mapping_get (&doc, layer3, "parameters_name")),
                   ==, "[B | Xi]");

  yaml_document_delete (&doc);
  yaml_parser_delete (&parser);
}

/* The labels of section 6, in the paper's order, for its 2-2-2 network. */
static void
test_text_labels (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                            "paper", "section6.yaml", NULL);
  const char *args[] = { path, NULL };
  const char *labels[] = {
    "\nx = [", "\ny = A x + Lambda = [", "\nphi = relu(y) = [",
    "\nz = B phi + Xi = [", "\nsigma = softmax(z) = [",
    "\nlayer 4 (softmax)\nM = d loss / d sigma = [",
    "\nD = J_sigma(z) =\n", "\nM D = [B_1 B_2] = [",
    "\nlayer 3 (affine: [B | Xi])\nM-1 = diag(M D) =\n",
    "\nL-1 = rows [phi_1 phi_2 1] =\n",
    "\ndelta[B | Xi] = -eta M-1 L-1 =\n",
    "\n(M D) B = [C_1 C_2], with B already updated = [",
    "\nlayer 2 (relu)\nM-2 = diag(C) =\n", "\nJ_phi(y) =\n",
    "\nlayer 1 (affine: [A | Lambda])\nL-2 = rows [x_1 x_2 1] =\n",
    "\ndelta[A | Lambda] = -eta M-2 J_phi(y) L-2 =\n",
  };
  g_auto (BpTestRun) r = { 0 };
  const char *at;

  run_explain (&r, args);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);
  at = r.out;
  for (gsize i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      const char *found = strstr (at, labels[i]);

      if (found == NULL)
        g_error ("label %zu, '%s', missing or out of order in:\n%s", i,
                 labels[i], r.out);
      at = found + 1;
    }
}

/* Softmax with cross_entropy: both M D and the fused sigma - f. */
static void
test_fused_shown (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                            "iris.yaml", NULL);
  const char *args[] = { "--sample", "2", path, NULL };
  g_auto (BpTestRun) r = { 0 };
  const char *md, *fused;

  run_explain (&r, args);
  g_assert_cmpint (r.status, ==, 0);
  md = strstr (r.out, "\nM D = [B_1 B_2 B_3] = [");
  fused = strstr (r.out, "\nsigma - f = [");
  g_assert_nonnull (md);
  g_assert_nonnull (fused);
  g_assert_true (md < fused);
  g_assert_nonnull (strstr (fused, "\n    the fused gradient of section 8: "
                                   "it differs from M D by at most "));
  g_assert_nonnull (strstr (r.out, "\nM-1 = diag(M D) =\n"));
}

/* Runs explain on section6.yaml with its optimizer replaced, written to
 * the same path each time so that the outputs can be compared whole. */
static void
explain_with_optimizer (BpTestRun *r, const char *optimizer,
                        const char *format)
{
  g_autofree char *source = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                              "paper", "section6.yaml",
                                              NULL);
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  g_auto (GStrv) parts = NULL;
  g_autofree char *changed = NULL;
  const char *args[] = { "--format", format, NULL, NULL };

  g_assert_true (g_file_get_contents (source, &text, NULL, NULL));
  parts = g_strsplit (text, "{sgd: {lr: 0.1}}", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  changed = g_strjoinv (optimizer, parts);
  path = bp_test_write_file (tmp_dir, "optimizer.yaml", changed);
  args[2] = path;
  run_explain (r, args);
  g_assert_cmpstr (r->err, ==, "");
  g_assert_cmpint (r->status, ==, 0);
}

/* Whatever the graph's optimizer, explain shows the paper's plain SGD
 * step with its lr: the output is sgd's with one line added. */
static void
test_other_optimizer (void)
{
  g_auto (BpTestRun) sgd = { 0 };
  g_auto (BpTestRun) adam = { 0 };
  g_auto (BpTestRun) sgd_yaml = { 0 };
  g_auto (BpTestRun) adam_yaml = { 0 };
  g_autofree char *expected = NULL;
  g_autofree char *expected_yaml = NULL;
  const char *order, *line_end;
  const char *head = "format: bpframe-explain\nversion: 1\n";

  explain_with_optimizer (&sgd, "{sgd: {lr: 0.1}}", "text");
  explain_with_optimizer (&adam, "{adam: {lr: 0.1}}", "text");
  /* The line follows the update order's lines, before the first blank
   * line. */
  order = strstr (sgd.out, "\nupdate order sequential");
  g_assert_nonnull (order);
  line_end = strstr (order, "\n\n");
  g_assert_nonnull (line_end);
  line_end++;
  expected = g_strdup_printf ("%.*s"
                              "the graph trains with adam; the step shown "
                              "is plain SGD at the same lr\n%s",
                              (int) (line_end - sgd.out), sgd.out, line_end);
  g_assert_cmpstr (adam.out, ==, expected);

  explain_with_optimizer (&sgd_yaml, "{sgd: {lr: 0.1}}", "yaml");
  explain_with_optimizer (&adam_yaml, "{adam: {lr: 0.1}}", "yaml");
  g_assert_true (g_str_has_prefix (sgd_yaml.out, head));
  expected_yaml = g_strdup_printf ("%s# the graph trains with adam; the "
                                   "step is plain SGD at the same lr\n%s",
                                   head, sgd_yaml.out + strlen (head));
  g_assert_cmpstr (adam_yaml.out, ==, expected_yaml);
}

static void
test_usage_errors (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                            "iris.yaml", NULL);
  const char *too_far[] = { "--sample", "121", path, NULL };
  const char *format[] = { "--format", "xml", path, NULL };
  const char *none[] = { NULL };
  g_auto (BpTestRun) a = { 0 };
  g_auto (BpTestRun) b = { 0 };
  g_auto (BpTestRun) c = { 0 };

  run_explain (&a, too_far);
  g_assert_cmpint (a.status, ==, 2);
  g_assert_cmpstr (a.err, ==, "bpframe: --sample must be between 1 and 120 "
                              "(the training set's rows), got 121\n");
  run_explain (&b, format);
  g_assert_cmpint (b.status, ==, 2);
  g_assert_cmpstr (b.err, ==,
                   "bpframe: --format must be text or yaml, got 'xml'\n");
  run_explain (&c, none);
  g_assert_cmpint (c.status, ==, 2);
  g_assert_cmpstr (c.err, ==, "bpframe: explain needs one graph file (try "
                              "'bpframe explain --help')\n");
}

/* A graph that solves for its input has no training step to show. */
static void
test_solve_graph_refused (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                            "paper", "example1.yaml", NULL);
  g_autofree char *expected = g_strdup_printf (
    "bpframe: %s:13:9: this graph solves for its input (training.solve); "
    "it has no training step\n", path);
  const char *args[] = { path, NULL };
  g_auto (BpTestRun) r = { 0 };

  run_explain (&r, args);
  g_assert_cmpstr (r.err, ==, expected);
  g_assert_cmpint (r.status, ==, 2);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = bp_test_dir_new ("test-explain");

  g_test_add_data_func ("/explain/yaml/simultaneous", GINT_TO_POINTER (0),
                        test_yaml_against_hand);
  g_test_add_data_func ("/explain/yaml/sequential", GINT_TO_POINTER (1),
                        test_yaml_against_hand);
  g_test_add_func ("/explain/text/section6-labels", test_text_labels);
  g_test_add_func ("/explain/text/fused", test_fused_shown);
  g_test_add_func ("/explain/other-optimizer", test_other_optimizer);
  g_test_add_func ("/explain/usage-errors", test_usage_errors);
  g_test_add_func ("/explain/solve-graph", test_solve_graph_refused);

  status = g_test_run ();
  bp_test_dir_remove (tmp_dir);
  g_free (tmp_dir);
  return status;
}
