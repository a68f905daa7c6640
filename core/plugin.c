/* The plugin loader and the host table. A plugin is found by name along a
 * search path, opened with local binding (plugins never see each other's
 * symbols), and its descriptor is checked before anything calls into it.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "plugin.h"

/* ---- The host table ------------------------------------------------------ */

static double
host_random_uniform (void *rng)
{
  return g_rand_double (rng);
}

/* Box-Muller on two uniform draws: plain, portable, and the same numbers
 * on every machine for the same seed. */
static double
host_random_normal (void *rng)
{
  double u1 = 1.0 - g_rand_double (rng); /* in (0, 1], so log is finite */
  double u2 = g_rand_double (rng);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

static const BpHost host = {
  .struct_size = sizeof (BpHost),
  .gemm = bp_gemm,
  .random_uniform = host_random_uniform,
  .random_normal = host_random_normal,
};

const BpHost *
bp_host (void)
{
  return &host;
}

/* ---- The search path ----------------------------------------------------- */

/* TRUE when the running program is a file under the build tree, so that
 * `build/tools/bpframe` and the tests find the plugins built beside them
 * without installing. */
static gboolean
running_from_build_tree (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *root = g_strconcat (BP_BUILD_ROOT, "/", NULL);

  return exe != NULL && g_str_has_prefix (exe, root);
}

char **
bp_plugin_search_path (const char *const *graph_dirs)
{
  g_autoptr (GStrvBuilder) dirs = g_strv_builder_new ();
  const char *env = g_getenv ("BPFRAME_PLUGIN_PATH");

  if (graph_dirs != NULL)
    g_strv_builder_addv (dirs, (const char **) graph_dirs);

  if (env != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (env, ":", -1);

      for (char **p = parts; *p != NULL; p++)
        if (**p != '\0')
          g_strv_builder_add (dirs, *p);
    }

  if (running_from_build_tree ())
    g_strv_builder_add (dirs, BP_BUILD_PLUGINDIR);
  g_strv_builder_add (dirs, BP_PLUGINDIR);

  return g_strv_builder_end (dirs);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char **
bp_plugin_list (const char *const *search_path)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GStrvBuilder) unique = g_strv_builder_new ();

  for (const char *const *d = search_path; *d != NULL; d++)
    {
      g_autoptr (GDir) dir = g_dir_open (*d, 0, NULL);
      const char *entry;

      while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (entry, ".so") && strlen (entry) > 3)
          g_ptr_array_add (names, g_strndup (entry, strlen (entry) - 3));
    }

  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);

      if (i == 0 || strcmp (name, g_ptr_array_index (names, i - 1)) != 0)
        g_strv_builder_add (unique, name);
    }
  return g_strv_builder_end (unique);
}

/* ---- Loading ------------------------------------------------------------- */

/* The descriptor's size in each ABI version this core loads: each version
 * ends where the next one's first member begins. */
static const size_t descriptor_sizes[BP_ABI_VERSION + 1] = {
  [1] = offsetof (BpPlugin, forward_train),
  [2] = offsetof (BpPlugin, layer_flags),
  [3] = sizeof (BpPlugin),
};

static gboolean
is_bare_name (const char *name)
{
  if (*name == '\0')
    return FALSE;
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '_' && *c != '-')
      return FALSE;
  return TRUE;
}

static char *
find_plugin_file (const char *name, const char *const *search_path,
                  GError **error)
{
  g_autofree char *file_name = g_strconcat (name, ".so", NULL);
  g_autofree char *searched = NULL;
  g_autofree char *available = NULL;
  g_auto (GStrv) names = NULL;

  for (const char *const *d = search_path; *d != NULL; d++)
    {
      g_autofree char *file = g_build_filename (*d, file_name, NULL);

      g_debug ("looking for plugin %s in %s", name, *d);
      if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&file);
    }

  searched = g_strjoinv (", ", (char **) search_path);
  names = bp_plugin_list (search_path);
  available = names[0] != NULL ? g_strjoinv (", ", names)
                               : g_strdup ("none");
  g_set_error (error, BP_ERROR, BP_ERROR_GRAPH,
               "plugin '%s' not found (searched %s); plugins found: %s",
               name, searched, available);
  return NULL;
}

