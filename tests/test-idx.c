/* Unit tests of the IDX reader (core/idx.c) and of byte-stored data sets:
 * small IDX files written here, plain and gzip-compressed, with their
 * exact inputs and messages; and the installed Fashion-MNIST files.
 */
#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "data.h"
#include "testutil.h"

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

/* Each test gets a folder of its own (f->dir), removed afterwards. */
typedef BpTestFixture Fixture;

/* The test images: 3 of 2 x 2 pixels, with bytes whose quotient by 255
 * is not their product with 1 / 255.0 (33, 37), and both ends. */
static const guint8 pixels[12] = {
  0, 1, 33, 37,
  127, 128, 254, 255,
  10, 20, 30, 40,
};
static const guint8 labels3[3] = { 2, 0, 1 };

/* Compresses bytes with GIO's gzip compressor. */
static GBytes *
gzip_bytes (const guint8 *data, gsize length)
{
  g_autoptr (GZlibCompressor) deflater
    = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr (GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) out
    = g_converter_output_stream_new (memory, G_CONVERTER (deflater));
  g_autoptr (GError) error = NULL;
  gsize written = 0;

  g_assert_true (g_output_stream_write_all (out, data, length, &written,
                                            NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (out, NULL, &error));
  g_assert_no_error (error);
  return g_memory_output_stream_steal_as_bytes (
    G_MEMORY_OUTPUT_STREAM (memory));
}

/* Writes bytes to dir/name, gzip-compressed if asked, and returns the
 * path. */
static char *
write_bytes (const char *dir, const char *name, const guint8 *data,
             gsize length, gboolean gzip)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) packed = NULL;
  char *path = g_build_filename (dir, name, NULL);

  if (gzip)
    {
      packed = gzip_bytes (data, length);
      data = g_bytes_get_data (packed, &length);
    }
  g_assert_true (g_file_set_contents (path, (const char *) data,
                                      (gssize) length, &error));
  g_assert_no_error (error);
  return path;
}

/* An IDX file: the magic, the sizes (big-endian) and then data. */
static GByteArray *
idx_bytes (guint32 magic, const guint32 *dims, guint n_dims,
           const guint8 *data, gsize length)
{
  GByteArray *bytes = g_byte_array_new ();
  guint32 word = GUINT32_TO_BE (magic);

  g_byte_array_append (bytes, (const guint8 *) &word, 4);
  for (guint i = 0; i < n_dims; i++)
    {
      word = GUINT32_TO_BE (dims[i]);
      g_byte_array_append (bytes, (const guint8 *) &word, 4);
    }
  g_byte_array_append (bytes, data, (guint) length);
  return bytes;
}

static char *
write_images (const char *dir, const char *name, guint32 n,
              const guint8 *data, gsize length, gboolean gzip)
{
  const guint32 dims[3] = { n, 2, 2 };
  g_autoptr (GByteArray) bytes = idx_bytes (0x803, dims, 3, data, length);

  return write_bytes (dir, name, bytes->data, bytes->len, gzip);
}

static char *
write_labels (const char *dir, const char *name, guint32 n,
              const guint8 *data, gsize length, gboolean gzip)
{
  g_autoptr (GByteArray) bytes = idx_bytes (0x801, &n, 1, data, length);

  return write_bytes (dir, name, bytes->data, bytes->len, gzip);
}

static BpDataset *
load_train (const char *dir, const char *train)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (dir, train, NULL);
  BpDataset *data = bp_dataset_load (graph, &graph->train, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (data);
  return data;
}

/* Checks the three test images in data: bytes as stored, inputs as b /
 * 255.0 to the last bit, targets one-hot. */
