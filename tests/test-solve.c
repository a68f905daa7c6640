/* Solve mode from the command line: the paper's Examples 1 to 3, each
 * computed here again in plain C and compared with every line `bpframe
 * run` prints for configs/paper/exampleN.yaml; and bad solve graphs.
 */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "testutil.h"

static char *tmp_dir;

static char *
example_path (const char *name)
{
  return g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"), "paper", name,
                           NULL);
}

/* ---- The test's own iterates ------------------------------------------ */

/* The shortest decimal form that reads back as value, found here by
 * trying every precision from 1 digit up, apart from bpframe's own. */
static const char *
shortest (double value, char *buffer)
{
  for (int digits = 1; digits <= 17; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buffer, G_ASCII_DTOSTR_BUF_SIZE, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  return buffer;
}

/* One iterate as `bpframe run` prints it. */
static void
append_iterate (GString *out, guint update, const char *name,
                const double *x, gsize n, double f)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, "update %u  %s = %s", update, name,
                          n > 1 ? "(" : "");
  for (gsize j = 0; j < n; j++)
    g_string_append_printf (out, "%s%s", j > 0 ? ", " : "",
                            shortest (x[j], number));
  g_string_append_printf (out, "%s  f = %s\n", n > 1 ? ")" : "",
                          shortest (f, number));
}

static void
assert_shortest (double value, const char *expected)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_assert_cmpstr (shortest (value, number), ==, expected);
}

/* Example 1: x <- x + (8 - x^2) / (2x) from 3; four updates reach the
 * paper's "x3", through the iterates NOTES.md lists. */
static char *
example1_iterates (void)
{
  GString *out = g_string_new (NULL);
  static const char *const notes[] = {
    "3", "2.8333333333333335", "2.8284313725490198", "2.8284271247493797",
    "2.8284271247461903"
  };
  double x = 3.0, f = 0.0;

  for (guint k = 0;; k++)
    {
      f = x * x;
      assert_shortest (x, notes[k]);
      append_iterate (out, k, "x", &x, 1, f);
      if (k == 4)
        break;
      x = x + (8 - f) / (2 * x);
    }
  assert_shortest (f, "8.000000000000002");
  return g_string_free (out, FALSE);
}

/* Example 2: phi = t^3, f = phi^2, t <- t + (8 - f) / (f'(phi) phi'(t))
 * from 1; eight updates reach the paper's "t7". The derivative is the
 * chain's product as backpropagation forms it, 2 phi then times 3 t^2,
 * and t^3 is pow's (t * t * t rounds twice): so every iterate is the
 * program's to the bit. */
static char *
example2_iterates (void)
{
  GString *out = g_string_new (NULL);
  double t = 1.0, f = 0.0, u = 1.0;

  for (guint k = 0;; k++)
    {
      double phi = pow (t, 3);

      f = phi * phi;
      append_iterate (out, k, "t", &t, 1, f);
      if (k == 8)
        break;
      t = t + (8 - f) / ((2 * phi) * (3 * (t * t)));
    }
  assert_shortest (t, "1.4142135623730951");
  assert_shortest (f, "8.000000000000004");

  /* The paper's own grouping, equation (2), rounds differently on the
   * way (2.1666666666666665 for 2.166666666666667 at update 1), but
   * lands on the same t. */
  for (guint k = 0; k < 8; k++)
    {
      double phi = u * u * u;

      u = u + (1 / (3 * u * u)) * ((8 - phi * phi) / (2 * phi));
    }
  assert_shortest (u, "1.4142135623730951");
  return g_string_free (out, FALSE);
}

/* Example 3: f = x^2 + y^3, (x, y) <- (x, y) + eta s (2x, 3y^2) with
 * eta = 1e-5 and s the sign of 3 - f, from (1, 1), 10000 updates. y^3
 * is pow's, as the power layer computes it. */
