/* Tests of `bpframe plugins`: the exact lines it prints for standard and
 * test plugins, which file shadows which along BPFRAME_PLUGIN_PATH and a
 * graph's plugin_path, files that cannot be loaded, YAML, and usage.
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <yaml.h>

#include "bpframe/plugin.h"
#include "testutil.h"

/* Two plugin folders of the test's own, a and b, searched in that
 * order. */
typedef struct {
  char *a, *b;
} Folders;

static void
folders_set_up (Folders *f, gconstpointer user_data)
{
  (void) user_data;
  f->a = bp_test_dir_new ("plugins-a");
  f->b = bp_test_dir_new ("plugins-b");
}

static void
folders_tear_down (Folders *f, gconstpointer user_data)
{
  (void) user_data;
  bp_test_dir_remove (f->a);
  bp_test_dir_remove (f->b);
  g_free (f->a);
  g_free (f->b);
}

/* Copies a plugin the tests built (from BP_TEST_PLUGINDIR) into dir,
 * under the file name as. */
static void
copy_test_plugin (const char *name, const char *dir, const char *as)
{
  g_autofree char *from = g_build_filename (g_getenv ("BP_TEST_PLUGINDIR"),
                                            name, NULL);
  g_autofree char *to = g_build_filename (dir, as, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *bytes = NULL;
  gsize length;

  g_file_get_contents (from, &bytes, &length, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, bytes, (gssize) length, &error);
  g_assert_no_error (error);
}

/* The block of the listing about one plugin: from its "NAME: " line to
 * the blank line after it. NULL when the listing has none. */
static char *
block (const char *out, const char *name)
{
  g_autofree char *head = g_strdup_printf ("\n\n%s: ", name);
  const char *start = strstr (out, head);
  const char *end;

  if (start == NULL)
    return NULL;
  start += 2;
  end = strstr (start, "\n\n");
  g_assert_nonnull (end);
  return g_strndup (start, (gsize) (end - start) + 1);
}

/* The line naming a file that file shadows, when it exists: the
 * installed plugin folder comes last on the path and holds the standard
 * plugins only if bpframe was installed with this build's prefix. */
static char *
installed_shadow (const char *name)
{
  g_autofree char *file = g_strdup_printf ("%s/%s.so",
                                           g_getenv ("BP_INSTALLED_PLUGINDIR"),
                                           name);

  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
    return g_strdup ("");
  return g_strdup_printf ("  shadows %s (the first on the path wins)\n",
                          file);
}

/* ---- The listing --------------------------------------------------------- */

/* The standard plugins as the build tree's bpframe finds them, every
 * line exact: a layer without parameters, a layer with them, a loss with
 * a fused gradient. */
static void
test_standard_plugins (void)
{
  const char *dir = g_getenv ("BP_BUILD_PLUGINDIR");
  g_auto (BpTestRun) r = { 0 };
  g_autofree char *relu = NULL, *affine = NULL, *ce = NULL;
  g_autofree char *relu_shadow = installed_shadow ("relu");
  g_autofree char *affine_shadow = installed_shadow ("affine");
  g_autofree char *ce_shadow = installed_shadow ("cross_entropy");
  g_autofree char *want_relu = NULL, *want_affine = NULL, *want_ce = NULL;
  g_autofree char *want_head = NULL;

  bp_test_run_bpframe (&r, "", "plugins", NULL);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);

  want_head = g_strdup_printf (
    "search path (a name in two folders is taken from the first):\n"
    "  %s\n"
    "  %s%s\n\n", dir, g_getenv ("BP_INSTALLED_PLUGINDIR"),
    g_file_test (g_getenv ("BP_INSTALLED_PLUGINDIR"), G_FILE_TEST_IS_DIR)
      ? "" : " (no such folder)");
  g_assert_true (g_str_has_prefix (r.out, want_head));

  relu = block (r.out, "relu");
  want_relu = g_strdup_printf (
    "relu: layer, plugin ABI %d\n"
    "  y = max(0, x) for each input\n"
    "  file: %s/relu.so\n"
    "  operations: forward jacobian jacobian_product\n"
    "  parameters: none\n%s", BP_ABI_VERSION, dir, relu_shadow);
  g_assert_cmpstr (relu, ==, want_relu);

  affine = block (r.out, "affine");
  want_affine = g_strdup_printf (
    "affine: layer, plugin ABI %d\n"
    "  y = W x + b, parameters [W | b]\n"
    "  file: %s/affine.so\n"
    "  operations: forward jacobian jacobian_product local_L update "
    "update_batch init_params\n"
    "  parameters:\n"
    "    units (integer): width of y, at least 1 (required)\n"
    "    init (word): he (default), xavier, uniform or zeros; he and "
    "xavier zero the bias\n"
    "    weights (list of numbers): explicit W, a units x inputs list of "
    "lists (excludes init)\n"
    "    bias (list of numbers): explicit b, a list of units numbers, "
    "only with weights (default 0)\n%s", BP_ABI_VERSION, dir,
    affine_shadow);
  g_assert_cmpstr (affine, ==, want_affine);

  ce = block (r.out, "cross_entropy");
  want_ce = g_strdup_printf (
    "cross_entropy: loss, plugin ABI %d\n"
    "  -sum_k f_k log sigma_k, for a softmax output\n"
    "  file: %s/cross_entropy.so\n"
    "  operations: loss_value loss_gradient loss_fused_gradient\n"
    "  fused gradient after: softmax\n"
    "  parameters: none\n%s", BP_ABI_VERSION, dir, ce_shadow);
  g_assert_cmpstr (ce, ==, want_ce);

  g_assert_true (g_str_has_suffix (r.out, " 0 that cannot be loaded\n"));
}

