/* bpframe plugins: lists every plugin on the search path, as text or
 * YAML: its name, kind, description, parameters, file and ABI version,
 * which file shadows which, and why a file that cannot be loaded fails.
 */
#include <string.h>

#include "cli.h"
/* The search path and the loader are the library's own (core/plugin.h),
 * as are a graph's plugin_path folders (core/graph.h): this command
 * reports exactly what `bpframe run` would load, so it calls the same
 * code rather than a copy of its rules. */
#include "graph.h"
#include "plugin.h"

/* One name found on the search path: the file a graph naming it loads
 * (the first on the path), the files it hides, and what loading gave. */
typedef struct {
  char *name;
  char *file;
  GPtrArray *shadowed;       /* char *, in search-path order */
  BpLoadedPlugin *plugin;    /* NULL when it could not be loaded */
  char *error;               /* why, then */
} Entry;

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_free (e->name);
  g_free (e->file);
  g_ptr_array_unref (e->shadowed);
  bp_plugin_unload (e->plugin);
  g_free (e->error);
  g_free (e);
}

static gboolean
same_file (const char *a, const char *b)
{
  g_autofree char *ca = g_canonicalize_filename (a, NULL);
  g_autofree char *cb = g_canonicalize_filename (b, NULL);

  return strcmp (ca, cb) == 0;
}

/* The files NAME.so along the path, in order; the same test as the
 * loader's (a regular file, links followed), so that the first is the
 * one `bpframe run` takes. A folder named twice on the path is not a
 * file shadowing itself. */
static Entry *
find_entry (const char *name, const char *const *search_path)
{
  g_autofree char *file_name = g_strconcat (name, ".so", NULL);
  Entry *e = g_new0 (Entry, 1);

  e->name = g_strdup (name);
  e->shadowed = g_ptr_array_new_with_free_func (g_free);
  for (const char *const *d = search_path; *d != NULL; d++)
    {
      g_autofree char *file = g_build_filename (*d, file_name, NULL);
      gboolean seen = e->file != NULL && same_file (file, e->file);

      for (guint i = 0; !seen && i < e->shadowed->len; i++)
        seen = same_file (file, g_ptr_array_index (e->shadowed, i));
      if (seen || !g_file_test (file, G_FILE_TEST_IS_REGULAR))
        continue;
      if (e->file == NULL)
        e->file = g_steal_pointer (&file);
      else
        g_ptr_array_add (e->shadowed, g_steal_pointer (&file));
    }
  return e;
}

/* Every name on the path, each loaded from its first file. A file that
 * fails to load keeps its error and the listing goes on; but loading runs
 * the file's code (its constructors, bp_plugin_entry), so a plugin that
 * crashes there crashes the listing too: only a child process per file
 * would survive it. A name that is no bare name ("a.b" from a.b.so) is
 * listed as well, though a graph can reach it only by its path. */
static GPtrArray *
scan (const char *const *search_path)
{
  g_auto (GStrv) names = bp_plugin_list (search_path);
  GPtrArray *entries = g_ptr_array_new_with_free_func (entry_free);

  for (char **n = names; *n != NULL; n++)
    {
      Entry *e = find_entry (*n, search_path);
      g_autoptr (GError) error = NULL;

      /* A folder named NAME.so is listed by name but is no file. */
      if (e->file == NULL)
        {
          entry_free (e);
          continue;
        }
      e->plugin = bp_plugin_load (e->file, search_path, &error);
      if (e->plugin == NULL)
        e->error = g_strdup (error->message);
      g_ptr_array_add (entries, e);
    }
  return entries;
}

static const char *
kind_name (BpKind kind)
{
  return kind == BP_KIND_LAYER ? "layer" : "loss";
}

static const char *
type_name (BpArgType type)
{
  switch (type)
    {
    case BP_ARG_INT:
      return "integer";
    case BP_ARG_REAL:
      return "number";
    case BP_ARG_REALS:
      return "list of numbers";
    case BP_ARG_STRING:
    default:
      return "word";
    }
}

/* The operations a descriptor has, by their names in plugin.h and
 * joined by separator, so that an author sees at once whether the fast
 * forms were found. */
