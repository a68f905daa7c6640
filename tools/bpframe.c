/* The bpframe program: parses the command line, calls libbpframe, and is
 * the only place that prints. Exit codes: 0 on success, 2 for a usage or
 * graph-file error, 1 for any other failure.
 */
#include <locale.h>
#include <string.h>

#include "cli.h"

static const char commands_summary[] =
  "Commands:\n"
  "  run GRAPH.yaml       train the network a graph file describes\n"
  "  explain GRAPH.yaml   show one training step in the paper's notation\n"
  "  plugins [GRAPH.yaml] list the plugins on the search path\n"
  "  check PLUGIN|GRAPH.yaml\n"
  "                       check gradients against finite differences\n"
  "\n"
  "Run 'bpframe COMMAND --help' for a command's options.";

int
bp_cli_fail (const GError *error)
{
  g_printerr ("bpframe: %s\n", error->message);
  if (error->domain == G_OPTION_ERROR
      || (error->domain == BP_ERROR && error->code == BP_ERROR_GRAPH))
    return BP_EXIT_USAGE;
  return BP_EXIT_FAILURE;
}

/* A graph file that cannot even be read is the caller's mistake as much
 * as one that is wrong: both exit 2. */
BpGraph *
bp_cli_load_graph (const char *path)
{
  g_autoptr (GError) error = NULL;
  BpGraph *graph = bp_graph_load (path, &error);

  if (graph == NULL)
    bp_cli_fail (error);
  return graph;
}

gboolean
bp_cli_parse_format (const char *format, gboolean *yaml, GError **error)
{
  *yaml = format != NULL && strcmp (format, "yaml") == 0;
  if (format != NULL && !*yaml && strcmp (format, "text") != 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--format must be text or yaml, got '%s'", format);
      return FALSE;
    }
  return TRUE;
}

/* ---- Top level ----------------------------------------------------------- */

static int
command_top (int argc, char **argv)
{
  gboolean version = FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = NULL;
  GOptionEntry entries[] = {
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version,
      "Print the version and exit", NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("COMMAND [OPTION...]");
  g_option_context_set_summary (context,
    "Trains feed-forward neural networks by backpropagation; every layer "
    "and loss\nis a plugin named in a YAML graph file.");
  g_option_context_set_description (context, commands_summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return bp_cli_fail (error);

  if (version)
    {
      g_print ("bpframe %s (plugin ABI %d; loads plugins of ABI %d to %d)\n",
               BP_VERSION_STRING, BP_ABI_VERSION, BP_ABI_VERSION_OLDEST,
               BP_ABI_VERSION);
      return BP_EXIT_OK;
    }

  if (argc < 2)
    g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                         "no command given (try 'bpframe --help')");
  else
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "unknown command '%s' (try 'bpframe --help')", argv[1]);
  return bp_cli_fail (error);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_set_prgname ("bpframe");

  /* The command is the first word; GOptionContext parses what follows,
   * so that `bpframe run --help` shows run's own options. */
  if (argc >= 2 && strcmp (argv[1], "run") == 0)
    {
      g_set_prgname ("bpframe run");
      return bp_cmd_run (argc - 1, argv + 1);
    }
  if (argc >= 2 && strcmp (argv[1], "explain") == 0)
    {
      g_set_prgname ("bpframe explain");
      return bp_cmd_explain (argc - 1, argv + 1);
    }
  if (argc >= 2 && strcmp (argv[1], "plugins") == 0)
    {
      g_set_prgname ("bpframe plugins");
      return bp_cmd_plugins (argc - 1, argv + 1);
    }
  if (argc >= 2 && strcmp (argv[1], "check") == 0)
    {
      g_set_prgname ("bpframe check");
      return bp_cmd_check (argc - 1, argv + 1);
    }
  return command_top (argc, argv);
}
