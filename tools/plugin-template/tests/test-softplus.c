/* The template plugin's tests: bpframe's harness runs every check of
 * `bpframe check` on softplus.so, and softplus's own values are held to
 * figures computed apart (50-digit decimal arithmetic).
 */
#include <math.h>
#include <string.h>

#include <bpframe/check.h>
#include <bpframe/plugin.h>
#include <glib.h>
#include <gmodule.h>

/* Every check of the harness: jacobian against central finite
 * differences at seeded points, the fast jacobian_product against the
 * explicit jacobian, output sizes, alone and after an affine layer. A
 * failure is reported through g_test_fail with what differed. */
static void
test_softplus (void)
{
  bp_test_check_plugin (PLUGIN_PATH); /* softplus.so, from meson */
}

/* ---- Values -------------------------------------------------------------- */

/* Relative agreement to the number type's precision: a few units in the
 * last place of double, or of float in a float build. */
static void
assert_close (double got, double want)
{
  double tolerance = sizeof (bp_real) == sizeof (double) ? 4e-16 : 4e-7;

  if (want == 0)
    g_assert_cmpfloat (got, ==, 0);
  else
    g_assert_cmpfloat_with_epsilon (got / want, 1.0, tolerance);
}

/* The plugin opened by hand, one instance made with beta (or none when
 * beta is NAN). */
typedef struct {
  GModule *module;
  const BpPlugin *desc;
  void *state;
  BpLayerShape shape;
  BpError err;
  int status;
} Instance;

static void
instance_open (Instance *in, size_t n_in, double beta)
{
  BpPluginEntry entry = NULL;
  BpArg arg = { .name = "beta", .type = BP_ARG_REAL, .real = beta };
  /* softplus uses no service of the host, so none is lent. */
  BpLayerConfig config = { .n_in = n_in, .args = &arg,
                           .n_args = isnan (beta) ? 0 : 1 };

  memset (in, 0, sizeof *in);
  in->module = g_module_open (PLUGIN_PATH, G_MODULE_BIND_LOCAL);
  g_assert_nonnull (in->module);
  g_assert_true (g_module_symbol (in->module, BP_PLUGIN_ENTRY_SYMBOL,
                                  (gpointer *) &entry));
  in->desc = entry ();
  g_assert_cmpstr (in->desc->name, ==, PLUGIN_NAME);
  in->status = in->desc->layer_init (&config, &in->state, &in->shape,
                                     &in->err);
}

static void
instance_close (Instance *in)
{
  if (in->status == 0)
    in->desc->fini (in->state);
  g_assert_true (g_module_close (in->module));
}

/* y = log(1 + e^x) for beta 1 (the default) on both sides of 0 and far
 * out, where the naive formula overflows (x = 800) or rounds to 0
 * (x = -40); its jacobian's diagonal is logistic(x), off it 0. */
static void
test_values (void)
{
  static const double x[] = { 0, 1, -1, 40, -40, 800, -800 };
  static const double want_y[] = {
    0.6931471805599453, 1.3132616875182228, 0.3132616875182228, 40.0,
    4.248354255291589e-18, 800.0, 0.0
  };
  static const double want_d[] = {
    0.5, 0.7310585786300049, 0.2689414213699951, 1.0,
    4.248354255291589e-18, 1.0, 0.0
  };
  enum { N = G_N_ELEMENTS (x) };
  bp_real X[N], Y[N], J[N * N], G[N], G_in[N];
  Instance in;

  for (gsize i = 0; i < N; i++)
    {
      X[i] = (bp_real) x[i];
      G[i] = 1;
    }
  instance_open (&in, N, NAN);
  g_assert_cmpint (in.status, ==, 0);
  g_assert_cmpuint (in.shape.n_out, ==, N);
  g_assert_cmpuint (in.shape.param_rows, ==, 0);

  in.desc->forward (in.state, NULL, 1, X, Y);
  in.desc->jacobian (in.state, NULL, X, Y, J);
  in.desc->jacobian_product (in.state, NULL, 1, X, Y, G, G_in);
  for (gsize k = 0; k < N; k++)
    {
      assert_close (Y[k], want_y[k]);
      assert_close (G_in[k], want_d[k]);
      for (gsize j = 0; j < N; j++)
        if (j == k)
          assert_close (J[k * N + j], want_d[k]);
        else
          g_assert_cmpfloat (J[k * N + j], ==, 0);
    }
  instance_close (&in);
}

/* beta 2, on a batch of two rows: y = log(1 + e^(2x)) / 2. */
static void
test_beta (void)
{
  bp_real X[] = { 1, -3 }, Y[2], G[] = { 1, 1 }, G_in[2];
  Instance in;

  instance_open (&in, 1, 2.0);
  g_assert_cmpint (in.status, ==, 0);
  in.desc->forward (in.state, NULL, 2, X, Y);
  in.desc->jacobian_product (in.state, NULL, 2, X, Y, G, G_in);
  assert_close (Y[0], 1.0634640055214863);
  assert_close (Y[1], 0.0012378425688652247);
  assert_close (G_in[0], 0.8807970779778824);
  assert_close (G_in[1], 0.0024726231566347743);
  instance_close (&in);
}

/* A beta that is not positive is refused by init, naming the parameter
 * (so that bpframe points at its line and column). */
static void
test_bad_beta (void)
{
  Instance in;

  instance_open (&in, 3, 0.0);
  g_assert_cmpint (in.status, ==, -1);
  g_assert_cmpstr (in.err.message, ==, "beta must be greater than 0, got 0");
  g_assert_cmpstr (in.err.param, ==, "beta");
  instance_close (&in);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/softplus/harness", test_softplus);
  g_test_add_func ("/softplus/values", test_values);
  g_test_add_func ("/softplus/beta", test_beta);
  g_test_add_func ("/softplus/bad-beta", test_bad_beta);
  return g_test_run ();
}
