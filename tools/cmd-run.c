/* bpframe run: trains the network a graph file describes, printing one
 * line per epoch and a summary (and, on a terminal, a progress line while
 * an epoch runs), and writes the model file; or, for a graph in solve
 * mode, prints each iterate of the input it solves for.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

/* The progress line is redrawn at most this often by default: five times
 * a second, which reads as live without costing a terminal write per
 * batch. */
#define PROGRESS_INTERVAL_MS 200

/* Room for the progress line, its "\r" and the blanks that cover a
 * longer line drawn before it. */
#define PROGRESS_LINE_SIZE 256

typedef struct {
  gboolean quiet;
  gboolean scheduled; /* the learning rate changes: print it */
  gint64 start_time;
  BpEpochReport last;

  /* The progress line on stderr, redrawn in place while an epoch runs. */
  gint64 interval;    /* the least time between two drawings, in us */
  gint64 drawn_at;    /* when it was last drawn; at first, the start */
  gsize shown;        /* the columns it covers now; 0 when erased */
  char line[PROGRESS_LINE_SIZE];
} RunProgress;

static guint
digits (guint64 n)
{
  guint count = 1;

  while (n >= 10)
    {
      n /= 10;
      count++;
    }
  return count;
}

/* ---- The progress line --------------------------------------------------- */

/* Writes the time left as a person reads it: "4.2 s", "38 s",
 * "3 min 05 s", "2 h 07 min". */
static void
format_time_left (char *buffer, gsize size, double seconds)
{
  guint64 whole = (guint64) (seconds + 0.5);

  if (seconds < 9.95)
    g_snprintf (buffer, size, "%.1f s", seconds);
  else if (whole < 60)
    g_snprintf (buffer, size, "%" G_GUINT64_FORMAT " s", whole);
  else if (whole < 3600)
    g_snprintf (buffer, size, "%" G_GUINT64_FORMAT " min %02u s",
                whole / 60, (guint) (whole % 60));
  else
    g_snprintf (buffer, size, "%" G_GUINT64_FORMAT " h %02u min",
                whole / 3600, (guint) (whole % 3600 / 60));
}

/* The width in columns of the terminal the progress line is drawn on, or 0
 * when it is unknown: stderr's own, else COLUMNS (set by shells, and the
 * way to give a width to --progress=always on a pipe). */
static gsize
terminal_columns (void)
{
  struct winsize size;
  const char *columns = g_getenv ("COLUMNS");
  guint64 n;

  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  if (columns != NULL
      && g_ascii_string_to_unsigned (columns, 10, 1, G_MAXUINT16, &n, NULL))
    return (gsize) n;
  return 0;
}

/* Covers the progress line with blanks and returns to its start, so that
 * the next line printed, on stdout or stderr, starts clean. */
static void
erase_progress (RunProgress *progress)
{
  if (progress->shown == 0)
    return;
  fprintf (stderr, "\r%*s\r", (int) progress->shown, "");
  fflush (stderr);
  progress->shown = 0;
}

/* Called after every batch: returns at once unless the interval has
 * passed since the last drawing. The line is put together in the run's
 * buffer and written with one call, so that drawing allocates nothing.
 * It is cut to one column less than the terminal's width: a line that
 * wrapped would leave its first row behind at every redrawing, since
 * "\r" returns only to the start of the last. */
static void
show_progress (const BpProgressReport *report, gpointer user_data)
{
  RunProgress *progress = user_data;
  char left[32];
  gsize width, columns;
  double rate;
  int n;

  /* A rate taken over less than a quarter of the interval into the
   * epoch, or over no measurable time, is too rough to show. */
  if (report->now - progress->drawn_at < progress->interval
      || report->seconds * G_USEC_PER_SEC < (double) progress->interval / 4
      || report->seconds <= 0.0)
    return;
  progress->drawn_at = report->now;
  rate = (double) report->samples / report->seconds;
  format_time_left (left, sizeof left,
                    (double) (report->n_samples - report->samples) / rate);

  /* Every field is bounded (the rate by samples over a microsecond), so
   * the line fits the buffer with room to spare; it would be cut, not
   * overrun, if it did not. */
  n = g_snprintf (progress->line, sizeof progress->line,
                  "\repoch %*u/%u  batch %*" G_GSIZE_FORMAT "/%"
                  G_GSIZE_FORMAT "  %.0f samples/s  loss %.6g  %s left",
                  (int) digits (report->epochs), report->epoch,
                  report->epochs, (int) digits (report->n_batches),
                  report->batch, report->n_batches, rate,
                  report->loss_sum / (double) report->samples, left);
  width = MIN ((gsize) n, sizeof progress->line - 1) - 1; /* no "\r" */
  columns = terminal_columns ();
  if (columns > 0 && width > columns - 1)
    {
      width = columns - 1;
      progress->line[width + 1] = '\0';
    }

  /* Blanks over what a longer line before it left on the screen. */
  if (progress->shown > width)
    g_snprintf (progress->line + width + 1,
                sizeof progress->line - width - 1, "%*s",
                (int) (progress->shown - width), "");
  fputs (progress->line, stderr);
  fflush (stderr);
  progress->shown = width;
}

