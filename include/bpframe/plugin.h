/* bpframe plugin ABI: the one header a layer or loss plugin includes.
 * A plugin is a shared object exporting bp_plugin_entry(), which returns a
 * constant descriptor; the core loads it with dlopen and calls through it.
 *
 * Notation follows "an intuitive introduction to the Back Propagation
 * Algorithm": a layer maps its input x (width n_in) to its output y (width
 * n_out); sigma is the network's output and f the target; M = d loss / d sigma
 * is a row vector; m is the row vector d loss / d y carried back through the
 * chain; J = d y / d x is a layer's jacobian (the paper's D, D_phi, J_phi(y));
 * P is a layer's parameter matrix ([W | b] for an affine layer) and L its
 * local matrix d y / d P, so that the paper's step is delta P = -eta diag(m) L.
 *
 * Matrices are dense, row-major, contiguous unless a leading dimension says
 * otherwise. A batch is a matrix whose rows are samples.
 *
 * Contracts use MUST, SHOULD and MAY. Unless an operation says otherwise:
 * every pointer argument is non-NULL; input and output buffers never alias;
 * all buffers belong to the caller and stay valid only for the call; an
 * operation MUST NOT print, exit, or keep global mutable state; it MAY be
 * called any number of times, from one thread at a time per instance.
 */
#ifndef BPFRAME_PLUGIN_H
#define BPFRAME_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version 1 is the first; version 2 appended forward_train, version 3
 * layer_flags. A later version only appends members to BpPlugin and bumps
 * this number; the core keeps loading plugins built against every version
 * it knows, reading struct_size to see which members they have (those
 * they lack are NULL). */
#define BP_ABI_VERSION 3
#define BP_ABI_VERSION_OLDEST 1

/* The number type of every buffer. A plugin records the size it was built
 * with in its descriptor; the core refuses one built for another type. */
#ifndef BP_REAL
#define BP_REAL double
#endif
typedef BP_REAL bp_real;

typedef enum {
  BP_KIND_LAYER = 1,
  BP_KIND_LOSS = 2
} BpKind;

/* ---- Errors ---------------------------------------------------------- */

#define BP_ERROR_MESSAGE_MAX 256

/* Filled by an operation that fails (only init may fail in version 1). The
 * message is one line without a trailing period, e.g. "units must be at
 * least 1, got 0". When the failure concerns one parameter from the graph
 * file, param names it, so that the core can point at its line and column. */
typedef struct {
  char message[BP_ERROR_MESSAGE_MAX];
  const char *param; /* a static string or NULL */
} BpError;

/* ---- Parameters from the graph file ----------------------------------- */

typedef enum {
  BP_ARG_INT = 1,    /* an integer: value.integer */
  BP_ARG_REAL = 2,   /* a number: value.real */
  BP_ARG_STRING = 3, /* a scalar kept as text: value.string */
  BP_ARG_REALS = 4   /* a list of numbers, or a list of lists (a matrix) */
} BpArgType;

/* What a plugin accepts, listed in its descriptor and ended by an entry
 * whose name is NULL. The core refuses any other key, checks each value's
 * type, and passes only what the graph file gave (nothing is defaulted by
 * the core: defaults are the plugin's, and its help text says them). */
typedef struct {
  const char *name;
  BpArgType type;
  const char *help; /* one line, including the default if there is one */
} BpParamSpec;

/* One parameter as given in the graph file. For BP_ARG_REALS, reals holds
 * n_reals numbers; a list of lists is flattened row by row with rows > 0 and
 * cols its common length (the core refuses ragged ones); a flat list has
 * rows == 0 and cols == n_reals. */
typedef struct {
  const char *name;
  BpArgType type;
  int64_t integer;
  double real;
  const char *string;
  const double *reals;
  size_t n_reals, rows, cols;
} BpArg;

/* ---- Services of the host --------------------------------------------- */

typedef enum { BP_NO_TRANS = 0, BP_TRANS = 1 } BpTranspose;

/* What the core lends a plugin, so that plugins need no library but libc
 * and libm: matrix products through the core's BLAS (in bp_real), and the
 * run's seeded random stream, which keeps runs reproducible bit for bit.
 * The table lives as long as the plugin instance. */
typedef struct BpHost {
  uint32_t struct_size; /* sizeof (BpHost) of the core's build */

  /* C = alpha op(A) op(B) + beta C, row-major; op(A) is m x k, op(B) is
   * k x n, C is m x n; lda, ldb, ldc are row strides. C MUST NOT alias A or
   * B. With beta == 0, C's old contents are ignored (even NaN). */
  void (*gemm) (BpTranspose trans_a, BpTranspose trans_b,
                size_t m, size_t n, size_t k, bp_real alpha,
                const bp_real *a, size_t lda,
                const bp_real *b, size_t ldb,
                bp_real beta, bp_real *c, size_t ldc);

  /* Uniform on [0, 1) and standard normal, from the stream of the
   * graph's seed passed as rng. Valid only during init and init_params. */
  double (*random_uniform) (void *rng);
  double (*random_normal) (void *rng);
} BpHost;

