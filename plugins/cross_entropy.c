/* The cross entropy CE(sigma) = -sum_k f_k log sigma_k of the paper's
 * section 4, for a distribution sigma (after softmax) against a target f
 * summing to 1. After softmax the core uses the fused sigma - f (section 8).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpframe/plugin.h"

typedef struct {
  size_t n_out;
} CrossEntropy;

static int
cross_entropy_init (const BpLossConfig *config, void **state, BpError *err)
{
  CrossEntropy *self = malloc (sizeof *self);

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

/* sum over samples of -sum_k f_k log sigma_k; a term with f_k = 0 is
 * skipped, so that 0 log 0 = 0 even where sigma_k underflowed to 0. */
static double
cross_entropy_value (void *state, size_t n, const bp_real *sigma,
                     const bp_real *F)
{
  CrossEntropy *self = state;
  double total = 0;

  for (size_t i = 0; i < n * self->n_out; i++)
    if (F[i] != 0)
      total -= F[i] * log (sigma[i]);
  return total;
}

/* M_k = d CE / d sigma_k = -f_k / sigma_k (0 where f_k = 0, as above). */
static void
cross_entropy_gradient (void *state, const bp_real *sigma, const bp_real *f,
                        bp_real *M)
{
  CrossEntropy *self = state;

  for (size_t k = 0; k < self->n_out; k++)
    M[k] = f[k] != 0 ? -f[k] / sigma[k] : 0;
}

/* Section 8: after softmax, d CE / d z = M D = sigma - f, for sum f = 1. */
static void
cross_entropy_fused_gradient (void *state, size_t n, const bp_real *sigma,
                              const bp_real *F, bp_real *G)
{
  CrossEntropy *self = state;

  for (size_t i = 0; i < n * self->n_out; i++)
    G[i] = sigma[i] - F[i];
}

static const BpPlugin cross_entropy_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LOSS,
  .name = "cross_entropy",
  .description = "-sum_k f_k log sigma_k, for a softmax output",
  .params = NULL,
  .loss_init = cross_entropy_init,
  .fini = free,
  .loss_value = cross_entropy_value,
  .loss_gradient = cross_entropy_gradient,
  .fused_partner = "softmax",
  .loss_fused_gradient = cross_entropy_fused_gradient,
  .input_flags = BP_OUTPUT_DISTRIBUTION,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &cross_entropy_plugin;
}
