/* The graph description: what a graph file says, as plain data, before any
 * plugin is loaded. graph.c fills it from libyaml; every value keeps the
 * mark (line and column) it came from so that later stages can point at it.
 */
#ifndef BP_CORE_GRAPH_H
#define BP_CORE_GRAPH_H

#include "bpframe/bpframe.h"

/* A place in the graph file, 1-based, as messages show it. */
typedef struct {
  guint line, column;
} BpMark;

/* One parameter of a plugin, as written: the graph is read before any
 * plugin is loaded, so a scalar stays text until the plugin's parameter
 * list says what type it must be. A list of numbers (or a list of lists of
 * numbers, all the same length) is read as numbers here. */
typedef struct {
  char *key;
  BpMark key_mark;
  BpMark value_mark;
  char *scalar;      /* the text of a scalar value, or NULL for a list */
  double *reals;     /* a list: n_reals numbers, row by row */
  gsize n_reals;
  gsize rows, cols;  /* list of lists: rows x cols; flat list: 0 x n */
} BpGraphArg;

/* A layer or the loss: a plugin name (or path) and its parameters. */
typedef struct {
  char *plugin;
  BpMark mark;       /* of the plugin name */
  BpGraphArg *args;
  gsize n_args;
} BpGraphPlugin;

typedef enum {
  BP_DATA_NONE = 0,
  BP_DATA_CSV,
  BP_DATA_INLINE,
  BP_DATA_IDX
} BpDataKind;

/* One data set as the graph file gives it. */
typedef struct {
  BpDataKind kind;
  BpMark mark;          /* of the data set's mapping */

  /* BP_DATA_CSV */
  char *csv_path;       /* resolved against the graph file's folder */
  BpMark csv_mark;
  gboolean header;      /* the first row names the columns (default TRUE) */
  char *label;          /* class column, made into one-hot targets; or */
  BpMark label_mark;
  char **targets;       /* NULL-terminated target column names; NULL if a
                           label is given */
  BpMark targets_mark;

  /* BP_DATA_IDX: 8-bit images and their labels, resolved like csv */
  char *images_path;
  BpMark images_mark;
  char *labels_path;
  BpMark labels_mark;

  /* BP_DATA_CSV and BP_DATA_IDX: use only the first limit rows; 0 for
   * all of them */
  guint64 limit;
  BpMark limit_mark;

  /* BP_DATA_INLINE: rows of inputs and of targets */
  double *inputs;
  gsize n_rows, n_input_cols;
  double *outputs;      /* n_rows x n_output_cols */
  gsize n_output_cols;
} BpDataSpec;

/* How solve mode corrects the input (the paper's sections 2 and 3). */
typedef enum {
  /* x <- x + (f* - f) / f'(x): where the tangent line reaches the
   * target; one input only. */
  BP_SOLVE_TANGENT = 1,
  /* x_j <- x_j + lr s d f / d x_j, s = +1 while f < f*, else -1. */
  BP_SOLVE_GRADIENT_SIGN = 2
} BpSolveRule;

/* training.optimizer: how a step turns each layer's gradient g into a
 * move of its P (core/optimizer.c has the mathematics). */
typedef enum {
  BP_OPTIMIZER_SGD = 0,  /* the paper's P <- P - lr g */
  BP_OPTIMIZER_MOMENTUM, /* v <- mu v + g; P <- P - lr v */
  BP_OPTIMIZER_ADAM      /* bias-corrected moments m and v */
} BpOptimizerKind;

typedef struct {
  BpOptimizerKind kind;
  double learning_rate;  /* lr; 0 in solve mode, which trains nothing */
  double weight_decay;   /* training.weight_decay: g <- g + wd P */
  double momentum;       /* mu (momentum) */
  gboolean nesterov;     /* momentum: step along g + mu v instead */
  double beta1, beta2;   /* adam */
  double epsilon;        /* adam */
} BpOptimizerSettings;

/* training.schedule: the learning rate of each epoch. */
typedef enum {
  BP_SCHEDULE_NONE = 0,  /* lr throughout */
  BP_SCHEDULE_STEP,      /* lr factor^floor((epoch - 1) / every) */
  BP_SCHEDULE_COSINE     /* from lr at the first epoch to min_lr at the
                            last, along half a cosine */
} BpScheduleKind;

typedef struct {
  BpScheduleKind kind;
  guint every;           /* step */
  double factor;         /* step */
  double min_lr;         /* cosine */
} BpSchedule;

struct BpGraph {
  char *path;           /* as given, for messages */
  char *dir;            /* the graph file's folder */
  gint64 version;

  char **plugin_path;   /* NULL-terminated folders, resolved against dir */

  gsize input;          /* width of x */
  BpMark input_mark;
  BpGraphPlugin *layers;
  gsize n_layers;
  BpGraphPlugin loss;

  BpDataSpec train;
  BpDataSpec test;      /* kind BP_DATA_NONE if absent */
  double test_fraction; /* 0 if absent; only without test */
  BpMark test_fraction_mark;

  guint epochs;
  guint batch;
  BpOptimizerSettings optimizer;
  BpSchedule schedule;  /* kind BP_SCHEDULE_NONE if absent */
  BpUpdateOrder update;
  guint64 seed;
  gboolean shuffle;     /* default TRUE */
  guint threads;        /* OpenBLAS's threads; 0 (the default) for one per
                           processor */

  /* Solve mode (training: {solve: input, ...}): no data and no parameter
   * moves; the input is corrected until the chain's single output reaches
   * the target. The training settings above keep their defaults. */
  gboolean solve;
  double solve_target;      /* f* */
  BpMark solve_target_mark;
  BpSolveRule solve_rule;
  BpMark solve_rule_mark;
  double solve_lr;          /* gradient_sign only; 0 for tangent */
  BpMark solve_lr_mark;
  double *solve_start;      /* x at update 0, input numbers */
  BpMark solve_start_mark;
  guint solve_updates;
  BpMark solve_updates_mark;
  double solve_tolerance;   /* 0 if not given: never stop early */
  char *solve_name;         /* what to call x when printing; "x" */

  char *model_path;     /* resolved against dir; NULL if not given */
};

/* Sets error (BP_ERROR, BP_ERROR_GRAPH) to "PATH:LINE:COLUMN: message". */
void bp_graph_error (GError **error, const BpGraph *graph, BpMark mark,
                     const char *format, ...) G_GNUC_PRINTF (4, 5);

/* Reads a whole file; on failure, BP_ERROR_IO "PATH: cannot read the
 * WHAT: reason". */
gboolean bp_read_file (const char *path, const char *what, char **contents,
                       gsize *length, GError **error);

/* A finite number written in full, in the C locale: no leading space, no
 * trailing junk, no nan or inf. */
gboolean bp_parse_real (const char *text, double *out);

#endif /* BP_CORE_GRAPH_H */
