/* libbpframe: the library API that the bpframe program, and anyone
 * embedding bpframe, uses: read a graph file, load its data, build the
 * network of plugins, train it, and write the model file.
 *
 * Every function that can fail at run time takes a GError ** last and
 * returns NULL or FALSE with it set, in the BP_ERROR domain. The library
 * never prints and never exits; progress reaches the caller through a
 * callback.
 */
#ifndef BPFRAME_H
#define BPFRAME_H

#include <glib.h>

#include "bpframe/plugin.h"

G_BEGIN_DECLS

#define BP_VERSION_STRING "0.1.0"

#define BP_ERROR (bp_error_quark ())
GQuark bp_error_quark (void);

typedef enum {
  BP_ERROR_GRAPH,  /* the graph file is wrong (the program exits 2) */
  BP_ERROR_PLUGIN, /* a plugin file cannot be loaded or is not usable */
  BP_ERROR_DATA,   /* a data file is wrong */
  BP_ERROR_IO,     /* a file cannot be read or written */
  BP_ERROR_FAILED  /* training failed, e.g. the loss became NaN */
} BpErrorCode;

/* The paper's update order (section 6, equation 7). */
typedef enum {
  /* Standard backpropagation: every layer's gradient is computed with the
   * weights the forward pass used; all steps are applied at the end. */
  BP_UPDATE_SIMULTANEOUS = 0,
  /* The paper's online algorithm: the last layer is stepped first, and
   * the row vector m reaches the layers before it through the weights
   * already updated. */
  BP_UPDATE_SEQUENTIAL = 1
} BpUpdateOrder;

/* ---- Graph files -------------------------------------------------------- */

typedef struct BpGraph BpGraph;

/* Reads and validates a graph file (format described in configs/README.md).
 * Errors name PATH:LINE:COLUMN. */
BpGraph *bp_graph_load (const char *path, GError **error);
void bp_graph_free (BpGraph *graph);

/* Command-line overrides; model_path is taken as given (not resolved
 * against the graph's folder). */
void bp_graph_set_epochs (BpGraph *graph, guint epochs);
void bp_graph_set_seed (BpGraph *graph, guint64 seed);
void bp_graph_set_model_path (BpGraph *graph, const char *model_path);
void bp_graph_set_update (BpGraph *graph, BpUpdateOrder update);
/* OpenBLAS's threads for training (training.threads): 1 to G_MAXINT, or
 * 0 for one per processor. */
void bp_graph_set_threads (BpGraph *graph, guint threads);
const char *bp_graph_get_model_path (const BpGraph *graph);

/* Whether training.schedule changes the learning rate from epoch to
 * epoch. */
gboolean bp_graph_has_schedule (const BpGraph *graph);

/* Solve mode (training: {solve: input, ...}; see bp_solve): whether the
 * graph solves for the input, what to call the input when printing
 * (training.name, "x" by default; NULL outside solve mode) and the target
 * f* its single output must reach. */
gboolean bp_graph_solves (const BpGraph *graph);
const char *bp_graph_get_solve_name (const BpGraph *graph);
double bp_graph_get_solve_target (const BpGraph *graph);

/* ---- Data sets ---------------------------------------------------------- */

/* n samples: inputs (n x n_in) and targets F (n x n_out), row-major.
 * For a data set made from a label column, classes names each output
 * (class k is the one-hot target e_k).
 *
 * The inputs are held in exactly one of two ways. CSV and inline data
 * sets, whose exact values matter, keep them as numbers in X. IDX images
 * keep the bytes of the file in X_bytes, an eighth of the memory: input j
 * of row s is X_bytes[s n_in + j] / X_divisor, divided in double and then
 * rounded to bp_real (X_divisor is 255, so byte b gives exactly b / 255.0,
 * not b * (1 / 255.0)). Read the inputs through bp_dataset_gather, which
 * handles both. */
typedef struct {
  gsize n, n_in, n_out;
  bp_real *X;       /* n x n_in, or NULL when X_bytes is set */
  guint8 *X_bytes;  /* n x n_in, or NULL when X is set */
  double X_divisor; /* with X_bytes: what a byte is divided by */
  bp_real *F;
  char **classes; /* NULL-terminated, or NULL when not classification */
} BpDataset;

/* Writes n rows of data as numbers: their inputs into X (n x n_in) and
 * their targets into F (n x n_out); either may be NULL to skip it. The
 * rows are rows[first], ..., rows[first + n - 1], or first, ...,
 * first + n - 1 when rows is NULL. Allocates nothing, so that a training
 * loop can gather every batch into the same buffers. */
