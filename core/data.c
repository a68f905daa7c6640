/* Data sets: the CSV files and inline rows that a graph file names, read
 * into inputs X and targets F (IDX files are idx.c's); rows gathered as
 * numbers for the network; and the seeded split that holds out a test
 * set. CSV messages point at the file, line and character column at fault.
 */
#include <string.h>

#include "data.h"
#include "idx.h"

/* Where the values of a CSV column go; 0, 1, ... are target columns in
 * the order the graph lists them. */
enum { ROLE_INPUT = -1, ROLE_LABEL = -2 };

/* One field of a CSV line: its text, trimmed, and the 1-based character
 * column where that text starts (or would, when it is empty). */
typedef struct {
  char *text;
  guint column;
} Field;

/* The state of reading one CSV file, line by line. */
typedef struct {
  const BpGraph *graph;
  const BpDataSpec *spec;
  const char *path;

  char **names;         /* the columns, from the header or "1", "2", ... */
  gsize n_cols;
  guint names_line;     /* the line that set the number of columns */
  int *roles;           /* per column */
  gsize n_in, n_targets;

  GArray *X;            /* bp_real, n x n_in */
  GArray *F;            /* bp_real, n x n_targets, for target columns */
  GArray *labels;       /* guint class index per row, for a label */
  GPtrArray *found;     /* classes in order of first appearance */
  char **given;         /* the training set's classes, or NULL */
  gsize n;
} CsvReader;

static void
csv_error (GError **error, const char *path, guint line, guint column,
           const char *format, ...) G_GNUC_PRINTF (5, 6);

static void
csv_error (GError **error, const char *path, guint line, guint column,
           const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (line > 0)
    g_set_error (error, BP_ERROR, BP_ERROR_DATA, "%s:%u:%u: %s", path, line,
                 column, message);
  else
    g_set_error (error, BP_ERROR, BP_ERROR_DATA, "%s: %s", path, message);
}

static gboolean
is_blank (const char *line)
{
  for (; *line != '\0'; line++)
    if (!g_ascii_isspace (*line))
      return FALSE;
  return TRUE;
}

/* Splits line in place at its commas into fields, counting columns in
 * characters (a UTF-8 continuation byte does not start one). */
static void
split_fields (char *line, GArray *fields)
{
  char *p = line;
  guint column = 1;

  g_array_set_size (fields, 0);
  for (;;)
    {
      Field field;
      char *end;
      gboolean more;

      while (g_ascii_isspace (*p))
        {
          p++;
          column++;
        }
      field.text = p;
      field.column = column;

      while (*p != '\0' && *p != ',')
        {
          if (((guchar) *p & 0xC0) != 0x80)
            column++;
          p++;
        }
      more = *p == ',';
      for (end = p; end > field.text && g_ascii_isspace (end[-1]); end--)
        ;
      *end = '\0';
      g_array_append_val (fields, field);

      if (!more)
        return;
      p++;
      column++;
    }
}

static char *
join_names (char **names)
{
  return g_strjoinv (", ", names);
}

static gssize
find_column (const CsvReader *c, const char *name)
{
  gsize i;

  for (i = 0; i < c->n_cols; i++)
    if (strcmp (c->names[i], name) == 0)
      return (gssize) i;
  return -1;
}

static gboolean
no_column (const CsvReader *c, BpMark mark, const char *name,
           GError **error)
{
  g_autofree char *columns = join_names (c->names);

  bp_graph_error (error, c->graph, mark, "no column '%s' in %s; columns: %s",
                  name, c->path, columns);
  return FALSE;
}

