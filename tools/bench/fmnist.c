/* Reads Fashion-MNIST's gzip IDX files with zlib's gzread: a big-endian
 * header (magic, then one count per dimension) followed by the bytes.
 * Shared by the bench's C drivers; see fmnist.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <zlib.h>

#include "fmnist.h"

/* IDX magic: two zero bytes, type 0x08 (unsigned byte), dimensions. */
#define IDX_UBYTE_IMAGES 0x00000803u
#define IDX_UBYTE_LABELS 0x00000801u

static int
fail (char *err, size_t errlen, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  vsnprintf (err, errlen, format, args);
  va_end (args);
  return -1;
}

/* Reads exactly len bytes; 0 on success. */
static int
read_all (gzFile file, void *buf, size_t len)
{
  unsigned char *p = buf;

  while (len > 0)
    {
      unsigned chunk = len > (1u << 30) ? 1u << 30 : (unsigned) len;
      int got = gzread (file, p, chunk);

      if (got <= 0)
        return -1;
      p += got;
      len -= (size_t) got;
    }
  return 0;
}

static int
read_u32 (gzFile file, uint32_t *value)
{
  unsigned char b[4];

  if (read_all (file, b, 4) != 0)
    return -1;
  *value = (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16
           | (uint32_t) b[2] << 8 | b[3];
  return 0;
}

/* Opens path and checks its magic; reads n_dims counts into dims. */
static gzFile
open_idx (const char *path, uint32_t magic, uint32_t *dims, int n_dims,
          char *err, size_t errlen)
{
  gzFile file = gzopen (path, "rb");
  uint32_t got;

  if (file == NULL)
    {
      fail (err, errlen, "%s: cannot open", path);
      return NULL;
    }
  gzbuffer (file, 1u << 17);
  if (read_u32 (file, &got) != 0 || got != magic)
    {
      fail (err, errlen, "%s: not an IDX file of the expected kind", path);
      gzclose (file);
      return NULL;
    }
  for (int i = 0; i < n_dims; i++)
    if (read_u32 (file, &dims[i]) != 0)
      {
        fail (err, errlen, "%s: truncated header", path);
        gzclose (file);
        return NULL;
      }
  return file;
}

int
fm_load (const char *dir, const char *prefix, size_t limit, FmSet *set,
         char *err, size_t errlen)
{
  char path[4096];
  uint32_t idims[3], ldims[1];
  gzFile images, labels;
  size_t n;

  set->pixels = set->labels = NULL;
  snprintf (path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
  images = open_idx (path, IDX_UBYTE_IMAGES, idims, 3, err, errlen);
  if (images == NULL)
    return -1;
  snprintf (path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
  labels = open_idx (path, IDX_UBYTE_LABELS, ldims, 1, err, errlen);
  if (labels == NULL)
    {
      gzclose (images);
      return -1;
    }
  if (ldims[0] != idims[0])
    {
      gzclose (images);
      gzclose (labels);
      return fail (err, errlen, "%s: %u labels for %u images", path,
                   (unsigned) ldims[0], (unsigned) idims[0]);
    }

  n = limit != 0 && limit < idims[0] ? limit : idims[0];
  set->n = n;
  set->dim = (size_t) idims[1] * idims[2];
  set->pixels = malloc (n * set->dim);
  set->labels = malloc (n);
  if (set->pixels == NULL || set->labels == NULL
      || read_all (images, set->pixels, n * set->dim) != 0
      || read_all (labels, set->labels, n) != 0)
    {
      fm_free (set);
      gzclose (images);
      gzclose (labels);
      return fail (err, errlen, "%s-*: out of memory or truncated data",
                   prefix);
    }
  gzclose (images);
  gzclose (labels);

  for (size_t i = 0; i < n; i++)
    if (set->labels[i] >= FM_CLASSES)
      {
        fm_free (set);
        return fail (err, errlen, "%s: label %u of sample %zu is not a "
                     "class 0 to 9", path, set->labels[i], i + 1);
      }
  return 0;
}

void
fm_free (FmSet *set)
{
  free (set->pixels);
  free (set->labels);
  set->pixels = set->labels = NULL;
  set->n = 0;
}

double
fm_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}
