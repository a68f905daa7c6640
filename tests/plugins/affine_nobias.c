/* A deliberately wrong layer for `bpframe check`: y = W x + b, right, but
 * its L leaves out the bias column (zeros where d y_k / d b_k = 1), and
 * its update, consistent with that L, never moves b. A checker must name
 * the bias column.
 */
#include <stdlib.h>
#include <string.h>

#include "bpframe/plugin.h"

typedef struct {
  size_t n_in, n_out;
} AffineNobias;

static const BpParamSpec affine_nobias_params[] = {
  { "units", BP_ARG_INT, "width of y, at least 1 (required)" },
  { NULL, 0, NULL }
};

static int
affine_nobias_init (const BpLayerConfig *config, void **state,
                    BpLayerShape *shape, BpError *err)
{
  AffineNobias *self;
  int64_t units = 0;

  for (size_t i = 0; i < config->n_args; i++)
    if (strcmp (config->args[i].name, "units") == 0)
      units = config->args[i].integer;
  if (units < 1 || config->n_in == 0)
    {
      strcpy (err->message, "units is required (the width of y)");
      err->param = NULL;
      return -1;
    }
  self = malloc (sizeof *self);
  if (self == NULL)
    {
      strcpy (err->message, "out of memory");
      err->param = NULL;
      return -1;
    }
  self->n_in = config->n_in;
  self->n_out = (size_t) units;
  shape->n_out = self->n_out;
  shape->param_rows = self->n_out;
  shape->param_cols = self->n_in + 1;
  *state = self;
  return 0;
}

/* P uniform in [-1, 1), bias included. */
static void
affine_nobias_init_params (void *state, const BpLayerConfig *config,
                           bp_real *P)
{
  AffineNobias *self = state;

  for (size_t i = 0; i < self->n_out * (self->n_in + 1); i++)
    P[i] = (bp_real) (2 * config->host->random_uniform (config->rng) - 1);
}

/* y_k = w_k . x + b_k, right. */
static void
affine_nobias_forward (void *state, const bp_real *P, size_t n,
                       const bp_real *X, bp_real *Y)
{
  AffineNobias *self = state;
  size_t d = self->n_in, c = d + 1;

  for (size_t s = 0; s < n; s++)
    for (size_t k = 0; k < self->n_out; k++)
      {
        bp_real y = P[k * c + d];

        for (size_t j = 0; j < d; j++)
          y += P[k * c + j] * X[s * d + j];
        Y[s * self->n_out + k] = y;
      }
}

/* J = W, right. */
static void
affine_nobias_jacobian (void *state, const bp_real *P, const bp_real *x,
                        const bp_real *y, bp_real *J)
{
  AffineNobias *self = state;
  size_t d = self->n_in;

  (void) x;
  (void) y;
  for (size_t k = 0; k < self->n_out; k++)
    memcpy (J + k * d, P + k * (d + 1), d * sizeof *J);
}

/* Row k is [x_1 ... x_d 0]: the bias column dropped, on purpose. */
static void
affine_nobias_local_L (void *state, const bp_real *P, const bp_real *x,
                       const bp_real *y, bp_real *L)
{
  AffineNobias *self = state;
  size_t d = self->n_in;

  (void) P;
  (void) y;
  for (size_t k = 0; k < self->n_out; k++)
    {
      memcpy (L + k * (d + 1), x, d * sizeof *L);
      L[k * (d + 1) + d] = 0;
    }
}

/* grad += diag(m) L, consistent with the L above. */
static void
affine_nobias_update (void *state, const bp_real *m, const bp_real *L,
                      bp_real *grad)
{
  AffineNobias *self = state;
  size_t c = self->n_in + 1;

  for (size_t k = 0; k < self->n_out; k++)
    for (size_t j = 0; j < c; j++)
      grad[k * c + j] += m[k] * L[k * c + j];
}

static const BpPlugin affine_nobias_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "affine_nobias",
  .description = "y = W x + b whose L drops the bias column (test plugin)",
  .params = affine_nobias_params,
  .layer_init = affine_nobias_init,
  .fini = free,
  .forward = affine_nobias_forward,
  .jacobian = affine_nobias_jacobian,
  .local_L = affine_nobias_local_L,
  .update = affine_nobias_update,
  .init_params = affine_nobias_init_params,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &affine_nobias_plugin;
}
