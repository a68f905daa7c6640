/* Command-line tests: the bpframe program run as a user runs it, checking
 * its exit code, its stdout and the exact message on stderr for each kind
 * of bad input, and that a failure leaves no model file behind.
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "testutil.h"

static char *tmp_dir;

static char *
iris_csv (void)
{
  return g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"), "iris.csv",
                           NULL);
}

/* A small valid graph; pieces of it are replaced to make bad ones. */
static char *
graph_text_with (const char *layers, const char *loss, const char *train,
                 guint epochs, const char *lr)
{
  return g_strdup_printf ("version: 1\n"
                          "network:\n"
                          "  input: 2\n"
                          "  layers:\n"
                          "%s"
                          "  loss: %s\n"
                          "data:\n"
                          "  train: %s\n"
                          "training:\n"
                          "  epochs: %u\n"
                          "  optimizer: {sgd: {lr: %s}}\n",
                          layers, loss, train, epochs, lr);
}

static char *
graph_text (const char *layers, const char *loss, const char *train)
{
  return graph_text_with (layers, loss, train, 2, "0.1");
}

static const char xor_layers[] = "    - affine: {units: 4}\n"
                                 "    - relu\n"
                                 "    - affine: {units: 2}\n"
                                 "    - softmax\n";
static const char xor_data[] =
  "{inputs: [[0, 0], [0, 1], [1, 0], [1, 1]],"
  " targets: [[1, 0], [0, 1], [0, 1], [1, 0]]}";

/* Runs `bpframe run` on a graph and checks the exit code and the whole
 * of stderr; "%s" in expected stands for the graph's path. */
static void
expect_run_error (const char *graph, int status, const char *expected)
{
  g_autofree char *path = bp_test_write_file (tmp_dir, "bad.yaml", graph);
  g_autofree char *model = g_build_filename (tmp_dir, "bad-model.yaml",
                                             NULL);
  g_autofree char *message = NULL;
  g_auto (BpTestRun) r = { 0 };

  bp_test_run_bpframe (&r, g_getenv ("BP_TEST_PLUGINDIR"), "run", "--quiet",
                       "--model", model, path, NULL);
  message = g_strdup_printf (expected, path);
  g_assert_cmpstr (r.err, ==, message);
  g_assert_cmpint (r.status, ==, status);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
}

/* ---- Success ------------------------------------------------------------- */

static void
test_run_trains_and_writes_model (void)
{
  g_autofree char *text = graph_text (xor_layers, "cross_entropy",
                                      xor_data);
  g_autofree char *path = bp_test_write_file (tmp_dir, "xor.yaml", text);
  g_autofree char *model = g_build_filename (tmp_dir, "xor-model.yaml",
                                             NULL);
  g_autofree char *contents = NULL;
  g_auto (BpTestRun) r = { 0 };
  g_auto (BpTestRun) again = { 0 };

  bp_test_run_bpframe (&r, NULL, "run", "--epochs", "3", "--seed", "9",
                       "--model", model, path, NULL);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "epoch 1/3  loss "));
  g_assert_nonnull (strstr (r.out, "\nepoch 3/3  loss "));
  g_assert_nonnull (strstr (r.out, "\ntrained 3 epochs on 4 samples in "));
  {
    g_autofree char *written = g_strdup_printf ("\nmodel written to %s\n",
                                                model);

    g_assert_true (g_str_has_suffix (r.out, written));
  }
  g_assert_true (g_file_get_contents (model, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "format: bpframe-model\n"));

  /* --quiet prints nothing; the same seed writes the same bytes. */
  g_remove (model);
  bp_test_run_bpframe (&again, NULL, "run", "-q", "-e", "3", "-s", "9", "-m",
                       model, path, NULL);
  g_assert_cmpint (again.status, ==, 0);
  g_assert_cmpstr (again.out, ==, "");
  g_assert_cmpstr (again.err, ==, "");
  {
    g_autofree char *second = NULL;

    g_assert_true (g_file_get_contents (model, &second, NULL, NULL));
    g_assert_cmpstr (second, ==, contents);
  }
}

/* With a schedule, each epoch's line shows its learning rate; without
 * one (the test above), none does. */