/* Gives every column its role once the columns' names are known. */
static gboolean
assign_roles (CsvReader *c, GError **error)
{
  const BpDataSpec *spec = c->spec;
  BpMark mark = spec->label != NULL ? spec->label_mark : spec->targets_mark;
  gssize column;
  gsize i;

  c->roles = g_new (int, c->n_cols);
  for (i = 0; i < c->n_cols; i++)
    c->roles[i] = ROLE_INPUT;

  if (spec->label != NULL)
    {
      column = find_column (c, spec->label);
      if (column < 0)
        return no_column (c, mark, spec->label, error);
      c->roles[column] = ROLE_LABEL;
      c->n_in = c->n_cols - 1;
    }
  else
    {
      c->n_targets = g_strv_length (spec->targets);
      for (i = 0; i < c->n_targets; i++)
        {
          column = find_column (c, spec->targets[i]);
          if (column < 0)
            return no_column (c, mark, spec->targets[i], error);
          if (c->roles[column] != ROLE_INPUT)
            {
              bp_graph_error (error, c->graph, mark,
                              "column '%s' is listed twice in targets",
                              spec->targets[i]);
              return FALSE;
            }
          c->roles[column] = (int) i;
        }
      c->n_in = c->n_cols - c->n_targets;
    }

  if (c->n_in == 0)
    {
      bp_graph_error (error, c->graph, mark,
                      "every column of %s is a target; none is left for "
                      "the inputs", c->path);
      return FALSE;
    }
  return TRUE;
}

/* The first line that is not blank: the header, or the first row, whose
 * width then names the columns "1", "2", ... */
static gboolean
take_names (CsvReader *c, GArray *fields, guint line, GError **error)
{
  gsize i, j;

  c->n_cols = fields->len;
  c->names_line = line;
  c->names = g_new0 (char *, c->n_cols + 1);
  for (i = 0; i < c->n_cols; i++)
    {
      Field *field = &g_array_index (fields, Field, i);

      if (!c->spec->header)
        {
          c->names[i] = g_strdup_printf ("%zu", i + 1);
          continue;
        }

      if (field->text[0] == '\0')
        {
          csv_error (error, c->path, line, field->column,
                     "empty column name in the header");
          return FALSE;
        }
      for (j = 0; j < i; j++)
        if (strcmp (c->names[j], field->text) == 0)
          {
            csv_error (error, c->path, line, field->column,
                       "duplicate column name '%s' (first at column %u)",
                       field->text,
                       g_array_index (fields, Field, j).column);
            return FALSE;
          }
      c->names[i] = g_strdup (field->text);
    }
  return assign_roles (c, error);
}

/* The class index of a label: one of the given classes, or one found in
 * this file, the new ones appended in order of first appearance. */
static gboolean
class_of (CsvReader *c, const Field *field, guint line, guint *index,
          GError **error)
{
  guint k;

  if (field->text[0] == '\0')
    {
      csv_error (error, c->path, line, field->column,
                 "expected a class label, got an empty field");
      return FALSE;
    }

  if (c->given != NULL)
    {
      g_autofree char *classes = NULL;

      for (k = 0; c->given[k] != NULL; k++)
        if (strcmp (c->given[k], field->text) == 0)
          {
            *index = k;
            return TRUE;
          }
      classes = join_names (c->given);
      csv_error (error, c->path, line, field->column,
                 "class '%s' is not among the training set's classes (%s)",
                 field->text, classes);
      return FALSE;
    }

  for (k = 0; k < c->found->len; k++)
    if (strcmp (g_ptr_array_index (c->found, k), field->text) == 0)
      {
        *index = k;
        return TRUE;
      }
  g_ptr_array_add (c->found, g_strdup (field->text));
  *index = c->found->len - 1;
  return TRUE;
}

/* Reads one data row, walking the columns left to right so that the first
 * bad field on the line is the one reported. */
