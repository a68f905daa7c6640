/* The BP_ERROR domain and the one format of graph-file messages,
 * "PATH:LINE:COLUMN: message", shared by every stage that reads a graph.
 */
#include "graph.h"

G_DEFINE_QUARK (bp-error-quark, bp_error)

void
bp_graph_error (GError **error, const BpGraph *graph, BpMark mark,
                const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (mark.line > 0)
    g_set_error (error, BP_ERROR, BP_ERROR_GRAPH, "%s:%u:%u: %s",
                 graph->path, mark.line, mark.column, message);
  else
    g_set_error (error, BP_ERROR, BP_ERROR_GRAPH, "%s: %s", graph->path,
                 message);
}