static void
test_run_schedule_shows_lr (void)
{
  g_autofree char *text = graph_text (xor_layers, "cross_entropy",
                                      xor_data);
  g_autofree char *scheduled = g_strconcat (
    text, "  schedule: {step: {every: 1, factor: 0.5}}\n", NULL);
  g_autofree char *path = bp_test_write_file (tmp_dir, "schedule.yaml",
                                              scheduled);
  g_autofree char *plain = bp_test_write_file (tmp_dir, "plain.yaml", text);
  g_auto (BpTestRun) r = { 0 };
  g_auto (BpTestRun) without = { 0 };
  g_auto (GStrv) lines = NULL;

  bp_test_run_bpframe (&r, NULL, "run", "--epochs", "3", path, NULL);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);
  lines = g_strsplit (r.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  g_assert_true (g_str_has_prefix (lines[0], "epoch 1/3  loss "));
  g_assert_nonnull (strstr (lines[0], "  lr 0.1  "));
  g_assert_nonnull (strstr (lines[1], "  lr 0.05  "));
  g_assert_nonnull (strstr (lines[2], "  lr 0.025  "));

  bp_test_run_bpframe (&without, NULL, "run", "--epochs", "3", plain, NULL);
  g_assert_cmpint (without.status, ==, 0);
  g_assert_null (strstr (without.out, " lr "));
}

/* A layer the tests alone build (tests/plugins/softsign.c), named by one
 * line of YAML, trains with no change to core/. */
static void
test_new_layer_plugin (void)
{
  g_autofree char *text = graph_text ("    - affine: {units: 4}\n"
                                      "    - softsign\n"
                                      "    - affine: {units: 2}\n"
                                      "    - softmax\n",
                                      "cross_entropy", xor_data);
  g_autofree char *path = bp_test_write_file (tmp_dir, "softsign.yaml", text);
  g_auto (BpTestRun) r = { 0 };

  bp_test_run_bpframe (&r, g_getenv ("BP_TEST_PLUGINDIR"), "run", "-q", path,
                       NULL);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);
}

/* stdout with the times, which differ from run to run, blanked. */
static char *
without_times (const char *out)
{
  g_autoptr (GRegex) times = g_regex_new (
    "(  [0-9.]+ m?s$|in [0-9.]+ s;)", G_REGEX_MULTILINE, 0, NULL);

  return g_regex_replace_literal (times, out, -1, 0, "<time>", 0, NULL);
}

/* Plugins built against the version 1 and 2 headers (kept in tests/abi/),
 * whose descriptors end before the members later versions appended, still
 * load and train, to the same numbers as the same source built today. */
static void
test_older_abi_plugin (void)
{
  const char *names[] = { "softsign", "softsign_v1", "softsign_v2" };
  g_autofree char *expected = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *layers = g_strdup_printf (
        "    - affine: {units: 4}\n"
        "    - %s\n"
        "    - affine: {units: 2}\n"
        "    - softmax\n", names[i]);
      g_autofree char *text = graph_text (layers, "cross_entropy",
                                          xor_data);
      g_autofree char *path = NULL;
      g_autofree char *out = NULL;
      g_auto (BpTestRun) r = { 0 };

      path = bp_test_write_file (tmp_dir, "older.yaml", text);
      bp_test_run_bpframe (&r, g_getenv ("BP_TEST_PLUGINDIR"), "run", path,
                           NULL);
      g_assert_cmpstr (r.err, ==, "");
      g_assert_cmpint (r.status, ==, 0);
      out = without_times (r.out);
      if (expected == NULL)
        expected = g_strdup (out);
      g_assert_cmpstr (out, ==, expected);
    }
}

/* The example graphs with three and four hidden layers train as they
 * are (for two epochs here). */
static void
test_deep_configs (void)
{
  const char *names[] = { "iris-deep3.yaml", "iris-deep4.yaml" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (
        g_getenv ("BP_TEST_CONFIGDIR"), names[i], NULL);
      g_autofree char *model = g_build_filename (tmp_dir, "deep.yaml",
                                                 NULL);
      g_auto (BpTestRun) r = { 0 };

      bp_test_run_bpframe (&r, NULL, "run", "--epochs", "2", "--model", model,
                           path, NULL);
      g_assert_cmpstr (r.err, ==, "");
      g_assert_cmpint (r.status, ==, 0);
      g_assert_nonnull (strstr (r.out, "epoch 2/2"));
      g_assert_nonnull (strstr (r.out, "test accuracy"));
    }
}