static gboolean
read_row (CsvReader *c, GArray *fields, guint line, GError **error)
{
  gsize i, row_f;

  if (fields->len != c->n_cols)
    {
      const char *s = fields->len == 1 ? "" : "s";

      if (c->spec->header)
        csv_error (error, c->path, line, 1,
                   "row has %u field%s; the header has %zu", fields->len, s,
                   c->n_cols);
      else
        csv_error (error, c->path, line, 1,
                   "row has %u field%s; line %u has %zu", fields->len, s,
                   c->names_line, c->n_cols);
      return FALSE;
    }

  row_f = c->F->len;
  g_array_set_size (c->F, row_f + c->n_targets);
  for (i = 0; i < c->n_cols; i++)
    {
      Field *field = &g_array_index (fields, Field, i);
      double value;
      bp_real real;

      if (c->roles[i] == ROLE_LABEL)
        {
          guint k;

          if (!class_of (c, field, line, &k, error))
            return FALSE;
          g_array_append_val (c->labels, k);
          continue;
        }

      if (!bp_parse_real (field->text, &value))
        {
          if (field->text[0] == '\0')
            csv_error (error, c->path, line, field->column,
                       "expected a number, got an empty field");
          else
            csv_error (error, c->path, line, field->column,
                       "expected a number, got '%s'", field->text);
          return FALSE;
        }
      real = (bp_real) value;
      if (c->roles[i] == ROLE_INPUT)
        g_array_append_val (c->X, real);
      else
        g_array_index (c->F, bp_real, row_f + (gsize) c->roles[i]) = real;
    }
  c->n++;
  return TRUE;
}

/* Refuses text that is not UTF-8 (or holds a NUL), where columns could
 * not be counted, at the line and column of the first bad byte. */
static gboolean
check_utf8 (const char *path, const char *text, gsize length,
            GError **error)
{
  const char *bad = NULL, *line = text, *p;
  guint line_no = 1;

  if (g_utf8_validate_len (text, length, &bad))
    return TRUE;

  for (p = text; p < bad; p++)
    if (*p == '\n')
      {
        line_no++;
        line = p + 1;
      }
  csv_error (error, path, line_no, (guint) g_utf8_strlen (line, bad - line)
             + 1, "not UTF-8 text");
  return FALSE;
}

static void
csv_reader_clear (CsvReader *c)
{
  g_strfreev (c->names);
  g_free (c->roles);
  g_array_unref (c->X);
  g_array_unref (c->F);
  g_array_unref (c->labels);
  g_ptr_array_unref (c->found);
}

/* The data set that a finished reader holds, targets one-hot for a label
 * column. */
static BpDataset *
csv_dataset (CsvReader *c)
{
  BpDataset *data = g_new0 (BpDataset, 1);
  gsize i;

  data->n = c->n;
  data->n_in = c->n_in;
  data->X = g_array_steal (c->X, NULL);

  if (c->spec->label == NULL)
    {
      data->n_out = c->n_targets;
      data->F = g_array_steal (c->F, NULL);
      return data;
    }

  if (c->given != NULL)
    data->classes = g_strdupv (c->given);
  else
    {
      g_ptr_array_add (c->found, NULL);
      data->classes = (char **) g_ptr_array_steal (c->found, NULL);
    }
  data->n_out = g_strv_length (data->classes);
  data->F = g_new0 (bp_real, data->n * data->n_out);
  for (i = 0; i < data->n; i++)
    data->F[i * data->n_out + g_array_index (c->labels, guint, i)] = 1;
  return data;
}

