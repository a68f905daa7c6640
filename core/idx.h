/* IDX data sets (the MNIST family's format): a file of 8-bit images and a
 * file of 8-bit labels, plain or gzip-compressed, read by idx.c into a
 * BpDataset that keeps the image bytes as they are.
 */
#ifndef BP_CORE_IDX_H
#define BP_CORE_IDX_H

#include "graph.h"

/* The divisor that turns an image byte into an input: byte b gives
 * b / 255.0, in [0, 1]. */
#define BP_IDX_DIVISOR 255.0

/* Reads the BP_DATA_IDX data set that spec describes: its first
 * spec->limit items (all when 0) with the inputs in X_bytes, and one-hot
 * targets. Label k is the class named "k"; without classes, the classes
 * are "0" to the largest label read. With classes (the training set's),
 * a label without a class of its name is an error. Both files are checked
 * whole, also with a limit. Errors, each naming the file: a missing or
 * unreadable file (BP_ERROR_IO); a wrong magic number, a length other
 * than the header says, truncated or corrupt gzip data, files with
 * different counts, an unknown label (BP_ERROR_DATA). */
BpDataset *bp_idx_load (const BpDataSpec *spec, char **classes,
                        GError **error);

#endif /* BP_CORE_IDX_H */