static char *
operations (const BpPlugin *d, const char *separator)
{
  g_autoptr (GStrvBuilder) ops = g_strv_builder_new ();
  g_auto (GStrv) list = NULL;
  const struct {
    gboolean present;
    const char *name;
  } all[] = {
    { d->forward != NULL, "forward" },
    { d->forward_train != NULL, "forward_train" },
    { d->jacobian != NULL, "jacobian" },
    { d->jacobian_product != NULL, "jacobian_product" },
    { d->local_L != NULL, "local_L" },
    { d->update != NULL, "update" },
    { d->update_batch != NULL, "update_batch" },
    { d->init_params != NULL, "init_params" },
    { d->loss_value != NULL, "loss_value" },
    { d->loss_gradient != NULL, "loss_gradient" },
    { d->loss_fused_gradient != NULL, "loss_fused_gradient" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    if (all[i].present)
      g_strv_builder_add (ops, all[i].name);
  list = g_strv_builder_end (ops);
  return g_strjoinv (separator, list);
}

static gboolean
is_dir (const char *dir)
{
  return g_file_test (dir, G_FILE_TEST_IS_DIR);
}

/* ---- Text ---------------------------------------------------------------- */

static void
print_text_plugin (GString *out, const Entry *e)
{
  const BpPlugin *d = e->plugin->desc;
  g_autofree char *ops = operations (d, " ");

  g_string_append_printf (out, "%s: %s, plugin ABI %u", e->name,
                          kind_name (d->kind), e->plugin->abi_version);
  /* A graph names the file; the descriptor's own name shows only in
   * messages, so a difference is worth saying. */
  if (strcmp (d->name, e->name) != 0)
    g_string_append_printf (out, "; its descriptor calls it '%s'",
                            d->name);
  g_string_append_printf (out, "\n  %s\n  file: %s\n  operations: %s\n",
                          d->description, e->file, ops);
  if (d->kind == BP_KIND_LOSS && d->fused_partner != NULL)
    g_string_append_printf (out, "  fused gradient after: %s\n",
                            d->fused_partner);
  if (d->params == NULL || d->params[0].name == NULL)
    g_string_append (out, "  parameters: none\n");
  else
    {
      g_string_append (out, "  parameters:\n");
      for (const BpParamSpec *p = d->params; p->name != NULL; p++)
        g_string_append_printf (out, "    %s (%s): %s\n", p->name,
                                type_name (p->type),
                                p->help != NULL ? p->help : "");
    }
}

static void
print_text_entry (GString *out, const Entry *e)
{
  if (e->plugin != NULL)
    print_text_plugin (out, e);
  else
    g_string_append_printf (out, "%s: cannot be loaded\n"
                                 "  file: %s\n"
                                 "  error: %s\n",
                            e->name, e->file, e->error);
  for (guint i = 0; i < e->shadowed->len; i++)
    g_string_append_printf (out, "  shadows %s (the first on the path "
                                 "wins)\n",
                            (const char *) g_ptr_array_index (e->shadowed,
                                                              i));
}

static void
print_text (const char *const *search_path, const GPtrArray *entries)
{
  g_autoptr (GString) out = g_string_new (NULL);
  guint layers = 0, losses = 0, failed = 0;

  g_string_append (out, "search path (a name in two folders is taken "
                        "from the first):\n");
  for (const char *const *d = search_path; *d != NULL; d++)
    g_string_append_printf (out, "  %s%s\n", *d,
                            is_dir (*d) ? "" : " (no such folder)");

  for (guint i = 0; i < entries->len; i++)
    {
      const Entry *e = g_ptr_array_index (entries, i);

      g_string_append (out, "\n");
      print_text_entry (out, e);
      if (e->plugin == NULL)
        failed++;
      else if (e->plugin->desc->kind == BP_KIND_LAYER)
        layers++;
      else
        losses++;
    }

  g_string_append_printf (out, "\n%u plugins: %u layers, %u losses, %u "
                               "that cannot be loaded\n",
                          entries->len, layers, losses, failed);
  g_print ("%s", out->str);
}

/* ---- YAML ---------------------------------------------------------------- */

/* A double-quoted YAML scalar: any text (a description, a path, a
 * loader's message) reads back as itself. */
static void
yaml_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const unsigned char *c = (const unsigned char *) s; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_printf (out, "\\%c", *c);
      else if (*c == '\n')
        g_string_append (out, "\\n");
      else if (*c < 0x20 || *c == 0x7f)
        g_string_append_printf (out, "\\x%02x", *c);
      else
        g_string_append_c (out, (char) *c);
    }
  g_string_append_c (out, '"');
}

static void
yaml_key_string (GString *out, const char *indent, const char *key,
                 const char *value)
{
  g_string_append_printf (out, "%s%s: ", indent, key);
  yaml_string (out, value);
  g_string_append_c (out, '\n');
}

