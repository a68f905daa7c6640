/* A run: a graph, its data and its network, and the training loop over
 * them. Every buffer the loop touches is sized here once; an epoch
 * shuffles an index permutation and gathers each batch into place.
 */
#include <math.h>
#include <string.h>

#include "blas.h"
#include "data.h"
#include "network.h"
#include "optimizer.h"
#include "run.h"

/* Evaluation goes through the network in chunks of at least this many
 * rows, so that it is not held to the training batch's size. */
#define BP_EVAL_CHUNK 256

struct BpRun {
  const BpGraph *graph;
  BpDataset *train;
  BpDataset *test;
  BpNetwork *net;
  GRand *shuffle_rng;
  guint *order;      /* the training rows' order in this epoch */
  bp_real *batch_X;  /* batch x n_in */
  bp_real *batch_F;  /* batch x n_out */
  gboolean classifies; /* accuracy means something for these targets */
  BpProgressFunc on_batch; /* bp_run_set_progress's, or NULL */
  gpointer on_batch_data;
};

/* Targets are classes when a label column made them, or when every row
 * is one-hot (a single output: 0 or 1). */
static gboolean
targets_are_classes (const BpDataset *data)
{
  if (data->classes != NULL)
    return TRUE;
  for (gsize s = 0; s < data->n; s++)
    {
      const bp_real *f = data->F + s * data->n_out;
      gsize ones = 0;

      for (gsize k = 0; k < data->n_out; k++)
        {
          if (f[k] != 0.0 && f[k] != 1.0)
            return FALSE;
          ones += f[k] == 1.0;
        }
      if (data->n_out > 1 && ones != 1)
        return FALSE;
    }
  return TRUE;
}

