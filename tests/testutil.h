/* Helpers shared by the unit tests: a temporary folder of one's own, files
 * written into it, and its removal afterwards, each asserting its
 * success; the bpframe program run as a user runs it; and the paper's
 * 2-2-2 network with its step worked by hand.
 */
#ifndef BP_TESTS_TESTUTIL_H
#define BP_TESTS_TESTUTIL_H

#include <glib.h>

#include "bpframe/bpframe.h"

/* A GTest fixture: bp_test_fixture_set_up gives each test a folder of its
 * own, dir ("bpframe-PROGRAM-XXXXXX", PROGRAM the test program's name),
 * and bp_test_fixture_tear_down removes it with the files in it. */
typedef struct {
  char *dir;
} BpTestFixture;

void bp_test_fixture_set_up (BpTestFixture *f, gconstpointer user_data);
void bp_test_fixture_tear_down (BpTestFixture *f, gconstpointer user_data);

/* Makes a new folder "bpframe-PREFIX-XXXXXX" in the temporary directory and
 * returns its canonical absolute path (free with g_free). */
char *bp_test_dir_new (const char *prefix);

/* Removes the files in dir, then dir itself, asserting each removal. */
void bp_test_dir_remove (const char *dir);

/* Writes text to the file name in dir and returns its path (free with
 * g_free). */
char *bp_test_write_file (const char *dir, const char *name,
                          const char *text);

/* Writes dir/graph.yaml, a graph (4 inputs, one relu, mse) whose data
 * section is "train: TRAIN" on line 4 (the value at column 10) and, if
 * test is not NULL, "test: TEST" on line 5 (column 9), and loads it,
 * asserting success. */
BpGraph *bp_test_load_data_graph (const char *dir, const char *train,
                                  const char *test);

/* What a run of the bpframe program gave: its exit status (-1 when a
 * signal ended it) and all it printed on stdout and stderr. */
typedef struct {
  int status;
  char *out;
  char *err;
} BpTestRun;

void bp_test_run_clear (BpTestRun *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BpTestRun, bp_test_run_clear)

/* Runs the program the test's environment names in BPFRAME with args
 * (NULL-terminated, the program's name not included) and
 * BPFRAME_PLUGIN_PATH set to plugin_path, or to "" when it is NULL, so
 * that only the build tree's plugins are found. Asserts that it could be
 * started. */
void bp_test_run_bpframe_argv (BpTestRun *r, const char *plugin_path,
                               const char *const *args);
void bp_test_run_bpframe (BpTestRun *r, const char *plugin_path, ...)
  G_GNUC_NULL_TERMINATED;

/* The 2-2-2 network of the paper's sections 5 and 6 with explicit weights,
 * one sample and binary_cross_entropy, as a graph file's text; and its
 * one online step worked out by hand from the paper's formulas (the new
 * [A | Lambda] and [B | Xi]), in sequential or simultaneous order. */
extern const char bp_test_section6_graph[];
void bp_test_section6_by_hand (gboolean sequential, double A_new[2][3],
                               double B_new[2][3]);

#endif /* BP_TESTS_TESTUTIL_H */