static void
assert_pixels (const BpDataset *data, gsize n, const guint8 *labels,
               gsize n_classes)
{
  g_autofree bp_real *X = g_new (bp_real, n * 4);
  g_autofree bp_real *F = g_new (bp_real, n * n_classes);

  g_assert_cmpuint (data->n, ==, n);
  g_assert_cmpuint (data->n_in, ==, 4);
  g_assert_cmpuint (data->n_out, ==, n_classes);
  g_assert_null (data->X);
  g_assert_nonnull (data->X_bytes);
  g_assert_cmpfloat (data->X_divisor, ==, 255.0);
  g_assert_cmpmem (data->X_bytes, n * 4, pixels, n * 4);
  g_assert_cmpuint (g_strv_length (data->classes), ==, n_classes);
  for (gsize k = 0; k < n_classes; k++)
    {
      g_autofree char *name = g_strdup_printf ("%zu", k);

      g_assert_cmpstr (data->classes[k], ==, name);
    }

  bp_dataset_gather (data, NULL, 0, n, X, F);
  for (gsize i = 0; i < n * 4; i++)
    g_assert_cmpfloat (X[i], ==, (bp_real) (pixels[i] / 255.0));
  for (gsize s = 0; s < n; s++)
    for (gsize k = 0; k < n_classes; k++)
      g_assert_cmpfloat (F[s * n_classes + k], ==, k == labels[s]);
}

static void
test_plain (Fixture *f, gconstpointer user_data)
{
  g_autofree char *images = write_images (f->dir, "images", 3, pixels, 12,
                                          FALSE);
  g_autofree char *labels = write_labels (f->dir, "labels", 3, labels3, 3,
                                          FALSE);
  g_autoptr (BpDataset) data = load_train (f->dir,
    "{images: images, labels: labels}");

  (void) user_data;
  assert_pixels (data, 3, labels3, 3);

  /* The test is exact: byte 33 tells division from multiplication. */
  g_assert_cmpfloat (33 / 255.0, !=, 33 * (1 / 255.0));
  g_assert_cmpfloat (0.5019607843137255, ==, 128 / 255.0);
}

/* Compressed, recognised by the name or by gzip's magic bytes. */
static void
test_gzip (Fixture *f, gconstpointer user_data)
{
  g_autofree char *images = write_images (f->dir, "images.gz", 3, pixels,
                                          12, TRUE);
  g_autofree char *labels = write_labels (f->dir, "labels.idx", 3, labels3,
                                          3, TRUE);
  g_autoptr (BpDataset) data = load_train (f->dir,
    "{images: images.gz, labels: labels.idx}");

  (void) user_data;
  assert_pixels (data, 3, labels3, 3);
}

/* The first rows only; the classes go to the largest label among them.
 * A limit beyond the file takes all of it. */
static void
test_limit (Fixture *f, gconstpointer user_data)
{
  static const guint8 labels[3] = { 1, 0, 3 };
  g_autofree char *images = write_images (f->dir, "images.gz", 3, pixels,
                                          12, TRUE);
  g_autofree char *labels_path = write_labels (f->dir, "labels", 3, labels,
                                               3, FALSE);
  g_autoptr (BpDataset) two = load_train (f->dir,
    "{images: images.gz, labels: labels, limit: 2}");
  g_autoptr (BpDataset) all = load_train (f->dir,
    "{images: images.gz, labels: labels, limit: 4000000000}");

  (void) user_data;
  assert_pixels (two, 2, labels, 2);
  assert_pixels (all, 3, labels, 4);
}

/* A test set takes the training set's classes by name; a label outside
 * them is an error. */
