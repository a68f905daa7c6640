/* Tests of the gradient checker (core/check.c, `bpframe check`): every
 * standard plugin passes; the deliberately wrong test plugins fail with
 * their rows named; kinks are skipped, vacuous and empty checks fail;
 * graphs, the harness, exact messages and exit codes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bpframe/check.h"
#include "testutil.h"

static char *tmp_dir;

/* ---- Helpers ------------------------------------------------------------- */

static char *
test_plugin (const char *name)
{
  return g_strdup_printf ("%s/%s.so", g_getenv ("BP_TEST_PLUGINDIR"), name);
}

static BpCheckReport *
check_plugin (const char *plugin, const BpCheckOptions *options)
{
  g_autoptr (GError) error = NULL;
  BpCheckOptions defaults;
  BpCheckReport *report;

  bp_check_options_init (&defaults);
  report = bp_check_plugin (plugin, options ? options : &defaults, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  return report;
}

static BpCheckReport *
check_graph_text (const char *name, const char *text)
{
  g_autofree char *path = bp_test_write_file (tmp_dir, name, text);
  g_autoptr (BpGraph) graph = NULL;
  g_autoptr (GError) error = NULL;
  BpCheckOptions options;
  BpCheckReport *report;

  graph = bp_graph_load (path, &error);
  g_assert_no_error (error);
  bp_check_options_init (&options);
  report = bp_check_graph (graph, &options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  return report;
}

/* One row of a table, split into its cells. */
typedef struct {
  char *max_abs, *max_rel, *verdict;
} Cells;

static void
cells_clear (Cells *c)
{
  g_free (c->max_abs);
  g_free (c->max_rel);
  g_free (c->verdict);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Cells, cells_clear)

/* The row "SUBJECT  OPERATION  ABS  REL  VERDICT" of table; asserts that
 * there is exactly one. */
static void
find_row (const char *table, const char *subject, const char *operation,
          Cells *cells)
{
  g_auto (GStrv) lines = g_strsplit (table, "\n", -1);
  guint found = 0;

  for (char **line = lines; *line != NULL; line++)
    {
      const char *p = *line;

      if (!g_str_has_prefix (p, subject) || strncmp (p + strlen (subject),
                                                     "  ", 2) != 0)
        continue;
      p += strlen (subject);
      while (*p == ' ')
        p++;
      if (!g_str_has_prefix (p, operation)
          || strncmp (p + strlen (operation), "  ", 2) != 0)
        continue;
      p += strlen (operation);
      /* abs and rel are single words, right-aligned; the verdict is the
       * rest after them. */
      while (*p == ' ')
        p++;
      cells->max_abs = g_strndup (p, strcspn (p, " "));
      p += strlen (cells->max_abs);
      while (*p == ' ')
        p++;
      cells->max_rel = g_strndup (p, strcspn (p, " "));
      p += strlen (cells->max_rel);
      while (*p == ' ')
        p++;
      cells->verdict = g_strdup (p);
      found++;
    }
  if (found != 1)
    g_error ("%u rows '%s' / '%s' in:\n%s", found, subject, operation,
             table);
}

static void
assert_verdict (const char *table, const char *subject,
                const char *operation, const char *verdict)
{
  g_auto (Cells) cells = { 0 };

  find_row (table, subject, operation, &cells);
  g_assert_cmpstr (cells.verdict, ==, verdict);
}

/* The row's errors: the relative one a tenth of the default tolerance or
 * less, so that the defaults keep a margin; the absolute one small. */
static void
assert_small_errors (const char *table, const char *subject,
                     const char *operation)
{
  g_auto (Cells) cells = { 0 };

  find_row (table, subject, operation, &cells);
  g_assert_cmpfloat (g_ascii_strtod (cells.max_abs, NULL), <, 1e-5);
  g_assert_cmpfloat (g_ascii_strtod (cells.max_rel, NULL), <, 1e-5);
}

static void
assert_counts (const BpCheckReport *report, guint passed, guint failed,
               guint skipped)
{
  guint p, f, s;

  bp_check_report_counts (report, &p, &f, &s);
  g_assert_cmpuint (p, ==, passed);
  g_assert_cmpuint (f, ==, failed);
  g_assert_cmpuint (s, ==, skipped);
}

static gboolean
has_line (const char *table, const char *line)
{
  g_autofree char *with_newlines = g_strdup_printf ("\n%s\n", line);

  return strstr (table, with_newlines) != NULL;
}

/* ---- The standard plugins ------------------------------------------------ */

static const char *const layer_ops[] = {
  "forward, batch vs row by row", "jacobian vs differences",
  "jacobian_product vs m J",
};
static const char *const param_ops[] = {
  "local_L vs differences", "update vs diag(m) L",
  "update_batch vs sum diag(m) L",
};

/* Every standard layer: each row passes, with small errors; the rows
 * present are those its operations call for. */
static void
test_standard_layers (void)
{
  static const char *const names[] = { "affine", "relu", "logistic",
                                       "softmax", "dropout", "power",
                                       "sum" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *name = names[i];
      g_autoptr (BpCheckReport) report = check_plugin (name, NULL);
      g_autofree char *table = bp_check_report_table (report);
      g_autofree char *chain = g_strdup_printf ("affine + %s", name);
      g_autofree char *own = g_strdup_printf ("d(r.y)/dP (layer 2, %s) vs "
                                              "differences", name);
      gboolean affine = strcmp (name, "affine") == 0;
      gboolean dropout = strcmp (name, "dropout") == 0;
      guint rows = 1 + G_N_ELEMENTS (layer_ops) + 2
                   + (affine ? G_N_ELEMENTS (param_ops) + 1 : 0) + dropout;

      g_test_message ("%s", table);
      g_assert_true (bp_check_report_passed (report));
      assert_counts (report, rows - dropout, 0, dropout);
      assert_verdict (table, name, "output widths (guard bytes)", "pass");
      for (gsize k = 0; k < G_N_ELEMENTS (layer_ops); k++)
        assert_small_errors (table, name, layer_ops[k]);
      for (gsize k = 0; affine && k < G_N_ELEMENTS (param_ops); k++)
        {
          assert_verdict (table, name, param_ops[k], "pass");
          assert_small_errors (table, name, param_ops[k]);
        }
      assert_small_errors (table, chain, "d(r.y)/dx vs differences");
      assert_verdict (table, chain, "d(r.y)/dx vs differences", "pass");
      assert_verdict (table, chain,
                      "d(r.y)/dP (layer 1, affine) vs differences", "pass");
      if (affine)
        assert_verdict (table, chain, own, "pass");
    }
}

static void
test_standard_losses (void)
{
  static const struct {
    const char *name, *chain;
    guint width;
  } losses[] = {
    { "cross_entropy", "affine + softmax + cross_entropy", 4 },
    { "binary_cross_entropy", "affine + logistic + binary_cross_entropy",
      4 },
    { "mse", "affine + mse", 4 },
    { "target", "affine + target", 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (losses); i++)
    {
      const char *name = losses[i].name;
      g_autoptr (BpCheckReport) report = check_plugin (name, NULL);
      g_autofree char *table = bp_check_report_table (report);
      g_autofree char *title = g_strdup_printf ("%s/%s.so): a loss, %u "
                                                "output%s\n",
                                                g_getenv ("BP_BUILD_"
                                                          "PLUGINDIR"),
                                                name, losses[i].width,
                                                losses[i].width == 1 ? ""
                                                                     : "s");
      gboolean fused = i == 0;

      g_test_message ("%s", table);
      g_assert_true (bp_check_report_passed (report));
      g_assert_nonnull (strstr (table, title));
      assert_counts (report, 5 + fused, 0, 0);
      assert_verdict (table, name, "output widths (guard bytes)", "pass");
      assert_small_errors (table, name, "loss_gradient vs differences");
      assert_small_errors (table, name, "loss_value, batch vs sum of rows");
      if (fused)
        assert_small_errors (table, name,
                             "loss_fused_gradient vs M J (softmax)");
      assert_verdict (table, losses[i].chain, "d loss/dx vs differences",
                      "pass");
      assert_verdict (table, losses[i].chain,
                      "d loss/dP (layer 1, affine) vs differences", "pass");
    }
}

/* A plugin that needs a parameter gets a small one, said in the title. */
static void
test_default_parameters (void)
{
  g_autoptr (BpCheckReport) affine = check_plugin ("affine", NULL);
  g_autoptr (BpCheckReport) power = check_plugin ("power", NULL);
  g_autofree char *a = bp_check_report_table (affine);
  g_autofree char *p = bp_check_report_table (power);
  g_autofree char *a_title = g_strdup_printf ("affine (%s/affine.so): a "
                                              "layer, 4 inputs, 3 outputs, "
                                              "parameters {units: 3}\n",
                                              g_getenv ("BP_BUILD_"
                                                        "PLUGINDIR"));
  g_autofree char *p_title = g_strdup_printf ("power (%s/power.so): a "
                                              "layer, 4 inputs, 4 outputs, "
                                              "parameters {exponents: [2, "
                                              "3, 2, 3]}\n",
                                              g_getenv ("BP_BUILD_"
                                                        "PLUGINDIR"));

  g_assert_true (g_str_has_prefix (a, a_title));
  g_assert_true (g_str_has_prefix (p, p_title));
  g_assert_true (g_str_has_prefix (a + strlen (a_title),
                                   "tolerance: |analytic - reference| <= "
                                   "1e-07 + 0.0001 max(|analytic|, "
                                   "|reference|); step h = 1e-05; 5 "
                                   "points; seed 1\n\n"));
  g_assert_true (g_str_has_suffix (a, "\n10 checks: 10 passed, 0 "
                                      "failed\n"));
}

/* The first point puts relu's first input at its kink, 0: skipped, not
 * passed (the central difference there is 1/2, the jacobian 0). With a
 * single point nothing is left to compare, and that fails. */
static void
test_relu_kink (void)
{
  g_autoptr (BpCheckReport) report = check_plugin ("relu", NULL);
  g_autoptr (BpCheckReport) single = NULL;
  g_autofree char *table = bp_check_report_table (report);
  g_autofree char *one = NULL;
  BpCheckOptions options;

  assert_verdict (table, "relu", "jacobian vs differences",
                  "pass, skipped 1 point (kink)");

  bp_check_options_init (&options);
  options.points = 1;
  single = check_plugin ("relu", &options);
  one = bp_check_report_table (single);
  g_assert_false (bp_check_report_passed (single));
  assert_verdict (one, "relu", "jacobian vs differences",
                  "FAIL: nothing compared, skipped 1 point (kink)");
  g_assert_true (g_str_has_suffix (one, "\n6 checks: 5 passed, 1 "
                                        "failed\n"));
}

/* Dropout is random while training: its forward_train is skipped and
 * said so, and its evaluation forward is the identity. */
static void
test_dropout (void)
{
  g_autoptr (BpCheckReport) report = check_plugin ("dropout", NULL);
  g_autofree char *table = bp_check_report_table (report);
  g_auto (Cells) cells = { 0 };

  find_row (table, "dropout", "forward_train", &cells);
  g_assert_cmpstr (cells.max_abs, ==, "-");
  g_assert_cmpstr (cells.max_rel, ==, "-");
  g_assert_cmpstr (cells.verdict, ==, "skipped: random while training; "
                                      "forward and jacobian checked as in "
                                      "evaluation");
  g_assert_true (g_str_has_suffix (table, "\n7 checks: 6 passed, 0 "
                                          "failed, 1 skipped\n"));
}

/* ---- Plugins that must fail ---------------------------------------------- */

/* The jacobian is 1.01 times the true one: a relative error of
 * 1 - 1 / 1.01 = 0.0099 in every row, and in the chain through affine. */
static void
test_jacobian_off (void)
{
  g_autofree char *path = test_plugin ("softsign_off");
  g_autoptr (BpCheckReport) report = check_plugin (path, NULL);
  g_autofree char *table = bp_check_report_table (report);
  g_auto (Cells) cells = { 0 };

  g_test_message ("%s", table);
  g_assert_false (bp_check_report_passed (report));
  assert_counts (report, 2, 3, 0);
  find_row (table, "softsign_off", "jacobian vs differences", &cells);
  g_assert_cmpstr (cells.verdict, ==, "FAIL: rows 1-4 off");
  g_assert_cmpstr (cells.max_rel, ==, "9.9e-03");
  assert_verdict (table, "affine + softsign_off",
                  "d(r.y)/dx vs differences", "FAIL: entries 1-3 off");
  assert_verdict (table, "affine + softsign_off",
                  "d(r.y)/dP (layer 1, affine) vs differences",
                  "FAIL: rows 1-4 off");
  assert_verdict (table, "softsign_off", "forward, batch vs row by row",
                  "pass");
  /* At x = 0 the jacobian's 1.01 meets the differences' 1 / (1 + h) and
   * 1 / (1 + h / 2), combined: (4 / (1 + h / 2) - 1 / (1 + h)) / 3. */
  g_assert_true (has_line (table, "softsign_off, jacobian vs differences: "
                                  "worst J[1][1] = 1.01 against 0.999996667 "
                                  "(point 1)"));
  g_assert_true (g_str_has_suffix (table, "\n5 checks: 2 passed, 3 "
                                          "failed\n"));
}

/* L without its bias column: the checker names it. */
static void
test_bias_column (void)
{
  g_autofree char *path = test_plugin ("affine_nobias");
  g_autoptr (BpCheckReport) report = check_plugin (path, NULL);
  g_autofree char *table = bp_check_report_table (report);
  g_auto (Cells) cells = { 0 };

  g_test_message ("%s", table);
  g_assert_false (bp_check_report_passed (report));
  assert_counts (report, 6, 2, 0);
  find_row (table, "affine_nobias", "local_L vs differences", &cells);
  g_assert_cmpstr (cells.verdict, ==,
                   "FAIL: column 5 (bias column) off in every row");
  g_assert_cmpstr (cells.max_abs, ==, "1.0e+00");
  assert_verdict (table, "affine + affine_nobias",
                  "d(r.y)/dP (layer 2, affine_nobias) vs differences",
                  "FAIL: column 5 off in every row");
  /* The rest of it is right. */
  assert_verdict (table, "affine_nobias", "jacobian vs differences",
                  "pass");
  assert_verdict (table, "affine_nobias", "update vs diag(m) L", "pass");
  assert_verdict (table, "affine + affine_nobias",
                  "d(r.y)/dx vs differences", "pass");
}

/* A constant layer: J and the differences agree, all zeros: vacuous. */
static void
test_vacuous (void)
{
  g_autofree char *path = test_plugin ("constant");
  g_autoptr (BpCheckReport) report = check_plugin (path, NULL);
  g_autofree char *table = bp_check_report_table (report);
  g_auto (Cells) cells = { 0 };

  g_assert_false (bp_check_report_passed (report));
  find_row (table, "constant", "jacobian vs differences", &cells);
  g_assert_cmpstr (cells.max_abs, ==, "0");
  g_assert_cmpstr (cells.max_rel, ==, "0");
  g_assert_cmpstr (cells.verdict, ==,
                   "FAIL: vacuous, both sides zero everywhere");
  assert_verdict (table, "affine + constant", "d(r.y)/dx vs differences",
                  "FAIL: vacuous, both sides zero everywhere");
  assert_counts (report, 2, 3, 0);
}

/* Writing outside a buffer, or leaving an entry unwritten, shows in the
 * guard bytes; the layer is checked through a graph, since it cannot be
 * made without its parameter. */
static const char sloppy_graph[] =
  "version: 1\n"
  "plugin_path: [%s]\n"
  "network:\n"
  "  input: 2\n"
  "  layers:\n"
  "    - sloppy: {fault: %s}\n"
  "    - affine: {units: 2}\n"
  "  loss: mse\n"
  "data:\n"
  "  train: {inputs: [[0, 1]], targets: [[1, 0]]}\n"
  "training: {epochs: 1, optimizer: {sgd: {lr: 0.1}}}\n";

static void
test_guard_bytes (void)
{
  static const struct {
    const char *fault, *verdict;
    guint failed;
  } cases[] = {
    { "overrun", "FAIL: forward writes outside its 1 x 2 Y; forward "
                 "(batch) writes outside its 3 x 2 Y", 1 },
    { "unwritten", "FAIL: jacobian leaves J[2][2] unwritten", 4 },
    { "product", "FAIL: jacobian_product writes outside its 3 x 2 G_in",
      1 },
    { "input", "FAIL: forward changes its input X", 5 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf (sloppy_graph,
                                               g_getenv ("BP_TEST_"
                                                         "PLUGINDIR"),
                                               cases[i].fault);
      g_autoptr (BpCheckReport) report = check_graph_text ("sloppy.yaml",
                                                           text);
      g_autofree char *table = bp_check_report_table (report);

      g_test_message ("%s", table);
      assert_verdict (table, "layer 1 (sloppy)",
                      "output widths (guard bytes)", cases[i].verdict);
      assert_counts (report, 16 - cases[i].failed, cases[i].failed, 0);
    }
}

/* Row k of P must feed output k alone (plugin.h): a layer whose P[0][0]
 * moves every output is caught by the differences in P. */
static void
test_shared_row (void)
{
  g_autofree char *text = g_strdup_printf (sloppy_graph,
                                           g_getenv ("BP_TEST_PLUGINDIR"),
                                           "shared");
  g_autoptr (BpCheckReport) report = check_graph_text ("shared.yaml", text);
  g_autofree char *table = bp_check_report_table (report);

  g_test_message ("%s", table);
  assert_verdict (table, "layer 1 (sloppy)", "local_L vs differences",
                  "FAIL: output 2 moves with P[1][1] (row k of P must "
                  "feed output k alone)");
  assert_verdict (table, "network",
                  "d loss/dP (layer 1, sloppy) vs differences",
                  "FAIL: row 1 off");
  assert_counts (report, 17, 2, 0);
}

/* ---- Graphs -------------------------------------------------------------- */

static void
test_graph_iris (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                            "iris.yaml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BpGraph) graph = bp_graph_load (path, &error);
  g_autoptr (BpCheckReport) report = NULL;
  g_autofree char *table = NULL;
  g_autofree char *title = NULL;
  BpCheckOptions options;

  g_assert_no_error (error);
  bp_check_options_init (&options);
  report = bp_check_graph (graph, &options, &error);
  g_assert_no_error (error);
  table = bp_check_report_table (report);
  g_test_message ("%s", table);
  title = g_strdup_printf ("%s: 4 layers, 4 inputs, 3 outputs, loss "
                           "cross_entropy\n", path);
  g_assert_true (g_str_has_prefix (table, title));
  g_assert_true (bp_check_report_passed (report));
  assert_counts (report, 29, 0, 0);
  assert_verdict (table, "layer 1 (affine)", "local_L vs differences",
                  "pass");
  assert_verdict (table, "layer 2 (relu)", "jacobian vs differences",
                  "pass, skipped 1 point (kink)");
  assert_verdict (table, "layer 4 (softmax)", "jacobian_product vs m J",
                  "pass");
  assert_verdict (table, "loss (cross_entropy)",
                  "loss_fused_gradient vs M J (softmax)", "pass");
  assert_small_errors (table, "network", "d loss/dx vs differences");
  assert_verdict (table, "network",
                  "d loss/dP (layer 3, affine) vs differences", "pass");
}

/* Layers of the same plugin, parameters and width are checked once and
 * named together; a dropout layer is checked in evaluation. Each layer
 * gets 256 of a wide layer's parameters per point, and says so. */
static void
test_graph_groups (void)
{
  static const char text[] =
    "version: 1\n"
    "network:\n"
    "  input: 3\n"
    "  layers:\n"
    "    - affine: {units: 20}\n"
    "    - relu\n"
    "    - dropout: {rate: 0.25}\n"
    "    - affine: {units: 20}\n"
    "    - relu\n"
    "    - dropout: {rate: 0.25}\n"
    "    - affine: {units: 2}\n"
    "    - logistic\n"
    "  loss: binary_cross_entropy\n"
    "data:\n"
    "  train: {inputs: [[0, 1, 2]], targets: [[1, 0]]}\n"
    "training: {epochs: 1, optimizer: {sgd: {lr: 0.1}}}\n";
  g_autoptr (BpCheckReport) report = check_graph_text ("groups.yaml", text);
  g_autofree char *table = bp_check_report_table (report);

  g_test_message ("%s", table);
  g_assert_true (bp_check_report_passed (report));
  assert_verdict (table, "layer 1 (affine)", "local_L vs differences",
                  "pass");
  assert_verdict (table, "layers 2, 5 (relu)", "jacobian vs differences",
                  "pass, skipped 1 point (kink)");
  assert_verdict (table, "layers 3, 6 (dropout)", "forward_train",
                  "skipped: random while training; forward and jacobian "
                  "checked as in evaluation");
  assert_verdict (table, "layer 4 (affine)", "update_batch vs sum diag(m) "
                  "L", "pass");
  assert_verdict (table, "layer 8 (logistic)", "jacobian vs differences",
                  "pass");
  assert_verdict (table, "loss (binary_cross_entropy)",
                  "loss_gradient vs differences", "pass");
  assert_verdict (table, "network",
                  "d loss/dP (layer 4, affine) vs differences", "pass");
  g_assert_true (has_line (table, "layer 4 (affine): 256 of its 420 "
                                  "parameters perturbed per point"));
  g_assert_true (has_line (table, "network, d loss/dP (layer 4, affine): "
                                  "256 of its 420 parameters perturbed per "
                                  "point"));
}

/* Outside a layer's domain (x^0.5 and x^-1 at x <= 0) points are skipped
 * as not finite, and both forms agreeing on an infinite slope is no
 * failure; layers 1 and 2, alike, are checked once, layer 3 apart. */
static void
test_graph_domain (void)
{
  static const char text[] =
    "version: 1\n"
    "network:\n"
    "  input: 2\n"
    "  layers:\n"
    "    - power: {exponents: [0.5, -1]}\n"
    "    - power: {exponents: [0.5, -1]}\n"
    "    - power: {exponents: [2, 3]}\n"
    "    - sum\n"
    "  loss: target\n"
    "training: {solve: input, target: 3, rule: gradient_sign, lr: 0.1,\n"
    "           start: [1, 1], updates: 1}\n";
  g_autoptr (BpCheckReport) report = check_graph_text ("power.yaml", text);
  g_autofree char *table = bp_check_report_table (report);

  g_test_message ("%s", table);
  g_assert_true (bp_check_report_passed (report));
  assert_counts (report, 16, 0, 0);
  assert_verdict (table, "layers 1, 2 (power)", "jacobian vs differences",
                  "pass, skipped 3 points (not finite)");
  assert_verdict (table, "layers 1, 2 (power)", "jacobian_product vs m J",
                  "pass");
  assert_verdict (table, "layer 3 (power)", "jacobian vs differences",
                  "pass");
  assert_verdict (table, "network", "d loss/dx vs differences",
                  "pass, skipped 2 points (not finite)");
}

/* More inputs than are perturbed per point: sampled, and said so. */
static void
test_graph_wide (void)
{
  GString *text = g_string_new ("version: 1\n"
                                "network:\n"
                                "  input: 300\n"
                                "  layers:\n"
                                "    - affine: {units: 2}\n"
                                "    - softmax\n"
                                "  loss: cross_entropy\n"
                                "data:\n"
                                "  train:\n"
                                "    inputs: [[");
  g_autoptr (BpCheckReport) report = NULL;
  g_autofree char *table = NULL;

  for (int j = 0; j < 300; j++)
    g_string_append (text, j ? ", 0" : "0");
  g_string_append (text, "]]\n"
                         "    targets: [[1, 0]]\n"
                         "training: {epochs: 1, optimizer: {sgd: {lr: "
                         "0.1}}}\n");
  report = check_graph_text ("wide.yaml", text->str);
  g_string_free (text, TRUE);
  table = bp_check_report_table (report);
  g_assert_true (bp_check_report_passed (report));
  g_assert_true (has_line (table, "layer 1 (affine): 256 of its 300 inputs "
                                  "perturbed per point"));
  g_assert_true (has_line (table, "layer 1 (affine): 256 of its 602 "
                                  "parameters perturbed per point"));
  g_assert_true (has_line (table, "network, d loss/dx: 256 of its 300 "
                                  "inputs perturbed per point"));
  g_assert_true (has_line (table, "network, d loss/dP (layer 1, affine): "
                                  "256 of its 602 parameters perturbed per "
                                  "point"));
}

/* A graph whose plugin is missing fails as the network would, at its
 * line and column. */
static void
test_graph_error (void)
{
  static const char text[] =
    "version: 1\n"
    "network:\n"
    "  input: 2\n"
    "  layers:\n"
    "    - affine: {units: 0}\n"
    "  loss: mse\n"
    "data:\n"
    "  train: {inputs: [[0, 1]], targets: [[1]]}\n"
    "training: {epochs: 1, optimizer: {sgd: {lr: 0.1}}}\n";
  g_autofree char *path = bp_test_write_file (tmp_dir, "bad.yaml", text);
  g_autofree char *message = g_strdup_printf ("%s:5:23: affine: units must "
                                              "be at least 1, got 0", path);
  g_autoptr (BpGraph) graph = NULL;
  g_autoptr (GError) error = NULL;
  BpCheckOptions options;

  graph = bp_graph_load (path, &error);
  g_assert_no_error (error);
  bp_check_options_init (&options);
  g_assert_null (bp_check_graph (graph, &options, &error));
  g_assert_error (error, BP_ERROR, BP_ERROR_GRAPH);
  g_assert_cmpstr (error->message, ==, message);
}

/* ---- Bad input ----------------------------------------------------------- */

static void
expect_plugin_error (const char *plugin, const BpCheckOptions *options,
                     gint code, const char *message)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (bp_check_plugin (plugin, options, &error));
  g_assert_error (error, BP_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_bad_input (void)
{
  g_autofree char *missing = test_plugin ("no_such_plugin");
  g_autofree char *not_a_plugin = test_plugin ("not_a_plugin");
  g_autofree char *sloppy = test_plugin ("sloppy");
  g_autofree char *m1 = g_strdup_printf ("%s: cannot read the plugin: No "
                                         "such file or directory", missing);
  g_autofree char *m2 = g_strdup_printf ("%s is not a bpframe plugin: it "
                                         "has no symbol 'bp_plugin_entry'",
                                         not_a_plugin);
  g_autofree char *m3 = g_strdup_printf ("%s: cannot make the layer with 4 "
                                         "inputs and no parameters: fault "
                                         "is required: overrun, unwritten, "
                                         "product, input or shared; give "
                                         "its parameters "
                                         "in a graph file and check that "
                                         "(bpframe check GRAPH.yaml)",
                                         sloppy);
  BpCheckOptions options;

  bp_check_options_init (&options);
  expect_plugin_error (missing, &options, BP_ERROR_IO, m1);
  expect_plugin_error (not_a_plugin, &options, BP_ERROR_PLUGIN, m2);
  expect_plugin_error (sloppy, &options, BP_ERROR_PLUGIN, m3);
  expect_plugin_error ("bad name!", &options, BP_ERROR_GRAPH,
                       "plugin name 'bad name!' may hold only letters, "
                       "digits, '_' and '-' (or be a path ending in .so)");

  options.points = 0;
  expect_plugin_error ("relu", &options, BP_ERROR_FAILED,
                       "the number of points must be at least 1");
  bp_check_options_init (&options);
  options.step = 0;
  expect_plugin_error ("relu", &options, BP_ERROR_FAILED,
                       "the step must be a number > 0");
  bp_check_options_init (&options);
  options.rel_tolerance = -1;
  expect_plugin_error ("relu", &options, BP_ERROR_FAILED,
                       "the relative tolerance must be a number >= 0");
  bp_check_options_init (&options);
  options.abs_tolerance = NAN;
  expect_plugin_error ("relu", &options, BP_ERROR_FAILED,
                       "the absolute tolerance must be a number >= 0");
}

/* ---- The harness --------------------------------------------------------- */

/* In a subprocess (which GLib runs quiet): the harness passes on relu and
 * fails, returning to its caller, on softsign_off and on a plugin that is
 * not there. */
static void
test_harness (void)
{
  g_autofree char *off = test_plugin ("softsign_off");

  /* The child exits itself, with 3 when the harness failed the test:
   * GLib would abort it after a failed test, losing its coverage data. */
  if (g_test_subprocess ())
    {
      bp_test_check_plugin (g_getenv ("BP_TEST_HARNESS_PLUGIN"));
      g_print ("the harness returned\n");
      exit (g_test_failed () ? 3 : 0);
    }

  g_setenv ("BP_TEST_HARNESS_PLUGIN", "relu", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("the harness returned\n");

  g_setenv ("BP_TEST_HARNESS_PLUGIN", off, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout ("the harness returned\n");

  g_setenv ("BP_TEST_HARNESS_PLUGIN", "no_such_plugin", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout ("the harness returned\n");
  g_unsetenv ("BP_TEST_HARNESS_PLUGIN");
}

/* What a plugin author's suite prints: the table as TAP comments, and
 * the failure's reason on the "not ok" line. */
static void
test_harness_output (void)
{
  g_autofree char *off = test_plugin ("softsign_off");
  g_autofree char *program = g_build_filename (g_getenv ("BP_TEST_"
                                                         "BUILDDIR"),
                                               "test-check-harness", NULL);
  g_autofree char *not_ok = g_strdup_printf ("\nnot ok 1 /check/plugin - "
                                             "bpframe check %s: 3 of 5 "
                                             "checks failed\n", off);
  const char *argv[] = { program, "--tap", off, NULL };
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "\n# softsign_off           jacobian vs "
                                 "differences                     1.0e-02  "
                                 "9.9e-03  FAIL: rows 1-4 off\n"));
  g_assert_nonnull (strstr (out, "\n# 5 checks: 2 passed, 3 failed\n"));
  g_assert_nonnull (strstr (out, not_ok));
}

/* ---- The command --------------------------------------------------------- */

/* Runs `bpframe check` with the arguments (NULL-terminated). */
static void
run_checkv (BpTestRun *r, va_list args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const char *arg;

  g_ptr_array_add (argv, "check");
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);

  bp_test_run_bpframe_argv (r, NULL, (const char *const *) argv->pdata);
}

static void
run_check (BpTestRun *r, ...)
{
  va_list args;

  va_start (args, r);
  run_checkv (r, args);
  va_end (args);
}

/* A usage error: exactly message on stderr, nothing on stdout, exit 2. */
static void
expect_usage (const char *message, ...)
{
  g_auto (BpTestRun) r = { 0 };
  va_list args;

  va_start (args, message);
  run_checkv (&r, args);
  va_end (args);
  g_assert_cmpstr (r.err, ==, message);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_cmpint (r.status, ==, 2);
}

static void
test_command (void)
{
  g_autofree char *off = test_plugin ("softsign_off");
  g_autofree char *missing = test_plugin ("no_such_plugin");
  g_autofree char *not_a_plugin = test_plugin ("not_a_plugin");
  g_autofree char *iris = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                            "iris.yaml", NULL);
  g_autofree char *failed = g_strdup_printf ("bpframe: %s: 3 checks "
                                             "failed\n", off);
  g_autofree char *m_missing = g_strdup_printf ("bpframe: %s: cannot read "
                                                "the plugin: No such file "
                                                "or directory\n", missing);
  g_autofree char *m_not = g_strdup_printf ("bpframe: %s is not a bpframe "
                                            "plugin: it has no symbol "
                                            "'bp_plugin_entry'\n",
                                            not_a_plugin);

  {
    g_auto (BpTestRun) r = { 0 };

    run_check (&r, "relu", NULL);
    g_assert_cmpstr (r.err, ==, "");
    g_assert_cmpint (r.status, ==, 0);
    g_assert_true (g_str_has_suffix (r.out, "\n6 checks: 6 passed, 0 "
                                            "failed\n"));
  }
  {
    g_auto (BpTestRun) r = { 0 };

    run_check (&r, off, NULL);
    g_assert_cmpstr (r.err, ==, failed);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.out, "FAIL: rows 1-4 off\n"));
  }
  {
    /* A 1% error passes only when the tolerance is looser than it. */
    g_auto (BpTestRun) r = { 0 };

    run_check (&r, "--tolerance", "0.02", "--points", "2", "--seed", "7",
               "--step", "1e-6", "--abs-tolerance", "0", off, NULL);
    g_assert_cmpstr (r.err, ==, "");
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.out, "tolerance: |analytic - reference| "
                                     "<= 0 + 0.02 max(|analytic|, "
                                     "|reference|); step h = 1e-06; 2 "
                                     "points; seed 7\n"));
  }
  {
    g_auto (BpTestRun) r = { 0 };

    run_check (&r, iris, NULL);
    g_assert_cmpstr (r.err, ==, "");
    g_assert_cmpint (r.status, ==, 0);
    g_assert_true (g_str_has_suffix (r.out, "\n29 checks: 29 passed, 0 "
                                            "failed\n"));
  }
  {
    g_auto (BpTestRun) r = { 0 };

    run_check (&r, not_a_plugin, NULL);
    g_assert_cmpstr (r.err, ==, m_not);
    g_assert_cmpstr (r.out, ==, "");
    g_assert_cmpint (r.status, ==, 1);
  }
  {
    g_auto (BpTestRun) r = { 0 };

    run_check (&r, "--help", NULL);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.out, "  |a - n| <= ABS + REL max(|a|, "
                                     "|n|)\nplus what rounding can put in "
                                     "a difference (defaults: REL 1e-4,\n"
                                     "ABS 1e-7, h 1e-5 in a double build"));
    g_assert_nonnull (strstr (r.out, "  -t, --tolerance=REL         "
                                     "Relative tolerance REL (default "
                                     "0.0001)\n"));
    g_assert_nonnull (strstr (r.out, "  --step=H                    "
                                     "Finite-difference step h (default "
                                     "1e-05)\n"));
  }

  expect_usage (m_missing, missing, NULL);
  expect_usage ("bpframe: check needs a plugin or a graph file (try "
                "'bpframe check --help')\n", NULL);
  expect_usage ("bpframe: check takes one plugin or graph file, got 2 "
                "arguments\n", "relu", "sum", NULL);
  expect_usage ("bpframe: --step must be a number > 0\n", "--step", "0",
                "relu", NULL);
  expect_usage ("bpframe: --tolerance must be a number >= 0\n",
                "--tolerance", "-1", "relu", NULL);
  expect_usage ("bpframe: --abs-tolerance must be a number >= 0\n",
                "--abs-tolerance", "nan", "relu", NULL);
  expect_usage ("bpframe: --points must be a positive integer\n",
                "--points", "0", "relu", NULL);
  expect_usage ("bpframe: --seed must not be negative\n", "--seed", "-2",
                "relu", NULL);
  expect_usage ("bpframe: /no/such/graph.yaml: cannot read the graph "
                "file: No such file or directory\n", "/no/such/graph.yaml",
                NULL);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = bp_test_dir_new ("test-check");

  g_test_add_func ("/check/standard-layers", test_standard_layers);
  g_test_add_func ("/check/standard-losses", test_standard_losses);
  g_test_add_func ("/check/default-parameters", test_default_parameters);
  g_test_add_func ("/check/relu-kink", test_relu_kink);
  g_test_add_func ("/check/dropout", test_dropout);
  g_test_add_func ("/check/jacobian-off", test_jacobian_off);
  g_test_add_func ("/check/bias-column", test_bias_column);
  g_test_add_func ("/check/vacuous", test_vacuous);
  g_test_add_func ("/check/guard-bytes", test_guard_bytes);
  g_test_add_func ("/check/graph-iris", test_graph_iris);
  g_test_add_func ("/check/graph-groups", test_graph_groups);
  g_test_add_func ("/check/graph-error", test_graph_error);
  g_test_add_func ("/check/graph-domain", test_graph_domain);
  g_test_add_func ("/check/graph-wide", test_graph_wide);
  g_test_add_func ("/check/shared-row", test_shared_row);
  g_test_add_func ("/check/bad-input", test_bad_input);
  g_test_add_func ("/check/harness", test_harness);
  g_test_add_func ("/check/harness-output", test_harness_output);
  g_test_add_func ("/check/command", test_command);

  status = g_test_run ();
  bp_test_dir_remove (tmp_dir);
  g_free (tmp_dir);
  return status;
}