static BpDataset *
load_csv (const BpGraph *graph, const BpDataSpec *spec, char **classes,
          GError **error)
{
  g_autoptr (GArray) fields = g_array_new (FALSE, FALSE, sizeof (Field));
  g_autofree char *contents = NULL;
  CsvReader c = { 0 };
  BpDataset *data = NULL;
  char *line, *next;
  gsize length = 0;
  guint line_no = 0;

  if (!bp_read_file (spec->csv_path, "data file", &contents, &length,
                     error))
    return NULL;
  if (!check_utf8 (spec->csv_path, contents, length, error))
    return NULL;

  c.graph = graph;
  c.spec = spec;
  c.path = spec->csv_path;
  c.given = spec->label != NULL ? classes : NULL;
  c.X = g_array_new (FALSE, FALSE, sizeof (bp_real));
  c.F = g_array_new (FALSE, FALSE, sizeof (bp_real));
  c.labels = g_array_new (FALSE, FALSE, sizeof (guint));
  c.found = g_ptr_array_new_with_free_func (g_free);

  /* A byte-order mark is an editor's, not part of the first name. */
  line = contents;
  if (g_str_has_prefix (line, "\xEF\xBB\xBF"))
    line += 3;

  for (; line != NULL; line = next)
    {
      char *end = strchr (line, '\n');
      gsize n;

      next = NULL;
      if (end != NULL)
        {
          *end = '\0';
          next = end + 1;
        }
      n = strlen (line);
      if (n > 0 && line[n - 1] == '\r')
        line[n - 1] = '\0';
      line_no++;
      if (is_blank (line))
        continue;

      split_fields (line, fields);
      if (c.names == NULL)
        {
          if (!take_names (&c, fields, line_no, error))
            goto out;
          if (spec->header)
            continue;
        }
      if (!read_row (&c, fields, line_no, error))
        goto out;
      /* The rows after the limit are not read: a quick run should not
       * fail on rows it does not use. */
      if (spec->limit > 0 && c.n == spec->limit)
        break;
    }

  if (c.n == 0)
    csv_error (error, c.path, 0, 0, "no data rows");
  else
    data = csv_dataset (&c);

out:
  csv_reader_clear (&c);
  return data;
}

static BpDataset *
load_inline (const BpGraph *graph, const BpDataSpec *spec, GError **error)
{
  BpDataset *data;
  gsize i;

  if (spec->n_rows == 0)
    {
      bp_graph_error (error, graph, spec->mark,
                      "the inline data set has no rows");
      return NULL;
    }

  data = g_new0 (BpDataset, 1);
  data->n = spec->n_rows;
  data->n_in = spec->n_input_cols;
  data->n_out = spec->n_output_cols;
  data->X = g_new (bp_real, data->n * data->n_in);
  data->F = g_new (bp_real, data->n * data->n_out);
  for (i = 0; i < data->n * data->n_in; i++)
    data->X[i] = (bp_real) spec->inputs[i];
  for (i = 0; i < data->n * data->n_out; i++)
    data->F[i] = (bp_real) spec->outputs[i];
  return data;
}

BpDataset *
bp_dataset_load (const BpGraph *graph, const BpDataSpec *spec,
                 char **classes, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  switch (spec->kind)
    {
    case BP_DATA_CSV:
      g_return_val_if_fail (spec->csv_path != NULL, NULL);
      g_return_val_if_fail ((spec->label == NULL) != (spec->targets == NULL),
                            NULL);
      return load_csv (graph, spec, classes, error);
    case BP_DATA_INLINE:
      return load_inline (graph, spec, error);
    case BP_DATA_IDX:
      g_return_val_if_fail (spec->images_path != NULL
                            && spec->labels_path != NULL, NULL);
      return bp_idx_load (spec, classes, error);
    case BP_DATA_NONE:
    default:
      g_return_val_if_reached (NULL);
    }
}

void
bp_dataset_gather (const BpDataset *data, const guint *rows, gsize first,
                   gsize n, bp_real *X, bp_real *F)
{
  bp_real from_byte[256];
  gsize n_in, n_out;

  g_return_if_fail (data != NULL);
  g_return_if_fail ((data->X == NULL) != (data->X_bytes == NULL));
  g_return_if_fail (rows != NULL || first + n <= data->n);

  n_in = data->n_in;
  n_out = data->n_out;
  if (X != NULL && data->X_bytes != NULL)
    for (guint b = 0; b < 256; b++)
      from_byte[b] = (bp_real) ((double) b / data->X_divisor);

  for (gsize s = 0; s < n; s++)
    {
      gsize row = rows != NULL ? rows[first + s] : first + s;

      g_return_if_fail (row < data->n);
      if (X != NULL && data->X != NULL)
        memcpy (X + s * n_in, data->X + row * n_in, n_in * sizeof *X);
      else if (X != NULL)
        {
          const guint8 *bytes = data->X_bytes + row * n_in;

          for (gsize j = 0; j < n_in; j++)
            X[s * n_in + j] = from_byte[bytes[j]];
        }
      if (F != NULL)
        memcpy (F + s * n_out, data->F + row * n_out, n_out * sizeof *F);
    }
}

