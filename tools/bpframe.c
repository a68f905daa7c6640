/* The bpframe program: parses the command line, calls libbpframe, and is
 * the only place that prints. Exit codes: 0 on success, 2 for a usage or
 * graph-file error, 1 for any other failure.
 */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bpframe/bpframe.h"

enum {
  EXIT_OK = 0,
  EXIT_FAILURE_OTHER = 1,
  EXIT_USAGE = 2
};

static const char commands_summary[] =
  "Commands:\n"
  "  run GRAPH.yaml    train the network a graph file describes\n"
  "\n"
  "Run 'bpframe COMMAND --help' for a command's options.";

static int
exit_code_for (const GError *error)
{
  if (error->domain == G_OPTION_ERROR
      || (error->domain == BP_ERROR && error->code == BP_ERROR_GRAPH))
    return EXIT_USAGE;
  return EXIT_FAILURE_OTHER;
}

static int
fail (const GError *error)
{
  g_printerr ("bpframe: %s\n", error->message);
  return exit_code_for (error);
}

/* ---- bpframe run --------------------------------------------------------- */

typedef struct {
  gboolean quiet;
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

static int
command_run (int argc, char **argv)
{
  gint64 epochs = 0, seed = -1;
  g_autofree char *model = NULL;
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
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      "Print only errors", NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("GRAPH.yaml - train a network");
  g_option_context_set_summary (context,
    "Trains the network GRAPH.yaml describes on its data, printing one line "
    "per epoch\n(the mean training loss, the test accuracy, the time) and "
    "a summary, then\nwrites the trained parameters to the model file.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (error);

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
      return fail (error);
    }
  if (epochs < 0 || epochs > G_MAXUINT || seed < -1)
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           epochs < 0 || epochs > G_MAXUINT
                             ? "--epochs must be a positive integer"
                             : "--seed must not be negative");
      return fail (error);
    }

  /* A graph file that cannot even be read is the caller's mistake, as
   * much as one that is wrong: both exit 2. */
  graph = bp_graph_load (argv[1], &error);
  if (graph == NULL)
    {
      fail (error);
      return EXIT_USAGE;
    }
  if (epochs > 0)
    bp_graph_set_epochs (graph, (guint) epochs);
  if (seed >= 0)
    bp_graph_set_seed (graph, (guint64) seed);
  if (model != NULL)
    bp_graph_set_model_path (graph, model);

  run = bp_run_new (graph, &error);
  if (run == NULL)
    return fail (error);

  progress.quiet = quiet;
  progress.start_time = g_get_monotonic_time ();
  if (!bp_run_train (run, print_epoch, &progress, &error))
    return fail (error);

  model_path = bp_graph_get_model_path (graph);
  if (model_path != NULL && !bp_run_save_model (run, model_path, &error))
    return fail (error);
  if (!quiet)
    print_summary (&progress, run, model_path);
  return EXIT_OK;
}

/* ---- Top level ----------------------------------------------------------- */

static int
command_top (int argc, char **argv)
{
  gboolean version = FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = NULL;
  GOptionEntry entries[] = {
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version,
      "Print the version and exit", NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("COMMAND [OPTION...]");
  g_option_context_set_summary (context,
    "Trains feed-forward neural networks by backpropagation; every layer "
    "and loss\nis a plugin named in a YAML graph file.");
  g_option_context_set_description (context, commands_summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (error);

  if (version)
    {
      g_print ("bpframe %s (plugin ABI %d)\n", BP_VERSION_STRING,
               BP_ABI_VERSION);
      return EXIT_OK;
    }

  if (argc < 2)
    g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                         "no command given (try 'bpframe --help')");
  else
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "unknown command '%s' (try 'bpframe --help')", argv[1]);
  return fail (error);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");

  /* The command is the first word; GOptionContext parses what follows,
   * so that `bpframe run --help` shows run's own options. */
  if (argc >= 2 && strcmp (argv[1], "run") == 0)
    {
      argv[1] = argv[0];
      return command_run (argc - 1, argv + 1);
    }
  return command_top (argc, argv);
}