/* ---- Layers ------------------------------------------------------------ */

/* What init learns of the layer's place in the network. */
typedef struct {
  size_t n_in;          /* width of x, inferred from the layer before */
  const BpArg *args;    /* the graph file's parameters for this layer */
  size_t n_args;
  const BpHost *host;
  void *rng;            /* for host->random_*, in init and init_params */
} BpLayerConfig;

/* What init tells the core. n_out is the width of y. A layer with
 * parameters sets param_rows and param_cols, the shape of P; it MUST have
 * param_rows == n_out, because row k of P holds the parameters that output
 * k alone depends on (the paper's [W | b]: row k is [w_k1 ... w_kd b_k]).
 * A layer without parameters leaves both 0. */
typedef struct {
  size_t n_out;
  size_t param_rows, param_cols;
} BpLayerShape;

/* How a layer's output may be read, for checking the loss that follows. */
enum {
  BP_OUTPUT_UNIT_INTERVAL = 1 << 0, /* each y_k in (0, 1) */
  BP_OUTPUT_DISTRIBUTION = 1 << 1   /* y_k > 0 and sum_k y_k = 1 */
};

/* What the core may assume of a layer's operations (layer_flags). */
enum {
  /* The layer's L does not depend on its P, and update and update_batch
   * only add to grad, never reading P: so the core may pass the layer's
   * own P as grad. With plain SGD it then hands them m already scaled by
   * -lr, and the paper's step delta[W | b] = -lr diag(m) L lands in P in
   * one pass, without a gradient buffer to clear, fill and read back
   * (most of an online step's memory traffic). Leave it unset when
   * local_L, update or update_batch reads P. */
  BP_LAYER_UPDATE_INTO_P = 1 << 0,
  /* The last column of P holds biases, added to the outputs rather than
   * weighting an input (the paper's [W | b]): L2 weight decay spares it,
   * since shrinking a bias toward 0 does not make the layer simpler. */
  BP_LAYER_BIAS_COLUMN = 1 << 1
};

/* ---- Losses ------------------------------------------------------------ */

typedef struct {
  size_t n_out;         /* width of sigma and of the target f */
  const BpArg *args;
  size_t n_args;
} BpLossConfig;

/* ---- The descriptor ---------------------------------------------------- */

