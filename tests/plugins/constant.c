/* A layer a gradient checker must not pass: y = 1 whatever x, so that its
 * jacobian and the finite differences are both zero everywhere, and they
 * agree without having compared anything (a vacuous pass).
 */
#include <stdlib.h>
#include <string.h>

#include "bpframe/plugin.h"

static int
constant_init (const BpLayerConfig *config, void **state,
               BpLayerShape *shape, BpError *err)
{
  size_t *n = malloc (sizeof *n);

  if (n == NULL)
    {
      strcpy (err->message, "out of memory");
      err->param = NULL;
      return -1;
    }
  *n = config->n_in;
  shape->n_out = config->n_in;
  *state = n;
  return 0;
}

static void
constant_forward (void *state, const bp_real *P, size_t n, const bp_real *X,
                  bp_real *Y)
{
  size_t width = *(size_t *) state;

  (void) P;
  (void) X;
  for (size_t i = 0; i < n * width; i++)
    Y[i] = 1;
}

/* J = 0, which is right. */
static void
constant_jacobian (void *state, const bp_real *P, const bp_real *x,
                   const bp_real *y, bp_real *J)
{
  size_t width = *(size_t *) state;

  (void) P;
  (void) x;
  (void) y;
  memset (J, 0, width * width * sizeof *J);
}

static const BpPlugin constant_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "constant",
  .description = "y = 1 for each input (test plugin)",
  .layer_init = constant_init,
  .fini = free,
  .forward = constant_forward,
  .jacobian = constant_jacobian,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &constant_plugin;
}
