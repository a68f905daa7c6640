/* Unit tests of the data readers (core/data.c): CSV files with and without
 * a header, label and target columns, inline rows, the messages of bad
 * files, and the seeded split into training and test sets.
 */
#include <errno.h>
#include <string.h>

#include "data.h"
#include "testutil.h"

/* Each test gets a folder of its own (f->dir), removed afterwards. */
typedef BpTestFixture Fixture;

static void
assert_reals (const bp_real *values, const double *expected, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (values[i], expected[i], 1e-12);
}

/* Checks that loading the training set fails with this code and this
 * message, where "CSV" stands for the CSV file's path and "GRAPH" for the
 * graph's. */
static void
assert_train_fails (const Fixture *f, const BpGraph *graph, int code,
                    const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BpDataset) data = NULL;
  g_autofree char *csv = g_build_filename (f->dir, "iris.csv", NULL);
  g_autoptr (GString) expected = g_string_new (message);

  g_string_replace (expected, "CSV", csv, 0);
  g_string_replace (expected, "GRAPH", graph->path, 0);
  data = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_null (data);
  g_assert_error (error, BP_ERROR, code);
  g_assert_cmpstr (error->message, ==, expected->str);
}

/* Header names padded with spaces, '\r\n' endings, blank lines and one
 * of spaces only, and a last line without its newline. */
static const char iris_csv[] =
  "sepal_length, sepal_width ,petal_length,petal_width,species\r\n"
  "5.1,3.5,1.4,0.2,setosa\r\n"
  "\r\n"
  "7.0,3.2,4.7,1.4,versicolor\n"
  "   \n"
  " 4.9 , 3.0,1.4,0.2, setosa \n"
  "6.3,3.3,6.0,2.5,virginica\n"
  "6.4,3.2,4.5,1.5,versicolor";

static void
test_one_hot (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *csv = bp_test_write_file (f->dir, "iris.csv", iris_csv);
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir,
    "{csv: iris.csv, label: species}", NULL);
  g_autoptr (BpDataset) data = NULL;
  static const double X[] = {
    5.1, 3.5, 1.4, 0.2,
    7.0, 3.2, 4.7, 1.4,
    4.9, 3.0, 1.4, 0.2,
    6.3, 3.3, 6.0, 2.5,
    6.4, 3.2, 4.5, 1.5,
  };
  static const double F[] = {
    1, 0, 0,
    0, 1, 0,
    1, 0, 0,
    0, 0, 1,
    0, 1, 0,
  };

  (void) user_data;
  data = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (data);

  g_assert_cmpuint (data->n, ==, 5);
  g_assert_cmpuint (data->n_in, ==, 4);
  g_assert_cmpuint (data->n_out, ==, 3);
  g_assert_nonnull (data->classes);
  g_assert_cmpuint (g_strv_length (data->classes), ==, 3);
  g_assert_cmpstr (data->classes[0], ==, "setosa");
  g_assert_cmpstr (data->classes[1], ==, "versicolor");
  g_assert_cmpstr (data->classes[2], ==, "virginica");
  assert_reals (data->X, X, G_N_ELEMENTS (X));
  assert_reals (data->F, F, G_N_ELEMENTS (F));
}

/* limit: the first rows only (blank lines and the header not counted);
 * the classes are those of the rows read, and a bad row after them is
 * not read. */
static void
test_limit (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = g_strconcat (iris_csv, "\n1,2,3,x,setosa\n",
                                       NULL);
  g_autofree char *csv = bp_test_write_file (f->dir, "iris.csv", text);
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir,
    "{csv: iris.csv, label: species, limit: 2}", NULL);
  g_autoptr (BpDataset) data = NULL;
  static const double X[] = { 5.1, 3.5, 1.4, 0.2, 7.0, 3.2, 4.7, 1.4 };
  static const double F[] = { 1, 0, 0, 1 };

  (void) user_data;
  data = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (data->n, ==, 2);
  g_assert_cmpuint (data->n_out, ==, 2);
  g_assert_cmpstr (data->classes[1], ==, "versicolor");
  g_assert_null (data->X_bytes);
  assert_reals (data->X, X, G_N_ELEMENTS (X));
  assert_reals (data->F, F, G_N_ELEMENTS (F));
}

