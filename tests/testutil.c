/* Shared by the unit tests (see testutil.h): temporary folders, made,
 * filled and removed again, asserting every step; runs of the bpframe
 * program; and the paper's 2-2-2 network with its step worked out by
 * hand.
 */
#include <math.h>
#include <stdarg.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "testutil.h"

char *
bp_test_dir_new (const char *prefix)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmpl = g_strdup_printf ("bpframe-%s-XXXXXX", prefix);
  g_autofree char *dir = g_dir_make_tmp (tmpl, &error);

  g_assert_no_error (error);
  return g_canonicalize_filename (dir, NULL);
}

void
bp_test_dir_remove (const char *dir)
{
  g_autoptr (GDir) entries = g_dir_open (dir, 0, NULL);
  const char *name;

  while (entries != NULL && (name = g_dir_read_name (entries)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_remove (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

char *
bp_test_write_file (const char *dir, const char *name, const char *text)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

BpGraph *
bp_test_load_data_graph (const char *dir, const char *train,
                         const char *test)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *test_line = test != NULL
                               ? g_strdup_printf ("  test: %s\n", test)
                               : g_strdup ("");
  g_autofree char *text = g_strdup_printf (
    "version: 1\n"
    "network: {input: 4, layers: [relu], loss: mse}\n"
    "data:\n"
    "  train: %s\n"
    "%s"
    "training: {epochs: 1, optimizer: {sgd: {lr: 0.1}}}\n",
    train, test_line);
  g_autofree char *path = bp_test_write_file (dir, "graph.yaml", text);
  BpGraph *graph = bp_graph_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (graph);
  return graph;
}

void
bp_test_run_clear (BpTestRun *r)
{
  g_free (r->out);
  g_free (r->err);
}

void
bp_test_run_bpframe_argv (BpTestRun *r, const char *plugin_path,
                          const char *const *args)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) argv = NULL;
  g_auto (GStrv) envp = g_get_environ ();
  g_autoptr (GError) error = NULL;

  g_strv_builder_add (builder, g_getenv ("BPFRAME"));
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);

  envp = g_environ_setenv (envp, "BPFRAME_PLUGIN_PATH",
                           plugin_path != NULL ? plugin_path : "", TRUE);
  g_assert_true (g_spawn_sync (NULL, argv, envp, 0, NULL, NULL, &r->out,
                               &r->err, &r->status, &error));
  g_assert_no_error (error);
  r->status = WIFEXITED (r->status) ? WEXITSTATUS (r->status) : -1;
}

void
bp_test_run_bpframe (BpTestRun *r, const char *plugin_path, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  va_start (ap, plugin_path);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  bp_test_run_bpframe_argv (r, plugin_path,
                            (const char *const *) args->pdata);
}

void
bp_test_fixture_set_up (BpTestFixture *f, gconstpointer user_data)
{
  g_autofree char *program = g_path_get_basename (g_get_prgname ());

  (void) user_data;
  f->dir = bp_test_dir_new (program);
}

void
bp_test_fixture_tear_down (BpTestFixture *f, gconstpointer user_data)
{
  (void) user_data;
  bp_test_dir_remove (f->dir);
  g_free (f->dir);
}

/* ---- The paper's 2-2-2 network ------------------------------------------ */

const char bp_test_section6_graph[] =
  "version: 1\n"
  "network:\n"
  "  input: 2\n"
  "  layers:\n"
  "    - affine: {units: 2, weights: [[0.1, 0.2], [0.3, -0.4]],\n"
  "               bias: [0.05, -0.02]}\n"
  "    - relu\n"
  "    - affine: {units: 2, weights: [[0.5, -0.6], [0.7, 0.8]],\n"
  "               bias: [0.01, 0.02]}\n"
  "    - softmax\n"
  "  loss: binary_cross_entropy\n"
  "data:\n"
  "  train: {inputs: [[1.0, 0.5]], targets: [[1, 0]]}\n"
  "training:\n"
  "  epochs: 1\n"
  "  optimizer: {sgd: {lr: 0.1}}\n";

/* The paper's formulas, written out for this network alone: M and D of
 * equation (8), delta[B | Xi] = -eta M-1 L-1, then C = (M D) B with the
 * new or the old B, and delta[A | Lambda] = -eta M-2 J_phi(y) L-2. */
void
bp_test_section6_by_hand (gboolean sequential, double A_new[2][3],
                          double B_new[2][3])
{
  const double A[2][2] = { { 0.1, 0.2 }, { 0.3, -0.4 } };
  const double lambda[2] = { 0.05, -0.02 };
  const double B[2][2] = { { 0.5, -0.6 }, { 0.7, 0.8 } };
  const double xi[2] = { 0.01, 0.02 };
  const double x[2] = { 1.0, 0.5 }, f[2] = { 1.0, 0.0 }, eta = 0.1;
  double y[2], phi[2], z[2], sigma[2], M[2], D[2][2], MD[2], C[2];
  double J_phi[2];

  for (int j = 0; j < 2; j++)
    {
      y[j] = A[j][0] * x[0] + A[j][1] * x[1] + lambda[j];
      phi[j] = y[j] > 0 ? y[j] : 0.0;
      J_phi[j] = y[j] > 0 ? 1.0 : 0.0;
    }
  for (int k = 0; k < 2; k++)
    z[k] = B[k][0] * phi[0] + B[k][1] * phi[1] + xi[k];
  sigma[0] = exp (z[0]) / (exp (z[0]) + exp (z[1]));
  sigma[1] = exp (z[1]) / (exp (z[0]) + exp (z[1]));

  for (int k = 0; k < 2; k++)
    M[k] = -0.5 * (f[k] / sigma[k] - (1 - f[k]) / (1 - sigma[k]));
  D[0][0] = sigma[0] * (1 - sigma[0]);
  D[0][1] = D[1][0] = -sigma[0] * sigma[1];
  D[1][1] = sigma[1] * (1 - sigma[1]);
  for (int k = 0; k < 2; k++)
    MD[k] = M[0] * D[0][k] + M[1] * D[1][k];

  for (int k = 0; k < 2; k++)
    {
      B_new[k][0] = B[k][0] - eta * MD[k] * phi[0];
      B_new[k][1] = B[k][1] - eta * MD[k] * phi[1];
      B_new[k][2] = xi[k] - eta * MD[k];
    }

  for (int j = 0; j < 2; j++)
    {
      const double b0j = sequential ? B_new[0][j] : B[0][j];
      const double b1j = sequential ? B_new[1][j] : B[1][j];

      C[j] = MD[0] * b0j + MD[1] * b1j;
      A_new[j][0] = A[j][0] - eta * C[j] * J_phi[j] * x[0];
      A_new[j][1] = A[j][1] - eta * C[j] * J_phi[j] * x[1];
      A_new[j][2] = lambda[j] - eta * C[j] * J_phi[j];
    }
}