void bp_dataset_gather (const BpDataset *data, const guint *rows,
                        gsize first, gsize n, bp_real *X, bp_real *F);

void bp_dataset_free (BpDataset *data);

/* ---- Networks ----------------------------------------------------------- */

typedef struct BpNetwork BpNetwork;

/* Loads every plugin of the graph, infers the widths, creates the
 * instances (parameters initialised from the graph's seed) and sizes every
 * buffer for batches of up to max_batch samples, the state of the graph's
 * optimizer (training.optimizer) included. */
BpNetwork *bp_network_new (const BpGraph *graph, gsize max_batch,
                           GError **error);
void bp_network_free (BpNetwork *net);

gsize bp_network_n_layers (const BpNetwork *net);
gsize bp_network_n_in (const BpNetwork *net);
gsize bp_network_n_out (const BpNetwork *net);
const char *bp_network_layer_name (const BpNetwork *net, gsize layer);
/* The layer's parameter matrix P (NULL and 0 x 0 without parameters); the
 * caller may change the values, not the shape. */
bp_real *bp_network_layer_params (BpNetwork *net, gsize layer,
                                  gsize *rows, gsize *cols);

/* sigma for a batch: X is n x n_in, sigma n x n_out, n <= max_batch. */
void bp_network_forward (BpNetwork *net, gsize n, const bp_real *X,
                         bp_real *sigma);

/* One step of training on a batch: forward, the loss, the backward chain
 * and the network's optimizer, the graph's training.optimizer (sgd:
 * P <- P - lr * mean gradient), whose state (momentum, Adam's moments and
 * step count) carries over from step to step. In sequential order each
 * layer is stepped as soon as its gradient is known. Returns the sum of
 * the samples' losses before the step. */
double bp_network_train_step (BpNetwork *net, gsize n, const bp_real *X,
                              const bp_real *F, BpUpdateOrder order);

/* Sets the learning rate of the next steps (lr >= 0), which starts as the
 * graph's; bp_run_train sets it at the start of every epoch from the
 * graph's schedule. The optimizer's state is kept. */
void bp_network_set_learning_rate (BpNetwork *net, double learning_rate);

/* Mean loss and accuracy (argmax of sigma against argmax of f; with one
 * output, sigma >= 0.5 against f >= 0.5) over a data set. */
void bp_network_evaluate (BpNetwork *net, const BpDataset *data,
                          double *mean_loss, double *accuracy);

/* ---- Runs: a graph, its data and its network ---------------------------- */

typedef struct BpRun BpRun;

typedef struct {
  guint epoch;           /* 1-based */
  guint epochs;
  double train_loss;     /* mean over the epoch's samples */
  double test_loss;      /* NAN without a test set */
  double test_accuracy;  /* NAN without a test set, or when the targets
                            are not classes (one-hot or a single 0/1) */
  double seconds;        /* wall time of this epoch */
  double learning_rate;  /* the rate of this epoch, after the schedule */
} BpEpochReport;

/* Called after each epoch; returning FALSE stops training early. */
typedef gboolean (*BpEpochFunc) (const BpEpochReport *report,
                                 gpointer user_data);

/* Where an epoch has got to, after one of its batches. */
typedef struct {
  guint epoch;           /* 1-based */
  guint epochs;
  gsize batch;           /* 1-based: the batches done in this epoch */
  gsize n_batches;       /* in the epoch */
  gsize samples;         /* the samples done in this epoch */
  gsize n_samples;       /* in the epoch: the training set's rows */
  double loss_sum;       /* the sum of those samples' losses, each before
                            its step; after the last batch, divided by
                            n_samples, it is the epoch's train_loss */
  double seconds;        /* since the epoch's first batch started */
  gint64 now;            /* g_get_monotonic_time () when seconds was
                            measured: fast batches share one reading, at
                            most some 0.1 ms old */
} BpProgressReport;

/* Called after every batch; report is valid only during the call. */
typedef void (*BpProgressFunc) (const BpProgressReport *report,
                                gpointer user_data);

/* Loads the data (splitting off test_fraction with the seed) and builds
 * the network. */
BpRun *bp_run_new (const BpGraph *graph, GError **error);
void bp_run_free (BpRun *run);