static void
test_test_classes (Fixture *f, gconstpointer user_data)
{
  static const guint8 test_labels[2] = { 2, 1 };
  static const guint8 bad_labels[2] = { 2, 3 };
  g_autoptr (GError) error = NULL;
  g_autofree char *images = write_images (f->dir, "images", 3, pixels, 12,
                                          FALSE);
  g_autofree char *labels = write_labels (f->dir, "labels", 3, labels3, 3,
                                          FALSE);
  g_autofree char *test_images = write_images (f->dir, "t-images", 2,
                                               pixels, 8, FALSE);
  g_autofree char *test_labels_path = write_labels (f->dir, "t-labels", 2,
                                                    test_labels, 2, FALSE);
  g_autofree char *bad_path = write_labels (f->dir, "bad-labels", 2,
                                            bad_labels, 2, TRUE);
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir,
    "{images: images, labels: labels}",
    "{images: t-images, labels: t-labels}");
  g_autoptr (BpGraph) bad = bp_test_load_data_graph (f->dir,
    "{images: images, labels: labels}",
    "{images: t-images, labels: bad-labels}");
  g_autoptr (BpDataset) train = NULL;
  g_autoptr (BpDataset) test = NULL;
  g_autofree char *message = g_strdup_printf (
    "%s: label 3 of item 2 is not among the training set's classes "
    "(0, 1, 2)", bad_path);

  (void) user_data;
  train = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_no_error (error);
  test = bp_dataset_load (graph, &graph->test, train->classes, &error);
  g_assert_no_error (error);
  assert_pixels (test, 2, test_labels, 3);
  g_clear_pointer (&test, bp_dataset_free);

  test = bp_dataset_load (bad, &bad->test, train->classes, &error);
  g_assert_null (test);
  g_assert_error (error, BP_ERROR, BP_ERROR_DATA);
  g_assert_cmpstr (error->message, ==, message);
}

/* Gathering chosen rows, and the split, with byte storage: image i is
 * all i, label i % 3. */
static void
test_bytes_gather_split (Fixture *f, gconstpointer user_data)
{
  guint8 images[40 * 4], labels[40];
  g_autofree char *images_path = NULL;
  g_autofree char *labels_path = NULL;
  g_autoptr (BpDataset) data = NULL;
  g_autoptr (BpDataset) test = NULL;
  g_autofree gboolean *seen = g_new0 (gboolean, 40);
  static const guint rows[3] = { 7, 39, 0 };
  bp_real X[2 * 4], F[2 * 3];

  (void) user_data;
  for (guint i = 0; i < 40; i++)
    {
      memset (images + 4 * i, (int) i, 4);
      labels[i] = (guint8) (i % 3);
    }
  images_path = write_images (f->dir, "images", 40, images, sizeof images,
                              FALSE);
  labels_path = write_labels (f->dir, "labels", 40, labels, sizeof labels,
                              FALSE);
  data = load_train (f->dir, "{images: images, labels: labels}");

  /* rows[1] and rows[2]: 39 and 0, inputs and targets. */
  bp_dataset_gather (data, rows, 1, 2, X, F);
  g_assert_cmpfloat (X[0], ==, 39 / 255.0);
  g_assert_cmpfloat (X[3], ==, 39 / 255.0);
  g_assert_cmpfloat (X[4], ==, 0.0);
  g_assert_cmpfloat (F[0], ==, 1.0);
  g_assert_cmpfloat (F[3], ==, 1.0);
  g_assert_cmpfloat (F[4] + F[5], ==, 0.0);

  /* Both halves keep bytes, whole rows, in order, all rows once. */
  bp_dataset_split (data, 0.25, 3, &test);
  g_assert_cmpuint (test->n, ==, 10);
  g_assert_cmpuint (data->n, ==, 30);
  g_assert_null (test->X);
  g_assert_cmpfloat (test->X_divisor, ==, 255.0);
  for (guint half = 0; half < 2; half++)
    {
      const BpDataset *d = half ? test : data;

      for (gsize s = 0; s < d->n; s++)
        {
          guint8 row = d->X_bytes[4 * s];

          g_assert_cmpuint (d->X_bytes[4 * s + 3], ==, row);
          g_assert_cmpfloat (d->F[3 * s + row % 3], ==, 1.0);
          g_assert_false (seen[row]);
          seen[row] = TRUE;
          if (s > 0)
            g_assert_cmpuint (row, >, d->X_bytes[4 * (s - 1)]);
        }
    }
  for (guint i = 0; i < 40; i++)
    g_assert_true (seen[i]);
}

