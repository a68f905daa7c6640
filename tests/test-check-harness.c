/* The plugin author's harness as a third-party suite calls it: one GTest
 * test that runs every check of the plugin named on the command line
 * (meson runs it on relu, and, expecting failure, on softsign_off).
 */
#include "bpframe/check.h"

static void
test_plugin (gconstpointer plugin)
{
  bp_test_check_plugin (plugin);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc != 2)
    {
      g_printerr ("usage: %s PLUGIN\n", argv[0]);
      return 2;
    }
  g_test_add_data_func ("/check/plugin", argv[1], test_plugin);
  return g_test_run ();
}
