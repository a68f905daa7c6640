/* Data sets: reading the CSV files, IDX files and inline rows that a graph
 * file names into BpDataset (inputs as numbers, or as bytes for IDX
 * images; targets F as numbers; row-major), and splitting off a held-out
 * test set.
 */
#ifndef BP_CORE_DATA_H
#define BP_CORE_DATA_H

#include "graph.h"

/* Reads the data set that spec describes, only its first spec->limit rows
 * when that is not 0 (CSV rows after them are not read; an IDX file is
 * checked whole: see bp_idx_load). When spec has a label column,
 * its distinct values become the classes in order of first appearance,
 * unless classes is given (the training set's, for a test file): then
 * those are used and a value outside them is an error. Errors: a missing
 * or unreadable file (BP_ERROR_IO), a non-number, a ragged row, an unknown
 * column or an empty data set (BP_ERROR_DATA, as "FILE:LINE:COLUMN: ..."
 * for CSV, where COLUMN is the field's 1-based character column), a
 * target/label column named twice (BP_ERROR_GRAPH at its mark). */
BpDataset *bp_dataset_load (const BpGraph *graph, const BpDataSpec *spec,
                            char **classes, GError **error);

/* Moves a seeded random fraction of data's rows (rounded to nearest, at
 * least one row and leaving at least one) into a new data set returned in
 * *test, its inputs stored as data's are; data keeps the rest, in their
 * original order. The same seed gives the same split. */
void bp_dataset_split (BpDataset *data, double fraction, guint64 seed,
                       BpDataset **test);

#endif /* BP_CORE_DATA_H */
