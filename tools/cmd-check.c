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
  "central finite differences D(h) = (f(v + h) - f(v - h)) / 2h, taken\n"
  "as (4 D(h/2) - D(h)) / 3, for jacobian, local_L, loss_gradient and the\n"
  "chain through an affine layer; the explicit form for a fast one\n"
  "(jacobian_product against m J, update_batch against the sum of\n"
  "diag(m) L, loss_fused_gradient against M J). A row passes when every\n"
  "entry has\n"
  "  |a - n| <= ABS + REL max(|a|, |n|)\n"
  "plus what rounding can put in a difference (defaults: REL 1e-4,\n"
  "ABS 1e-7, h 1e-5 in a double build, REL 3e-3 and h 3e-3 in a float\n"
  "one; 5 points, seed 1: every standard plugin passes, and a derivative\n"
  "off by a factor 1.01 fails). A point within a step of a kink (relu at\n"
  "0), where the two steps' quotients disagree, is skipped, and so is one\n"
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
  g_autofree char *rel_help = NULL, *abs_help = NULL, *step_help = NULL;
  GOptionEntry entries[] = {
    { "tolerance", 't', 0, G_OPTION_ARG_DOUBLE, &rel, NULL, "REL" },
    { "abs-tolerance", 'a', 0, G_OPTION_ARG_DOUBLE, &abs_tol, NULL, "ABS" },
    { "step", 0, 0, G_OPTION_ARG_DOUBLE, &step, NULL, "H" },
    { "points", 'n', 0, G_OPTION_ARG_INT64, &points,
      "Random points per check (default 5)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed,
      "Seed of the random points (default 1)", "S" },
    G_OPTION_ENTRY_NULL
  };

  /* The defaults are the build's (a float build has its own). */
  bp_check_options_init (&options);
  rel = options.rel_tolerance;
  abs_tol = options.abs_tolerance;
  step = options.step;
  rel_help = g_strdup_printf ("Relative tolerance REL (default %g)", rel);
  abs_help = g_strdup_printf ("Absolute tolerance ABS (default %g)",
                              abs_tol);
  step_help = g_strdup_printf ("Finite-difference step h (default %g)",
                               step);
  entries[0].description = rel_help;
  entries[1].description = abs_help;
  entries[2].description = step_help;

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
