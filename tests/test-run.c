/* Tests of the training loop's two settings for its caller (core/run.c):
 * OpenBLAS's threads, from training.threads or bp_graph_set_threads, and
 * the progress callback, called after every batch with the epoch's sums.
 */
#include <string.h>

#include <cblas.h>

#include "graph.h"
#include "network.h"
#include "testutil.h"

static char *tmp_dir;

/* iris, all 150 rows, in batches of 16: 10 batches, the last of 6. */
static const char iris_graph[] =
  "version: 1\n"
  "network:\n"
  "  input: 4\n"
  "  layers: [{affine: {units: 5}}, relu, {affine: {units: 3}}, softmax]\n"
  "  loss: cross_entropy\n"
  "data:\n"
  "  train: {csv: %s, label: species}\n"
  "training:\n"
  "  epochs: 3\n"
  "  batch: 16\n"
  "  optimizer: {sgd: {lr: 0.05}}\n"
  "%s";

static BpGraph *
load_iris (const char *more)
{
  g_autofree char *csv = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                           "iris.csv", NULL);
  g_autofree char *text = g_strdup_printf (iris_graph, csv, more);
  g_autofree char *path = bp_test_write_file (tmp_dir, "iris.yaml", text);
  g_autoptr (GError) error = NULL;
  BpGraph *graph = bp_graph_load (path, &error);

  g_assert_no_error (error);
  return graph;
}

/* Trains graph for its epochs with the given callbacks; returns a copy of
 * the trained parameters. */
static bp_real *
train (const BpGraph *graph, BpProgressFunc on_batch, BpEpochFunc on_epoch,
       gpointer user_data, gsize *n_params)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BpRun) run = bp_run_new (graph, &error);
  BpNetwork *net;

  g_assert_no_error (error);
  bp_run_set_progress (run, on_batch, user_data);
  g_assert_true (bp_run_train (run, on_epoch, user_data, &error));
  g_assert_no_error (error);
  net = bp_run_get_network (run);
  *n_params = net->n_params;
  return g_memdup2 (net->params, net->n_params * sizeof (bp_real));
}

/* ---- Threads ----------------------------------------------------------- */

/* The count OpenBLAS uses after a run, the process's setting changed
 * beforehand to another, so that a run that set nothing is seen. */
static int
threads_after_run (BpGraph *graph, int before)
{
  gsize n;

  openblas_set_num_threads (before);
  g_assert_cmpint (openblas_get_num_threads (), ==, before);
  g_free (train (graph, NULL, NULL, NULL, &n));
  return openblas_get_num_threads ();
}

static void
test_threads (void)
{
  g_autoptr (BpGraph) one = load_iris ("  threads: 1\n");
  g_autoptr (BpGraph) two = load_iris ("  threads: 2\n");
  g_autoptr (BpGraph) unset = load_iris ("");
  /* Debian's OpenBLAS is built for at most 64 threads, and lowers a
   * larger count to that. */
  int processors = (int) MIN (g_get_num_processors (), 64);

  if (openblas_get_parallel () == OPENBLAS_SEQUENTIAL)
    {
      g_test_skip ("this OpenBLAS is serial: it has one thread");
      return;
    }

  g_assert_cmpuint (one->threads, ==, 1);
  g_assert_cmpint (threads_after_run (one, 2), ==, 1);
  g_assert_cmpint (threads_after_run (two, 1), ==, 2);

  /* Unset: one per processor; on a one-processor machine the runs above
   * already show a change. */
  g_assert_cmpint (threads_after_run (unset, processors > 1 ? 1 : 2), ==,
                   processors);

  /* What `bpframe run --threads` does: the setter overrides the graph. */
  bp_graph_set_threads (one, 2);
  g_assert_cmpint (threads_after_run (one, 1), ==, 2);
  bp_graph_set_threads (two, 0);
  g_assert_cmpint (threads_after_run (two, processors > 1 ? 1 : 2), ==,
                   processors);
}

/* ---- Progress ---------------------------------------------------------- */

typedef struct {
  GArray *batches; /* every BpProgressReport, in order */
  GArray *epochs;  /* every BpEpochReport */
} Seen;