/* A network whose input is not the images' pixels is told so, naming
 * the images file. */
static void
test_width (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *images = write_images (f->dir, "images.gz", 3, pixels,
                                          12, TRUE);
  g_autofree char *labels = write_labels (f->dir, "labels.gz", 3, labels3,
                                          3, TRUE);
  g_autofree char *path = bp_test_write_file (f->dir, "graph.yaml",
    "version: 1\n"
    "network: {input: 9, layers: [relu], loss: mse}\n"
    "data:\n"
    "  train: {images: images.gz, labels: labels.gz}\n"
    "training: {epochs: 1, optimizer: {sgd: {lr: 0.1}}}\n");
  g_autofree char *message = g_strdup_printf (
    "%s:2:18: network.input is 9, but %s has 4 pixels per image", path,
    images);
  g_autoptr (BpGraph) graph = bp_graph_load (path, &error);
  g_autoptr (BpRun) run = NULL;

  (void) user_data;
  g_assert_no_error (error);
  run = bp_run_new (graph, &error);
  g_assert_null (run);
  g_assert_error (error, BP_ERROR, BP_ERROR_GRAPH);
  g_assert_cmpstr (error->message, ==, message);
}

/* A bad pair of files and the message it must give: "IMAGES" and
 * "LABELS" stand for their paths. */
typedef struct {
  const char *name;
  guint32 images_magic;
  guint32 n_images;
  gsize n_pixels;          /* bytes after the images' header */
  gboolean gzip;           /* the images file */
  guint32 n_labels;
  gsize n_label_bytes;
  int code;
  const char *message;
} BadIdx;

static const BadIdx bad_idx[] = {
  { "magic-dims", 0x802, 3, 12, FALSE, 3, 3, BP_ERROR_DATA,
    "IMAGES: not an IDX file of 8-bit images (magic 0x00000802, expected "
    "0x00000803)" },
  { "magic-type", 0xD03, 3, 12, TRUE, 3, 3, BP_ERROR_DATA,
    "IMAGES: not an IDX file of 8-bit images (magic 0x00000d03, expected "
    "0x00000803)" },
  { "count", 0x803, 3, 12, FALSE, 2, 2, BP_ERROR_DATA,
    "IMAGES has 3 images but LABELS has 2 labels" },
  { "truncated", 0x803, 3, 11, FALSE, 3, 3, BP_ERROR_DATA,
    "IMAGES: its header says 3 images of 2 x 2 pixels, 28 bytes in all, "
    "but the file has 27 bytes" },
  { "truncated-gzip-content", 0x803, 3, 8, TRUE, 3, 3, BP_ERROR_DATA,
    "IMAGES: its header says 3 images of 2 x 2 pixels, 28 bytes in all, "
    "but it decompresses to 24 bytes" },
  { "too-long", 0x803, 2, 12, FALSE, 2, 2, BP_ERROR_DATA,
    "IMAGES: its header says 2 images of 2 x 2 pixels, 24 bytes in all, "
    "but the file has 28 bytes" },
  { "labels-short", 0x803, 3, 12, FALSE, 3, 2, BP_ERROR_DATA,
    "LABELS: its header says 3 labels, 11 bytes in all, but the file has "
    "10 bytes" },
  { "no-images", 0x803, 0, 0, FALSE, 3, 3, BP_ERROR_DATA,
    "IMAGES: holds no images" },
  { "no-labels", 0x803, 0, 0, FALSE, 0, 0, BP_ERROR_DATA,
    "LABELS: holds no labels" },
};

