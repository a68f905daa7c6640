/* libbpframe's gradient checker: every operation of a layer or loss
 * plugin against central finite differences and against its explicit
 * form, at seeded random points, reported as a table (`bpframe check`);
 * and the one-call GTest harness for plugin authors.
 */
#ifndef BPFRAME_CHECK_H
#define BPFRAME_CHECK_H

#include "bpframe/bpframe.h"

G_BEGIN_DECLS

/* An analytic value a passes against the value n it is checked against
 * (central differences, or the explicit form for a fast one) when
 *   |a - n| <= abs_tolerance + rel_tolerance * max(|a|, |n|)
 * plus what rounding can put in a difference. The defaults
 * (bp_check_options_init) pass every standard plugin and fail a
 * derivative off by a factor 1.01; a float build has its own. */
typedef struct {
  double rel_tolerance;   /* default 1e-4 (float build: 3e-3) */
  double abs_tolerance;   /* default 1e-7 */
  double step;            /* the finite-difference h, default 1e-5
                             (float build: 3e-3) */
  guint points;           /* random points per check, default 5 */
  guint64 seed;           /* of the random points, default 1 */
} BpCheckOptions;

/* Fills options with the defaults above. */
void bp_check_options_init (BpCheckOptions *options);

typedef struct BpCheckReport BpCheckReport;

/* Checks one plugin, given as a path ending in ".so" or as a bare name
 * looked up along the search path `bpframe run` uses. A layer is made
 * with 4 inputs and no parameters (or, when its init refuses that, with
 * one declared parameter set: an integer to 3, a list to one 2 or 3 per
 * input) and checked alone and after an affine layer; a loss is checked
 * at 4 outputs (or 1), alone and after an affine layer. Fails only when
 * nothing could be checked: BP_ERROR_IO for a .so path that does not
 * exist, BP_ERROR_GRAPH for a name not found, BP_ERROR_PLUGIN for a file
 * that is no usable plugin or a layer that cannot be made without
 * parameters. A failed check is a report whose bp_check_report_passed is
 * FALSE, not an error. */
BpCheckReport *bp_check_plugin (const char *plugin,
                                const BpCheckOptions *options,
                                GError **error);

/* Checks every distinct layer of a graph (plugin, parameters and width
 * as the graph gives them), its loss, and the whole chain from the input
 * to the loss. Fails as bp_network_new fails on the graph. */
BpCheckReport *bp_check_graph (const BpGraph *graph,
                               const BpCheckOptions *options,
                               GError **error);

/* TRUE when some check compared numbers and none failed. */
gboolean bp_check_report_passed (const BpCheckReport *report);

/* How many rows of the table passed, failed and were skipped; any
 * pointer may be NULL. */
void bp_check_report_counts (const BpCheckReport *report, guint *passed,
                             guint *failed, guint *skipped);

/* The report as text for a terminal: what was checked and with which
 * tolerances, a table (plugin or layer, operation, max absolute error,
 * max relative error, verdict), notes on the failures, and a count.
 * Free with g_free. */
char *bp_check_report_table (const BpCheckReport *report);

void bp_check_report_free (BpCheckReport *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpCheckReport, bp_check_report_free)

/* The harness for a plugin's own test suite: call it inside a GTest test
 * function. It runs bp_check_plugin with the default options, prints the
 * table with g_test_message, and marks the test failed (g_test_fail: the
 * test function goes on, and GLib stops the program after it unless run
 * with -k) when a check fails or the plugin cannot be checked at all. */
void bp_test_check_plugin (const char *plugin);

G_END_DECLS

#endif /* BPFRAME_CHECK_H */