static void
test_help_and_version (void)
{
  g_auto (BpTestRun) help = { 0 };
  g_auto (BpTestRun) run_help = { 0 };
  g_auto (BpTestRun) version = { 0 };
  g_auto (BpTestRun) none = { 0 };
  g_auto (BpTestRun) unknown = { 0 };

  bp_test_run_bpframe (&help, NULL, "--help", NULL);
  g_assert_cmpint (help.status, ==, 0);
  g_assert_nonnull (strstr (help.out, "run GRAPH.yaml"));

  bp_test_run_bpframe (&run_help, NULL, "run", "--help", NULL);
  g_assert_cmpint (run_help.status, ==, 0);
  g_assert_nonnull (strstr (run_help.out, "--epochs=N"));
  g_assert_nonnull (strstr (run_help.out, "--model=PATH"));

  bp_test_run_bpframe (&version, NULL, "--version", NULL);
  g_assert_cmpint (version.status, ==, 0);
  g_assert_cmpstr (version.out, ==, "bpframe 0.1.0 (plugin ABI 3; loads "
                                    "plugins of ABI 1 to 3)\n");

  bp_test_run_bpframe (&none, NULL, NULL);
  g_assert_cmpint (none.status, ==, 2);
  g_assert_cmpstr (none.err, ==,
                   "bpframe: no command given (try 'bpframe --help')\n");

  bp_test_run_bpframe (&unknown, NULL, "train", NULL);
  g_assert_cmpint (unknown.status, ==, 2);
  g_assert_cmpstr (unknown.err, ==, "bpframe: unknown command 'train' "
                                    "(try 'bpframe --help')\n");
}

static void
test_usage_errors (void)
{
  g_auto (BpTestRun) no_graph = { 0 };
  g_auto (BpTestRun) bad_option = { 0 };

  bp_test_run_bpframe (&no_graph, NULL, "run", NULL);
  g_assert_cmpint (no_graph.status, ==, 2);
  g_assert_cmpstr (no_graph.err, ==, "bpframe: run needs a graph file "
                                     "(try 'bpframe run --help')\n");

  bp_test_run_bpframe (&bad_option, NULL, "run", "--epochs", "-3", "g.yaml",
                       NULL);
  g_assert_cmpint (bad_option.status, ==, 2);
  g_assert_cmpstr (bad_option.err, ==,
                   "bpframe: --epochs must be a positive integer\n");
}

/* ---- OpenBLAS threads and the progress line ------------------------------ */

/* Each bad value of --threads and --progress: exit 2, the message alone,
 * nothing read or trained. */