static void
test_bad (Fixture *f, gconstpointer user_data)
{
  const BadIdx *bad = user_data;
  const guint32 dims[3] = { bad->n_images, 2, 2 };
  g_autoptr (GByteArray) bytes = idx_bytes (bad->images_magic, dims, 3,
                                            pixels, bad->n_pixels);
  g_autofree char *images = write_bytes (f->dir, "images", bytes->data,
                                         bytes->len, bad->gzip);
  g_autofree char *labels = write_labels (f->dir, "labels", bad->n_labels,
                                          labels3, bad->n_label_bytes,
                                          FALSE);
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir,
    "{images: images, labels: labels, limit: 1}", NULL);
  g_autoptr (GString) expected = g_string_new (bad->message);
  g_autoptr (GError) error = NULL;
  g_autoptr (BpDataset) data = NULL;

  /* With limit 1 too: the files are checked whole. */
  g_string_replace (expected, "IMAGES", images, 0);
  g_string_replace (expected, "LABELS", labels, 0);
  data = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_null (data);
  g_assert_error (error, BP_ERROR, bad->code);
  g_assert_cmpstr (error->message, ==, expected->str);
}

/* Loads images (with good labels) and checks the message, with "IMAGES"
 * for the images' path. */
static void
assert_images_fail (const Fixture *f, const char *images, int code,
                    const char *message)
{
  g_autofree char *labels = write_labels (f->dir, "labels", 3, labels3, 3,
                                          FALSE);
  g_autofree char *train = g_strdup_printf (
    "{images: %s, labels: labels}", images);
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir, train, NULL);
  g_autofree char *path = g_build_filename (f->dir, images, NULL);
  g_autoptr (GString) expected = g_string_new (message);
  g_autoptr (GError) error = NULL;
  g_autoptr (BpDataset) data = NULL;

  g_string_replace (expected, "IMAGES", path, 0);
  data = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_null (data);
  g_assert_error (error, BP_ERROR, code);
  g_assert_cmpstr (error->message, ==, expected->str);
}

/* The compressed file cut short, a byte of it changed, and a plain file
 * named .gz. */
static void
test_bad_gzip (Fixture *f, gconstpointer user_data)
{
  const guint32 dims[3] = { 3, 2, 2 };
  g_autoptr (GByteArray) idx = idx_bytes (0x803, dims, 3, pixels, 12);
  g_autoptr (GBytes) packed = gzip_bytes (idx->data, idx->len);
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (packed, &length);
  g_autofree guint8 *changed = g_memdup2 (data, length);
  g_autofree char *cut = write_bytes (f->dir, "cut.gz", data, length - 12,
                                      FALSE);
  g_autofree char *header_only = write_bytes (f->dir, "header.gz", data, 10,
                                              FALSE);
  g_autofree char *crc = NULL;
  g_autofree char *plain = write_bytes (f->dir, "plain.gz", idx->data,
                                        idx->len, FALSE);
  g_autofree char *empty = write_bytes (f->dir, "empty.gz", data, 0, FALSE);

  (void) user_data;
  /* The CRC-32 of the content, 8 bytes from the end. */
  changed[length - 8] ^= 0x5A;
  crc = write_bytes (f->dir, "crc.gz", changed, length, FALSE);

  assert_images_fail (f, "cut.gz", BP_ERROR_DATA,
                      "IMAGES: the gzip data ends early; the file is "
                      "truncated");
  assert_images_fail (f, "header.gz", BP_ERROR_DATA,
                      "IMAGES: the gzip data ends early; the file is "
                      "truncated");
  assert_images_fail (f, "empty.gz", BP_ERROR_DATA,
                      "IMAGES: the gzip data ends early; the file is "
                      "truncated");
  assert_images_fail (f, "crc.gz", BP_ERROR_DATA,
                      "IMAGES: corrupt gzip data");
  assert_images_fail (f, "plain.gz", BP_ERROR_DATA,
                      "IMAGES: corrupt gzip data");
}

/* A gzip file of several members, as `cat a.gz b.gz` makes, is read as
 * their contents one after the other (here split inside the header and
 * inside the pixels, a member of no bytes between); what follows a member
 * must be another. */