/* ---- Epoch lines and the summary ----------------------------------------- */

static gboolean
print_epoch (const BpEpochReport *report, gpointer user_data)
{
  RunProgress *progress = user_data;

  progress->last = *report;
  if (progress->quiet)
    return TRUE;

  /* The progress line goes before the epoch's line takes its place. */
  erase_progress (progress);

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

/* Solve mode has no epochs, seed, model, update order, BLAS products or
 * batches: an option that sets one would be silently ignored, so it is
 * refused. */
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

/* --threads N: 1 to G_MAXINT, as training.threads. */
static gboolean
parse_threads (const char *text, guint *threads, GError **error)
{
  guint64 value = 0;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, NULL)
      || value < 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--threads must be a positive integer, got '%s'", text);
      return FALSE;
    }
  if (value > G_MAXINT)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--threads %s is too large; at most %d", text, G_MAXINT);
      return FALSE;
    }
  *threads = (guint) value;
  return TRUE;
}

/* --progress auto|always|never; whether the line is shown. auto shows it
 * when stderr is a terminal; --quiet shows nothing at all. */
static gboolean
parse_progress (const char *text, gboolean quiet, gboolean *show,
                GError **error)
{
  if (text == NULL || strcmp (text, "auto") == 0)
    *show = isatty (STDERR_FILENO);
  else if (strcmp (text, "always") == 0)
    *show = TRUE;
  else if (strcmp (text, "never") == 0)
    *show = FALSE;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--progress must be auto, always or never, got '%s'",
                   text);
      return FALSE;
    }
  *show = *show && !quiet;
  return TRUE;
}

int
bp_cmd_run (int argc, char **argv)
{
  gint64 epochs = 0, seed = -1;
  gint64 interval = PROGRESS_INTERVAL_MS;
  g_autofree char *model = NULL;
  g_autofree char *update = NULL;
  g_autofree char *threads_text = NULL;
  g_autofree char *progress_mode = NULL;
  gboolean quiet = FALSE, show_progress_line = FALSE;
  guint threads = 0;
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
    { "threads", 't', 0, G_OPTION_ARG_STRING, &threads_text,
      "Let OpenBLAS use N threads instead of the graph's "
      "training.threads (by default one per processor)", "N" },
    { "progress", 0, 0, G_OPTION_ARG_STRING, &progress_mode,
      "Show a progress line on stderr while an epoch runs: auto (when "
      "stderr is a terminal, the default), always or never", "WHEN" },
    /* For the tests, which need a line at every batch (0); hidden, since
     * the default suits a person watching. */
    { "progress-interval", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64,
      &interval, "Redraw the progress line at most every MS milliseconds",
      "MS" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      "Print only errors (and, in solve mode, the last line); implies "
      "--progress=never", NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("GRAPH.yaml - train a network");
  g_option_context_set_summary (context,
    "Trains the network GRAPH.yaml describes on its data, printing one line "
    "per epoch\n(the mean training loss, the test accuracy, the time) and "
    "a summary, then\nwrites the trained parameters to the model file. "
    "While an epoch runs, a line on\nstderr shows its progress (when "
    "stderr is a terminal, or with --progress=always).\n"
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
  if (threads_text != NULL && !parse_threads (threads_text, &threads, &error))
    return bp_cli_fail (error);
  if (!parse_progress (progress_mode, quiet, &show_progress_line, &error))
    return bp_cli_fail (error);
  if (interval < 0 || interval > G_MAXINT64 / 1000)
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--progress-interval must be a number of "
                           "milliseconds, 0 or more");
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
                      : update != NULL ? "--update"
                      : threads_text != NULL ? "--threads"
                      : progress_mode != NULL ? "--progress" : NULL);
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
  if (threads != 0)
    bp_graph_set_threads (graph, threads);

  run = bp_run_new (graph, &error);
  if (run == NULL)
    return bp_cli_fail (error);

  progress.quiet = quiet;
  progress.scheduled = bp_graph_has_schedule (graph);
  progress.start_time = g_get_monotonic_time ();
  progress.interval = interval * 1000;
  progress.drawn_at = progress.start_time;
  if (show_progress_line)
    bp_run_set_progress (run, show_progress, &progress);
  if (!bp_run_train (run, print_epoch, &progress, &error))
    {
      erase_progress (&progress);
      return bp_cli_fail (error);
    }

  model_path = bp_graph_get_model_path (graph);
  if (model_path != NULL && !bp_run_save_model (run, model_path, &error))
    return bp_cli_fail (error);
  if (!quiet)
    print_summary (&progress, run, model_path);
  return BP_EXIT_OK;
}