static void
print_yaml_entry (GString *out, const Entry *e)
{
  const char *in = "    ";
  const BpPlugin *d;
  g_autofree char *ops = NULL;

  g_string_append (out, "  - name: ");
  yaml_string (out, e->name);
  g_string_append_c (out, '\n');
  yaml_key_string (out, in, "file", e->file);
  if (e->shadowed->len > 0)
    {
      g_string_append_printf (out, "%sshadows:\n", in);
      for (guint i = 0; i < e->shadowed->len; i++)
        {
          g_string_append_printf (out, "%s  - ", in);
          yaml_string (out, g_ptr_array_index (e->shadowed, i));
          g_string_append_c (out, '\n');
        }
    }
  if (e->plugin == NULL)
    {
      yaml_key_string (out, in, "error", e->error);
      return;
    }

  d = e->plugin->desc;
  g_string_append_printf (out, "%skind: %s\n%sabi_version: %u\n", in,
                          kind_name (d->kind), in, e->plugin->abi_version);
  yaml_key_string (out, in, "descriptor_name", d->name);
  yaml_key_string (out, in, "description", d->description);
  ops = operations (d, ", ");
  g_string_append_printf (out, "%soperations: [%s]\n", in, ops);
  if (d->kind == BP_KIND_LOSS && d->fused_partner != NULL)
    yaml_key_string (out, in, "fused_partner", d->fused_partner);
  if (d->params == NULL || d->params[0].name == NULL)
    {
      g_string_append_printf (out, "%sparameters: []\n", in);
      return;
    }
  g_string_append_printf (out, "%sparameters:\n", in);
  for (const BpParamSpec *p = d->params; p->name != NULL; p++)
    {
      g_string_append_printf (out, "%s  - name: ", in);
      yaml_string (out, p->name);
      g_string_append_printf (out, "\n%s    type: %s\n", in,
                              type_name (p->type));
      yaml_key_string (out, "        ", "help",
                       p->help != NULL ? p->help : "");
    }
}

static void
print_yaml (const char *const *search_path, const GPtrArray *entries)
{
  g_autoptr (GString) out = g_string_new ("format: bpframe-plugins\n"
                                          "search_path:\n");

  for (const char *const *d = search_path; *d != NULL; d++)
    {
      g_string_append (out, "  - ");
      yaml_string (out, *d);
      g_string_append_c (out, '\n');
    }
  g_string_append (out, entries->len > 0 ? "plugins:\n" : "plugins: []\n");
  for (guint i = 0; i < entries->len; i++)
    print_yaml_entry (out, g_ptr_array_index (entries, i));
  g_print ("%s", out->str);
}

/* ---- The command --------------------------------------------------------- */

int
bp_cmd_plugins (int argc, char **argv)
{
  g_autofree char *format = NULL;
  gboolean yaml;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (BpGraph) graph = NULL;
  g_auto (GStrv) search_path = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  GOptionEntry options[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      "text (the default) or yaml", "FORMAT" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("[GRAPH.yaml] - list the plugins bpframe "
                                  "finds");
  g_option_context_set_summary (context,
    "Lists every plugin on the search path: the folders of GRAPH.yaml's "
    "plugin_path\nwhen a graph is given, then BPFRAME_PLUGIN_PATH, then "
    "the build tree's plugins\n(when run from the build tree), then the "
    "installed plugin folder. For each:\nits kind, description, operations, "
    "parameters, file and ABI version, the\nfiles of the same name it "
    "shadows, or why it cannot be loaded.");
  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return bp_cli_fail (error);

  if (argc > 2)
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           "plugins takes at most one graph file (try "
                           "'bpframe plugins --help')");
      return bp_cli_fail (error);
    }
  if (!bp_cli_parse_format (format, &yaml, &error))
    return bp_cli_fail (error);

  if (argc == 2)
    {
      graph = bp_cli_load_graph (argv[1]);
      if (graph == NULL)
        return BP_EXIT_USAGE;
    }
  search_path = bp_plugin_search_path (
    graph != NULL ? (const char *const *) graph->plugin_path : NULL);
  entries = scan ((const char *const *) search_path);

  /* A file that cannot be loaded is part of the listing, not a failure
   * of the command: the exit status stays 0. */
  if (yaml)
    print_yaml ((const char *const *) search_path, entries);
  else
    print_text ((const char *const *) search_path, entries);
  return BP_EXIT_OK;
}
