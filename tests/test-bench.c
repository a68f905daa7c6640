/* The benchmark's code paths on a tiny slice: tools/bench/run --quick with
 * this build's bpframe. Its figures mean nothing on 200 images, so none is
 * held to a value; what is checked is that every part ran and reported.
 */
#include <string.h>

#include <glib.h>

/* The first line of bench.py's time table. */
#define TIME_HEADER                                                          \
  "| configuration | unit | bpframe | PyTorch | FANN | hand loop | "        \
  "PyTorch / bpframe | FANN / bpframe | hand loop / bpframe | "             \
  "bpframe GFLOP/s | GEMM GFLOP/s | bpframe % of GEMM |"

/* Columns of the time table, counted from 0 after the first '|'. */
enum { COL_BPFRAME = 2, COL_PYTORCH, COL_FANN, COL_HAND, N_COLUMNS = 12 };

/* The line of lines that starts with prefix, or NULL. */
static const char *
find_line (char **lines, const char *prefix)
{
  for (char **l = lines; *l != NULL; l++)
    if (g_str_has_prefix (*l, prefix))
      return *l;
  return NULL;
}

/* The cells of a table row, stripped (free with g_strfreev). */
static char **
row_cells (const char *row)
{
  g_autofree char *inner = NULL;
  char **cells;
  gsize len = strlen (row);

  g_assert_true (len >= 2 && row[0] == '|' && row[len - 1] == '|');
  inner = g_strndup (row + 1, len - 2);
  cells = g_strsplit (inner, "|", -1);
  for (char **c = cells; *c != NULL; c++)
    g_strstrip (*c);
  return cells;
}

/* A cell that holds a positive figure, maybe followed by its setting:
 * "292.0", "0.006", "100.5 (fused)". */
static void
assert_figure (const char *row, const char *cell)
{
  char *end;
  double value = g_ascii_strtod (cell, &end);

  if (end == cell || !(*end == '\0' || *end == ' ') || !(value > 0))
    g_error ("not a figure in '%s': '%s'", row, cell);
}

/* A peer's cell holds a figure, unless the report says it was skipped
 * because its package is not installed. */
static void
assert_peer (char **lines, const char *row, const char *cell,
             const char *skipped)
{
  if (find_line (lines, skipped) != NULL)
    g_assert_cmpstr (cell, ==, "-");
  else
    assert_figure (row, cell);
}

static void
test_quick (void)
{
  g_autofree char *run = g_build_filename (g_getenv ("BP_TEST_SRCDIR"),
                                           "..", "tools", "bench", "run",
                                           NULL);
  const char *argv[] = { run, "--quick", "--no-install", "--bpframe",
                         g_getenv ("BPFRAME"), NULL };
  static const char *const rows[] = { "| double, batch 1 |",
                                      "| double, batch 32 |",
                                      "| double, batch 128 |" };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) xor = NULL;
  const char *xor_row;
  int status;

  g_assert_nonnull (argv[4]);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  /* The bench's progress, shown on failure. */
  g_test_message ("tools/bench/run's stderr:\n%s", err);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);

  /* The report: its table, a figure from bpframe and the hand loop in
   * every row where they run, and each peer measured or skipped. */
  lines = g_strsplit (out, "\n", -1);
  g_assert_nonnull (find_line (lines, TIME_HEADER));
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const char *row = find_line (lines, rows[i]);
      g_auto (GStrv) cells = NULL;

      g_assert_nonnull (row);
      cells = row_cells (row);
      g_assert_cmpuint (g_strv_length (cells), ==, N_COLUMNS);
      assert_figure (row, cells[COL_BPFRAME]);
      assert_peer (lines, row, cells[COL_PYTORCH],
                   "- skipped: PyTorch (python3-torch is not installed)");
      if (i == 0)
        {
          assert_peer (lines, row, cells[COL_FANN],
                       "- skipped: FANN (libfann-dev is not installed)");
          assert_figure (row, cells[COL_HAND]);
        }
      else
        {
          g_assert_cmpstr (cells[COL_FANN], ==, "-");
          g_assert_cmpstr (cells[COL_HAND], ==, "-");
        }
    }

  /* The XOR row and the arithmetic check against the hand loop. */
  xor_row = find_line (lines, "| double, XOR 2-2-2 online |");
  g_assert_nonnull (xor_row);
  xor = row_cells (xor_row);
  /* bpframe's time is the difference of two short runs: on a busy
   * machine (the suite runs tests in parallel) it may not show. */
  if (strstr (err, "XOR double: bpframe's runs too short to time") != NULL)
    g_assert_cmpstr (xor[COL_BPFRAME], ==, "-");
  else
    assert_figure (xor_row, xor[COL_BPFRAME]);
  assert_figure (xor_row, xor[COL_HAND]);
  g_assert_nonnull (find_line (lines,
                               "- XOR check, double: after 100 epochs "
                               "bpframe's final loss "));

  g_assert_nonnull (find_line (lines, "### Targets (issue 4)"));
  g_assert_null (find_line (lines, "### Failures"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bench/quick", test_quick);
  return g_test_run ();
}
