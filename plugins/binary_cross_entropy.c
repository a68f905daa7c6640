/* The loss of the paper's section 5: the mean over the v outputs of the
 * binary cross entropy -[f_k log sigma_k + (1 - f_k) log(1 - sigma_k)],
 * each output an independent probability in (0, 1) (after logistic).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpframe/plugin.h"

typedef struct {
  size_t n_out;
} BinaryCrossEntropy;

static int
bce_init (const BpLossConfig *config, void **state, BpError *err)
{
  BinaryCrossEntropy *self = malloc (sizeof *self);

  if (self == NULL)
    {
      snprintf (err->message, sizeof err->message, "out of memory");
      err->param = NULL;
      return -1;
    }
  self->n_out = config->n_out;
  *state = self;
  return 0;
}

/* sum over samples of -1/v sum_k [f_k log sigma_k + (1 - f_k) log(1 -
 * sigma_k)]; a term whose weight f_k or 1 - f_k is 0 is skipped, so that
 * a saturated sigma_k of exactly 0 or 1 costs 0 when the target agrees. */
static double
bce_value (void *state, size_t n, const bp_real *sigma, const bp_real *F)
{
  BinaryCrossEntropy *self = state;
  double total = 0;

  for (size_t i = 0; i < n * self->n_out; i++)
    {
      if (F[i] != 0)
        total -= F[i] * log (sigma[i]);
      if (F[i] != 1)
        total -= (1 - F[i]) * log (1 - sigma[i]);
    }
  return total / (double) self->n_out;
}

/* M_k = -1/v (f_k / sigma_k - (1 - f_k) / (1 - sigma_k)), the paper's M,
 * skipping the same zero-weight terms as the value. */
static void
bce_gradient (void *state, const bp_real *sigma, const bp_real *f,
              bp_real *M)
{
  BinaryCrossEntropy *self = state;
  bp_real v = (bp_real) self->n_out;

  for (size_t k = 0; k < self->n_out; k++)
    {
      bp_real m = 0;

      if (f[k] != 0)
        m += f[k] / sigma[k];
      if (f[k] != 1)
        m -= (1 - f[k]) / (1 - sigma[k]);
      M[k] = -m / v;
    }
}

static const BpPlugin bce_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LOSS,
  .name = "binary_cross_entropy",
  .description = "-1/v sum_k [f_k log sigma_k + (1 - f_k) log(1 - sigma_k)]",
  .params = NULL,
  .loss_init = bce_init,
  .fini = free,
  .loss_value = bce_value,
  .loss_gradient = bce_gradient,
  .input_flags = BP_OUTPUT_UNIT_INTERVAL,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &bce_plugin;
}