typedef struct BpPlugin {
  /* Version 1 members, in this order forever. */
  uint32_t abi_version;  /* BP_ABI_VERSION the plugin was built against */
  uint32_t struct_size;  /* sizeof (BpPlugin) of that version */
  uint32_t real_size;    /* sizeof (bp_real) the plugin was built with */
  BpKind kind;
  const char *name;        /* as written in graph files: [A-Za-z0-9_-]+ */
  const char *description; /* one line */
  const BpParamSpec *params; /* ended by a NULL name; NULL if none */

  /* Layers and losses: make and free one instance. init MUST set *state
   * (it MAY set it to NULL if the plugin keeps no state) and return 0, or
   * fill err and return -1 having allocated nothing. fini receives what
   * init set and MAY be NULL if there is nothing to free. */
  int (*layer_init) (const BpLayerConfig *config, void **state,
                     BpLayerShape *shape, BpError *err);
  int (*loss_init) (const BpLossConfig *config, void **state, BpError *err);
  void (*fini) (void *state);

  /* Layer, required. Y = layer(X) for a batch of n samples: X is n x n_in,
   * Y is n x n_out. P is the parameter matrix (NULL without parameters). */
  void (*forward) (void *state, const bp_real *P, size_t n,
                   const bp_real *X, bp_real *Y);

  /* Layer, required: the explicit jacobian J = d y / d x for one sample,
   * given its input row x and the output row y that forward gave for it.
   * J is n_out x n_in and the callee writes every entry. */
  void (*jacobian) (void *state, const bp_real *P, const bp_real *x,
                    const bp_real *y, bp_real *J);

  /* Layer with parameters, required for one: the paper's L for one sample,
   * L[k][j] = d y_k / d P[k][j], same shape as P (rows [x_1 ... x_d 1] for
   * an affine layer). NULL for a layer without parameters. */
  void (*local_L) (void *state, const bp_real *P, const bp_real *x,
                   const bp_real *y, bp_real *L);

  /* Layer with parameters, required for one: the paper's update
   * delta P = -eta diag(m) L, left for the core's optimizer to scale. It
   * adds diag(m) L (d loss / d P for one sample, given m = d loss / d y)
   * to grad, which has P's shape; the optimizer turns the sum into the
   * step, so plain SGD gives the paper's step exactly. */
  void (*update) (void *state, const bp_real *m, const bp_real *L,
                  bp_real *grad);

  /* Layer, optional fast form of jacobian: for each of the n rows m of G
   * (n x n_out), the row m J of G_in (n x n_in), without building J. X and
   * Y are the batch's input and output. Equal to jacobian to rounding. */
  void (*jacobian_product) (void *state, const bp_real *P, size_t n,
                            const bp_real *X, const bp_real *Y,
                            const bp_real *G, bp_real *G_in);

  /* Layer, optional fast form of local_L with update: adds
   * sum over the n samples of diag(m_i) L_i to grad, for a batch (for
   * affine one GEMM, G^T [X | 1]). Equal to the explicit forms to
   * rounding. */
  void (*update_batch) (void *state, const bp_real *P, size_t n,
                        const bp_real *X, const bp_real *Y,
                        const bp_real *G, bp_real *grad);

  /* Layer: a combination of BP_OUTPUT_* flags true of every output. */
  uint32_t output_flags;

  /* Loss, required: the sum over the n samples of the loss of each row of
   * sigma (n x n_out) against the same row of the targets F. */
  double (*loss_value) (void *state, size_t n, const bp_real *sigma,
                        const bp_real *F);

  /* Loss, required: the paper's M = d loss / d sigma for one sample. */
  void (*loss_gradient) (void *state, const bp_real *sigma,
                         const bp_real *f, bp_real *M);

  /* Loss, optional: the fused gradient d loss / d z with respect to the
   * input z of the last layer, when that layer is the plugin named by
   * fused_partner; for softmax then cross_entropy it is sigma - f (the
   * paper's section 8). For a batch: G is n x n_out. */
  const char *fused_partner;
  void (*loss_fused_gradient) (void *state, size_t n, const bp_real *sigma,
                               const bp_real *F, bp_real *G);

  /* Loss: the BP_OUTPUT_* flags the last layer's output MUST have. */
  uint32_t input_flags;

  /* Layer with parameters, required for one: writes the initial P, from
   * the graph file's explicit values or from random draws. The core calls
   * it once, after init and before any other operation, with the config
   * init received (its args and rng valid for the call); init has already
   * refused bad parameters, so it cannot fail. */
  void (*init_params) (void *state, const BpLayerConfig *config,
                       bp_real *P);

  /* Version 1 ends here; version 2 appends what follows. */

  /* Layer, optional: forward while training, for a layer that behaves
   * otherwise while it learns (dropout); training steps use it when
   * present, and forward otherwise, while evaluation always uses forward.
   * rng is the run's training stream for host->random_uniform and
   * host->random_normal, valid for the call. Afterwards, until the next
   * forward or forward_train of this instance, the core passes to
   * jacobian, local_L, jacobian_product and update_batch only this call's
   * X and Y, or rows of them, so that the layer may keep what it drew
   * (a mask) and find a row by its place in Y. */
  void (*forward_train) (void *state, const bp_real *P, size_t n,
                         const bp_real *X, bp_real *Y, void *rng);

  /* Version 3 appends what follows. */

  /* Layer: a combination of BP_LAYER_* flags true of its operations. A
   * core ignores a flag it does not know, so a flag added later (as
   * BP_LAYER_BIAS_COLUMN was, within version 3) only goes unused by an
   * older core. */
  uint32_t layer_flags;
} BpPlugin;

/* The descriptor's size in each version (on LP64 platforms), pinned: a
 * change of layout without a new version would break every plugin. */
#define BP_PLUGIN_SIZE_V1 168
#define BP_PLUGIN_SIZE_V2 176
#define BP_PLUGIN_SIZE_V3 184
_Static_assert (sizeof (void *) != 8
                || sizeof (BpPlugin) == BP_PLUGIN_SIZE_V3,
                "BpPlugin layout changed: bump BP_ABI_VERSION");
_Static_assert (sizeof (void *) != 8
                || offsetof (BpPlugin, forward_train) == BP_PLUGIN_SIZE_V1,
                "BpPlugin's version 1 members moved");
_Static_assert (sizeof (void *) != 8
                || offsetof (BpPlugin, layer_flags) == BP_PLUGIN_SIZE_V2,
                "BpPlugin's version 2 members moved");

/* The entry symbol every plugin exports. */
#define BP_PLUGIN_ENTRY_SYMBOL "bp_plugin_entry"

#if defined(__GNUC__)
#define BP_PLUGIN_EXPORT __attribute__ ((visibility ("default")))
#else
#define BP_PLUGIN_EXPORT
#endif

/* A plugin defines it as: BP_PLUGIN_EXPORT const BpPlugin *
 * bp_plugin_entry (void) { return &my_descriptor; } */
typedef const BpPlugin *(*BpPluginEntry) (void);

#ifdef __cplusplus
}
#endif

#endif /* BPFRAME_PLUGIN_H */
