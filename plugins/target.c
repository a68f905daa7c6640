/* The residual sigma - f of a chain's single output against its target,
 * the paper's f - f* of sections 2 and 3: a loss for solving a chain's
 * input, signed (a residual, not a distance), with M = 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bpframe/plugin.h"

/* Only the width is checked; the loss keeps no state. */
static int
target_init (const BpLossConfig *config, void **state, BpError *err)
{
  if (config->n_out != 1)
    {
      snprintf (err->message, sizeof err->message,
                "target needs a single output, got %zu", config->n_out);
      err->param = NULL;
      return -1;
    }
  *state = NULL;
  return 0;
}

/* sum over samples of (sigma - f), the paper's f - f*. */
static double
target_value (void *state, size_t n, const bp_real *sigma, const bp_real *F)
{
  double total = 0;

  (void) state;
  for (size_t i = 0; i < n; i++)
    total += sigma[i] - F[i];
  return total;
}

/* M = d (sigma - f) / d sigma = [1]. */
static void
target_gradient (void *state, const bp_real *sigma, const bp_real *f,
                 bp_real *M)
{
  (void) state;
  (void) sigma;
  (void) f;
  M[0] = 1;
}

static const BpPlugin target_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LOSS,
  .name = "target",
  .description = "the residual sigma - f, for solving a chain's input "
                 "(the paper's sections 2 and 3)",
  .params = NULL,
  .loss_init = target_init,
  .fini = NULL,
  .loss_value = target_value,
  .loss_gradient = target_gradient,
  .input_flags = 0,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &target_plugin;
}