static void
test_threads_and_progress_usage (void)
{
  static const struct {
    const char *option;
    const char *message;
  } cases[] = {
    { "--threads=0", "--threads must be a positive integer, got '0'" },
    { "--threads=-1", "--threads must be a positive integer, got '-1'" },
    { "--threads=two", "--threads must be a positive integer, got 'two'" },
    { "--threads=1.5", "--threads must be a positive integer, got '1.5'" },
    { "--threads=2147483648",
      "--threads 2147483648 is too large; at most 2147483647" },
    { "--progress=sometimes",
      "--progress must be auto, always or never, got 'sometimes'" },
    { "--progress-interval=-1", "--progress-interval must be a number of "
      "milliseconds, 0 or more" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *expected = g_strdup_printf ("bpframe: %s\n",
                                                   cases[i].message);
      g_auto (BpTestRun) r = { 0 };

      bp_test_run_bpframe (&r, NULL, "run", cases[i].option, "g.yaml", NULL);
      g_assert_cmpstr (r.err, ==, expected);
      g_assert_cmpint (r.status, ==, 2);
      g_assert_cmpstr (r.out, ==, "");
    }
}

/* The loss an epoch line of stdout shows, "loss 1.0986" -> "1.0986". */
static char *
epoch_loss (const char *out, guint epoch, guint epochs)
{
  g_autofree char *head = g_strdup_printf ("epoch %u/%u  loss ", epoch,
                                           epochs);
  const char *at = strstr (out, head);

  g_assert_nonnull (at);
  at += strlen (head);
  return g_strndup (at, strcspn (at, " \n"));
}

/* --progress=always (with a line at every batch, --progress-interval=0):
 * stderr holds lines each opening with "\r", with the epoch, the batch,
 * the rate, the running mean loss and the time left, batches rising
 * within an epoch; each epoch's last batch shows the loss its epoch line
 * then prints, and the line is blanked before each epoch line. stdout is
 * what --progress=never prints. iris: 150 rows, batches of 10. */
static void
test_progress_always (void)
{
  g_autofree char *csv = iris_csv ();
  g_autofree char *train = g_strdup_printf ("{csv: %s, label: species}",
                                            csv);
  g_autofree char *text = g_strdup_printf (
    "version: 1\nnetwork:\n  input: 4\n"
    "  layers: [{affine: {units: 5}}, relu, {affine: {units: 3}}, softmax]\n"
    "  loss: cross_entropy\ndata:\n  train: %s\ntraining:\n  epochs: 3\n"
    "  batch: 10\n  optimizer: {sgd: {lr: 0.05}}\n", train);
  g_autofree char *path = bp_test_write_file (tmp_dir, "progress.yaml",
                                              text);
  g_autoptr (GRegex) line = g_regex_new (
    "^epoch ([1-3])/3  batch +([0-9]+)/15  [0-9]+ samples/s  "
    "loss ([^ ]+)  [0-9.]+ s left *$", 0, 0, NULL);
  g_auto (BpTestRun) r = { 0 };
  g_auto (BpTestRun) never = { 0 };
  g_auto (GStrv) parts = NULL;
  g_autofree char *out_masked = NULL;
  g_autofree char *never_masked = NULL;
  guint epoch = 1, last_batch = 0, drawn = 0;
  char *last_loss = NULL;

  bp_test_run_bpframe (&r, NULL, "run", "--progress=always",
                       "--progress-interval=0", "--threads=1", path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.err, "\repoch 1/3  batch "));
  g_assert_true (g_str_has_suffix (r.err, "\r"));

  /* "\r" opens each drawing (which may end in blanks over a longer line
   * before it), and opens and closes each blanking. */
  parts = g_strsplit (r.err, "\r", -1);
  for (gsize i = 0; parts[i] != NULL; i++)
    {
      g_autoptr (GMatchInfo) match = NULL;
      g_autofree char *batch = NULL;

      if (parts[i][0] == '\0')
        continue;

      /* A blanking ends an epoch: its last line was the last batch's,
       * with the loss of the epoch's line. */
      if (parts[i][0] == ' ' && strspn (parts[i], " ") == strlen (parts[i]))
        {
          g_autofree char *loss = epoch_loss (r.out, epoch, 3);

          g_assert_cmpuint (last_batch, ==, 15);
          g_assert_cmpstr (last_loss, ==, loss);
          g_clear_pointer (&last_loss, g_free);
          epoch++;
          last_batch = 0;
          continue;
        }

      g_assert_true (g_regex_match (line, parts[i], 0, &match));
      {
        g_autofree char *e = g_match_info_fetch (match, 1);

        g_assert_cmpuint (g_ascii_strtoull (e, NULL, 10), ==, epoch);
      }
      batch = g_match_info_fetch (match, 2);
      g_assert_cmpuint (g_ascii_strtoull (batch, NULL, 10), >, last_batch);
      last_batch = (guint) g_ascii_strtoull (batch, NULL, 10);
      g_free (last_loss);
      last_loss = g_match_info_fetch (match, 3);
      drawn++;
    }
  g_assert_cmpuint (epoch, ==, 4);
  g_assert_cmpuint (drawn, >=, 3);
  g_assert_null (last_loss);

  bp_test_run_bpframe (&never, NULL, "run", "--progress=never", "--threads=1",
                       path, NULL);
  g_assert_cmpint (never.status, ==, 0);
  g_assert_cmpstr (never.err, ==, "");
  out_masked = without_times (r.out);
  never_masked = without_times (never.out);
  g_assert_cmpstr (out_masked, ==, never_masked);
  g_assert_nonnull (strstr (out_masked, "\nepoch 3/3  loss "));
}

