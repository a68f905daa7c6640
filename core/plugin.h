/* The plugin loader: finds a plugin by name on the search path (or takes
 * an explicit .so path), opens it with local binding, and checks its
 * descriptor. Also the host table that the core lends every plugin.
 */
#ifndef BP_CORE_PLUGIN_H
#define BP_CORE_PLUGIN_H

#include <gmodule.h>

#include "bpframe/bpframe.h"

typedef struct {
  GModule *module;
  /* The plugin's descriptor, copied into the current layout: members a
   * plugin built against an older ABI version lacks are NULL or 0, so the
   * core reads every member without asking which version it came from. */
  const BpPlugin *desc;
  BpPlugin desc_copy;
  guint32 abi_version;  /* the version the plugin was built against */
  char *file;           /* the file it was loaded from */
} BpLoadedPlugin;

/* The folders searched for a bare name, in order: graph_dirs (may be
 * NULL), then BPFRAME_PLUGIN_PATH (colon-separated), then the build tree's
 * plugins/ when the running program lives in the build tree, then the
 * installed plugin folder. NULL-terminated; free with g_strfreev. */
char **bp_plugin_search_path (const char *const *graph_dirs);

/* Loads a plugin by bare name ([A-Za-z0-9_-]+, searched as NAME.so along
 * search_path) or by a path ending in ".so". Errors (BP_ERROR_PLUGIN):
 * not found (naming the folders searched and the plugins they hold), not
 * a bpframe plugin (naming the missing symbol), an ABI version this core
 * does not know or another number type (naming both), a descriptor whose
 * size is not its version's, a malformed descriptor (a layer without
 * forward or jacobian, parameters without local_L and update, a loss
 * without value or gradient). A bad name is BP_ERROR_GRAPH. */
BpLoadedPlugin *bp_plugin_load (const char *name,
                                const char *const *search_path,
                                GError **error);
void bp_plugin_unload (BpLoadedPlugin *plugin);

/* The names of the plugins (NAME.so) found along search_path, sorted and
 * without repeats. */
char **bp_plugin_list (const char *const *search_path);

/* The host table: gemm through cblas, random numbers from a GRand passed
 * as the rng pointer. */
const BpHost *bp_host (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpLoadedPlugin, bp_plugin_unload)

#endif /* BP_CORE_PLUGIN_H */