/* bp_dataset_gather on numbers: the chosen rows' exact values. */
static void
test_gather (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *csv = bp_test_write_file (f->dir, "iris.csv", iris_csv);
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir,
    "{csv: iris.csv, label: species}", NULL);
  g_autoptr (BpDataset) data = NULL;
  static const guint rows[] = { 4, 1, 3 };
  static const double X[] = { 7.0, 3.2, 4.7, 1.4, 6.3, 3.3, 6.0, 2.5 };
  static const double F[] = { 0, 1, 0, 0, 0, 1 };
  bp_real gathered_X[8], gathered_F[6];

  (void) user_data;
  data = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_no_error (error);
  bp_dataset_gather (data, rows, 1, 2, gathered_X, gathered_F);
  assert_reals (gathered_X, X, G_N_ELEMENTS (X));
  assert_reals (gathered_F, F, G_N_ELEMENTS (F));
  bp_dataset_gather (data, NULL, 1, 2, gathered_X, NULL);
  assert_reals (gathered_X, data->X + 4, 8);
}

/* A test file takes the training set's classes and their order, whatever
 * order its own rows bring them in. */
static void
test_test_classes (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *csv = bp_test_write_file (f->dir, "iris.csv", iris_csv);
  g_autofree char *test_csv = bp_test_write_file (f->dir, "iris-test.csv",
    "sepal_length,sepal_width,petal_length,petal_width,species\n"
    "6.3,3.3,6.0,2.5,virginica\n"
    "5.0,3.4,1.5,0.2,setosa\n");
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir,
    "{csv: iris.csv, label: species}",
    "{csv: iris-test.csv, label: species}");
  g_autoptr (BpDataset) train = NULL;
  g_autoptr (BpDataset) test = NULL;
  static const double F[] = { 0, 0, 1, 1, 0, 0 };

  (void) user_data;
  train = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_no_error (error);
  test = bp_dataset_load (graph, &graph->test, train->classes, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (test->n, ==, 2);
  g_assert_cmpuint (test->n_out, ==, 3);
  g_assert_true (test->classes != train->classes);
  g_assert_cmpuint (g_strv_length (test->classes), ==, 3);
  g_assert_cmpstr (test->classes[0], ==, "setosa");
  g_assert_cmpstr (test->classes[2], ==, "virginica");
  assert_reals (test->F, F, G_N_ELEMENTS (F));
}

static void
test_unknown_class (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *csv = bp_test_write_file (f->dir, "iris.csv", iris_csv);
  g_autofree char *test_csv = bp_test_write_file (f->dir, "iris-test.csv",
    "sepal_length,sepal_width,petal_length,petal_width,species\n"
    "6.3,3.3,6.0,2.5,virginica\n"
    "5.0,3.4,1.5,0.2,setosa\n"
    "5.9,3.0,5.1,1.8,  foo\n");
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir,
    "{csv: iris.csv, label: species}",
    "{csv: iris-test.csv, label: species}");
  g_autoptr (BpDataset) train = NULL;
  g_autoptr (BpDataset) test = NULL;
  g_autofree char *message = g_strdup_printf (
    "%s:4:19: class 'foo' is not among the training set's classes "
    "(setosa, versicolor, virginica)", test_csv);

  (void) user_data;
  train = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_no_error (error);
  test = bp_dataset_load (graph, &graph->test, train->classes, &error);
  g_assert_null (test);
  g_assert_error (error, BP_ERROR, BP_ERROR_DATA);
  g_assert_cmpstr (error->message, ==, message);
}

/* Target columns come out in the order the graph lists them; every other
 * column is an input, in file order. */
static void
test_targets (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *csv = bp_test_write_file (f->dir, "iris.csv",
    "a,x,b,y\n"
    "1,2,3,4\n"
    "5,6,7,8\n");
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir,
    "{csv: iris.csv, targets: [b, a]}", NULL);
  g_autoptr (BpDataset) data = NULL;
  static const double X[] = { 2, 4, 6, 8 };
  static const double F[] = { 3, 1, 7, 5 };

  (void) user_data;
  data = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (data->n, ==, 2);
  g_assert_cmpuint (data->n_in, ==, 2);
  g_assert_cmpuint (data->n_out, ==, 2);
  g_assert_null (data->classes);
  assert_reals (data->X, X, G_N_ELEMENTS (X));
  assert_reals (data->F, F, G_N_ELEMENTS (F));
}

/* Without a header the columns are "1", "2", ...; a label's values stay
 * text, so 0 and 1 are classes in order of appearance. */
