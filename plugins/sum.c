/* The sum of the inputs, y = x_1 + ... + x_d, one output: the last stage
 * of the paper's f(x, y) = x^2 + y^3 (section 3), after power. No
 * parameters.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bpframe/plugin.h"

typedef struct {
  size_t n_in;
} Sum;

static int
sum_init (const BpLayerConfig *config, void **state, BpLayerShape *shape,
          BpError *err)
{
  Sum *self;

  if (config->n_in == 0)
    {
      snprintf (err->message, sizeof err->message,
                "sum needs at least one input, got 0");
      err->param = NULL;
      return -1;
    }
  self = malloc (sizeof *self);
  if (self == NULL)
    {
      snprintf (err->message, sizeof err->message, "out of memory");
      err->param = NULL;
      return -1;
    }
  self->n_in = config->n_in;
  shape->n_out = 1;
  shape->param_rows = shape->param_cols = 0;
  *state = self;
  return 0;
}

/* y = sum_j x_j, added in index order from x_0 so that results are the
 * same to the bit on every run and build. */
static void
sum_forward (void *state, const bp_real *P, size_t n, const bp_real *X,
             bp_real *Y)
{
  Sum *self = state;
  size_t d = self->n_in;

  (void) P;
  for (size_t s = 0; s < n; s++)
    {
      const bp_real *x = X + s * d;
      bp_real y = x[0];

      for (size_t j = 1; j < d; j++)
        y += x[j];
      Y[s] = y;
    }
}

/* J = [1 ... 1], a 1 x d row. */
static void
sum_jacobian (void *state, const bp_real *P, const bp_real *x,
              const bp_real *y, bp_real *J)
{
  Sum *self = state;

  (void) P;
  (void) x;
  (void) y;
  for (size_t j = 0; j < self->n_in; j++)
    J[j] = 1;
}

/* m J = (m_0, ..., m_0): every input gets the output's m. */
static void
sum_jacobian_product (void *state, const bp_real *P, size_t n,
                      const bp_real *X, const bp_real *Y, const bp_real *G,
                      bp_real *G_in)
{
  Sum *self = state;
  size_t d = self->n_in;

  (void) P;
  (void) X;
  (void) Y;
  for (size_t s = 0; s < n; s++)
    for (size_t j = 0; j < d; j++)
      G_in[s * d + j] = G[s];
}

static const BpPlugin sum_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "sum",
  .description = "y = x_1 + ... + x_d, a single output",
  .params = NULL,
  .layer_init = sum_init,
  .fini = free,
  .forward = sum_forward,
  .jacobian = sum_jacobian,
  .jacobian_product = sum_jacobian_product,
  .output_flags = 0,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &sum_plugin;
}