static gboolean
check_widths (const BpGraph *graph, const BpNetwork *net,
              const BpDataSpec *spec, const BpDataset *data,
              GError **error)
{
  const char *source = spec->kind == BP_DATA_CSV ? spec->csv_path
                       : spec->kind == BP_DATA_IDX ? spec->images_path
                                                   : "the inline data";
  const char *inputs = spec->kind == BP_DATA_IDX ? "pixels per image"
                                                 : "input columns";

  if (data->n_in != net->n_in)
    {
      bp_graph_error (error, graph, graph->input_mark,
                      "network.input is %zu, but %s has %zu %s", net->n_in,
                      source, data->n_in, inputs);
      return FALSE;
    }
  if (data->n_out != net->n_out)
    {
      bp_graph_error (error, graph, spec->mark,
                      "the network gives %zu outputs, but %s has %zu "
                      "targets%s", net->n_out, source, data->n_out,
                      data->classes != NULL ? " (one per class)" : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_data (BpRun *run, GError **error)
{
  const BpGraph *graph = run->graph;

  run->train = bp_dataset_load (graph, &graph->train, NULL, error);
  if (run->train == NULL)
    return FALSE;

  if (graph->test.kind != BP_DATA_NONE)
    run->test = bp_dataset_load (graph, &graph->test, run->train->classes,
                                 error);
  else if (graph->test_fraction > 0.0)
    {
      if (run->train->n < 2)
        {
          bp_graph_error (error, graph, graph->test_fraction_mark,
                          "test_fraction needs at least 2 rows of "
                          "training data; there is %zu", run->train->n);
          return FALSE;
        }
      bp_dataset_split (run->train, graph->test_fraction, graph->seed,
                        &run->test);
    }
  return graph->test.kind == BP_DATA_NONE || run->test != NULL;
}

BpRun *
bp_run_new (const BpGraph *graph, GError **error)
{
  g_autoptr (BpRun) run = g_new0 (BpRun, 1);
  guint32 seed[3];

  g_return_val_if_fail (graph != NULL, NULL);
  run->graph = graph;
  if (graph->solve)
    {
      bp_graph_error (error, graph, graph->solve_rule_mark,
                      "this graph solves for its input (training.solve); "
                      "it has no training step");
      return NULL;
    }

  /* Plugins first: a wrong graph is reported before any data is read. */
  run->net = bp_network_new (graph, MAX (graph->batch, BP_EVAL_CHUNK),
                             error);
  if (run->net == NULL || !load_data (run, error))
    return NULL;
  if (!check_widths (graph, run->net, &graph->train, run->train, error))
    return NULL;
  if (run->test != NULL
      && !check_widths (graph, run->net,
                        graph->test.kind != BP_DATA_NONE ? &graph->test
                                                         : &graph->train,
                        run->test, error))
    return NULL;

  /* The shuffle draws from its own stream of the seed. */
  seed[0] = (guint32) graph->seed;
  seed[1] = (guint32) (graph->seed >> 32);
  seed[2] = 2;
  run->shuffle_rng = g_rand_new_with_seed_array (seed, G_N_ELEMENTS (seed));

  run->classifies = targets_are_classes (run->train);
  run->order = g_new (guint, run->train->n);
  for (gsize i = 0; i < run->train->n; i++)
    run->order[i] = (guint) i;
  run->batch_X = g_new (bp_real, graph->batch * run->net->n_in);
  run->batch_F = g_new (bp_real, graph->batch * run->net->n_out);
  return g_steal_pointer (&run);
}

void
bp_run_free (BpRun *run)
{
  if (run == NULL)
    return;
  bp_network_free (run->net);
  bp_dataset_free (run->train);
  bp_dataset_free (run->test);
  if (run->shuffle_rng != NULL)
    g_rand_free (run->shuffle_rng);
  g_free (run->order);
  g_free (run->batch_X);
  g_free (run->batch_F);
  g_free (run);
}

BpNetwork *
bp_run_get_network (BpRun *run)
{
  return run->net;
}

const BpDataset *
bp_run_get_train (const BpRun *run)
{
  return run->train;
}

const BpDataset *
bp_run_get_test (const BpRun *run)
{
  return run->test;
}

/* Fisher-Yates over the row indices. */
static void
shuffle (GRand *rng, guint *order, gsize n)
{
  for (gsize i = n; i > 1; i--)
    {
      guint j = (guint) g_rand_int_range (rng, 0, (gint32) i);
      guint t = order[i - 1];

      order[i - 1] = order[j];
      order[j] = t;
    }
}

/* Writes the rows order[start ...] of the training set into the batch
 * buffers, as numbers whatever their storage. */
static void
gather_batch (BpRun *run, gsize start, gsize n)
{
  bp_dataset_gather (run->train, run->order, start, n, run->batch_X,
                     run->batch_F);
}

void
bp_run_set_progress (BpRun *run, BpProgressFunc on_batch,
                     gpointer user_data)
{
  g_return_if_fail (run != NULL);

  run->on_batch = on_batch;
  run->on_batch_data = user_data;
}

/* The clock of the progress reports. A reading costs some 30 ns: read
 * at every batch, it made online training of the paper's 2-2-2 network
 * (about 220 ns a sample) 12 to 15% slower. Fast batches read it every
 * stride-th batch only, stride doubling while readings come closer than
 * half of CLOCK_SPACING_US and halving while they are more than twice
 * that apart: the cost falls to the call alone (within 2%, the noise),
 * and the time reported is some 0.1 ms old at most while batches take
 * about the same time. */
#define CLOCK_SPACING_US 50
#define CLOCK_STRIDE_MAX 1024

typedef struct {
  gint64 start;      /* when the epoch's first batch started */
  gint64 now;        /* the last reading */
  guint stride;      /* batches from one reading to the next */
  guint countdown;   /* batches to the next reading */
} ProgressClock;

/* Starts the epoch's clock, after the shuffle: a rate taken over the
 * first batches would otherwise be mostly the shuffle's time. The first
 * batch reads it again. */
static void
clock_start (ProgressClock *clock)
{
  clock->start = clock->now = g_get_monotonic_time ();
  clock->stride = MAX (clock->stride, 1);
  clock->countdown = 1;
}

/* Tells on_batch where the epoch has got to: progress holds the epoch's
 * fixed fields, this fills in the rest. The report lives in the caller's
 * frame, so that nothing is allocated per batch. */
static void
report_batch (const BpRun *run, BpProgressReport *progress,
              ProgressClock *clock, gsize batch, gsize samples,
              double loss_sum)
{
  if (--clock->countdown == 0)
    {
      gint64 now = g_get_monotonic_time ();

      if (now - clock->now < CLOCK_SPACING_US / 2
          && clock->stride < CLOCK_STRIDE_MAX)
        clock->stride *= 2;
      else if (now - clock->now > 2 * CLOCK_SPACING_US && clock->stride > 1)
        clock->stride /= 2;
      clock->now = now;
      clock->countdown = clock->stride;
    }

  progress->batch = batch;
  progress->samples = samples;
  progress->loss_sum = loss_sum;
  progress->now = clock->now;
  progress->seconds = (double) (clock->now - clock->start) / G_USEC_PER_SEC;
  run->on_batch (progress, run->on_batch_data);
}

gboolean
bp_run_train (BpRun *run, BpEpochFunc on_epoch, gpointer user_data,
              GError **error)
{
  const BpGraph *graph = run->graph;
  const BpDataset *data = run->train;
  ProgressClock clock = { 0 };
  gint64 epoch_start;

  /* OpenBLAS's threads are the process's: set them for every run, so
   * that one run's setting does not linger into the next. */
  bp_blas_set_threads (graph->threads != 0 ? graph->threads
                                           : g_get_num_processors ());

  /* An epoch's time runs from the end of the one before, its report
   * included (a line printed: microseconds). One clock reading an epoch,
   * not two: a reading costs some 30 ns, and the paper's 2-2-2 network
   * trains its 4 samples in under 1 us. */
  epoch_start = g_get_monotonic_time ();
  for (guint epoch = 1; epoch <= graph->epochs; epoch++)
    {
      gint64 epoch_end;
      BpEpochReport report = { 0 };
      BpProgressReport progress = { 0 };
      double loss_sum = 0.0;
      double lr = bp_schedule_learning_rate (&graph->schedule,
                                             graph->optimizer.learning_rate,
                                             epoch, graph->epochs);
      gsize batch = 0;

      progress.epoch = epoch;
      progress.epochs = graph->epochs;
      progress.n_batches = (data->n + graph->batch - 1) / graph->batch;
      progress.n_samples = data->n;

      /* The epoch's learning rate, then one pass over the shuffled
       * training rows, a batch at a time. */
      bp_network_set_learning_rate (run->net, lr);
      if (graph->shuffle)
        shuffle (run->shuffle_rng, run->order, data->n);
      if (run->on_batch != NULL)
        clock_start (&clock);
      for (gsize start = 0; start < data->n; start += graph->batch)
        {
          gsize n = MIN (graph->batch, data->n - start);

          gather_batch (run, start, n);
          loss_sum += bp_network_train_step (run->net, n, run->batch_X,
                                             run->batch_F, graph->update);
          batch++;
          if (run->on_batch != NULL)
            report_batch (run, &progress, &clock, batch, start + n,
                          loss_sum);
        }

      /* A NaN or infinite loss only gets worse: stop and say why. */
      if (!isfinite (loss_sum))
        {
          g_set_error (error, BP_ERROR, BP_ERROR_FAILED,
                       "the training loss is not finite in epoch %u; "
                       "try a smaller learning rate (lr is %g)", epoch,
                       lr);
          return FALSE;
        }

      /* The report: the epoch's mean loss and the held-out figures. */
      report.epoch = epoch;
      report.epochs = graph->epochs;
      report.train_loss = loss_sum / (double) data->n;
      report.learning_rate = lr;
      report.test_loss = report.test_accuracy = NAN;
      if (run->test != NULL)
        bp_network_evaluate (run->net, run->test, &report.test_loss,
                             &report.test_accuracy);
      if (!run->classifies)
        report.test_accuracy = NAN;
      epoch_end = g_get_monotonic_time ();
      report.seconds = (double) (epoch_end - epoch_start) / G_USEC_PER_SEC;
      epoch_start = epoch_end;
      if (on_epoch != NULL && !on_epoch (&report, user_data))
        break;
    }
  return TRUE;
}

BpExplain *
bp_run_explain (BpRun *run, gsize sample)
{
  const BpDataset *data = run->train;
  BpExplain *ex;

  g_return_val_if_fail (sample >= 1 && sample <= data->n, NULL);

  /* The row as numbers, through the batch buffers (at least one row). */
  bp_dataset_gather (data, NULL, sample - 1, 1, run->batch_X, run->batch_F);
  ex = bp_network_explain (run->net, run->batch_X, run->batch_F,
                           run->graph->optimizer.learning_rate,
                           run->graph->update);
  ex->sample = sample;
  ex->optimizer = bp_optimizer_name (run->graph->optimizer.kind);
  return ex;
}

gboolean
bp_run_save_model (BpRun *run, const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  return bp_model_save (run->net, path, error);
}
