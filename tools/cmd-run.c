/* bpframe run: trains the network a graph file describes, printing one
 * line per epoch and a summary, and writes the model file; or, for a graph
 * in solve mode, prints each iterate of the input it solves for.
 */
#include <math.h>
#include <string.h>

#include "cli.h"

typedef struct {
  gboolean quiet;
  gboolean scheduled; /* the learning rate changes: print it */
  gint64 start_time;
  BpEpochReport last;
} RunProgress;

static guint
digits (guint n)
{
  guint count = 1;

  while (n >= 10)
    {
      n /= 10;
      count++;
    }
  return count;
}

static gboolean
print_epoch (const BpEpochReport *report, gpointer user_data)
{
  RunProgress *progress = user_data;

  progress->last = *report;
  if (progress->quiet)
    return TRUE;

  /* The epoch number padded to the width of the last one, so columns
   * line up. */
  g_print ("epoch %*u/%u  loss %.6g", (int) digits (report->epochs),
           report->epoch, report->epochs, report->train_loss);
  if (!isnan (report->test_accuracy))
    g_print ("  test accuracy %.4f", report->test_accuracy);
  else if (!isnan (report->test_loss))
    g_print ("  test loss %.6g", report->test_loss);
  if (progress->scheduled)
    g_print ("  lr %g", report->learning_rate);
  if (report->seconds < 1.0)
    g_print ("  %.1f ms\n", report->seconds * 1e3);
  else
    g_print ("  %.2f s\n", report->seconds);
  return TRUE;
}

static void
print_summary (const RunProgress *progress, BpRun *run,
               const char *model_path)
{
  const BpDataset *test = bp_run_get_test (run);
  double seconds = (double) (g_get_monotonic_time ()
                             - progress->start_time) / G_USEC_PER_SEC;

  g_print ("trained %u epochs on %zu samples in %.2f s; final loss %.6g",
           progress->last.epoch, bp_run_get_train (run)->n, seconds,
           progress->last.train_loss);
  if (test != NULL && !isnan (progress->last.test_accuracy))
    g_print ("; test accuracy %.4f (%.0f of %zu)",
             progress->last.test_accuracy,
             round (progress->last.test_accuracy * (double) test->n),
             test->n);
  g_print ("\n");
  if (model_path != NULL)
    g_print ("model written to %s\n", model_path);
}

/* ---- Solve mode ---------------------------------------------------------- */

typedef struct {
  gboolean quiet;
  const char *name;
  guint update;
  GString *input; /* the last iterate's x, as printed */
  char f[BP_CLI_REAL_SIZE];
} SolveProgress;

/* "x = 3" for one input, "x = (1.5, 2)" for several. */
static void
format_input (GString *out, const char *name, gsize n, const bp_real *x)
{
  char number[BP_CLI_REAL_SIZE];

  g_string_printf (out, "%s = %s", name, n > 1 ? "(" : "");
  for (gsize j = 0; j < n; j++)
    g_string_append_printf (out, "%s%s", j > 0 ? ", " : "",
                            bp_cli_format_real (x[j], number));
  if (n > 1)
    g_string_append_c (out, ')');
}

static gboolean
print_iterate (const BpSolveReport *report, gpointer user_data)
{
  SolveProgress *progress = user_data;

  progress->update = report->update;
  format_input (progress->input, progress->name, report->n_in,
                report->input);
  bp_cli_format_real (report->f, progress->f);
  if (!progress->quiet)
    g_print ("update %u  %s  f = %s\n", report->update,
             progress->input->str, progress->f);
  return TRUE;
}

/* Solve mode has no epochs, seed, model or update order: an option that
 * sets one would be silently ignored, so it is refused. */
