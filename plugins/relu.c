/* The rectified linear unit y = max(0, x), applied to each input: the
 * paper's phi = ReLU(y) of section 5, with n_out = n_in and no parameters.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bpframe/plugin.h"

typedef struct {
  size_t n_in, n_out;
  const BpHost *host;
} Relu;

static int
relu_init (const BpLayerConfig *config, void **state, BpLayerShape *shape,
           BpError *err)
{
  Relu *self = malloc (sizeof *self);

  if (self == NULL)
    {
      snprintf (err->message, sizeof err->message, "out of memory");
      err->param = NULL;
      return -1;
    }
  self->n_in = self->n_out = config->n_in;
  self->host = config->host;
  shape->n_out = config->n_in;
  shape->param_rows = shape->param_cols = 0;
  *state = self;
  return 0;
}

/* y_k = max(0, x_k); written so that a NaN input stays NaN and the core
 * sees a diverging run instead of a silent 0. */
static void
relu_forward (void *state, const bp_real *P, size_t n, const bp_real *X,
              bp_real *Y)
{
  Relu *self = state;

  (void) P;
  for (size_t i = 0; i < n * self->n_in; i++)
    Y[i] = X[i] < 0 ? 0 : X[i];
}

/* J = diag(x_k > 0 ? 1 : 0), the paper's J_phi(y); at x_k = 0 we take 0. */
static void
relu_jacobian (void *state, const bp_real *P, const bp_real *x,
               const bp_real *y, bp_real *J)
{
  Relu *self = state;
  size_t d = self->n_in;

  (void) P;
  (void) y;
  for (size_t k = 0; k < d; k++)
    for (size_t j = 0; j < d; j++)
      J[k * d + j] = (j == k && x[k] > 0) ? 1 : 0;
}

/* G_in = G diag(x > 0): each m_k passes where x_k > 0, else stops. */
static void
relu_jacobian_product (void *state, const bp_real *P, size_t n,
                       const bp_real *X, const bp_real *Y,
                       const bp_real *G, bp_real *G_in)
{
  Relu *self = state;

  (void) P;
  (void) Y;
  /* g is read whether it passes or not: a load only on one side of the
   * test compiled to a branch per entry, which half the entries of a
   * trained layer mispredict, and kept the loop from vectorising (it
   * took twice the time of the forward pass). Chosen, not multiplied by
   * 0 or 1, so that an infinite m still stops where x_k <= 0. */
  for (size_t i = 0; i < n * self->n_in; i++)
    {
      bp_real g = G[i];

      G_in[i] = X[i] > 0 ? g : 0;
    }
}

static const BpPlugin relu_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "relu",
  .description = "y = max(0, x) for each input",
  .params = NULL,
  .layer_init = relu_init,
  .fini = free,
  .forward = relu_forward,
  .jacobian = relu_jacobian,
  .jacobian_product = relu_jacobian_product,
  .output_flags = 0,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &relu_plugin;
}