static void
test_no_header (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *csv = bp_test_write_file (f->dir, "iris.csv",
    "5.1,3.5,1\n"
    "4.9,3.0,0\n"
    "6.2,2.9,1\n");
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir,
    "{csv: iris.csv, header: false, label: 3}", NULL);
  g_autoptr (BpDataset) data = NULL;
  static const double X[] = { 5.1, 3.5, 4.9, 3.0, 6.2, 2.9 };
  static const double F[] = { 1, 0, 0, 1, 1, 0 };

  (void) user_data;
  data = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (data->n, ==, 3);
  g_assert_cmpuint (data->n_in, ==, 2);
  g_assert_cmpuint (data->n_out, ==, 2);
  g_assert_cmpuint (g_strv_length (data->classes), ==, 2);
  g_assert_cmpstr (data->classes[0], ==, "1");
  g_assert_cmpstr (data->classes[1], ==, "0");
  assert_reals (data->X, X, G_N_ELEMENTS (X));
  assert_reals (data->F, F, G_N_ELEMENTS (F));
}

static void
test_inline (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir,
    "{inputs: [[0, 0], [0, 1], [1, 1]], targets: [[1, 0], [0, 1], [1, 0]]}",
    NULL);
  g_autoptr (BpDataset) data = NULL;
  static const double X[] = { 0, 0, 0, 1, 1, 1 };
  static const double F[] = { 1, 0, 0, 1, 1, 0 };

  (void) user_data;
  data = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (data->n, ==, 3);
  g_assert_cmpuint (data->n_in, ==, 2);
  g_assert_cmpuint (data->n_out, ==, 2);
  g_assert_null (data->classes);
  assert_reals (data->X, X, G_N_ELEMENTS (X));
  assert_reals (data->F, F, G_N_ELEMENTS (F));
}

static void
test_inline_empty (Fixture *f, gconstpointer user_data)
{
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir,
    "{inputs: [], targets: []}", NULL);

  (void) user_data;
  assert_train_fails (f, graph, BP_ERROR_GRAPH,
                      "GRAPH:4:10: the inline data set has no rows");
}

/* A CSV file, the data set's spec and the message it must give. */
typedef struct {
  const char *name;
  const char *csv;
  const char *train;
  int code;
  const char *message;
} BadData;

#define IRIS_HEADER \
  "sepal_length,sepal_width,petal_length,petal_width,species\n"
#define IRIS_LABEL "{csv: iris.csv, label: species}"

static const BadData bad_data[] = {
  { "not-a-number", IRIS_HEADER "5.1,3.5,1.4,0.2,setosa\n"
    "5.1,abc,1.4,0.2,setosa\n", IRIS_LABEL, BP_ERROR_DATA,
    "CSV:3:5: expected a number, got 'abc'" },
  { "not-a-number-padded", IRIS_HEADER "5.1,  4x ,1.4,0.2,setosa\n",
    IRIS_LABEL, BP_ERROR_DATA, "CSV:2:7: expected a number, got '4x'" },
  { "nan", IRIS_HEADER "5.1,3.5,nan,0.2,setosa\n", IRIS_LABEL,
    BP_ERROR_DATA, "CSV:2:9: expected a number, got 'nan'" },
  { "empty-field", IRIS_HEADER "5.1,3.5,,0.2,setosa\n", IRIS_LABEL,
    BP_ERROR_DATA, "CSV:2:9: expected a number, got an empty field" },
  { "empty-label", IRIS_HEADER "5.1,3.5,1.4,0.2, \n", IRIS_LABEL,
    BP_ERROR_DATA, "CSV:2:18: expected a class label, got an empty field" },
  { "columns-in-characters", "a,name,b\n1.0,\xc3\xbc" "ber,x\n",
    "{csv: iris.csv, label: name}", BP_ERROR_DATA,
    "CSV:2:10: expected a number, got 'x'" },
  { "ragged", IRIS_HEADER "5.1,3.5,1.4,0.2,setosa\n\n1,2,3,setosa\n",
    IRIS_LABEL, BP_ERROR_DATA, "CSV:4:1: row has 4 fields; the header has 5" },
  { "ragged-no-header", "\n1,2,a\n1,2\n",
    "{csv: iris.csv, header: false, label: 3}", BP_ERROR_DATA,
    "CSV:3:1: row has 2 fields; line 2 has 3" },
  { "unknown-label", IRIS_HEADER "5.1,3.5,1.4,0.2,setosa\n",
    "{csv: iris.csv, label: specie}", BP_ERROR_GRAPH,
    "GRAPH:4:33: no column 'specie' in CSV; columns: sepal_length, "
    "sepal_width, petal_length, petal_width, species" },
  { "unknown-target", "a,x,b\n1,2,3\n", "{csv: iris.csv, targets: [b, q]}",
    BP_ERROR_GRAPH, "GRAPH:4:35: no column 'q' in CSV; columns: a, x, b" },
  { "no-inputs", "a,b\n1,2\n", "{csv: iris.csv, targets: [a, b]}",
    BP_ERROR_GRAPH, "GRAPH:4:35: every column of CSV is a target; none is "
    "left for the inputs" },
  { "header-only", IRIS_HEADER "\n  \n", IRIS_LABEL, BP_ERROR_DATA,
    "CSV: no data rows" },
  { "empty-file", "", IRIS_LABEL, BP_ERROR_DATA, "CSV: no data rows" },
  { "duplicate-name", "a,b,a\n1,2,3\n", "{csv: iris.csv, label: b}",
    BP_ERROR_DATA, "CSV:1:5: duplicate column name 'a' (first at column 1)" },
  { "empty-name", "a,,b\n1,2,3\n", "{csv: iris.csv, label: b}",
    BP_ERROR_DATA, "CSV:1:3: empty column name in the header" },
  { "not-utf8", "a,b,y\n1,\xff,c\n", "{csv: iris.csv, label: y}",
    BP_ERROR_DATA, "CSV:2:3: not UTF-8 text" },
};