static char *
example3_iterates (void)
{
  GString *out = g_string_new (NULL);
  double x[2] = { 1.0, 1.0 }, f = 0.0;

  for (guint k = 0;; k++)
    {
      double s, dx, dy;

      f = x[0] * x[0] + pow (x[1], 3);
      append_iterate (out, k, "x", x, 2, f);
      if (k == 10000)
        break;
      s = f < 3 ? +1.0 : -1.0;
      dx = 2 * x[0];
      dy = 3 * x[1] * x[1];
      x[0] = x[0] + 1e-5 * s * dx;
      x[1] = x[1] + 1e-5 * s * dy;
    }
  assert_shortest (x[0], "1.1197192676622458");
  assert_shortest (x[1], "1.2042530081873657");
  assert_shortest (f, "3.000209427755353");
  return g_string_free (out, FALSE);
}

/* ---- The examples through the program ---------------------------------- */

/* Runs the example: every iterate line as the test's own, then one
 * summary line with the paper's strings; --quiet prints that line alone.
 */
static void
check_example (const char *name, const char *iterates,
               const char *const *strings, const char *summary)
{
  g_autofree char *path = example_path (name);
  g_autofree char *expected = g_strconcat (iterates, summary, NULL);
  g_auto (BpTestRun) r = { 0 };
  g_auto (BpTestRun) quiet = { 0 };
  const char *last;

  bp_test_run_bpframe (&r, NULL, "run", path, NULL);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, expected);

  last = r.out + strlen (iterates);
  for (gsize i = 0; strings[i] != NULL; i++)
    g_assert_nonnull (strstr (last, strings[i]));

  bp_test_run_bpframe (&quiet, NULL, "run", "--quiet", path, NULL);
  g_assert_cmpstr (quiet.err, ==, "");
  g_assert_cmpint (quiet.status, ==, 0);
  g_assert_cmpstr (quiet.out, ==, last);
}

static void
test_example1 (void)
{
  g_autofree char *iterates = example1_iterates ();
  static const char *const strings[] = {
    "x = 2.8284271247461903", "f = 8.000000000000002", NULL
  };

  check_example ("example1.yaml", iterates, strings,
                 "after 4 updates: x = 2.8284271247461903  "
                 "f = 8.000000000000002 (target 8)\n");
}

static void
test_example2 (void)
{
  g_autofree char *iterates = example2_iterates ();
  static const char *const strings[] = {
    "t = 1.4142135623730951", "f = 8.000000000000004", NULL
  };

  check_example ("example2.yaml", iterates, strings,
                 "after 8 updates: t = 1.4142135623730951  "
                 "f = 8.000000000000004 (target 8)\n");
}

static void
test_example3 (void)
{
  g_autofree char *iterates = example3_iterates ();
  static const char *const strings[] = {
    "x = (1.1197192676622458, 1.2042530081873657)",
    "f = 3.000209427755353", NULL
  };

  check_example ("example3.yaml", iterates, strings,
                 "after 10000 updates: x = (1.1197192676622458, "
                 "1.2042530081873657)  f = 3.000209427755353 (target 3)\n");
}

/* ---- Other solve graphs -------------------------------------------------- */

/* Example 1's chain with the training lines given. */
static char *
square_graph (const char *input, const char *exponents,
              const char *training)
{
  return g_strdup_printf ("version: 1\n"
                          "network:\n"
                          "  input: %s\n"
                          "  layers:\n"
                          "    - power: {exponents: %s}\n"
                          "%s"
                          "  loss: target\n"
                          "training:\n"
                          "  solve: input\n"
                          "  target: 8\n"
                          "%s",
                          input, exponents,
                          strcmp (input, "1") != 0 ? "    - sum\n" : "",
                          training);
}

/* Runs `bpframe run` on a graph and checks the exit code, the whole of
 * stdout and the whole of stderr; "%s" in err stands for the graph's
 * path. */
static void
expect_run (const char *graph, const char *option, int status,
            const char *out, const char *err)
{
  g_autofree char *path = bp_test_write_file (tmp_dir, "solve.yaml", graph);
  g_autofree char *message = g_strdup_printf (err, path);
  g_auto (BpTestRun) r = { 0 };

  bp_test_run_bpframe (&r, NULL, "run", path, option, NULL);
  g_assert_cmpstr (r.err, ==, message);
  g_assert_cmpstr (r.out, ==, out);
  g_assert_cmpint (r.status, ==, status);
}