static void
test_gzip_members (Fixture *f, gconstpointer user_data)
{
  const guint32 dims[3] = { 3, 2, 2 };
  g_autoptr (GByteArray) idx = idx_bytes (0x803, dims, 3, pixels, 12);
  const gsize cuts[] = { 0, 6, 6, 21, idx->len };
  g_autoptr (GByteArray) joined = g_byte_array_new ();
  g_autoptr (GByteArray) junk = NULL;
  g_autoptr (GByteArray) cut = NULL;
  g_autofree char *images = NULL, *labels = NULL;
  g_autofree char *junk_path = NULL, *cut_path = NULL;
  g_autoptr (BpDataset) data = NULL;

  (void) user_data;
  for (gsize i = 0; i + 1 < G_N_ELEMENTS (cuts); i++)
    {
      g_autoptr (GBytes) member = gzip_bytes (idx->data + cuts[i],
                                              cuts[i + 1] - cuts[i]);
      gsize length = 0;
      const guint8 *bytes = g_bytes_get_data (member, &length);

      g_byte_array_append (joined, bytes, (guint) length);
    }
  images = write_bytes (f->dir, "images.gz", joined->data, joined->len,
                        FALSE);
  labels = write_labels (f->dir, "labels", 3, labels3, 3, FALSE);
  data = load_train (f->dir, "{images: images.gz, labels: labels}");
  assert_pixels (data, 3, labels3, 3);

  /* Bytes after the last member that begin no member, and a second
   * member cut short. */
  junk = g_byte_array_sized_new (joined->len + 4);
  g_byte_array_append (junk, joined->data, joined->len);
  g_byte_array_append (junk, (const guint8 *) "\0\0\0\0", 4);
  junk_path = write_bytes (f->dir, "junk.gz", junk->data, junk->len, FALSE);
  assert_images_fail (f, "junk.gz", BP_ERROR_DATA,
                      "IMAGES: corrupt gzip data");

  cut = g_byte_array_sized_new (joined->len);
  g_byte_array_append (cut, joined->data, joined->len - 5);
  cut_path = write_bytes (f->dir, "cut.gz", cut->data, cut->len, FALSE);
  assert_images_fail (f, "cut.gz", BP_ERROR_DATA,
                      "IMAGES: the gzip data ends early; the file is "
                      "truncated");
}

static void
test_bad_header (Fixture *f, gconstpointer user_data)
{
  static const guint8 short_header[6] = { 0, 0, 8, 3, 0, 0 };
  static const guint8 tiny[2] = { 0, 0 };
  const guint32 flat[3] = { 3, 0, 2 };
  g_autoptr (GByteArray) zero = idx_bytes (0x803, flat, 3, pixels, 0);
  g_autofree char *a = write_bytes (f->dir, "short", short_header,
                                    sizeof short_header, FALSE);
  g_autofree char *b = write_bytes (f->dir, "tiny.gz", tiny, sizeof tiny,
                                    TRUE);
  g_autofree char *c = write_bytes (f->dir, "flat", zero->data, zero->len,
                                    FALSE);

  (void) user_data;
  assert_images_fail (f, "short", BP_ERROR_DATA,
                      "IMAGES: the file ends inside its IDX header");
  assert_images_fail (f, "tiny.gz", BP_ERROR_DATA,
                      "IMAGES: the file ends inside its IDX header");
  assert_images_fail (f, "flat", BP_ERROR_DATA,
                      "IMAGES: its header says images of 0 x 2 pixels");
}

static void
test_missing_file (Fixture *f, gconstpointer user_data)
{
  g_autofree char *message = g_strdup_printf (
    "IMAGES: cannot read the data file: %s", g_strerror (ENOENT));
  g_autofree char *dir_message = g_strdup_printf (
    "IMAGES: cannot read the data file: %s", g_strerror (EISDIR));
  g_autofree char *folder = g_build_filename (f->dir, "folder", NULL);

  (void) user_data;
  assert_images_fail (f, "nowhere.gz", BP_ERROR_IO, message);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  assert_images_fail (f, "folder", BP_ERROR_IO, dir_message);
}