/* The same plugin in a and b: a's is listed, and says it shadows b's
 * (a, named again at the end of the path, is no other file). A file in b
 * named like a standard plugin shadows the build tree's, and the listing
 * says what its descriptor calls itself. */
static void
test_shadowing (Folders *f, gconstpointer user_data)
{
  g_autofree char *path = g_strdup_printf ("%s:%s:%s/", f->a, f->b, f->a);
  g_auto (BpTestRun) r = { 0 };
  g_autofree char *softsign = NULL, *relu = NULL, *head = NULL;
  g_autofree char *want_softsign = NULL, *want_relu = NULL;
  g_autofree char *relu_shadow = installed_shadow ("relu");

  (void) user_data;
  copy_test_plugin ("softsign.so", f->a, "softsign.so");
  copy_test_plugin ("softsign.so", f->b, "softsign.so");
  copy_test_plugin ("softsign.so", f->b, "relu.so");

  bp_test_run_bpframe (&r, path, "plugins", NULL);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);

  head = g_strdup_printf ("search path (a name in two folders is taken "
                          "from the first):\n  %s\n  %s\n  %s/\n  %s\n",
                          f->a, f->b, f->a, g_getenv ("BP_BUILD_PLUGINDIR"));
  g_assert_true (g_str_has_prefix (r.out, head));

  softsign = block (r.out, "softsign");
  want_softsign = g_strdup_printf (
    "softsign: layer, plugin ABI %d\n"
    "  y = x / (1 + |x|) for each input (test plugin)\n"
    "  file: %s/softsign.so\n"
    "  operations: forward jacobian\n"
    "  parameters: none\n"
    "  shadows %s/softsign.so (the first on the path wins)\n",
    BP_ABI_VERSION, f->a, f->b);
  g_assert_cmpstr (softsign, ==, want_softsign);

  relu = block (r.out, "relu");
  want_relu = g_strdup_printf (
    "relu: layer, plugin ABI %d; its descriptor calls it 'softsign'\n"
    "  y = x / (1 + |x|) for each input (test plugin)\n"
    "  file: %s/relu.so\n"
    "  operations: forward jacobian\n"
    "  parameters: none\n"
    "  shadows %s/relu.so (the first on the path wins)\n%s",
    BP_ABI_VERSION, f->b, g_getenv ("BP_BUILD_PLUGINDIR"), relu_shadow);
  g_assert_cmpstr (relu, ==, want_relu);
}

/* Files that fail to load are listed with the loader's message, the
 * listing goes on past them, the summary counts them, and the command
 * still succeeds. */