/* With a tolerance, the solve stops at the first iterate within it. */
static void
test_tolerance (void)
{
  g_autofree char *graph = square_graph ("1", "[2]",
                                         "  rule: tangent\n"
                                         "  start: [3]\n"
                                         "  updates: 50\n"
                                         "  tolerance: 1e-10\n");

  expect_run (graph, "--quiet", 0,
              "after 3 updates: x = 2.8284271247493797  "
              "f = 8.000000000018042 (target 8)\n", "");
}

static void
test_bad_graphs (void)
{
  g_autofree char *two_inputs = square_graph ("2", "[2, 3]",
                                              "  rule: tangent\n"
                                              "  start: [1, 1]\n"
                                              "  updates: 4\n");
  g_autofree char *one_input = square_graph ("1", "[2]",
                                             "  rule: tangent\n"
                                             "  start: [3]\n"
                                             "  updates: 4\n");
  g_autofree char *with_data = g_strdup_printf (
    "version: 1\ndata:\n  train: {inputs: [[3]], targets: [[8]]}\n%s",
    strchr (one_input, '\n') + 1);
  g_autofree char *mse = g_strdup (one_input);

  /* The tangent rule has one slope to divide by. */
  expect_run (two_inputs, NULL, 2, "",
              "bpframe: %s:11:9: the tangent rule needs a single input; "
              "network.input is 2 (gradient_sign takes several)\n");

  expect_run (with_data, NULL, 2, "",
              "bpframe: %s:2:1: data is not used when training solves "
              "for the input\n");

  /* Options that set what solve mode does not have. */
  expect_run (one_input, "--epochs=3", 2, "",
              "bpframe: --epochs is not used when training solves for "
              "the input\n");
  expect_run (one_input, "--model=m.yaml", 2, "",
              "bpframe: --model is not used when training solves for "
              "the input\n");
  expect_run (one_input, "--threads=2", 2, "",
              "bpframe: --threads is not used when training solves for "
              "the input\n");
  expect_run (one_input, "--progress=never", 2, "",
              "bpframe: --progress is not used when training solves for "
              "the input\n");

  /* A loss other than the residual would scale every step wrongly. */
  memcpy (strstr (mse, "loss: target"), "loss: mse   ", 12);
  expect_run (mse, NULL, 2, "",
              "bpframe: %s:6:9: solving for the input needs a loss that "
              "gives the residual sigma - f, as target does; mse does "
              "not\n");
}

/* Failures part way: the iterates so far are printed, then the error. */
static void
test_failures (void)
{
  g_autofree char *flat = square_graph ("1", "[2]",
                                        "  rule: tangent\n"
                                        "  start: [0]\n"
                                        "  updates: 4\n");
  g_autofree char *diverging = square_graph ("1", "[2]",
                                             "  rule: gradient_sign\n"
                                             "  lr: 1e300\n"
                                             "  start: [3]\n"
                                             "  updates: 4\n");

  expect_run (flat, NULL, 1, "update 0  x = 0  f = 0\n",
              "bpframe: the derivative is 0 at x = 0; the tangent rule "
              "cannot move\n");
  expect_run (diverging, NULL, 1, "update 0  x = 3  f = 9\n",
              "bpframe: f is not finite at update 1; try a smaller lr "
              "(lr is 1e+300)\n");
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = bp_test_dir_new ("test-solve");

  g_test_add_func ("/solve/example1", test_example1);
  g_test_add_func ("/solve/example2", test_example2);
  g_test_add_func ("/solve/example3", test_example3);
  g_test_add_func ("/solve/tolerance", test_tolerance);
  g_test_add_func ("/solve/bad-graphs", test_bad_graphs);
  g_test_add_func ("/solve/failures", test_failures);

  status = g_test_run ();
  bp_test_dir_remove (tmp_dir);
  g_free (tmp_dir);
  return status;
}