static void
test_bad (Fixture *f, gconstpointer user_data)
{
  const BadData *bad = user_data;
  g_autofree char *csv = bp_test_write_file (f->dir, "iris.csv", bad->csv);
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir, bad->train,
                                                       NULL);

  assert_train_fails (f, graph, bad->code, bad->message);
}

static void
test_missing_file (Fixture *f, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BpGraph) graph = bp_test_load_data_graph (f->dir, IRIS_LABEL,
                                                       NULL);
  g_autoptr (BpDataset) data = NULL;
  g_autofree char *csv = g_build_filename (f->dir, "iris.csv", NULL);
  g_autofree char *message = g_strdup_printf (
    "%s: cannot read the data file: %s", csv, g_strerror (ENOENT));

  (void) user_data;
  data = bp_dataset_load (graph, &graph->train, NULL, &error);
  g_assert_null (data);
  g_assert_error (error, BP_ERROR, BP_ERROR_IO);
  g_assert_cmpstr (error->message, ==, message);
}

/* n rows: x = (i, -i), f = 10 i, so that every row says where it came
 * from. */
static BpDataset *
numbered (gsize n)
{
  BpDataset *data = g_new0 (BpDataset, 1);
  gsize i;

  data->n = n;
  data->n_in = 2;
  data->n_out = 1;
  data->X = g_new (bp_real, n * 2);
  data->F = g_new (bp_real, n);
  for (i = 0; i < n; i++)
    {
      data->X[2 * i] = (bp_real) i;
      data->X[2 * i + 1] = -(bp_real) i;
      data->F[i] = (bp_real) (10 * i);
    }
  data->classes = g_strsplit ("a b", " ", -1);
  return data;
}

/* The rows' numbers, after checking each row is intact. */
static GArray *
row_numbers (const BpDataset *data)
{
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (guint));
  gsize i;

  for (i = 0; i < data->n; i++)
    {
      guint row = (guint) data->X[2 * i];

      g_assert_cmpfloat (data->X[2 * i + 1], ==, -(bp_real) row);
      g_assert_cmpfloat (data->F[i], ==, (bp_real) (10 * row));
      g_array_append_val (rows, row);
    }
  return rows;
}

/* Splits numbered (n) and returns the held-out rows' numbers, checking
 * the sizes, the order on both sides and that together they are all the
 * rows once. */
