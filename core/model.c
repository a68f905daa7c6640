/* The model file: the trained parameters as YAML. It opens with a format
 * name and version, names each layer's plugin by name (never by number),
 * and prints every number with 17 significant digits, which reads back to
 * the same double bit for bit.
 */
#include <errno.h>
#include <math.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "network.h"
#include "run.h"

static void
append_real (GString *out, double v)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    g_string_append (out, ".nan");
  else if (isinf (v))
    g_string_append (out, v > 0 ? ".inf" : "-.inf");
  else
    g_string_append (out, g_ascii_formatd (buffer, sizeof buffer, "%.17g",
                                           v));
}

char *
bp_model_to_yaml (const BpNetwork *net)
{
  GString *out = g_string_new ("format: bpframe-model\nversion: 1\n");

  g_string_append_printf (out, "input: %zu\nlayers:\n", net->n_in);
  for (gsize i = 0; i < net->n_layers; i++)
    {
      const BpLayer *layer = &net->layers[i];

      g_string_append_printf (out, "  - plugin: %s\n",
                              layer->plugin->desc->name);
      if (layer->P == NULL)
        continue;

      g_string_append_printf (out, "    rows: %zu\n    cols: %zu\n"
                              "    parameters:\n", layer->param_rows,
                              layer->param_cols);
      for (gsize r = 0; r < layer->param_rows; r++)
        {
          g_string_append (out, "      - [");
          for (gsize c = 0; c < layer->param_cols; c++)
            {
              if (c > 0)
                g_string_append (out, ", ");
              append_real (out, layer->P[r * layer->param_cols + c]);
            }
          g_string_append (out, "]\n");
        }
    }
  g_string_append_printf (out, "loss: %s\n", net->loss->desc->name);
  return g_string_free (out, FALSE);
}

gboolean
bp_model_save (const BpNetwork *net, const char *path, GError **error)
{
  g_autofree char *text = bp_model_to_yaml (net);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GError) write_error = NULL;

  /* The common failures, a missing or read-only folder, are told by
   * errno without the name of GLib's temporary file. */
  if (g_access (dir, W_OK) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, BP_ERROR, BP_ERROR_IO,
                   "%s: cannot write the model file: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }

  /* g_file_set_contents writes a temporary beside path and renames it,
   * so a failure never leaves a partial model behind. */
  if (!g_file_set_contents (path, text, -1, &write_error))
    {
      g_set_error (error, BP_ERROR, BP_ERROR_IO,
                   "%s: cannot write the model file: %s", path,
                   write_error->message);
      return FALSE;
    }
  return TRUE;
}
