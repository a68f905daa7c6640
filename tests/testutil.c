/* Temporary folders for the unit tests (see testutil.h): made, filled with
 * the files a test writes, and removed again, asserting every step.
 */
#include <glib/gstdio.h>

#include "testutil.h"

char *
bp_test_dir_new (const char *prefix)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmpl = g_strdup_printf ("bpframe-%s-XXXXXX", prefix);
  g_autofree char *dir = g_dir_make_tmp (tmpl, &error);

  g_assert_no_error (error);
  return g_canonicalize_filename (dir, NULL);
}

void
bp_test_dir_remove (const char *dir)
{
  g_autoptr (GDir) entries = g_dir_open (dir, 0, NULL);
  const char *name;

  while (entries != NULL && (name = g_dir_read_name (entries)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_remove (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

char *
bp_test_write_file (const char *dir, const char *name, const char *text)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

void
bp_test_fixture_set_up (BpTestFixture *f, gconstpointer user_data)
{
  g_autofree char *program = g_path_get_basename (g_get_prgname ());

  (void) user_data;
  f->dir = bp_test_dir_new (program);
}

void
bp_test_fixture_tear_down (BpTestFixture *f, gconstpointer user_data)
{
  (void) user_data;
  bp_test_dir_remove (f->dir);
  g_free (f->dir);
}