void
bp_dataset_split (BpDataset *data, double fraction, guint64 seed,
                  BpDataset **test)
{
  g_autoptr (GRand) rand = NULL;
  g_autofree gsize *order = NULL;
  g_autofree gboolean *held_out = NULL;
  guint32 seed_words[2];
  BpDataset *out;
  gsize n, n_in, n_out, n_test, kept, i, row_size;
  guint8 *from, *to;

  g_return_if_fail (test != NULL);
  *test = NULL;
  g_return_if_fail (data != NULL);
  g_return_if_fail (data->n >= 2 && data->n <= G_MAXINT32);
  g_return_if_fail (fraction > 0 && fraction < 1);

  n = data->n;
  n_in = data->n_in;
  n_out = data->n_out;

  /* round (fraction n), leaving at least one row on either side. */
  n_test = (gsize) (fraction * (double) n + 0.5);
  n_test = CLAMP (n_test, 1, n - 1);

  /* A partial Fisher-Yates shuffle: its first n_test places are a uniform
   * sample. Both halves of the 64-bit seed count. */
  seed_words[0] = (guint32) (seed & G_MAXUINT32);
  seed_words[1] = (guint32) (seed >> 32);
  rand = g_rand_new_with_seed_array (seed_words, 2);
  order = g_new (gsize, n);
  for (i = 0; i < n; i++)
    order[i] = i;
  for (i = 0; i < n_test; i++)
    {
      gsize j = (gsize) g_rand_int_range (rand, (gint32) i, (gint32) n);
      gsize swap = order[i];

      order[i] = order[j];
      order[j] = swap;
    }
  held_out = g_new0 (gboolean, n);
  for (i = 0; i < n_test; i++)
    held_out[order[i]] = TRUE;

  /* Both sets keep their rows in the original order: the test rows are
   * copied out, the rest close up in place. The inputs move as they are
   * stored, numbers or bytes. */
  out = g_new0 (BpDataset, 1);
  out->n_in = n_in;
  out->n_out = n_out;
  out->X_divisor = data->X_divisor;
  row_size = n_in * (data->X != NULL ? sizeof (bp_real) : 1);
  from = data->X != NULL ? (guint8 *) data->X : data->X_bytes;
  to = g_malloc (n_test * row_size);
  if (data->X != NULL)
    out->X = (bp_real *) to;
  else
    out->X_bytes = to;
  out->F = g_new (bp_real, n_test * n_out);
  out->classes = g_strdupv (data->classes);
  kept = 0;
  for (i = 0; i < n; i++)
    {
      BpDataset *into = held_out[i] ? out : data;
      guint8 *inputs = held_out[i] ? to : from;
      gsize row = held_out[i] ? out->n++ : kept++;

      memmove (inputs + row * row_size, from + i * row_size, row_size);
      memmove (into->F + row * n_out, data->F + i * n_out,
               n_out * sizeof (bp_real));
    }

  data->n = kept;
  if (data->X != NULL)
    data->X = g_renew (bp_real, data->X, kept * n_in);
  else
    data->X_bytes = g_renew (guint8, data->X_bytes, kept * n_in);
  data->F = g_renew (bp_real, data->F, kept * n_out);
  *test = out;
}

void
bp_dataset_free (BpDataset *data)
{
  if (data == NULL)
    return;

  g_free (data->X);
  g_free (data->X_bytes);
  g_free (data->F);
  g_strfreev (data->classes);
  g_free (data);
}
