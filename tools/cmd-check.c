/* bpframe check: checks a plugin (a .so file or a name on the search path)
 * or every plugin of a graph file against finite differences, prints the
 * table on stdout, and exits 1 when a check fails.
 */
#include <math.h>
#include <string.h>

#include "bpframe/check.h"
#include "cli.h"

static const char check_description[] =
  "Each row compares what a plugin computes (a) with a reference (n):\n"
  "central finite differences (f(v + h) - f(v - h)) / 2h for jacobian,\n"
  "local_L, loss_gradient and the chain through an affine layer; the\n"
  "explicit form for a fast one (jacobian_product against m J,\n"
  "update_batch against the sum of diag(m) L, loss_fused_gradient against\n"
  "M J). A row passes when every entry has\n"
  "  |a - n| <= ABS + REL max(|a|, |n|)\n"
  "(defaults: REL 1e-4, ABS 1e-7, h 1e-5, 5 points, seed 1: every\n"
  "standard plugin passes in double, and a derivative off by a factor\n"
  "1.01 fails). A point within a step of a kink (relu at 0), where the\n"
  "one-sided difference quotients disagree, is skipped, and so is one\n"
  "where a value is not finite; a row fails when it compared nothing, or\n"
  "when both sides are zero everywhere (a vacuous pass). Inputs and\n"
  "parameters are drawn uniform in [-2, 2]; the first point keeps the\n"
  "parameters init_params gives, and sets its first input to 0.\n"
  "\n"
  "Exit status: 0 when every check passes, 1 when one fails or the plugin\n"
  "is not usable, 2 for a usage error or a wrong graph file.";

/* A named plugin file that does not exist is the caller's mistake, as a
 * missing graph file is: exit 2. */
static int
check_fail (const GError *error)
{
  if (error->domain == BP_ERROR && error->code == BP_ERROR_IO)
    {
      g_printerr ("bpframe: %s\n", error->message);
      return BP_EXIT_USAGE;
    }
  return bp_cli_fail (error);
}

static gboolean
is_graph_file (const char *target)
{
  return g_str_has_suffix (target, ".yaml")
         || g_str_has_suffix (target, ".yml");
}

static gboolean
parse_positive (const char *option, double value, gboolean zero_ok,
                GError **error)
{
  if (isfinite (value) && (value > 0 || (zero_ok && value == 0)))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s must be a number %s 0", option, zero_ok ? ">=" : ">");
  return FALSE;
}

int
bp_cmd_check (int argc, char **argv)
{
  BpCheckOptions options;
  gint64 points = -1, seed = -1;
  double rel, abs_tol, step;
  const char *target;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (BpCheckReport) report = NULL;
  g_autofree char *table = NULL;
  guint failed = 0;
  GOptionEntry entries[] = {
    { "tolerance", 't', 0, G_OPTION_ARG_DOUBLE, &rel,
      "Relative tolerance REL (default 1e-4)", "REL" },
    { "abs-tolerance", 'a', 0, G_OPTION_ARG_DOUBLE, &abs_tol,
      "Absolute tolerance ABS (default 1e-7)", "ABS" },
    { "step", 0, 0, G_OPTION_ARG_DOUBLE, &step,
      "Finite-difference step h (default 1e-5)", "H" },
    { "points", 'n', 0, G_OPTION_ARG_INT64, &points,
      "Random points per check (default 5)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed,
      "Seed of the random points (default 1)", "S" },
    G_OPTION_ENTRY_NULL
  };

  bp_check_options_init (&options);
  rel = options.rel_tolerance;
  abs_tol = options.abs_tolerance;
  step = options.step;

  context = g_option_context_new ("PLUGIN|GRAPH.yaml - check gradients");
  g_option_context_set_summary (context,
    "Checks a plugin (a path ending in .so, or a name on the search path) "
    "or\nevery layer and the loss of a graph file: jacobians, L and "
    "losses' gradients\nagainst finite differences, fast forms against "
    "explicit ones, output widths.\nPrints a table: plugin or layer, "
    "operation, max absolute and relative error,\nverdict.");
  g_option_context_set_description (context, check_description);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return bp_cli_fail (error);

  if (argc != 2)
    {
      if (argc < 2)
        g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                             "check needs a plugin or a graph file (try "
                             "'bpframe check --help')");
      else
        g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                     "check takes one plugin or graph file, got %d "
                     "arguments", argc - 1);
      return bp_cli_fail (error);
    }
  if (!parse_positive ("--tolerance", rel, TRUE, &error)
      || !parse_positive ("--abs-tolerance", abs_tol, TRUE, &error)
      || !parse_positive ("--step", step, FALSE, &error))
    return bp_cli_fail (error);
  if (points == 0 || points < -1 || points > G_MAXUINT || seed < -1)
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           seed < -1 ? "--seed must not be negative"
                                     : "--points must be a positive "
                                       "integer");
      return bp_cli_fail (error);
    }
  options.rel_tolerance = rel;
  options.abs_tolerance = abs_tol;
  options.step = step;
  if (points > 0)
    options.points = (guint) points;
  if (seed >= 0)
    options.seed = (guint64) seed;

  target = argv[1];
  if (is_graph_file (target))
    {
      g_autoptr (BpGraph) graph = bp_cli_load_graph (target);

      if (graph == NULL)
        return BP_EXIT_USAGE;
      report = bp_check_graph (graph, &options, &error);
    }
  else
    report = bp_check_plugin (target, &options, &error);
  if (report == NULL)
    return check_fail (error);

  table = bp_check_report_table (report);
  g_print ("%s", table);
  if (bp_check_report_passed (report))
    return BP_EXIT_OK;

  bp_check_report_counts (report, NULL, &failed, NULL);
  if (failed > 0)
    g_printerr ("bpframe: %s: %u check%s failed\n", target, failed,
                failed == 1 ? "" : "s");
  else
    g_printerr ("bpframe: %s: nothing was compared\n", target);
  return BP_EXIT_FAILURE;
}
