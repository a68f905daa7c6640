/* The dropout layer (inverted dropout): while training, each output is the
 * input kept with probability 1 - rate and scaled by 1 / (1 - rate), or 0;
 * in evaluation it is the identity, so nothing needs rescaling afterwards.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpframe/plugin.h"

typedef struct {
  size_t n;
  const BpHost *host;
  double rate;
  /* The gain of each entry (0 or 1 / (1 - rate)) in the last training
   * pass, for rows Y_rows of Y; jacobian finds its row by y's place in Y,
   * which the core guarantees until the next forward (plugin.h). */
  bp_real *gain;
  size_t capacity;       /* entries gain can hold */
  const bp_real *Y;      /* the last training pass's Y, or NULL */
  size_t Y_rows;
} Dropout;

static const BpParamSpec dropout_params[] = {
  { "rate", BP_ARG_REAL,
    "probability of dropping each output while training, in [0, 1) "
    "(default 0.5)" },
  { NULL, 0, NULL }
};

static int
dropout_init (const BpLayerConfig *config, void **state, BpLayerShape *shape,
              BpError *err)
{
  Dropout *self;
  double rate = 0.5;

  for (size_t i = 0; i < config->n_args; i++)
    if (strcmp (config->args[i].name, "rate") == 0)
      rate = config->args[i].real;
  if (!(rate >= 0.0 && rate < 1.0))
    {
      snprintf (err->message, sizeof err->message,
                "rate must be at least 0 and below 1, got %g", rate);
      err->param = "rate";
      return -1;
    }

  self = calloc (1, sizeof *self);
  if (self == NULL)
    {
      snprintf (err->message, sizeof err->message, "out of memory");
      return -1;
    }
  self->n = config->n_in;
  self->host = config->host;
  self->rate = rate;
  shape->n_out = config->n_in;
  *state = self;
  return 0;
}

static void
dropout_fini (void *state)
{
  Dropout *self = state;

  free (self->gain);
  free (self);
}

/* Evaluation: y = x. */
static void
dropout_forward (void *state, const bp_real *P, size_t n, const bp_real *X,
                 bp_real *Y)
{
  Dropout *self = state;

  (void) P;
  memcpy (Y, X, n * self->n * sizeof *Y);
  self->Y = NULL;
}

/* Training: y_k = x_k g_k, g_k = 1 / (1 - rate) with probability
 * 1 - rate, else 0. The gains grow to the largest batch once, then are
 * reused: no allocation from one batch to the next. */
static void
dropout_forward_train (void *state, const bp_real *P, size_t n,
                       const bp_real *X, bp_real *Y, void *rng)
{
  Dropout *self = state;
  size_t size = n * self->n;
  bp_real keep = (bp_real) (1.0 / (1.0 - self->rate));

  (void) P;
  if (size > self->capacity)
    {
      bp_real *grown = realloc (self->gain, size * sizeof *grown);

      /* Out of memory: keep everything, as evaluation does, rather than
       * write past the buffer. */
      if (grown == NULL)
        {
          dropout_forward (state, P, n, X, Y);
          return;
        }
      self->gain = grown;
      self->capacity = size;
    }

  for (size_t j = 0; j < size; j++)
    {
      self->gain[j] = self->host->random_uniform (rng) < self->rate ? 0
                                                                     : keep;
      Y[j] = X[j] * self->gain[j];
    }
  self->Y = Y;
  self->Y_rows = n;
}

/* The gains of the row that y is in, or NULL after an evaluation pass. */
static const bp_real *
row_gain (const Dropout *self, const bp_real *y)
{
  uintptr_t start = (uintptr_t) self->Y, at = (uintptr_t) y;
  size_t row;

  if (self->Y == NULL || at < start
      || at >= start + self->Y_rows * self->n * sizeof *y)
    return NULL;
  row = (at - start) / (self->n * sizeof *y);
  return self->gain + row * self->n;
}

/* J = diag(g), the identity in evaluation. */
static void
dropout_jacobian (void *state, const bp_real *P, const bp_real *x,
                  const bp_real *y, bp_real *J)
{
  Dropout *self = state;
  const bp_real *gain = row_gain (self, y);

  (void) P;
  (void) x;
  memset (J, 0, self->n * self->n * sizeof *J);
  for (size_t k = 0; k < self->n; k++)
    J[k * self->n + k] = gain != NULL ? gain[k] : 1;
}

/* g_in = g * gains, row by row. */
static void
dropout_jacobian_product (void *state, const bp_real *P, size_t n,
                          const bp_real *X, const bp_real *Y,
                          const bp_real *G, bp_real *G_in)
{
  Dropout *self = state;
  const bp_real *gain = row_gain (self, Y);

  (void) P;
  (void) X;
  for (size_t j = 0; j < n * self->n; j++)
    G_in[j] = gain != NULL ? G[j] * gain[j] : G[j];
}

static const BpPlugin dropout_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "dropout",
  .description = "drops each output with probability rate while training "
                 "(inverted dropout)",
  .params = dropout_params,
  .layer_init = dropout_init,
  .fini = dropout_fini,
  .forward = dropout_forward,
  .jacobian = dropout_jacobian,
  .jacobian_product = dropout_jacobian_product,
  .output_flags = 0,
  .forward_train = dropout_forward_train,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &dropout_plugin;
}
