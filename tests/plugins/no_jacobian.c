/* A layer that gives forward but no jacobian: the loader must refuse it,
 * since bpframe never infers a derivative. */
#include "bpframe/plugin.h"

static int
no_jacobian_init (const BpLayerConfig *config, void **state,
                  BpLayerShape *shape, BpError *err)
{
  (void) err;
  *state = NULL;
  shape->n_out = config->n_in;
  return 0;
}

static void
no_jacobian_forward (void *state, const bp_real *P, size_t n,
                     const bp_real *X, bp_real *Y)
{
  (void) state;
  (void) P;
  (void) n;
  (void) X;
  (void) Y;
}

static const BpPlugin no_jacobian = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "no_jacobian",
  .description = "a layer without its derivative",
  .layer_init = no_jacobian_init,
  .forward = no_jacobian_forward,
};

BP_PLUGIN_EXPORT const BpPlugin *bp_plugin_entry (void);

const BpPlugin *
bp_plugin_entry (void)
{
  return &no_jacobian;
}