static int
run_solve (const BpGraph *graph, gboolean quiet, const char *option)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) input = g_string_new (NULL);
  char target[BP_CLI_REAL_SIZE];
  SolveProgress progress = { 0 };

  if (option != NULL)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "%s is not used when training solves for the input",
                   option);
      return bp_cli_fail (error);
    }

  progress.quiet = quiet;
  progress.name = bp_graph_get_solve_name (graph);
  progress.input = input;
  if (!bp_solve (graph, print_iterate, &progress, &error))
    return bp_cli_fail (error);

  g_print ("after %u update%s: %s  f = %s (target %s)\n", progress.update,
           progress.update == 1 ? "" : "s", progress.input->str,
           progress.f,
           bp_cli_format_real (bp_graph_get_solve_target (graph), target));
  return BP_EXIT_OK;
}

/* ---- The command --------------------------------------------------------- */

int
bp_cmd_run (int argc, char **argv)
{
  gint64 epochs = 0, seed = -1;
  g_autofree char *model = NULL;
  g_autofree char *update = NULL;
  gboolean quiet = FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (BpGraph) graph = NULL;
  g_autoptr (BpRun) run = NULL;
  RunProgress progress = { 0 };
  const char *model_path;
  GOptionEntry entries[] = {
    { "epochs", 'e', 0, G_OPTION_ARG_INT64, &epochs,
      "Train for N epochs instead of the graph's", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed,
      "Use seed S instead of the graph's", "S" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model,
      "Write the model to PATH instead of the graph's output.model",
      "PATH" },
    { "update", 'u', 0, G_OPTION_ARG_STRING, &update,
      "Use this update order instead of the graph's: sequential (the "
      "paper's) or simultaneous", "ORDER" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      "Print only errors (and, in solve mode, the last line)", NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("GRAPH.yaml - train a network");
  g_option_context_set_summary (context,
    "Trains the network GRAPH.yaml describes on its data, printing one line "
    "per epoch\n(the mean training loss, the test accuracy, the time) and "
    "a summary, then\nwrites the trained parameters to the model file.\n"
    "\n"
    "A graph in solve mode (training: {solve: input, ...}) trains nothing: "
    "it\nprints each iterate of the input it solves for, then the last.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return bp_cli_fail (error);

  if (argc != 2)
    {
      if (argc < 2)
        g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                             "run needs a graph file (try 'bpframe run "
                             "--help')");
      else
        g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                     "run takes one graph file, got %d arguments",
                     argc - 1);
      return bp_cli_fail (error);
    }
  if (epochs < 0 || epochs > G_MAXUINT || seed < -1)
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           epochs < 0 || epochs > G_MAXUINT
                             ? "--epochs must be a positive integer"
                             : "--seed must not be negative");
      return bp_cli_fail (error);
    }

  if (update != NULL && strcmp (update, "sequential") != 0
      && strcmp (update, "simultaneous") != 0)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--update must be sequential or simultaneous, got '%s'",
                   update);
      return bp_cli_fail (error);
    }

  graph = bp_cli_load_graph (argv[1]);
  if (graph == NULL)
    return BP_EXIT_USAGE;
  if (bp_graph_solves (graph))
    return run_solve (graph, quiet,
                      epochs > 0 ? "--epochs"
                      : seed >= 0 ? "--seed"
                      : model != NULL ? "--model"
                      : update != NULL ? "--update" : NULL);
  if (epochs > 0)
    bp_graph_set_epochs (graph, (guint) epochs);
  if (seed >= 0)
    bp_graph_set_seed (graph, (guint64) seed);
  if (model != NULL)
    bp_graph_set_model_path (graph, model);
  if (update != NULL)
    bp_graph_set_update (graph, strcmp (update, "sequential") == 0
                                  ? BP_UPDATE_SEQUENTIAL
                                  : BP_UPDATE_SIMULTANEOUS);

  run = bp_run_new (graph, &error);
  if (run == NULL)
    return bp_cli_fail (error);

  progress.quiet = quiet;
  progress.scheduled = bp_graph_has_schedule (graph);
  progress.start_time = g_get_monotonic_time ();
  if (!bp_run_train (run, print_epoch, &progress, &error))
    return bp_cli_fail (error);

  model_path = bp_graph_get_model_path (graph);
  if (model_path != NULL && !bp_run_save_model (run, model_path, &error))
    return bp_cli_fail (error);
  if (!quiet)
    print_summary (&progress, run, model_path);
  return BP_EXIT_OK;
}
