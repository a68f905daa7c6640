/* A test plugin that claims a plugin ABI newer than this bpframe knows:
 * the loader must refuse it and name both versions. */
#include "bpframe/plugin.h"

static const BpPlugin future = {
  .abi_version = BP_ABI_VERSION + 1,
  .struct_size = sizeof (BpPlugin) + 16,
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "abi_future",
  .description = "a layer from a future ABI",
};

BP_PLUGIN_EXPORT const BpPlugin *bp_plugin_entry (void);

const BpPlugin *
bp_plugin_entry (void)
{
  return &future;
}