/* The members every version-1 descriptor must have, by kind. */
static gboolean
check_descriptor (const BpPlugin *d, const char *file, GError **error)
{
  const char *missing = NULL;

  if (d->name == NULL || d->description == NULL)
    missing = d->name == NULL ? "name" : "description";
  else if (d->kind == BP_KIND_LAYER)
    {
      if (d->layer_init == NULL)
        missing = "layer_init";
      else if (d->forward == NULL)
        missing = "forward";
      else if (d->jacobian == NULL)
        missing = "jacobian (bpframe never infers a derivative)";
      else if ((d->local_L == NULL) != (d->update == NULL)
               || (d->local_L == NULL) != (d->init_params == NULL))
        missing = "one of local_L, update and init_params (a layer with "
                  "parameters needs all three)";
    }
  else if (d->kind == BP_KIND_LOSS)
    {
      if (d->loss_init == NULL)
        missing = "loss_init";
      else if (d->loss_value == NULL)
        missing = "loss_value";
      else if (d->loss_gradient == NULL)
        missing = "loss_gradient";
      else if ((d->fused_partner == NULL)
               != (d->loss_fused_gradient == NULL))
        missing = "fused_partner or loss_fused_gradient (they go together)";
    }
  else
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                   "%s: plugin kind %d is neither a layer (1) nor a loss (2)",
                   file, (int) d->kind);
      return FALSE;
    }

  if (missing != NULL)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                   "%s: plugin '%s' is refused: it has no %s", file,
                   d->name != NULL ? d->name : "(unnamed)", missing);
      return FALSE;
    }
  return TRUE;
}

static BpLoadedPlugin *
open_plugin_file (const char *file, GError **error)
{
  g_autoptr (BpLoadedPlugin) plugin = g_new0 (BpLoadedPlugin, 1);
  BpPluginEntry entry = NULL;
  const BpPlugin *d;

  plugin->file = g_strdup (file);
  plugin->module = g_module_open (file, G_MODULE_BIND_LOCAL);
  if (plugin->module == NULL)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN, "cannot load %s: %s",
                   file, g_module_error ());
      return NULL;
    }

  if (!g_module_symbol (plugin->module, BP_PLUGIN_ENTRY_SYMBOL,
                        (gpointer *) &entry) || entry == NULL)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                   "%s is not a bpframe plugin: it has no symbol '%s'",
                   file, BP_PLUGIN_ENTRY_SYMBOL);
      return NULL;
    }

  d = entry ();
  if (d == NULL)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                   "%s: %s() returned no descriptor", file,
                   BP_PLUGIN_ENTRY_SYMBOL);
      return NULL;
    }
  if (d->abi_version < BP_ABI_VERSION_OLDEST
      || d->abi_version > BP_ABI_VERSION)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                   "%s was built for plugin ABI version %u; this bpframe "
                   "loads versions %u to %u", file, d->abi_version,
                   (unsigned) BP_ABI_VERSION_OLDEST,
                   (unsigned) BP_ABI_VERSION);
      return NULL;
    }
  if (d->struct_size != descriptor_sizes[d->abi_version])
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                   "%s: its descriptor has %u bytes; ABI version %u has %zu",
                   file, d->struct_size, d->abi_version,
                   descriptor_sizes[d->abi_version]);
      return NULL;
    }
  if (d->real_size != sizeof (bp_real))
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                   "%s was built with %u-byte numbers; this bpframe uses "
                   "%zu-byte numbers (%s)", file, d->real_size,
                   sizeof (bp_real), sizeof (bp_real) == 8 ? "double"
                                                           : "float");
      return NULL;
    }
  /* Members past the plugin's own size stay zero: absent. */
  memcpy (&plugin->desc_copy, d, d->struct_size);
  plugin->desc = &plugin->desc_copy;
  plugin->abi_version = d->abi_version;
  if (!check_descriptor (plugin->desc, file, error))
    return NULL;

  g_debug ("loaded plugin %s from %s", d->name, file);
  return g_steal_pointer (&plugin);
}

BpLoadedPlugin *
bp_plugin_load (const char *name, const char *const *search_path,
                GError **error)
{
  g_autofree char *file = NULL;

  g_return_val_if_fail (name != NULL && search_path != NULL, NULL);

  if (g_str_has_suffix (name, ".so"))
    return open_plugin_file (name, error);

  if (!is_bare_name (name))
    {
      g_set_error (error, BP_ERROR, BP_ERROR_GRAPH,
                   "plugin name '%s' may hold only letters, digits, '_' "
                   "and '-' (or be a path ending in .so)", name);
      return NULL;
    }

  file = find_plugin_file (name, search_path, error);
  if (file == NULL)
    return NULL;
  return open_plugin_file (file, error);
}

void
bp_plugin_unload (BpLoadedPlugin *plugin)
{
  if (plugin == NULL)
    return;
  if (plugin->module != NULL)
    g_module_close (plugin->module);
  g_free (plugin->file);
  g_free (plugin);
}
