/* What the commands of the bpframe program share: exit codes and the one
 * way an error reaches the user. Each command lives in its own cmd-*.c.
 */
#ifndef BP_TOOLS_CLI_H
#define BP_TOOLS_CLI_H

#include "bpframe/bpframe.h"

enum {
  BP_EXIT_OK = 0,
  BP_EXIT_FAILURE = 1,
  BP_EXIT_USAGE = 2
};

/* Prints "bpframe: MESSAGE" on stderr and returns the exit code for the
 * error: BP_EXIT_USAGE for an option or graph-file error, else
 * BP_EXIT_FAILURE. */
int bp_cli_fail (const GError *error);

/* Reads the graph file named on the command line; on failure prints why
 * and returns NULL (the caller exits BP_EXIT_USAGE). */
BpGraph *bp_cli_load_graph (const char *path);

/* Reads a --format option, text (also when format is NULL: the default)
 * or yaml, into *yaml; anything else is a usage error. */
gboolean bp_cli_parse_format (const char *format, gboolean *yaml,
                              GError **error);

/* Room for any number bp_cli_format_real writes. */
#define BP_CLI_REAL_SIZE G_ASCII_DTOSTR_BUF_SIZE

/* Writes value into buffer (BP_CLI_REAL_SIZE bytes) as the shortest of
 * its %.15g, %.16g and %.17g forms that reads back as exactly value, in
 * the C locale, and returns buffer: 8.000000000000002, where %.17g gives
 * 8.0000000000000018. */
const char *bp_cli_format_real (double value, char *buffer);

/* The commands: argv[0] is the command's name. */
int bp_cmd_run (int argc, char **argv);
int bp_cmd_explain (int argc, char **argv);
int bp_cmd_plugins (int argc, char **argv);
int bp_cmd_check (int argc, char **argv);

#endif /* BP_TOOLS_CLI_H */