/* The installed files' first 100 rows against figures computed with
 * Python's gzip module: the first label, a few bytes, sums of the bytes
 * and of the bytes weighted by their 1-based place. */
static void
test_fashion_mnist (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BpGraph) graph = NULL;
  g_autoptr (BpDataset) train = NULL;
  g_autoptr (BpDataset) test = NULL;
  static const guint8 first_labels[10] = { 9, 0, 0, 3, 0, 2, 7, 2, 5, 5 };
  guint64 sum = 0, weighted = 0, row0 = 0, row99 = 0;
  bp_real X[784];

  (void) user_data;
  if (!g_file_test (FASHION_DIR, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("no " FASHION_DIR " (Debian's dataset-fashion-mnist)");
      return;
    }
  graph = bp_test_load_data_graph (f->dir,
    "{images: " FASHION_DIR "/train-images-idx3-ubyte.gz, labels: "
    FASHION_DIR "/train-labels-idx1-ubyte.gz, limit: 100}",
    "{images: " FASHION_DIR "/t10k-images-idx3-ubyte.gz, labels: "
    FASHION_DIR "/t10k-labels-idx1-ubyte.gz, limit: 100}");
  train = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_no_error (error);
  test = bp_dataset_load (graph, &graph->test, train->classes, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (train->n, ==, 100);
  g_assert_cmpuint (train->n_in, ==, 784);
  g_assert_cmpuint (train->n_out, ==, 10);
  g_assert_cmpstr (train->classes[9], ==, "9");
  for (gsize s = 0; s < 10; s++)
    g_assert_cmpfloat (train->F[s * 10 + first_labels[s]], ==, 1.0);

  for (gsize i = 0; i < 100 * 784; i++)
    {
      sum += train->X_bytes[i];
      weighted += (i + 1) * train->X_bytes[i];
      row0 += i < 784 ? train->X_bytes[i] : 0;
      row99 += i >= 99 * 784 ? train->X_bytes[i] : 0;
    }
  g_assert_cmpuint (sum, ==, 5688570);
  g_assert_cmpuint (weighted, ==, G_GUINT64_CONSTANT (217529147937));
  g_assert_cmpuint (row0, ==, 76247);
  g_assert_cmpuint (row99, ==, 73088);
  g_assert_cmpuint (train->X_bytes[300], ==, 210);
  g_assert_cmpuint (train->X_bytes[406], ==, 217);
  g_assert_cmpuint (train->X_bytes[784 + 400], ==, 197);
  bp_dataset_gather (train, NULL, 99, 1, X, NULL);
  g_assert_cmpfloat (X[391], ==, 44 / 255.0);

  /* The test file: its first label is an ankle boot too. */
  g_assert_cmpuint (test->n, ==, 100);
  g_assert_cmpuint (test->n_out, ==, 10);
  g_assert_cmpfloat (test->F[9], ==, 1.0);
  sum = 0;
  for (gsize i = 0; i < 100 * 784; i++)
    sum += test->X_bytes[i];
  g_assert_cmpuint (sum, ==, 5854180);
}

/* All 60000 training rows: every byte arrives, the labels balance. */
static void
test_fashion_mnist_full (Fixture *f, gconstpointer user_data)
{
  g_autoptr (BpDataset) train = NULL;
  guint64 sum = 0;
  gsize per_class[10] = { 0 };

  (void) user_data;
  if (!g_file_test (FASHION_DIR, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("no " FASHION_DIR " (Debian's dataset-fashion-mnist)");
      return;
    }
  train = load_train (f->dir,
    "{images: " FASHION_DIR "/train-images-idx3-ubyte.gz, labels: "
    FASHION_DIR "/train-labels-idx1-ubyte.gz}");
  g_assert_cmpuint (train->n, ==, 60000);
  for (gsize i = 0; i < train->n * train->n_in; i++)
    sum += train->X_bytes[i];
  g_assert_cmpuint (sum, ==, G_GUINT64_CONSTANT (3431114169));
  for (gsize s = 0; s < train->n; s++)
    for (gsize k = 0; k < 10; k++)
      per_class[k] += train->F[s * 10 + k] == 1.0;
  for (gsize k = 0; k < 10; k++)
    g_assert_cmpuint (per_class[k], ==, 6000);
}

/* bpframe run on the real files, 500 rows each, one epoch: it trains and
 * reports a test accuracy. */
static void
test_fashion_mnist_run (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *graph = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto (GStrv) envp = g_get_environ ();
  const char *argv[] = { g_getenv ("BPFRAME"), "run", NULL, NULL };
  int status = 0;

  (void) user_data;
  if (!g_file_test (FASHION_DIR, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("no " FASHION_DIR " (Debian's dataset-fashion-mnist)");
      return;
    }
  graph = bp_test_write_file (f->dir, "fashion.yaml",
    "version: 1\n"
    "network:\n"
    "  input: 784\n"
    "  layers:\n"
    "    - affine: {units: 32, init: he}\n"
    "    - relu\n"
    "    - affine: {units: 10}\n"
    "    - softmax\n"
    "  loss: cross_entropy\n"
    "data:\n"
    "  train: {images: " FASHION_DIR "/train-images-idx3-ubyte.gz,\n"
    "          labels: " FASHION_DIR "/train-labels-idx1-ubyte.gz,\n"
    "          limit: 500}\n"
    "  test: {images: " FASHION_DIR "/t10k-images-idx3-ubyte.gz,\n"
    "         labels: " FASHION_DIR "/t10k-labels-idx1-ubyte.gz,\n"
    "         limit: 500}\n"
    "training:\n"
    "  epochs: 1\n"
    "  batch: 32\n"
    "  optimizer: {sgd: {lr: 0.1}}\n");
  argv[2] = graph;
  envp = g_environ_setenv (envp, "BPFRAME_PLUGIN_PATH", "", TRUE);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, envp, 0, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  /* The epoch's line, then the summary with the accuracy. */
  g_assert_true (g_str_has_prefix (out, "epoch 1/1  loss "));
  g_assert_nonnull (strstr (out, "\ntrained 1 epochs on 500 samples in "));
  g_assert_nonnull (strstr (out, "; test accuracy 0."));
  g_assert_true (g_str_has_suffix (out, " of 500)\n"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, bp_test_fixture_set_up, func, \
              bp_test_fixture_tear_down)
  ADD ("/idx/plain", test_plain);
  ADD ("/idx/gzip", test_gzip);
  ADD ("/idx/gzip-members", test_gzip_members);
  ADD ("/idx/limit", test_limit);
  ADD ("/idx/test-classes", test_test_classes);
  ADD ("/idx/bytes-gather-split", test_bytes_gather_split);
  ADD ("/idx/width", test_width);
  ADD ("/idx/bad-gzip", test_bad_gzip);
  ADD ("/idx/bad-header", test_bad_header);
  ADD ("/idx/missing-file", test_missing_file);
  ADD ("/idx/fashion-mnist", test_fashion_mnist);
  ADD ("/idx/fashion-mnist-full", test_fashion_mnist_full);
  ADD ("/idx/fashion-mnist-run", test_fashion_mnist_run);
#undef ADD
  for (gsize i = 0; i < G_N_ELEMENTS (bad_idx); i++)
    {
      g_autofree char *name = g_strdup_printf ("/idx/bad/%s",
                                               bad_idx[i].name);

      g_test_add (name, Fixture, &bad_idx[i], bp_test_fixture_set_up,
                  test_bad, bp_test_fixture_tear_down);
    }

  return g_test_run ();
}
