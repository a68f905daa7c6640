/* What the readers of graph, data and plugin parameters share: the
 * BP_ERROR domain, the one format of graph-file messages,
 * "PATH:LINE:COLUMN: message", reading a whole file, and parsing a number.
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>

#include <glib/gstdio.h>

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

gboolean
bp_read_file (const char *path, const char *what, char **contents,
              gsize *length, GError **error)
{
  g_autoptr (GError) read_error = NULL;
  int fd;

  /* GLib's own message is a sentence of its own; open the file first so
   * that the reason comes from errno and the message reads like ours. */
  fd = g_open (path, O_RDONLY, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, BP_ERROR, BP_ERROR_IO, "%s: cannot read the %s: %s",
                   path, what, g_strerror (saved_errno));
      return FALSE;
    }
  g_close (fd, NULL);

  if (!g_file_get_contents (path, contents, length, &read_error))
    {
      g_set_error (error, BP_ERROR, BP_ERROR_IO, "%s: cannot read the %s: %s",
                   path, what, read_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
bp_parse_real (const char *text, double *out)
{
  char *end = NULL;
  double value;

  /* g_ascii_strtod alone would skip leading spaces, stop at junk, and
   * take "nan" and "inf": none belongs in a number here. */
  if (text[0] == '\0' || g_ascii_isspace (text[0]))
    return FALSE;
  value = g_ascii_strtod (text, &end);
  if (*end != '\0' || !isfinite (value))
    return FALSE;
  *out = value;
  return TRUE;
}