/* Given a terminal 40 columns wide (COLUMNS, stderr being a pipe), every
 * drawing is cut to 39, so that it never wraps; the blanking before an
 * epoch's line covers no more than that either. */
static void
test_progress_cut_to_width (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                            "iris.yaml", NULL);
  g_autofree char *model = g_build_filename (tmp_dir, "iris-model.yaml",
                                             NULL);
  g_auto (BpTestRun) r = { 0 };
  g_auto (GStrv) parts = NULL;
  guint drawn = 0;

  g_setenv ("COLUMNS", "40", TRUE);
  bp_test_run_bpframe (&r, NULL, "run", "--progress=always",
                       "--progress-interval=0", "--epochs=2", "--model",
                       model, path, NULL);
  g_unsetenv ("COLUMNS");
  g_assert_cmpint (r.status, ==, 0);

  parts = g_strsplit (r.err, "\r", -1);
  for (gsize i = 0; parts[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (parts[i]), <=, 39);
      if (g_str_has_prefix (parts[i], "epoch "))
        {
          g_assert_cmpuint (strlen (parts[i]), ==, 39);
          drawn++;
        }
    }
  g_assert_cmpuint (drawn, >=, 2);
}

/* At the default interval the line is drawn at most five times a second
 * of the run, however short its epochs; auto (stderr a pipe here) and
 * --quiet draw nothing. */
static void
test_progress_throttled (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                            "iris.yaml", NULL);
  g_autofree char *model = g_build_filename (tmp_dir, "iris-model.yaml",
                                             NULL);
  g_auto (BpTestRun) r = { 0 };
  g_auto (BpTestRun) auto_mode = { 0 };
  g_auto (BpTestRun) quiet = { 0 };
  gint64 start = g_get_monotonic_time ();
  double seconds;
  gsize drawings = 0;

  bp_test_run_bpframe (&r, NULL, "run", "--progress=always", "--epochs=40",
                       "--model", model, path, NULL);
  seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_assert_cmpint (r.status, ==, 0);
  for (const char *c = r.err; (c = strstr (c, "\repoch ")) != NULL; c++)
    drawings++;
  g_assert_cmpfloat ((double) drawings, <=, 1 + seconds * 5);

  bp_test_run_bpframe (&auto_mode, NULL, "run", "--epochs=2", "--model", model,
                       path, NULL);
  g_assert_cmpint (auto_mode.status, ==, 0);
  g_assert_cmpstr (auto_mode.err, ==, "");
  g_assert_true (g_str_has_prefix (auto_mode.out, "epoch 1/2  loss "));

  bp_test_run_bpframe (&quiet, NULL, "run", "-q", "--progress=always",
                       "--progress-interval=0", "--epochs=2", "--model", model,
                       path, NULL);
  g_assert_cmpint (quiet.status, ==, 0);
  g_assert_cmpstr (quiet.err, ==, "");
  g_assert_cmpstr (quiet.out, ==, "");
}

/* ---- Bad input: plugins and the network ------------------------------- */

static void
test_units_zero_or_negative (void)
{
  g_autofree char *zero = graph_text ("    - affine: {units: 0}\n"
                                      "    - softmax\n",
                                      "cross_entropy", xor_data);
  g_autofree char *negative = graph_text ("    - affine: {units: -3}\n"
                                          "    - softmax\n",
                                          "cross_entropy", xor_data);

  expect_run_error (zero, 2, "bpframe: %s:5:23: affine: units must be at "
                             "least 1, got 0\n");
  expect_run_error (negative, 2, "bpframe: %s:5:23: affine: units must be "
                                 "at least 1, got -3\n");
}

/* The message names the folders searched and every plugin found there;
 * the list is checked for its order and for a few names, so that adding a
 * plugin does not change the test. */