static void
keep_batch (const BpProgressReport *report, gpointer user_data)
{
  g_array_append_val (((Seen *) user_data)->batches, *report);
}

static gboolean
keep_epoch (const BpEpochReport *report, gpointer user_data)
{
  g_array_append_val (((Seen *) user_data)->epochs, *report);
  return TRUE;
}

/* Every batch of every epoch is reported, 1 to 10 in order, with the
 * samples done, a loss sum that only grows (cross entropy is never
 * negative) and ends, divided by the 150 rows, at exactly the epoch's
 * train_loss, and a clock that never goes back. Watching changes nothing:
 * the parameters are those of a run without the callback, to the bit. */
static void
test_progress (void)
{
  g_autoptr (BpGraph) graph = load_iris ("  threads: 1\n");
  g_autoptr (GArray) batches = g_array_new (FALSE, TRUE,
                                            sizeof (BpProgressReport));
  g_autoptr (GArray) epochs = g_array_new (FALSE, TRUE,
                                           sizeof (BpEpochReport));
  Seen seen = { batches, epochs };
  g_autofree bp_real *watched = NULL;
  g_autofree bp_real *unwatched = NULL;
  gsize n_watched, n_unwatched;

  watched = train (graph, keep_batch, keep_epoch, &seen, &n_watched);
  g_assert_cmpuint (epochs->len, ==, 3);
  g_assert_cmpuint (batches->len, ==, 3 * 10);

  for (guint e = 0; e < 3; e++)
    {
      const BpEpochReport *epoch = &g_array_index (epochs, BpEpochReport,
                                                   e);
      double loss_before = 0.0, seconds_before = 0.0;

      for (gsize b = 0; b < 10; b++)
        {
          const BpProgressReport *p = &g_array_index (
            batches, BpProgressReport, e * 10 + b);

          g_assert_cmpuint (p->epoch, ==, e + 1);
          g_assert_cmpuint (p->epochs, ==, 3);
          g_assert_cmpuint (p->batch, ==, b + 1);
          g_assert_cmpuint (p->n_batches, ==, 10);
          g_assert_cmpuint (p->samples, ==, MIN (16 * (b + 1), 150));
          g_assert_cmpuint (p->n_samples, ==, 150);
          g_assert_cmpfloat (p->loss_sum, >, loss_before);
          g_assert_cmpfloat (p->seconds, >=, seconds_before);
          g_assert_cmpfloat (p->seconds, <=, epoch->seconds);
          if (b > 0)
            g_assert_cmpint (p->now, >=, (p - 1)->now);
          loss_before = p->loss_sum;
          seconds_before = p->seconds;
        }
      /* The running sum at the last batch is the epoch's. */
      g_assert_cmpfloat (loss_before / 150.0, ==, epoch->train_loss);
    }

  unwatched = train (graph, NULL, NULL, NULL, &n_unwatched);
  g_assert_cmpmem (watched, n_watched * sizeof (bp_real), unwatched,
                   n_unwatched * sizeof (bp_real));
}

/* bp_run_set_progress with NULL stops the calls. */
static void
test_progress_removed (void)
{
  g_autoptr (BpGraph) graph = load_iris ("");
  g_autoptr (GError) error = NULL;
  g_autoptr (BpRun) run = bp_run_new (graph, &error);
  g_autoptr (GArray) batches = g_array_new (FALSE, TRUE,
                                            sizeof (BpProgressReport));
  Seen seen = { batches, NULL };

  g_assert_no_error (error);
  bp_graph_set_epochs (graph, 1);
  bp_run_set_progress (run, keep_batch, &seen);
  g_assert_true (bp_run_train (run, NULL, NULL, &error));
  g_assert_cmpuint (batches->len, ==, 10);

  bp_run_set_progress (run, NULL, NULL);
  g_assert_true (bp_run_train (run, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (batches->len, ==, 10);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = bp_test_dir_new ("test-run");

  g_test_add_func ("/run/threads", test_threads);
  g_test_add_func ("/run/progress", test_progress);
  g_test_add_func ("/run/progress-removed", test_progress_removed);

  status = g_test_run ();
  bp_test_dir_remove (tmp_dir);
  g_free (tmp_dir);
  return status;
}