static void
test_unloadable (Folders *f, gconstpointer user_data)
{
  g_auto (BpTestRun) r = { 0 };
  g_autofree char *broken = NULL, *not_plugin = NULL, *softsign = NULL;
  g_autofree char *want_broken = NULL, *want_not_plugin = NULL;
  g_autofree char *bad = NULL;

  (void) user_data;
  /* Text long enough to be refused for its header, not its size. */
  bad = bp_test_write_file (f->a, "broken.so",
                            "This is a text file that pretends to be a "
                            "shared object; dlopen must refuse it.\n");
  copy_test_plugin ("not_a_plugin.so", f->a, "not_a_plugin.so");
  copy_test_plugin ("softsign.so", f->a, "softsign.so");

  bp_test_run_bpframe (&r, f->a, "plugins", NULL);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);

  /* The reason after "cannot load FILE: " is the dynamic loader's
   * (glibc's dlerror). */
  broken = block (r.out, "broken");
  want_broken = g_strdup_printf ("broken: cannot be loaded\n"
                                 "  file: %s\n"
                                 "  error: cannot load %s: %s: invalid ELF "
                                 "header\n", bad, bad, bad);
  g_assert_cmpstr (broken, ==, want_broken);

  not_plugin = block (r.out, "not_a_plugin");
  want_not_plugin = g_strdup_printf (
    "not_a_plugin: cannot be loaded\n"
    "  file: %s/not_a_plugin.so\n"
    "  error: %s/not_a_plugin.so is not a bpframe plugin: it has no "
    "symbol 'bp_plugin_entry'\n", f->a, f->a);
  g_assert_cmpstr (not_plugin, ==, want_not_plugin);

  softsign = block (r.out, "softsign");
  g_assert_nonnull (softsign);
  g_assert_true (g_str_has_suffix (r.out, " 2 that cannot be loaded\n"));
}

/* A graph's plugin_path comes first, resolved against the graph's
 * folder, and shadows BPFRAME_PLUGIN_PATH. */
static void
test_graph_plugin_path (Folders *f, gconstpointer user_data)
{
  g_auto (BpTestRun) r = { 0 };
  g_autofree char *graph = NULL, *softsign = NULL, *want = NULL;
  g_autofree char *b_name = g_path_get_basename (f->b);
  g_autofree char *text = g_strdup_printf (
    "version: 1\n"
    "plugin_path: [../%s]\n"
    "network:\n"
    "  input: 1\n"
    "  layers: [{affine: {units: 1}}, softsign]\n"
    "  loss: mse\n"
    "data:\n"
    "  train: {inputs: [[0], [1]], targets: [[0], [1]]}\n"
    "training: {epochs: 1, optimizer: {sgd: {lr: 0.1}}}\n", b_name);

  (void) user_data;
  copy_test_plugin ("softsign.so", f->a, "softsign.so");
  copy_test_plugin ("softsign.so", f->b, "softsign.so");
  graph = bp_test_write_file (f->a, "graph.yaml", text);

  bp_test_run_bpframe (&r, f->a, "plugins", graph, NULL);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);
  {
    g_autofree char *head = g_strdup_printf (
      "search path (a name in two folders is taken from the first):\n"
      "  %s\n  %s\n", f->b, f->a);

    g_assert_true (g_str_has_prefix (r.out, head));
  }
  softsign = block (r.out, "softsign");
  want = g_strdup_printf (
    "softsign: layer, plugin ABI %d\n"
    "  y = x / (1 + |x|) for each input (test plugin)\n"
    "  file: %s/softsign.so\n"
    "  operations: forward jacobian\n"
    "  parameters: none\n"
    "  shadows %s/softsign.so (the first on the path wins)\n",
    BP_ABI_VERSION, f->b, f->a);
  g_assert_cmpstr (softsign, ==, want);
}

/* Reads text as YAML with libyaml, asserting it parses to the end. */
static void
assert_valid_yaml (const char *text)
{
  yaml_parser_t parser;
  yaml_document_t doc;

  g_assert_true (yaml_parser_initialize (&parser));
  yaml_parser_set_input_string (&parser, (const unsigned char *) text,
                                strlen (text));
  g_assert_true (yaml_parser_load (&parser, &doc));
  g_assert_nonnull (yaml_document_get_root_node (&doc));
  yaml_document_delete (&doc);
  yaml_parser_delete (&parser);
}