static void
test_plugin_not_found (void)
{
  g_autofree char *text = graph_text ("    - affine: {units: 2}\n"
                                      "    - sofmax\n",
                                      "cross_entropy", xor_data);
  g_autofree char *path = bp_test_write_file (tmp_dir, "bad.yaml", text);
  g_autofree char *prefix = g_strdup_printf (
    "bpframe: %s:6:7: plugin 'sofmax' not found (searched %s, %s, %s); "
    "plugins found: ", path, g_getenv ("BP_TEST_PLUGINDIR"),
    g_getenv ("BP_BUILD_PLUGINDIR"), g_getenv ("BP_INSTALLED_PLUGINDIR"));
  g_auto (GStrv) names = NULL;
  g_auto (BpTestRun) r = { 0 };

  bp_test_run_bpframe (&r, g_getenv ("BP_TEST_PLUGINDIR"), "run", path, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_true (g_str_has_prefix (r.err, prefix));
  g_assert_true (g_str_has_suffix (r.err, "\n"));

  r.err[strlen (r.err) - 1] = '\0';
  names = g_strsplit (r.err + strlen (prefix), ", ", -1);
  for (gsize i = 1; names[i] != NULL; i++)
    g_assert_cmpstr (names[i - 1], <, names[i]);
  g_assert_true (g_strv_contains ((const char *const *) names, "affine"));
  g_assert_true (g_strv_contains ((const char *const *) names, "softmax"));
  g_assert_true (g_strv_contains ((const char *const *) names, "softsign"));
}

static void
test_plugin_names_refused (void)
{
  g_autofree char *dots = graph_text ("    - ../affine\n", "mse", xor_data);
  g_autofree char *slash = graph_text ("    - lib/relu\n", "mse", xor_data);

  expect_run_error (dots, 2, "bpframe: %s:5:7: plugin name '../affine' may "
                             "hold only letters, digits, '_' and '-' (or be "
                             "a path ending in .so)\n");
  expect_run_error (slash, 2, "bpframe: %s:5:7: plugin name 'lib/relu' may "
                              "hold only letters, digits, '_' and '-' (or "
                              "be a path ending in .so)\n");
}

static void
test_plugin_other_abi (void)
{
  g_autofree char *text = graph_text ("    - abi_future\n", "mse", xor_data);
  g_autofree char *expected = g_strdup_printf (
    "bpframe: %%s:5:7: %s/abi_future.so was built for plugin ABI version "
    "4; this bpframe loads versions 1 to 3\n",
    g_getenv ("BP_TEST_PLUGINDIR"));

  expect_run_error (text, 1, expected);
}

static void
test_not_a_plugin (void)
{
  g_autofree char *text = graph_text ("    - not_a_plugin\n", "mse",
                                      xor_data);
  g_autofree char *expected = g_strdup_printf (
    "bpframe: %%s:5:7: %s/not_a_plugin.so is not a bpframe plugin: it has "
    "no symbol 'bp_plugin_entry'\n", g_getenv ("BP_TEST_PLUGINDIR"));

  expect_run_error (text, 1, expected);
}

static void
test_plugin_without_jacobian (void)
{
  g_autofree char *text = graph_text ("    - no_jacobian\n", "mse",
                                      xor_data);
  g_autofree char *expected = g_strdup_printf (
    "bpframe: %%s:5:7: %s/no_jacobian.so: plugin 'no_jacobian' is refused: "
    "it has no jacobian (bpframe never infers a derivative)\n",
    g_getenv ("BP_TEST_PLUGINDIR"));

  expect_run_error (text, 1, expected);
}

static void
test_plugin_other_number_type (void)
{
  g_autofree char *text = graph_text ("    - relu_float\n", "mse",
                                      xor_data);
  g_autofree char *expected = g_strdup_printf (
    "bpframe: %%s:5:7: %s/relu_float.so was built with 4-byte numbers; this "
    "bpframe uses 8-byte numbers (double)\n",
    g_getenv ("BP_TEST_PLUGINDIR"));

  expect_run_error (text, 1, expected);
}

static void
test_loss_does_not_fit (void)
{
  g_autofree char *ce = graph_text ("    - affine: {units: 2}\n"
                                    "    - relu\n",
                                    "cross_entropy", xor_data);
  g_autofree char *bce = graph_text ("    - affine: {units: 2}\n",
                                     "binary_cross_entropy", xor_data);
  g_autofree char *layer_as_loss = graph_text ("    - affine: {units: 2}\n",
                                               "relu", xor_data);

  expect_run_error (ce, 2, "bpframe: %s:7:9: the loss cross_entropy needs "
                           "probabilities that sum to 1, but the last "
                           "layer, relu, gives no such outputs; end the "
                           "network with a softmax layer\n");
  expect_run_error (bce, 2, "bpframe: %s:6:9: the loss binary_cross_entropy "
                            "needs outputs between 0 and 1, but the last "
                            "layer, affine, gives no such outputs; end the "
                            "network with a logistic or softmax layer\n");
  expect_run_error (layer_as_loss, 2, "bpframe: %s:6:9: 'relu' is a layer "
                                      "plugin; a loss is expected here\n");
}

static void
test_unknown_plugin_parameter (void)
{
  g_autofree char *text = graph_text ("    - affine: {unit: 2}\n"
                                      "    - softmax\n",
                                      "cross_entropy", xor_data);

  expect_run_error (text, 2, "bpframe: %s:5:16: unknown parameter 'unit' "
                             "for affine; it accepts units, init, weights, "
                             "bias\n");
}

/* ---- Bad input: data ----------------------------------------------------- */

static void
test_data_width (void)
{
  g_autofree char *csv = iris_csv ();
  g_autofree char *train = g_strdup_printf ("{csv: %s, label: species}",
                                            csv);
  g_autofree char *inputs = graph_text (xor_layers, "cross_entropy", train);
  g_autofree char *expected = g_strdup_printf (
    "bpframe: %%s:3:10: network.input is 2, but %s has 4 input columns\n",
    csv);
  g_autofree char *outputs = graph_text (xor_layers, "cross_entropy",
                                         "{inputs: [[0, 1]], "
                                         "targets: [[1, 0, 0]]}");

  expect_run_error (inputs, 2, expected);
  expect_run_error (outputs, 2, "bpframe: %s:11:10: the network gives 2 "
                                "outputs, but the inline data has 3 "
                                "targets\n");
}

/* A CSV file beside the graph; "%s" in expected is the CSV's path. */
static void
expect_csv_error (const char *csv_text, const char *expected)
{
  g_autofree char *csv = bp_test_write_file (tmp_dir, "bad.csv", csv_text);
  g_autofree char *train = g_strdup_printf ("{csv: %s, label: y}", csv);
  g_autofree char *graph = graph_text (xor_layers, "cross_entropy", train);
  g_autofree char *message = g_strdup_printf (expected, csv);
  g_autofree char *escaped = NULL;
  GString *with_graph = g_string_new (NULL);

  /* expect_run_error fills in the graph's path: keep CSV paths literal. */
  for (const char *c = message; *c != '\0'; c++)
    {
      if (*c == '%')
        g_string_append_c (with_graph, '%');
      g_string_append_c (with_graph, *c);
    }
  escaped = g_string_free (with_graph, FALSE);
  expect_run_error (graph, 1, escaped);
}

static void
test_csv_errors (void)
{
  expect_csv_error ("a,b,y\n1,2,x\n3,abc,z\n",
                    "bpframe: %s:3:3: expected a number, got 'abc'\n");
  expect_csv_error ("a,b,y\n1,2,x\n3,4\n",
                    "bpframe: %s:3:1: row has 2 fields; the header has 3\n");
  expect_csv_error ("a,b,y\n", "bpframe: %s: no data rows\n");
}

static void
test_graph_file_errors (void)
{
  g_autofree char *missing = g_build_filename (tmp_dir, "none.yaml", NULL);
  g_autofree char *expected = g_strdup_printf (
    "bpframe: %s: cannot read the graph file: No such file or directory\n",
    missing);
  g_autofree char *unknown = graph_text (xor_layers, "cross_entropy",
                                         xor_data);
  g_autofree char *wrong_type = g_strdup (unknown);
  g_auto (BpTestRun) r = { 0 };

  bp_test_run_bpframe (&r, NULL, "run", missing, NULL);
  g_assert_cmpstr (r.err, ==, expected);
  g_assert_cmpint (r.status, ==, 2);

  expect_run_error ("version: 1\nnetwork: [a\n", 2,
                    "bpframe: %s:3:1: invalid YAML: did not find expected "
                    "',' or ']' while parsing a flow sequence\n");

  memcpy (strstr (unknown, "epochs: 2"), "epoch:  2", 9);
  expect_run_error (unknown, 2, "bpframe: %s:13:3: unknown key 'epoch' in "
                                "training; expected one of epochs, batch, "
                                "optimizer, schedule, weight_decay, "
                                "update, seed, shuffle, threads\n");

  memcpy (strstr (wrong_type, "epochs: 2"), "epochs: x", 9);
  expect_run_error (wrong_type, 2, "bpframe: %s:13:11: epochs: expected a "
                                   "positive integer, got 'x'\n");
}

/* A run that fails part way, here because the loss overflows, writes no
 * model; neither does a model path in a missing folder. */
static void
test_failures_leave_no_model (void)
{
  g_autofree char *diverging = graph_text_with (
    "    - affine: {units: 1}\n", "mse",
    "{inputs: [[1000, -1000], [500, 2000]], targets: [[1], [0]]}", 50,
    "10");
  g_autofree char *good = graph_text (xor_layers, "cross_entropy",
                                      xor_data);
  g_autofree char *path = bp_test_write_file (tmp_dir, "good.yaml", good);
  g_autofree char *model = g_build_filename (tmp_dir, "missing", "m.yaml",
                                             NULL);
  g_autofree char *expected = g_strdup_printf (
    "bpframe: %s: cannot write the model file: No such file or directory\n",
    model);
  g_auto (BpTestRun) r = { 0 };

  expect_run_error (diverging, 1, "bpframe: the training loss is not "
                                  "finite in epoch 11; try a smaller "
                                  "learning rate (lr is 10)\n");

  bp_test_run_bpframe (&r, NULL, "run", "-q", "--model", model, path, NULL);
  g_assert_cmpstr (r.err, ==, expected);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = bp_test_dir_new ("test-cli");
  /* The progress line is cut to COLUMNS when stderr is no terminal; the
   * tests that read it whole must not inherit a narrow one. */
  g_unsetenv ("COLUMNS");

  g_test_add_func ("/cli/run/trains", test_run_trains_and_writes_model);
  g_test_add_func ("/cli/run/schedule-lr", test_run_schedule_shows_lr);
  g_test_add_func ("/cli/run/new-layer-plugin", test_new_layer_plugin);
  g_test_add_func ("/cli/run/deep-configs", test_deep_configs);
  g_test_add_func ("/cli/run/older-abi-plugin", test_older_abi_plugin);
  g_test_add_func ("/cli/help-and-version", test_help_and_version);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/threads-and-progress-usage",
                   test_threads_and_progress_usage);
  g_test_add_func ("/cli/run/progress-always", test_progress_always);
  g_test_add_func ("/cli/run/progress-throttled", test_progress_throttled);
  g_test_add_func ("/cli/run/progress-cut-to-width",
                   test_progress_cut_to_width);
  g_test_add_func ("/cli/bad/units", test_units_zero_or_negative);
  g_test_add_func ("/cli/bad/plugin-not-found", test_plugin_not_found);
  g_test_add_func ("/cli/bad/plugin-name", test_plugin_names_refused);
  g_test_add_func ("/cli/bad/plugin-abi", test_plugin_other_abi);
  g_test_add_func ("/cli/bad/not-a-plugin", test_not_a_plugin);
  g_test_add_func ("/cli/bad/no-jacobian", test_plugin_without_jacobian);
  g_test_add_func ("/cli/bad/number-type", test_plugin_other_number_type);
  g_test_add_func ("/cli/bad/loss-does-not-fit", test_loss_does_not_fit);
  g_test_add_func ("/cli/bad/plugin-parameter",
                   test_unknown_plugin_parameter);
  g_test_add_func ("/cli/bad/data-width", test_data_width);
  g_test_add_func ("/cli/bad/csv", test_csv_errors);
  g_test_add_func ("/cli/bad/graph-file", test_graph_file_errors);
  g_test_add_func ("/cli/failures-leave-no-model",
                   test_failures_leave_no_model);

  status = g_test_run ();
  bp_test_dir_remove (tmp_dir);
  g_free (tmp_dir);
  return status;
}
