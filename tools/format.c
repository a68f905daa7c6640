/* Numbers as bpframe prints them for people to read and to paste back:
 * the shortest decimal string that is the same double. One function, for
 * every command (and, later, the model writer) to share.
 */
#include "cli.h"

const char *
bp_cli_format_real (double value, char *buffer)
{
  /* %.15g already drops trailing zeros, and a double with a shorter
   * exact form rounds to that form at 15 digits, so fewer need no try.
   * NaN never reads back equal and ends at %.17g, which prints "nan". */
  static const char *const formats[] = { "%.15g", "%.16g" };

  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buffer, BP_CLI_REAL_SIZE, formats[i], value);
      if (g_ascii_strtod (buffer, NULL) == value)
        return buffer;
    }
  return g_ascii_formatd (buffer, BP_CLI_REAL_SIZE, "%.17g", value);
}
