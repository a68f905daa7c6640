/* The IDX reader: a file of 8-bit images and one of their labels, plain or
 * gzip-compressed (GIO's zlib decompressor, member after member), each
 * checked against its own header and against the other, and kept as the
 * bytes read.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "idx.h"

/* Two zero bytes, the type (0x08: unsigned byte) and the number of
 * dimensions: n x rows x columns for images, n for labels. */
#define IDX_IMAGES_MAGIC 0x00000803u
#define IDX_LABELS_MAGIC 0x00000801u

/* The kept bytes are read into a buffer that doubles from this size up to
 * what the header announces, so that a header claiming more than the file
 * holds costs no more memory than the file's real content. */
#define FIRST_CHUNK ((gsize) 1 << 20)
/* What follows the kept items is read in pieces of this size, and only
 * counted. */
#define SKIP_CHUNK ((gsize) 1 << 16)

/* One open IDX file, its header read. */
typedef struct {
  const char *path;
  const char *what;        /* "images" or "labels", for messages */
  GInputStream *stream;    /* the file's bytes, decompressed if gzip */
  gboolean gzip;
  gsize header_size;
  guint32 n;               /* items, as the header says */
  guint32 rows, cols;      /* of an image; 1 x 1 for a label */
  gsize item_size;         /* bytes per item */
} IdxFile;

static void
idx_file_clear (IdxFile *f)
{
  g_clear_object (&f->stream);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (IdxFile, idx_file_clear)

static guint32
read_be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8
         | (guint32) p[3];
}

/* ---- Gzip, member after member ------------------------------------------ */

/* A gzip file may hold several members one after the other (what
 * `cat a.gz b.gz` makes; gzip -d reads them as one stream), but
 * GZlibDecompressor reports the end of the data at the end of the first.
 * This converter hands the input to one and starts it afresh at each
 * member's end while input remains, so that what follows the first member
 * must be another: anything else is corrupt data, not ignored. */
typedef struct {
  GObject parent;
  GConverter *inflater;
  gboolean between;   /* a member has ended, the next not yet begun */
} BpGzipMembers;

typedef struct {
  GObjectClass parent_class;
} BpGzipMembersClass;

/* Internal to this file, though G_DEFINE_TYPE defines it without static. */
static GType bp_gzip_members_get_type (void);
static void bp_gzip_members_converter_init (GConverterIface *iface);

G_DEFINE_TYPE_WITH_CODE (BpGzipMembers, bp_gzip_members, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (G_TYPE_CONVERTER,
                                                bp_gzip_members_converter_init))

static void
bp_gzip_members_init (BpGzipMembers *self)
{
  self->inflater = G_CONVERTER (
    g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
}

static void
bp_gzip_members_finalize (GObject *object)
{
  BpGzipMembers *self = (BpGzipMembers *) object;

  g_object_unref (self->inflater);
  G_OBJECT_CLASS (bp_gzip_members_parent_class)->finalize (object);
}

static void
bp_gzip_members_class_init (BpGzipMembersClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bp_gzip_members_finalize;
}

static GConverterResult
bp_gzip_members_convert (GConverter *converter, const void *inbuf,
                         gsize inbuf_size, void *outbuf, gsize outbuf_size,
                         GConverterFlags flags, gsize *bytes_read,
                         gsize *bytes_written, GError **error)
{
  BpGzipMembers *self = (BpGzipMembers *) converter;
  gboolean at_end = (flags & G_CONVERTER_INPUT_AT_END) != 0;
  GConverterResult result;

  /* The input ended where a member did: the data ends there too. */
  if (self->between && inbuf_size == 0 && at_end)
    {
      *bytes_read = *bytes_written = 0;
      return G_CONVERTER_FINISHED;
    }

  result = g_converter_convert (self->inflater, inbuf, inbuf_size, outbuf,
                                outbuf_size, flags, bytes_read,
                                bytes_written, error);
  if (result == G_CONVERTER_ERROR)
    return result;
  if (result != G_CONVERTER_FINISHED)
    {
      if (*bytes_read > 0)
        self->between = FALSE;
      return result;
    }

  /* A member's trailer was read: what input is left is the next member,
   * which a fresh decompressor reads. The decompressor consumed that
   * trailer, so this reports progress. */
  g_converter_reset (self->inflater);
  self->between = TRUE;
  if (*bytes_read == inbuf_size && at_end)
    return G_CONVERTER_FINISHED;
  return G_CONVERTER_CONVERTED;
}

static void
bp_gzip_members_reset (GConverter *converter)
{
  BpGzipMembers *self = (BpGzipMembers *) converter;

  g_converter_reset (self->inflater);
  self->between = FALSE;
}

static void
bp_gzip_members_converter_init (GConverterIface *iface)
{
  iface->convert = bp_gzip_members_convert;
  iface->reset = bp_gzip_members_reset;
}

/* ---- Reading ------------------------------------------------------------- */

/* Turns a failed read into our message: the decompressor's errors say
 * what is wrong with the file; anything else is the system's. */
static gboolean
read_failed (const char *path, const GError *io_error, GError **error)
{
  if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
    g_set_error (error, BP_ERROR, BP_ERROR_DATA,
                 "%s: the gzip data ends early; the file is truncated",
                 path);
  else if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    g_set_error (error, BP_ERROR, BP_ERROR_DATA, "%s: corrupt gzip data",
                 path);
  else if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY))
    g_set_error (error, BP_ERROR, BP_ERROR_IO,
                 "%s: cannot read the data file: %s", path,
                 g_strerror (EISDIR));
  else
    g_set_error (error, BP_ERROR, BP_ERROR_IO,
                 "%s: cannot read the data file: %s", path,
                 io_error->message);
  return FALSE;
}

