/* Fashion-MNIST for the bench's C drivers: the IDX files as the dataset
 * package ships them (gzip), read through zlib. Pixels stay bytes; each
 * driver scales them to [0, 1] in its own precision as x = pixel / 255.
 */
#ifndef BENCH_FMNIST_H
#define BENCH_FMNIST_H

#include <stddef.h>

#define FM_CLASSES 10

typedef struct {
  size_t n;               /* samples read */
  size_t dim;             /* pixels per sample, rows x cols of the file */
  unsigned char *pixels;  /* n x dim, row-major, 0 to 255 */
  unsigned char *labels;  /* n, 0 to FM_CLASSES - 1 */
} FmSet;

/* Reads DIR/PREFIX-images-idx3-ubyte.gz and DIR/PREFIX-labels-idx1-ubyte.gz
 * (PREFIX is "train" or "t10k"), at most limit samples (0: all). Returns 0,
 * or -1 with a one-line message in err (errlen bytes) and nothing
 * allocated. */
int fm_load (const char *dir, const char *prefix, size_t limit, FmSet *set,
             char *err, size_t errlen);

void fm_free (FmSet *set);

/* Seconds on the monotonic clock, for the drivers' timings. */
double fm_now (void);

#endif /* BENCH_FMNIST_H */