BpNetwork *bp_run_get_network (BpRun *run);
const BpDataset *bp_run_get_train (const BpRun *run);
const BpDataset *bp_run_get_test (const BpRun *run); /* NULL if none */

/* Trains for the graph's epochs, shuffling each epoch from the seed, with
 * OpenBLAS set to the graph's threads (one per processor by default) for
 * the whole process. Fails if the loss stops being finite. */
gboolean bp_run_train (BpRun *run, BpEpochFunc on_epoch, gpointer user_data,
                       GError **error);

/* Has bp_run_train call on_batch after every batch (NULL: none, the
 * default). It costs the call and at most a clock reading per batch (fast
 * batches read it less often), and nothing without it; how often to show
 * anything is the caller's choice. */
void bp_run_set_progress (BpRun *run, BpProgressFunc on_batch,
                          gpointer user_data);

/* Writes the model file atomically (a temporary then a rename). */
gboolean bp_run_save_model (BpRun *run, const char *path, GError **error);

/* ---- Solving for the input (the paper's sections 2 and 3) --------------- */

/* One iterate: x after update updates (update 0 is the start) and the
 * chain's output f there. input (n_in numbers) is valid only during the
 * call. */
typedef struct {
  guint update;
  gsize n_in;
  const bp_real *input;
  double f;
} BpSolveReport;

/* Called for every iterate, the start and the last included; returning
 * FALSE stops the solve early (not an error). */
typedef gboolean (*BpSolveFunc) (const BpSolveReport *report,
                                 gpointer user_data);

/* Shoots the graph's start through the chain and corrects it from
 * d f / d x, carried back through every layer, by the graph's rule, for
 * its number of updates or until |f - f*| <= its tolerance. The graph
 * must be in solve mode. The network must give one output and its loss
 * the residual sigma - f* (the target plugin), else BP_ERROR_GRAPH at the
 * loss. Fails with BP_ERROR_FAILED when f, x or the derivative stops
 * being finite, or when the tangent rule meets a derivative of 0. */
gboolean bp_solve (const BpGraph *graph, BpSolveFunc on_iterate,
                   gpointer user_data, GError **error);

/* ---- Explaining one step ------------------------------------------------ */

/* One layer of an explained step (bpframe explain). Vectors are rows,
 * matrices row-major; everything belongs to the BpExplain. */
typedef struct {
  const char *plugin;      /* the layer's plugin name */
  gsize n_in, n_out;
  bp_real *x, *y;          /* its input and output for the sample */
  bp_real *m;              /* d loss / d y, the row vector reaching it */
  bp_real *J;              /* d y / d x (n_out x n_in), at the weights m
                              was carried through */
  bp_real *m_in;           /* m J, for the layer before; NULL for the
                              first layer */
  gsize param_rows, param_cols; /* 0 x 0 without parameters */
  bp_real *P_old, *P_new;  /* the parameters before and after the step */
  bp_real *L;              /* the paper's L for this layer */
  bp_real *delta;          /* the paper's delta P = -eta diag(m) L */
  gboolean carried_updated; /* m_in came through P_new (sequential) */
} BpExplainLayer;

typedef struct {
  gsize sample;            /* 1-based row of the training set */
  /* The graph's optimizer, "sgd", "momentum" or "adam": whichever it is,
   * the step explained is the paper's plain SGD with its learning rate. */
  const char *optimizer;
  double learning_rate;
  BpUpdateOrder update;
  gsize n_in, n_out;
  bp_real *x, *f, *sigma;  /* the input, its target and the output */
  const char *loss_plugin;
  double loss;
  bp_real *M;              /* the paper's M = d loss / d sigma */
  /* With softmax before cross_entropy: the fused gradient sigma - f of
   * section 8, which carries on in place of the explicit M D (found in
   * the last layer's m_in); NULL otherwise. */
  bp_real *fused;
  BpExplainLayer *layers;  /* in forward order */
  gsize n_layers;
} BpExplain;

/* One online step of the run's network on training row sample (1-based),
 * plain SGD with the graph's learning rate and update order, recorded
 * through the explicit forms. The run's network is left stepped; the
 * optimizer's state is not touched. */
BpExplain *bp_run_explain (BpRun *run, gsize sample);
void bp_explain_free (BpExplain *ex);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpExplain, bp_explain_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpGraph, bp_graph_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpDataset, bp_dataset_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpNetwork, bp_network_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpRun, bp_run_free)

G_END_DECLS

#endif /* BPFRAME_H */