/* Reads count bytes, fewer only at the end of the file (*got says how
 * many). */
static gboolean
read_bytes (IdxFile *f, void *buffer, gsize count, gsize *got,
            GError **error)
{
  g_autoptr (GError) io_error = NULL;

  if (g_input_stream_read_all (f->stream, buffer, count, got, NULL,
                               &io_error))
    return TRUE;
  return read_failed (f->path, io_error, error);
}

/* Opens the stream, decompressing when the name ends in .gz or the file
 * starts with gzip's magic bytes 1f 8b (an IDX file starts with 0 0). */
static gboolean
open_stream (IdxFile *f, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (f->path);
  g_autoptr (GFileInputStream) input = NULL;
  g_autoptr (GError) io_error = NULL;
  guint8 head[2];
  gsize got = 0;
  int fd;

  /* As bp_read_file does: the reason comes from errno, so that the
   * message reads like the CSV reader's rather than GIO's sentence. */
  fd = g_open (f->path, O_RDONLY, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, BP_ERROR, BP_ERROR_IO,
                   "%s: cannot read the data file: %s", f->path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  g_close (fd, NULL);

  input = g_file_read (file, NULL, &io_error);
  if (input == NULL
      || !g_input_stream_read_all (G_INPUT_STREAM (input), head, 2, &got,
                                   NULL, &io_error)
      || !g_seekable_seek (G_SEEKABLE (input), 0, G_SEEK_SET, NULL,
                           &io_error))
    return read_failed (f->path, io_error, error);

  f->gzip = g_str_has_suffix (f->path, ".gz")
            || (got == 2 && head[0] == 0x1f && head[1] == 0x8b);
  if (f->gzip)
    {
      g_autoptr (GObject) inflater
        = g_object_new (bp_gzip_members_get_type (), NULL);

      f->stream = g_converter_input_stream_new (G_INPUT_STREAM (input),
                                                G_CONVERTER (inflater));
    }
  else
    f->stream = g_object_ref (G_INPUT_STREAM (input));
  return TRUE;
}

/* Opens an IDX file and reads its header: the magic number, then one
 * big-endian 32-bit size per dimension. */
static gboolean
idx_open (IdxFile *f, const char *path, const char *what, guint32 magic,
          GError **error)
{
  guint8 header[16];
  gsize got = 0;
  guint n_dims = magic & 0xFF;

  f->path = path;
  f->what = what;
  f->header_size = 4 + 4 * n_dims;
  if (!open_stream (f, error)
      || !read_bytes (f, header, f->header_size, &got, error))
    return FALSE;

  if (got >= 4 && read_be32 (header) != magic)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_DATA,
                   "%s: not an IDX file of 8-bit %s (magic 0x%08x, "
                   "expected 0x%08x)", path, what, read_be32 (header),
                   magic);
      return FALSE;
    }
  if (got < f->header_size)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_DATA,
                   "%s: the file ends inside its IDX header", path);
      return FALSE;
    }

  f->n = read_be32 (header + 4);
  f->rows = n_dims == 3 ? read_be32 (header + 8) : 1;
  f->cols = n_dims == 3 ? read_be32 (header + 12) : 1;
  if (f->n == 0)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_DATA, "%s: holds no %s", path,
                   what);
      return FALSE;
    }
  if (f->rows == 0 || f->cols == 0)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_DATA,
                   "%s: its header says images of %u x %u pixels", path,
                   f->rows, f->cols);
      return FALSE;
    }
  /* The bytes must be countable in a gsize: a larger header is wrong, or
   * (with 32-bit memory) cannot be read. */
  if ((guint64) f->rows * f->cols > G_MAXSIZE / f->n)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_DATA,
                   "%s: its header says %u %s of %u x %u pixels, too many "
                   "bytes to read", path, f->n, what, f->rows, f->cols);
      return FALSE;
    }
  f->item_size = (gsize) f->rows * f->cols;
  return TRUE;
}

/* "its header says 3 images of 2 x 2 pixels", "its header says 3
 * labels". */
static char *
header_says (const IdxFile *f)
{
  if (strcmp (f->what, "labels") == 0)
    return g_strdup_printf ("its header says %u labels", f->n);
  return g_strdup_printf ("its header says %u %s of %u x %u pixels", f->n,
                          f->what, f->rows, f->cols);
}

/* Reads the items after the header, keeping the first n_keep in a new
 * buffer, and checks that the file holds exactly what its header says:
 * the rest is read and counted even when it is not kept. */