static GArray *
split_rows (gsize n, double fraction, guint64 seed, gsize n_test)
{
  g_autoptr (BpDataset) data = numbered (n);
  g_autoptr (BpDataset) test = NULL;
  g_autoptr (GArray) kept = NULL;
  g_autofree gboolean *seen = g_new0 (gboolean, n);
  GArray *held = NULL;
  gsize i;

  bp_dataset_split (data, fraction, seed, &test);
  g_assert_nonnull (test);
  g_assert_cmpuint (test->n, ==, n_test);
  g_assert_cmpuint (data->n, ==, n - n_test);
  g_assert_cmpuint (test->n_in, ==, 2);
  g_assert_cmpuint (test->n_out, ==, 1);
  g_assert_true (test->classes != data->classes);
  g_assert_cmpuint (g_strv_length (test->classes), ==, 2);
  g_assert_cmpstr (test->classes[1], ==, "b");

  kept = row_numbers (data);
  held = row_numbers (test);
  for (i = 0; i < kept->len; i++)
    {
      guint row = g_array_index (kept, guint, i);

      g_assert_false (seen[row]);
      seen[row] = TRUE;
      if (i > 0)
        g_assert_cmpuint (row, >, g_array_index (kept, guint, i - 1));
    }
  for (i = 0; i < held->len; i++)
    {
      guint row = g_array_index (held, guint, i);

      g_assert_false (seen[row]);
      seen[row] = TRUE;
      if (i > 0)
        g_assert_cmpuint (row, >, g_array_index (held, guint, i - 1));
    }
  for (i = 0; i < n; i++)
    g_assert_true (seen[i]);
  return held;
}

static gboolean
same_rows (const GArray *a, const GArray *b)
{
  return a->len == b->len
         && memcmp (a->data, b->data, a->len * sizeof (guint)) == 0;
}

static void
test_split (void)
{
  guint64 high = G_GUINT64_CONSTANT (1) << 32;
  g_autoptr (GArray) first = split_rows (10, 0.3, 7, 3);
  g_autoptr (GArray) again = split_rows (10, 0.3, 7, 3);
  g_autoptr (GArray) other = split_rows (10, 0.3, 8, 3);
  g_autoptr (GArray) low = split_rows (100, 0.2, 5, 20);
  g_autoptr (GArray) wide = split_rows (100, 0.2, 5 + high, 20);

  /* The same seed, the same rows; another seed, others; the seed's upper
   * 32 bits count too. */
  g_assert_true (same_rows (first, again));
  g_assert_false (same_rows (first, other));
  g_assert_false (same_rows (low, wide));

  /* round (fraction n), kept within [1, n - 1]. */
  g_array_unref (split_rows (10, 0.25, 1, 3));
  g_array_unref (split_rows (10, 0.01, 1, 1));
  g_array_unref (split_rows (10, 0.99, 1, 9));
  g_array_unref (split_rows (2, 0.5, 1, 1));
}

int
main (int argc, char *argv[])
{
  gsize i;

  g_test_init (&argc, &argv, NULL);

  g_test_add ("/data/one-hot", Fixture, NULL, bp_test_fixture_set_up,
              test_one_hot, bp_test_fixture_tear_down);
  g_test_add ("/data/test-classes", Fixture, NULL, bp_test_fixture_set_up,
              test_test_classes, bp_test_fixture_tear_down);
  g_test_add ("/data/limit", Fixture, NULL, bp_test_fixture_set_up,
              test_limit, bp_test_fixture_tear_down);
  g_test_add ("/data/gather", Fixture, NULL, bp_test_fixture_set_up,
              test_gather, bp_test_fixture_tear_down);
  g_test_add ("/data/unknown-class", Fixture, NULL, bp_test_fixture_set_up,
              test_unknown_class, bp_test_fixture_tear_down);
  g_test_add ("/data/targets", Fixture, NULL, bp_test_fixture_set_up,
              test_targets, bp_test_fixture_tear_down);
  g_test_add ("/data/no-header", Fixture, NULL, bp_test_fixture_set_up,
              test_no_header, bp_test_fixture_tear_down);
  g_test_add ("/data/inline", Fixture, NULL, bp_test_fixture_set_up,
              test_inline, bp_test_fixture_tear_down);
  g_test_add ("/data/inline-empty", Fixture, NULL, bp_test_fixture_set_up,
              test_inline_empty, bp_test_fixture_tear_down);
  g_test_add ("/data/missing-file", Fixture, NULL, bp_test_fixture_set_up,
              test_missing_file, bp_test_fixture_tear_down);
  for (i = 0; i < G_N_ELEMENTS (bad_data); i++)
    {
      g_autofree char *name = g_strdup_printf ("/data/bad/%s",
                                               bad_data[i].name);

      g_test_add (name, Fixture, &bad_data[i], bp_test_fixture_set_up,
                  test_bad, bp_test_fixture_tear_down);
    }
  g_test_add_func ("/data/split", test_split);

  return g_test_run ();
}