/* --format yaml: the same facts, quoted so that any text reads back. */
static void
test_yaml (Folders *f, gconstpointer user_data)
{
  g_autofree char *path = g_strdup_printf ("%s:%s", f->a, f->b);
  g_autofree char *want_head = NULL, *want_softsign = NULL;
  g_autofree char *want_broken = NULL;
  g_auto (BpTestRun) r = { 0 };

  (void) user_data;
  copy_test_plugin ("softsign.so", f->a, "softsign.so");
  copy_test_plugin ("softsign.so", f->b, "softsign.so");
  copy_test_plugin ("not_a_plugin.so", f->b, "not_a_plugin.so");

  bp_test_run_bpframe (&r, path, "plugins", "--format", "yaml", NULL);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);
  assert_valid_yaml (r.out);

  want_head = g_strdup_printf ("format: bpframe-plugins\n"
                               "search_path:\n"
                               "  - \"%s\"\n"
                               "  - \"%s\"\n", f->a, f->b);
  g_assert_true (g_str_has_prefix (r.out, want_head));

  want_softsign = g_strdup_printf (
    "  - name: \"softsign\"\n"
    "    file: \"%s/softsign.so\"\n"
    "    shadows:\n"
    "      - \"%s/softsign.so\"\n"
    "    kind: layer\n"
    "    abi_version: %d\n"
    "    descriptor_name: \"softsign\"\n"
    "    description: \"y = x / (1 + |x|) for each input (test plugin)\"\n"
    "    operations: [forward, jacobian]\n"
    "    parameters: []\n", f->a, f->b, BP_ABI_VERSION);
  g_assert_nonnull (strstr (r.out, want_softsign));

  want_broken = g_strdup_printf (
    "  - name: \"not_a_plugin\"\n"
    "    file: \"%s/not_a_plugin.so\"\n"
    "    error: \"%s/not_a_plugin.so is not a bpframe plugin: it has no "
    "symbol 'bp_plugin_entry'\"\n", f->b, f->b);
  g_assert_nonnull (strstr (r.out, want_broken));

  /* A parameter with its type and help. */
  g_assert_nonnull (strstr (r.out,
                            "    parameters:\n"
                            "      - name: \"units\"\n"
                            "        type: integer\n"
                            "        help: \"width of y, at least 1 "
                            "(required)\"\n"));
}

/* ---- Usage --------------------------------------------------------------- */

/* Runs `bpframe plugins` with one or two arguments (arg2 may be NULL)
 * and checks that it exits 2 with exactly the message expected. */
static void
expect_usage_error (const char *expected, const char *arg1,
                    const char *arg2)
{
  g_auto (BpTestRun) r = { 0 };

  bp_test_run_bpframe (&r, "", "plugins", arg1, arg2, NULL);
  g_assert_cmpstr (r.err, ==, expected);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpstr (r.out, ==, "");
}

static void
test_usage (void)
{
  g_auto (BpTestRun) help = { 0 };

  expect_usage_error ("bpframe: --format must be text or yaml, got 'xml'\n",
                      "--format=xml", NULL);
  expect_usage_error ("bpframe: plugins takes at most one graph file (try "
                      "'bpframe plugins --help')\n", "a.yaml", "b.yaml");
  expect_usage_error ("bpframe: /nonexistent/g.yaml: cannot read the graph "
                      "file: No such file or directory\n",
                      "/nonexistent/g.yaml", NULL);
  expect_usage_error ("bpframe: Unknown option --bogus\n", "--bogus", NULL);

  bp_test_run_bpframe (&help, "", "--help", NULL);
  g_assert_cmpint (help.status, ==, 0);
  g_assert_nonnull (strstr (help.out, "\n  plugins [GRAPH.yaml] list the "
                                      "plugins on the search path\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plugins-cli/standard", test_standard_plugins);
  g_test_add ("/plugins-cli/shadowing", Folders, NULL, folders_set_up,
              test_shadowing, folders_tear_down);
  g_test_add ("/plugins-cli/unloadable", Folders, NULL, folders_set_up,
              test_unloadable, folders_tear_down);
  g_test_add ("/plugins-cli/graph-plugin-path", Folders, NULL,
              folders_set_up, test_graph_plugin_path, folders_tear_down);
  g_test_add ("/plugins-cli/yaml", Folders, NULL, folders_set_up, test_yaml,
              folders_tear_down);
  g_test_add_func ("/plugins-cli/usage", test_usage);
  return g_test_run ();
}