static guint8 *
idx_read_items (IdxFile *f, gsize n_keep, GError **error)
{
  g_autofree guint8 *data = NULL;
  g_autofree guint8 *skip = NULL;
  gsize keep = n_keep * f->item_size;
  gsize expected = (gsize) f->n * f->item_size;
  gsize capacity = MIN (keep, FIRST_CHUNK);
  gsize filled = 0, length, got = 0;

  g_return_val_if_fail (n_keep > 0 && n_keep <= f->n, NULL);

  data = g_malloc (capacity);
  while (filled < keep)
    {
      if (filled == capacity)
        {
          capacity = capacity > keep / 2 ? keep : 2 * capacity;
          data = g_realloc (data, capacity);
        }
      if (!read_bytes (f, data + filled, capacity - filled, &got, error))
        return NULL;
      filled += got;
      if (filled < capacity)
        break; /* the end of the file */
    }

  skip = g_malloc (SKIP_CHUNK);
  length = filled;
  do
    {
      if (!read_bytes (f, skip, SKIP_CHUNK, &got, error))
        return NULL;
      length += got;
    }
  while (got == SKIP_CHUNK);

  if (length != expected)
    {
      g_autofree char *says = header_says (f);

      g_set_error (error, BP_ERROR, BP_ERROR_DATA,
                   "%s: %s, %zu bytes in all, but %s %zu bytes", f->path,
                   says, f->header_size + expected,
                   f->gzip ? "it decompresses to" : "the file has",
                   f->header_size + length);
      return NULL;
    }
  return g_steal_pointer (&data);
}

/* The class of each label value (G_MAXUINT for none) and the classes'
 * names: "0" to the largest label read, or the given ones, label k going
 * to the class named "k". */
static gboolean
label_classes (const IdxFile *f, const guint8 *labels, gsize n,
               char **given, guint class_of[256], char ***names,
               GError **error)
{
  guint k, largest = 0;
  gsize i;

  if (given == NULL)
    {
      for (i = 0; i < n; i++)
        largest = MAX (largest, labels[i]);
      *names = g_new0 (char *, largest + 2);
      for (k = 0; k <= largest; k++)
        {
          (*names)[k] = g_strdup_printf ("%u", k);
          class_of[k] = k;
        }
      return TRUE;
    }

  for (k = 0; k < 256; k++)
    {
      char name[4];
      guint c;

      class_of[k] = G_MAXUINT;
      g_snprintf (name, sizeof name, "%u", k);
      for (c = 0; given[c] != NULL; c++)
        if (strcmp (given[c], name) == 0)
          class_of[k] = c;
    }
  for (i = 0; i < n; i++)
    if (class_of[labels[i]] == G_MAXUINT)
      {
        g_autofree char *classes = g_strjoinv (", ", given);

        g_set_error (error, BP_ERROR, BP_ERROR_DATA,
                     "%s: label %u of item %zu is not among the training "
                     "set's classes (%s)", f->path, labels[i], i + 1,
                     classes);
        return FALSE;
      }
  *names = g_strdupv (given);
  return TRUE;
}

BpDataset *
bp_idx_load (const BpDataSpec *spec, char **classes, GError **error)
{
  g_auto (IdxFile) labels = { 0 };
  g_auto (IdxFile) images = { 0 };
  g_autofree guint8 *label_bytes = NULL;
  g_autofree guint8 *image_bytes = NULL;
  g_auto (GStrv) names = NULL;
  guint class_of[256];
  BpDataset *data;
  gsize n, i;

  g_return_val_if_fail (spec->kind == BP_DATA_IDX, NULL);

  /* The labels first: they are small, and both counts are known before
   * a byte of the images is read. */
  if (!idx_open (&labels, spec->labels_path, "labels", IDX_LABELS_MAGIC,
                 error)
      || !idx_open (&images, spec->images_path, "images", IDX_IMAGES_MAGIC,
                    error))
    return NULL;
  if (images.n != labels.n)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_DATA,
                   "%s has %u images but %s has %u labels", images.path,
                   images.n, labels.path, labels.n);
      return NULL;
    }

  n = images.n;
  if (spec->limit > 0 && spec->limit < n)
    n = (gsize) spec->limit;
  label_bytes = idx_read_items (&labels, n, error);
  if (label_bytes == NULL)
    return NULL;
  image_bytes = idx_read_items (&images, n, error);
  if (image_bytes == NULL)
    return NULL;
  if (!label_classes (&labels, label_bytes, n, classes, class_of, &names,
                      error))
    return NULL;

  data = g_new0 (BpDataset, 1);
  data->n = n;
  data->n_in = images.item_size;
  data->X_bytes = g_steal_pointer (&image_bytes);
  data->X_divisor = BP_IDX_DIVISOR;
  data->classes = g_steal_pointer (&names);
  data->n_out = g_strv_length (data->classes);
  data->F = g_new0 (bp_real, n * data->n_out);
  for (i = 0; i < n; i++)
    data->F[i * data->n_out + class_of[label_bytes[i]]] = 1;
  return data;
}
