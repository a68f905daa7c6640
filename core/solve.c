/* Solve mode, the shooting of the paper's sections 2 and 3: no parameter
 * moves; the input x is pushed through the chain, and d f / d x, pulled
 * back through every layer, corrects it until the output reaches f*.
 */
#include <math.h>

#include "network.h"

/* The rules divide by or step along d loss / d x, which is d f / d x only
 * when the loss is the residual sigma - f with M = 1 (the target plugin):
 * tried on two made-up outputs before the first shot. */
static gboolean
check_residual_loss (const BpGraph *graph, BpNetwork *net, GError **error)
{
  static const bp_real sigma[] = { 5.0, -1.0 }, f[] = { 2.0, 0.5 };
  const BpPlugin *loss = net->loss->desc;

  for (gsize i = 0; i < G_N_ELEMENTS (sigma); i++)
    {
      bp_real M = 0.0;

      loss->loss_gradient (net->loss_state, &sigma[i], &f[i], &M);
      if (loss->loss_value (net->loss_state, 1, &sigma[i], &f[i])
            != sigma[i] - f[i]
          || M != 1.0)
        {
          bp_graph_error (error, graph, graph->loss.mark,
                          "solving for the input needs a loss that gives "
                          "the residual sigma - f, as target does; %s "
                          "does not", loss->name);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
all_finite (const bp_real *v, gsize n)
{
  for (gsize j = 0; j < n; j++)
    if (!isfinite (v[j]))
      return FALSE;
  return TRUE;
}

/* A value that is not finite only gets worse: say where it appeared and,
 * for gradient_sign, which setting to change. */
static void
not_finite (GError **error, const BpGraph *graph, const char *what,
            guint update)
{
  if (graph->solve_rule == BP_SOLVE_GRADIENT_SIGN)
    g_set_error (error, BP_ERROR, BP_ERROR_FAILED,
                 "%s is not finite at update %u; try a smaller lr (lr is "
                 "%g)", what, update, graph->solve_lr);
  else
    g_set_error (error, BP_ERROR, BP_ERROR_FAILED,
                 "%s is not finite at update %u", what, update);
}

gboolean
bp_solve (const BpGraph *graph, BpSolveFunc on_iterate, gpointer user_data,
          GError **error)
{
  g_autoptr (BpNetwork) net = NULL;
  g_autofree bp_real *x = NULL;
  g_autofree bp_real *g = NULL;
  bp_real target, sigma = 0.0;
  gsize n;

  g_return_val_if_fail (graph != NULL && graph->solve, FALSE);
  g_return_val_if_fail (graph->solve_rule != BP_SOLVE_TANGENT
                        || graph->input == 1, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* The chain, with one output and a loss that gives f - f*. */
  net = bp_network_new (graph, 1, error);
  if (net == NULL)
    return FALSE;
  if (net->n_out != 1)
    {
      bp_graph_error (error, graph, graph->loss.mark,
                      "solving for the input needs a single output; the "
                      "network gives %zu", net->n_out);
      return FALSE;
    }
  if (!check_residual_loss (graph, net, error))
    return FALSE;

  n = net->n_in;
  x = g_new (bp_real, n);
  g = g_new (bp_real, n);
  for (gsize j = 0; j < n; j++)
    x[j] = (bp_real) graph->solve_start[j];
  target = (bp_real) graph->solve_target;

  for (guint update = 0;; update++)
    {
      BpSolveReport report;
      double r;

      /* Shoot x through the chain: f is sigma itself (r + f* could round
       * differently), g = d f / d x since M = 1. */
      r = bp_network_input_gradient (net, x, &target, &sigma, g);
      if (!all_finite (x, n))
        {
          not_finite (error, graph, graph->solve_name, update);
          return FALSE;
        }
      if (!isfinite (sigma))
        {
          not_finite (error, graph, "f", update);
          return FALSE;
        }

      /* Report the iterate; stop after the last update, or once f is
       * within the tolerance of f* (without one, even an exact hit goes
       * on: gradient_sign then steps down, as the paper's loop does). */
      report.update = update;
      report.n_in = n;
      report.input = x;
      report.f = sigma;
      if (on_iterate != NULL && !on_iterate (&report, user_data))
        return TRUE;
      if (update == graph->solve_updates
          || (graph->solve_tolerance > 0.0
              && fabs (sigma - target) <= graph->solve_tolerance))
        return TRUE;
      if (!all_finite (g, n))
        {
          not_finite (error, graph, "the derivative", update);
          return FALSE;
        }

      /* Correct x, written exactly as the paper's reconstructions are:
       * an algebraically equal form changes the last digits. */
      if (graph->solve_rule == BP_SOLVE_TANGENT)
        {
          if (g[0] == 0.0)
            {
              g_set_error (error, BP_ERROR, BP_ERROR_FAILED,
                           "the derivative is 0 at %s = %g; the tangent "
                           "rule cannot move", graph->solve_name, x[0]);
              return FALSE;
            }
          x[0] = x[0] + (-r) / g[0];
        }
      else
        {
          double s = (sigma < target) ? +1.0 : -1.0;

          for (gsize j = 0; j < n; j++)
            x[j] = x[j] + graph->solve_lr * s * g[j];
        }
    }
}
