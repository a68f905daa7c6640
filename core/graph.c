/* The graph-file reader: libyaml loads the document, and a walk of its
 * nodes against format version 1 fills a BpGraph, keeping the line and
 * column of every value that a later stage may have to point at.
 */
#include <math.h>
#include <string.h>

#include <yaml.h>

#include "graph.h"

/* Scalars longer than this many characters are shortened in messages. */
#define QUOTE_MAX 40

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (yaml_document_t, yaml_document_delete)

/* What every step of the walk needs: the graph being filled (its path and
 * folder name files and messages) and the document its nodes live in. */
typedef struct {
  BpGraph *graph;
  yaml_document_t *doc;
} Reader;

/* The keys each mapping accepts, in the order messages list them. */
static const char *const top_keys[] = {
  "version", "plugin_path", "network", "data", "training", "output", NULL
};
static const char *const network_keys[] = {
  "input", "layers", "loss", NULL
};
static const char *const data_keys[] = {
  "train", "test", "test_fraction", NULL
};
static const char *const csv_keys[] = {
  "csv", "header", "label", "targets", "limit", NULL
};
static const char *const idx_keys[] = { "images", "labels", "limit", NULL };
static const char *const inline_keys[] = { "inputs", "targets", NULL };
static const char *const any_data_keys[] = {
  "csv", "header", "label", "targets", "images", "labels", "limit",
  "inputs", NULL
};
static const char *const training_keys[] = {
  "epochs", "batch", "optimizer", "schedule", "weight_decay", "update",
  "seed", "shuffle", "threads", NULL
};
static const char *const sgd_keys[] = { "lr", NULL };
static const char *const momentum_keys[] = {
  "lr", "momentum", "nesterov", NULL
};
static const char *const adam_keys[] = {
  "lr", "beta1", "beta2", "epsilon", NULL
};
static const char *const step_keys[] = { "every", "factor", NULL };
static const char *const cosine_keys[] = { "min_lr", NULL };
static const char *const output_keys[] = { "model", NULL };
static const char *const solve_keys[] = {
  "solve", "target", "rule", "lr", "start", "updates", "tolerance", "name",
  NULL
};
/* What solve mode has no use for, at the top level and in output. */
static const char *const solve_unused_top[] = { "data", NULL };
static const char *const solve_unused_output[] = { "model", NULL };

static BpMark
mark_of (const yaml_node_t *node)
{
  BpMark mark;

  /* libyaml counts from 0; editors and messages count from 1. */
  mark.line = (guint) node->start_mark.line + 1;
  mark.column = (guint) node->start_mark.column + 1;
  return mark;
}

static yaml_node_t *
node_get (const Reader *r, yaml_node_item_t id)
{
  return yaml_document_get_node (r->doc, id);
}

static const char *
scalar_text (const yaml_node_t *node)
{
  return (const char *) node->data.scalar.value;
}

static gsize
n_items (const yaml_node_t *sequence)
{
  return (gsize) (sequence->data.sequence.items.top
                  - sequence->data.sequence.items.start);
}

static gsize
n_pairs (const yaml_node_t *mapping)
{
  return (gsize) (mapping->data.mapping.pairs.top
                  - mapping->data.mapping.pairs.start);
}

/* YAML's null: nothing at all, ~ or null, unquoted. */
static gboolean
is_null (const yaml_node_t *node)
{
  static const char *const nulls[] = {
    "", "~", "null", "Null", "NULL", NULL
  };

  return node->type == YAML_SCALAR_NODE
         && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
         && g_strv_contains (nulls, scalar_text (node));
}

/* A scalar with some text in it: a name, a number, a path. */
static gboolean
is_text (const yaml_node_t *node)
{
  return node->type == YAML_SCALAR_NODE && !is_null (node)
         && scalar_text (node)[0] != '\0';
}

/* How a value reads after "got" in a message. */
static char *
describe (const yaml_node_t *node)
{
  const char *text;

  if (node->type == YAML_SEQUENCE_NODE)
    return g_strdup (n_items (node) == 0 ? "an empty list" : "a list");
  if (node->type == YAML_MAPPING_NODE)
    return g_strdup (n_pairs (node) == 0 ? "an empty mapping" : "a mapping");

  text = scalar_text (node);
  if (text[0] == '\0' && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
    return g_strdup ("nothing");
  if (g_utf8_strlen (text, -1) > QUOTE_MAX)
    {
      g_autofree char *head = g_utf8_substring (text, 0, QUOTE_MAX - 3);

      return g_strdup_printf ("'%s...'", head);
    }
  return g_strdup_printf ("'%s'", text);
}

/* "NAME: expected WHAT, got VALUE" at the value; without NAME for a value
 * that has none. Returns FALSE for the caller to pass on. */
static gboolean
expected (const Reader *r, const char *name, const yaml_node_t *node,
          const char *what, GError **error)
{
  g_autofree char *got = describe (node);

  if (name != NULL)
    bp_graph_error (error, r->graph, mark_of (node),
                    "%s: expected %s, got %s", name, what, got);
  else
    bp_graph_error (error, r->graph, mark_of (node), "expected %s, got %s",
                    what, got);
  return FALSE;
}

/* Checks that every key of map is a name, written once, and one of
 * allowed (any name when allowed is NULL); where says "in training". */
static gboolean
check_keys (const Reader *r, const yaml_node_t *map, const char *where,
            const char *const *allowed, GError **error)
{
  yaml_node_pair_t *start = map->data.mapping.pairs.start;
  yaml_node_pair_t *pair, *earlier;

  for (pair = start; pair < map->data.mapping.pairs.top; pair++)
    {
      yaml_node_t *key = node_get (r, pair->key);
      const char *name;

      if (!is_text (key))
        {
          g_autofree char *what = g_strdup_printf ("a key name %s", where);

          return expected (r, NULL, key, what, error);
        }
      name = scalar_text (key);

      if (allowed != NULL && !g_strv_contains (allowed, name))
        {
          g_autofree char *names = g_strjoinv (", ", (char **) allowed);

          bp_graph_error (error, r->graph, mark_of (key),
                          "unknown key '%s' %s; expected one of %s", name,
                          where, names);
          return FALSE;
        }

      /* Earlier keys have passed the checks above: all are text. */
      for (earlier = start; earlier < pair; earlier++)
        {
          yaml_node_t *first = node_get (r, earlier->key);

          if (strcmp (scalar_text (first), name) == 0)
            {
              bp_graph_error (error, r->graph, mark_of (key),
                              "duplicate key '%s' (first at line %u)", name,
                              mark_of (first).line);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* The value of key name in map, or NULL; its key node in *key_out. */
static yaml_node_t *
find_value (const Reader *r, const yaml_node_t *map, const char *name,
            yaml_node_t **key_out)
{
  yaml_node_pair_t *pair;

  for (pair = map->data.mapping.pairs.start;
       pair < map->data.mapping.pairs.top; pair++)
    {
      yaml_node_t *key = node_get (r, pair->key);

      if (key->type == YAML_SCALAR_NODE
          && strcmp (scalar_text (key), name) == 0)
        {
          if (key_out != NULL)
            *key_out = key;
          return node_get (r, pair->value);
        }
    }
  return NULL;
}

/* Refuses the first key of map, in the file's order, that is one of
 * unused: a key that solve mode has no use for. */
static gboolean
refuse_unused (const Reader *r, const yaml_node_t *map,
               const char *const *unused, GError **error)
{
  yaml_node_pair_t *pair;

  for (pair = map->data.mapping.pairs.start;
       pair < map->data.mapping.pairs.top; pair++)
    {
      yaml_node_t *key = node_get (r, pair->key);

      if (is_text (key) && g_strv_contains (unused, scalar_text (key)))
        {
          bp_graph_error (error, r->graph, mark_of (key),
                          "%s is not used when training solves for the "
                          "input", scalar_text (key));
          return FALSE;
        }
    }
  return TRUE;
}

/* As find_value, for a key that must be there: its absence is reported at
 * the mapping that lacks it. */
static yaml_node_t *
require_value (const Reader *r, const yaml_node_t *map, const char *name,
               const char *where, GError **error)
{
  yaml_node_t *value = find_value (r, map, name, NULL);

  if (value == NULL)
    bp_graph_error (error, r->graph, mark_of (map),
                    "missing required key '%s' %s", name, where);
  return value;
}

static gboolean
require_mapping (const Reader *r, const char *name, const yaml_node_t *node,
                 GError **error)
{
  if (node->type == YAML_MAPPING_NODE)
    return TRUE;
  return expected (r, name, node, "a mapping", error);
}

/* Reads an integer in [min, max]; what names the range for messages. */
static gboolean
read_unsigned (const Reader *r, const char *name, const yaml_node_t *node,
               guint64 min, guint64 max, const char *what, guint64 *out,
               GError **error)
{
  g_autoptr (GError) parse_error = NULL;
  guint64 value = 0;
  gboolean parsed;

  parsed = node->type == YAML_SCALAR_NODE
           && g_ascii_string_to_unsigned (scalar_text (node), 10, 0,
                                          G_MAXUINT64, &value, &parse_error);

  /* Beyond 64 bits is out of bounds even for the widest range. */
  if ((parsed && value > max)
      || (parse_error != NULL
          && parse_error->code == G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
    {
      bp_graph_error (error, r->graph, mark_of (node),
                      "%s: %s is too large; at most %" G_GUINT64_FORMAT,
                      name, scalar_text (node), max);
      return FALSE;
    }
  if (!parsed || value < min)
    return expected (r, name, node, what, error);

  *out = value;
  return TRUE;
}

/* Reads a number strictly between above and below. */
static gboolean
read_real (const Reader *r, const char *name, const yaml_node_t *node,
           double above, double below, const char *what, double *out,
           GError **error)
{
  double value = 0;

  if (node->type != YAML_SCALAR_NODE
      || !bp_parse_real (scalar_text (node), &value)
      || !(value > above) || !(value < below))
    return expected (r, name, node, what, error);
  *out = value;
  return TRUE;
}

static gboolean
read_bool (const Reader *r, const char *name, const yaml_node_t *node,
           gboolean *out, GError **error)
{
  if (node->type == YAML_SCALAR_NODE)
    {
      if (strcmp (scalar_text (node), "true") == 0)
        {
          *out = TRUE;
          return TRUE;
        }
      if (strcmp (scalar_text (node), "false") == 0)
        {
          *out = FALSE;
          return TRUE;
        }
    }
  return expected (r, name, node, "true or false", error);
}

static gboolean
read_text (const Reader *r, const char *name, const yaml_node_t *node,
           const char *what, const char **out, GError **error)
{
  if (!is_text (node))
    return expected (r, name, node, what, error);
  *out = scalar_text (node);
  return TRUE;
}

/* A file or folder named in the graph file, relative to the graph's
 * folder unless absolute. */
static gboolean
read_path (const Reader *r, const char *name, const yaml_node_t *node,
           const char *what, char **out, GError **error)
{
  const char *text = NULL;

  if (!read_text (r, name, node, what, &text, error))
    return FALSE;
  *out = g_canonicalize_filename (text, r->graph->dir);
  return TRUE;
}

static gboolean
read_number (const Reader *r, const char *name, const yaml_node_t *node,
             GArray *values, GError **error)
{
  double value;

  if (node->type != YAML_SCALAR_NODE
      || !bp_parse_real (scalar_text (node), &value))
    return expected (r, name, node, "a number", error);
  g_array_append_val (values, value);
  return TRUE;
}

/* Numbers as plugin parameters and inline data sets write them: a list of
 * numbers (0 x n), or a list of rows, lists of numbers all the same
 * length, flattened row by row (rows x cols). With need_rows, only rows. */
static gboolean
read_reals (const Reader *r, const char *name, const yaml_node_t *list,
            gboolean need_rows, double **reals, gsize *n_reals,
            gsize *rows, gsize *cols, GError **error)
{
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  yaml_node_item_t *items = list->data.sequence.items.start;
  gsize n = n_items (list);
  gsize width = 0, i, j;
  gboolean matrix;

  matrix = need_rows
           || (n > 0 && node_get (r, items[0])->type == YAML_SEQUENCE_NODE);

  for (i = 0; i < n; i++)
    {
      yaml_node_t *item = node_get (r, items[i]);
      gsize length;

      if (!matrix)
        {
          if (!read_number (r, name, item, values, error))
            return FALSE;
          continue;
        }

      if (item->type != YAML_SEQUENCE_NODE || n_items (item) == 0)
        {
          g_autofree char *row = g_strdup_printf ("%s: row %zu", name, i + 1);

          return expected (r, row, item, "a list of numbers", error);
        }
      length = n_items (item);
      if (i == 0)
        width = length;
      else if (length != width)
        {
          bp_graph_error (error, r->graph, mark_of (item),
                          "%s: row %zu has %zu number%s; row 1 has %zu",
                          name, i + 1, length, length == 1 ? "" : "s",
                          width);
          return FALSE;
        }
      for (j = 0; j < length; j++)
        {
          yaml_node_t *element = node_get (r,
                                           item->data.sequence.items.start[j]);

          if (!read_number (r, name, element, values, error))
            return FALSE;
        }
    }

  *n_reals = values->len;
  *rows = matrix ? n : 0;
  *cols = matrix ? width : n;
  *reals = g_array_steal (values, NULL);
  return TRUE;
}

/* The parameters of one plugin: names as written, scalars kept as text
 * for the plugin's parameter list to type, lists read as numbers. */
static gboolean
read_args (const Reader *r, const yaml_node_t *map, BpGraphPlugin *plugin,
           GError **error)
{
  g_autofree char *where = g_strdup_printf ("in the parameters of %s",
                                            plugin->plugin);
  yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
  gsize i;

  if (!check_keys (r, map, where, NULL, error))
    return FALSE;

  plugin->n_args = n_pairs (map);
  plugin->args = g_new0 (BpGraphArg, plugin->n_args);
  for (i = 0; i < plugin->n_args; i++)
    {
      yaml_node_t *key = node_get (r, pairs[i].key);
      yaml_node_t *value = node_get (r, pairs[i].value);
      BpGraphArg *arg = &plugin->args[i];

      arg->key = g_strdup (scalar_text (key));
      arg->key_mark = mark_of (key);
      arg->value_mark = mark_of (value);

      if (value->type == YAML_SCALAR_NODE && !is_null (value))
        arg->scalar = g_strdup (scalar_text (value));
      else if (value->type == YAML_SEQUENCE_NODE)
        {
          if (!read_reals (r, arg->key, value, FALSE, &arg->reals,
                           &arg->n_reals, &arg->rows, &arg->cols, error))
            return FALSE;
        }
      else
        return expected (r, arg->key, value, "a value or a list of numbers",
                         error);
    }
  return TRUE;
}

/* A layer or the loss, written NAME, NAME: (nothing) or
 * NAME: {PARAMETER: VALUE, ...}; label ("layer 2", "loss") names it. */
static gboolean
read_plugin (const Reader *r, const char *label, const yaml_node_t *node,
             BpGraphPlugin *plugin, GError **error)
{
  const char *what = "a plugin name, or a plugin name mapped to its "
                     "parameters";
  yaml_node_t *key, *value;

  if (is_text (node))
    {
      plugin->plugin = g_strdup (scalar_text (node));
      plugin->mark = mark_of (node);
      return TRUE;
    }
  if (node->type != YAML_MAPPING_NODE || n_pairs (node) == 0)
    return expected (r, label, node, what, error);

  /* Two keys are most often parameters that lost their indentation. */
  key = node_get (r, node->data.mapping.pairs.start[0].key);
  if (n_pairs (node) > 1)
    {
      g_autoptr (GString) keys = g_string_new (NULL);
      yaml_node_pair_t *pair;

      for (pair = node->data.mapping.pairs.start;
           pair < node->data.mapping.pairs.top; pair++)
        {
          yaml_node_t *k = node_get (r, pair->key);
          g_autofree char *got = describe (k);

          if (keys->len > 0)
            g_string_append (keys, ", ");
          g_string_append (keys, is_text (k) ? scalar_text (k) : got);
        }
      bp_graph_error (error, r->graph, mark_of (node),
                      "%s: expected one key, the plugin name, got %zu keys "
                      "(%s); indent the parameters under the name",
                      label, n_pairs (node), keys->str);
      return FALSE;
    }

  if (!is_text (key))
    return expected (r, label, key, "a plugin name", error);
  plugin->plugin = g_strdup (scalar_text (key));
  plugin->mark = mark_of (key);

  value = node_get (r, node->data.mapping.pairs.start[0].value);
  if (is_null (value))
    return TRUE;
  if (value->type != YAML_MAPPING_NODE)
    return expected (r, plugin->plugin, value, "a mapping of parameters",
                     error);
  return read_args (r, value, plugin, error);
}

static gboolean
read_plugin_path (const Reader *r, const yaml_node_t *node, GError **error)
{
  BpGraph *graph = r->graph;
  gsize i, n;

  if (node->type != YAML_SEQUENCE_NODE)
    return expected (r, "plugin_path", node, "a list of folders", error);

  /* Kept NULL-terminated as it fills, so that a failure frees cleanly. */
  n = n_items (node);
  graph->plugin_path = g_new0 (char *, n + 1);
  for (i = 0; i < n; i++)
    {
      yaml_node_t *item = node_get (r, node->data.sequence.items.start[i]);

      if (!read_path (r, "plugin_path", item, "a folder",
                      &graph->plugin_path[i], error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_network (const Reader *r, const yaml_node_t *node, GError **error)
{
  BpGraph *graph = r->graph;
  yaml_node_t *input, *layers, *loss;
  guint64 width = 0;
  gsize i;

  if (!require_mapping (r, "network", node, error)
      || !check_keys (r, node, "in network", network_keys, error))
    return FALSE;

  input = require_value (r, node, "input", "in network", error);
  if (input == NULL
      || !read_unsigned (r, "input", input, 1, G_MAXUINT,
                         "a positive integer", &width, error))
    return FALSE;
  graph->input = width;
  graph->input_mark = mark_of (input);

  layers = require_value (r, node, "layers", "in network", error);
  if (layers == NULL)
    return FALSE;
  if (layers->type != YAML_SEQUENCE_NODE || n_items (layers) == 0)
    return expected (r, "layers", layers, "a list of at least one layer",
                     error);
  graph->n_layers = n_items (layers);
  graph->layers = g_new0 (BpGraphPlugin, graph->n_layers);
  for (i = 0; i < graph->n_layers; i++)
    {
      yaml_node_t *item = node_get (r, layers->data.sequence.items.start[i]);
      g_autofree char *label = g_strdup_printf ("layer %zu", i + 1);

      if (!read_plugin (r, label, item, &graph->layers[i], error))
        return FALSE;
    }

  loss = require_value (r, node, "loss", "in network", error);
  return loss != NULL && read_plugin (r, "loss", loss, &graph->loss, error);
}

/* limit: N, the rows of a CSV or IDX data set to use; 0 (all) if absent. */
static gboolean
read_limit (const Reader *r, const yaml_node_t *node, BpDataSpec *spec,
            GError **error)
{
  yaml_node_t *value = find_value (r, node, "limit", NULL);

  if (value == NULL)
    return TRUE;
  spec->limit_mark = mark_of (value);
  return read_unsigned (r, "limit", value, 1, G_MAXUINT64,
                        "a positive integer", &spec->limit, error);
}

/* A CSV data set: csv, header, label or targets, and limit. */
static gboolean
read_csv_set (const Reader *r, const char *name, const yaml_node_t *node,
              BpDataSpec *spec, GError **error)
{
  g_autofree char *where = g_strdup_printf ("in %s", name);
  yaml_node_t *value, *label, *targets, *label_key = NULL;
  yaml_node_t *targets_key = NULL;
  gsize i, j, n;

  if (!check_keys (r, node, where, csv_keys, error))
    return FALSE;
  spec->kind = BP_DATA_CSV;

  value = find_value (r, node, "csv", NULL);
  if (!read_path (r, "csv", value, "a file path", &spec->csv_path, error))
    return FALSE;
  spec->csv_mark = mark_of (value);

  spec->header = TRUE;
  value = find_value (r, node, "header", NULL);
  if (value != NULL && !read_bool (r, "header", value, &spec->header, error))
    return FALSE;
  if (!read_limit (r, node, spec, error))
    return FALSE;

  /* Exactly one of the two says which columns are targets. */
  label = find_value (r, node, "label", &label_key);
  targets = find_value (r, node, "targets", &targets_key);
  if (label != NULL && targets != NULL)
    {
      yaml_node_t *second = label_key->start_mark.index
                            > targets_key->start_mark.index
                            ? label_key : targets_key;

      bp_graph_error (error, r->graph, mark_of (second),
                      "give either label or targets %s, not both", where);
      return FALSE;
    }
  if (label == NULL && targets == NULL)
    {
      bp_graph_error (error, r->graph, mark_of (node),
                      "missing required key 'label' or 'targets' %s", where);
      return FALSE;
    }

  if (label != NULL)
    {
      const char *column = NULL;

      if (!read_text (r, "label", label, "a column name", &column, error))
        return FALSE;
      spec->label = g_strdup (column);
      spec->label_mark = mark_of (label);
      return TRUE;
    }

  if (targets->type != YAML_SEQUENCE_NODE || n_items (targets) == 0)
    return expected (r, "targets", targets, "a list of column names",
                     error);
  n = n_items (targets);
  spec->targets = g_new0 (char *, n + 1);
  spec->targets_mark = mark_of (targets);
  for (i = 0; i < n; i++)
    {
      yaml_node_t *item = node_get (r, targets->data.sequence.items.start[i]);
      const char *column = NULL;

      if (!read_text (r, "targets", item, "a column name", &column, error))
        return FALSE;
      for (j = 0; j < i; j++)
        if (strcmp (spec->targets[j], column) == 0)
          {
            bp_graph_error (error, r->graph, mark_of (item),
                            "targets: column '%s' is listed twice", column);
            return FALSE;
          }
      spec->targets[i] = g_strdup (column);
    }
  return TRUE;
}

/* An IDX data set: a file of images and one of their labels, and limit. */
static gboolean
read_idx_set (const Reader *r, const char *name, const yaml_node_t *node,
              BpDataSpec *spec, GError **error)
{
  g_autofree char *where = g_strdup_printf ("in %s", name);
  yaml_node_t *value;

  if (!check_keys (r, node, where, idx_keys, error))
    return FALSE;
  spec->kind = BP_DATA_IDX;

  value = require_value (r, node, "images", where, error);
  if (value == NULL
      || !read_path (r, "images", value, "a file path", &spec->images_path,
                     error))
    return FALSE;
  spec->images_mark = mark_of (value);

  value = require_value (r, node, "labels", where, error);
  if (value == NULL
      || !read_path (r, "labels", value, "a file path", &spec->labels_path,
                     error))
    return FALSE;
  spec->labels_mark = mark_of (value);

  return read_limit (r, node, spec, error);
}

/* An inline data set: rows of inputs and as many rows of targets. */
static gboolean
read_inline_set (const Reader *r, const char *name, const yaml_node_t *node,
                 BpDataSpec *spec, GError **error)
{
  g_autofree char *where = g_strdup_printf ("in %s", name);
  yaml_node_t *inputs, *targets;
  gsize n_reals, rows;

  if (!check_keys (r, node, where, inline_keys, error))
    return FALSE;
  spec->kind = BP_DATA_INLINE;

  inputs = find_value (r, node, "inputs", NULL);
  if (inputs->type != YAML_SEQUENCE_NODE)
    return expected (r, "inputs", inputs, "a list of rows of numbers",
                     error);
  if (!read_reals (r, "inputs", inputs, TRUE, &spec->inputs, &n_reals,
                   &spec->n_rows, &spec->n_input_cols, error))
    return FALSE;

  targets = require_value (r, node, "targets", where, error);
  if (targets == NULL)
    return FALSE;
  if (targets->type != YAML_SEQUENCE_NODE)
    return expected (r, "targets", targets, "a list of rows of numbers",
                     error);
  if (!read_reals (r, "targets", targets, TRUE, &spec->outputs, &n_reals,
                   &rows, &spec->n_output_cols, error))
    return FALSE;
  if (rows != spec->n_rows)
    {
      bp_graph_error (error, r->graph, mark_of (targets),
                      "targets has %zu row%s; inputs has %zu", rows,
                      rows == 1 ? "" : "s", spec->n_rows);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_data_set (const Reader *r, const char *name, const yaml_node_t *node,
               BpDataSpec *spec, GError **error)
{
  g_autofree char *where = g_strdup_printf ("in %s", name);

  if (!require_mapping (r, name, node, error))
    return FALSE;
  spec->mark = mark_of (node);

  if (find_value (r, node, "csv", NULL) != NULL)
    return read_csv_set (r, name, node, spec, error);
  if (find_value (r, node, "inputs", NULL) != NULL)
    return read_inline_set (r, name, node, spec, error);
  if (find_value (r, node, "images", NULL) != NULL
      || find_value (r, node, "labels", NULL) != NULL)
    return read_idx_set (r, name, node, spec, error);

  /* No form: a misspelt key is the likelier fault, so say that. */
  if (!check_keys (r, node, where, any_data_keys, error))
    return FALSE;
  bp_graph_error (error, r->graph, mark_of (node),
                  "missing required key 'csv', 'images' or 'inputs' %s",
                  where);
  return FALSE;
}

static gboolean
read_data (const Reader *r, const yaml_node_t *node, GError **error)
{
  BpGraph *graph = r->graph;
  yaml_node_t *train, *test, *fraction, *test_key = NULL;
  yaml_node_t *fraction_key = NULL;

  if (!require_mapping (r, "data", node, error)
      || !check_keys (r, node, "in data", data_keys, error))
    return FALSE;

  train = require_value (r, node, "train", "in data", error);
  if (train == NULL
      || !read_data_set (r, "train", train, &graph->train, error))
    return FALSE;

  test = find_value (r, node, "test", &test_key);
  if (test != NULL && !read_data_set (r, "test", test, &graph->test, error))
    return FALSE;

  fraction = find_value (r, node, "test_fraction", &fraction_key);
  if (fraction == NULL)
    return TRUE;
  if (test != NULL)
    {
      bp_graph_error (error, graph, mark_of (fraction_key),
                      "test_fraction cannot be used together with test "
                      "(line %u)", mark_of (test_key).line);
      return FALSE;
    }
  graph->test_fraction_mark = mark_of (fraction);
  return read_real (r, "test_fraction", fraction, 0, 1,
                    "a number between 0 and 1 (both excluded)",
                    &graph->test_fraction, error);
}

/* A number of at least 0: weight_decay, min_lr. */
static gboolean
read_nonnegative (const Reader *r, const char *name, const yaml_node_t *node,
                  double *out, GError **error)
{
  double value = 0;

  if (node->type != YAML_SCALAR_NODE
      || !bp_parse_real (scalar_text (node), &value) || !(value >= 0))
    return expected (r, name, node, "a number, 0 or more", error);
  *out = value;
  return TRUE;
}

/* An optional setting strictly between 0 and 1: momentum, beta1, beta2.
 * Absent, *out keeps its default. */
static gboolean
read_fraction (const Reader *r, const yaml_node_t *settings,
               const char *name, double *out, GError **error)
{
  yaml_node_t *value = find_value (r, settings, name, NULL);

  return value == NULL
         || read_real (r, name, value, 0, 1,
                       "a number between 0 and 1 (both excluded)", out,
                       error);
}

/* Reads a mapping of one name, one of names, to its settings, for
 * optimizer and schedule; example shows the form in messages. Returns the
 * index of the name in names, or -1 with error set. */
static int
read_choice (const Reader *r, const char *what, const yaml_node_t *node,
             const char *const *names, const char *example,
             yaml_node_t **key_out, yaml_node_t **settings_out,
             GError **error)
{
  g_autofree char *got = NULL;
  g_autofree char *known = NULL;
  yaml_node_t *key;

  if (node->type != YAML_MAPPING_NODE || n_pairs (node) != 1)
    {
      g_autofree char *form = g_strdup_printf ("one %s mapped to its "
                                               "settings, as %s", what,
                                               example);

      expected (r, what, node, form, error);
      return -1;
    }
  key = node_get (r, node->data.mapping.pairs.start[0].key);
  *key_out = key;
  *settings_out = node_get (r, node->data.mapping.pairs.start[0].value);
  for (int i = 0; is_text (key) && names[i] != NULL; i++)
    if (strcmp (scalar_text (key), names[i]) == 0)
      return i;

  got = describe (key);
  known = g_strjoinv (", ", (char **) names);
  bp_graph_error (error, r->graph, mark_of (key),
                  "unknown %s %s; expected one of %s", what, got, known);
  return -1;
}

/* optimizer: {sgd: {lr: RATE}}, {momentum: {lr: RATE, ...}} or
 * {adam: {lr: RATE, ...}}; lr has no default, the rest have. */
static gboolean
read_optimizer (const Reader *r, const yaml_node_t *node, GError **error)
{
  static const char *const names[] = { "sgd", "momentum", "adam", NULL };
  static const char *const *const keys[] = {
    sgd_keys, momentum_keys, adam_keys
  };
  BpOptimizerSettings *opt = &r->graph->optimizer;
  yaml_node_t *key = NULL, *settings = NULL, *value;
  g_autofree char *where = NULL;
  int kind;

  kind = read_choice (r, "optimizer", node, names, "{sgd: {lr: 0.05}}",
                      &key, &settings, error);
  if (kind < 0)
    return FALSE;
  where = g_strdup_printf ("in %s", names[kind]);

  /* An optimizer with nothing lacks its lr. */
  if (is_null (settings))
    {
      bp_graph_error (error, r->graph, mark_of (key),
                      "missing required key 'lr' %s", where);
      return FALSE;
    }
  if (!require_mapping (r, names[kind], settings, error)
      || !check_keys (r, settings, where, keys[kind], error))
    return FALSE;

  value = require_value (r, settings, "lr", where, error);
  if (value == NULL
      || !read_real (r, "lr", value, 0, INFINITY, "a positive number",
                     &opt->learning_rate, error))
    return FALSE;

  opt->kind = (BpOptimizerKind) kind;
  opt->momentum = 0.9;
  opt->beta1 = 0.9;
  opt->beta2 = 0.999;
  opt->epsilon = 1e-8;
  if (opt->kind == BP_OPTIMIZER_MOMENTUM)
    {
      value = find_value (r, settings, "nesterov", NULL);
      return read_fraction (r, settings, "momentum", &opt->momentum, error)
             && (value == NULL
                 || read_bool (r, "nesterov", value, &opt->nesterov, error));
    }
  if (opt->kind == BP_OPTIMIZER_ADAM)
    {
      value = find_value (r, settings, "epsilon", NULL);
      return read_fraction (r, settings, "beta1", &opt->beta1, error)
             && read_fraction (r, settings, "beta2", &opt->beta2, error)
             && (value == NULL
                 || read_real (r, "epsilon", value, 0, INFINITY,
                               "a positive number", &opt->epsilon, error));
    }
  return TRUE;
}

/* schedule: {step: {every: N, factor: F}} or {cosine: {min_lr: RATE}};
 * read after the optimizer, whose lr min_lr must stay below. */
static gboolean
read_schedule (const Reader *r, const yaml_node_t *node, GError **error)
{
  static const char *const names[] = { "step", "cosine", NULL };
  BpSchedule *schedule = &r->graph->schedule;
  double lr = r->graph->optimizer.learning_rate;
  yaml_node_t *key = NULL, *settings = NULL, *value;
  guint64 every = 0;
  int kind;

  kind = read_choice (r, "schedule", node, names,
                      "{step: {every: 10, factor: 0.5}}", &key, &settings,
                      error);
  if (kind < 0)
    return FALSE;

  if (kind == 0)
    {
      schedule->kind = BP_SCHEDULE_STEP;
      if (is_null (settings))
        {
          bp_graph_error (error, r->graph, mark_of (key),
                          "missing required key 'every' in step");
          return FALSE;
        }
      if (!require_mapping (r, "step", settings, error)
          || !check_keys (r, settings, "in step", step_keys, error))
        return FALSE;
      value = require_value (r, settings, "every", "in step", error);
      if (value == NULL
          || !read_unsigned (r, "every", value, 1, G_MAXUINT,
                             "a positive integer", &every, error))
        return FALSE;
      schedule->every = (guint) every;
      value = require_value (r, settings, "factor", "in step", error);
      return value != NULL
             && read_real (r, "factor", value, 0, 1,
                           "a number between 0 and 1 (both excluded)",
                           &schedule->factor, error);
    }

  /* cosine: min_lr 0 unless given, and below lr. */
  schedule->kind = BP_SCHEDULE_COSINE;
  if (is_null (settings))
    return TRUE;
  if (!require_mapping (r, "cosine", settings, error)
      || !check_keys (r, settings, "in cosine", cosine_keys, error))
    return FALSE;
  value = find_value (r, settings, "min_lr", NULL);
  if (value == NULL)
    return TRUE;
  if (!read_nonnegative (r, "min_lr", value, &schedule->min_lr, error))
    return FALSE;
  if (!(schedule->min_lr < lr))
    {
      char text[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *what = g_strdup_printf (
        "a number below the optimizer's lr (%s)",
        g_ascii_formatd (text, sizeof text, "%g", lr));

      return expected (r, "min_lr", value, what, error);
    }
  return TRUE;
}

/* The starting input: network.input numbers. */
static gboolean
read_start (const Reader *r, const yaml_node_t *node, GError **error)
{
  BpGraph *graph = r->graph;
  g_autoptr (GArray) start = g_array_new (FALSE, FALSE, sizeof (double));
  gsize i, n;

  if (node->type != YAML_SEQUENCE_NODE || n_items (node) == 0)
    return expected (r, "start", node, "a list of numbers", error);
  n = n_items (node);
  for (i = 0; i < n; i++)
    {
      yaml_node_t *item = node_get (r, node->data.sequence.items.start[i]);

      if (!read_number (r, "start", item, start, error))
        return FALSE;
    }
  if (n != graph->input)
    {
      bp_graph_error (error, graph, mark_of (node),
                      "start has %zu number%s; network.input is %zu", n,
                      n == 1 ? "" : "s", graph->input);
      return FALSE;
    }
  graph->solve_start_mark = mark_of (node);
  graph->solve_start = g_array_steal (start, NULL);
  return TRUE;
}

/* training in solve mode, the shooting of the paper's sections 2 and 3:
 * the target, the rule that corrects x, where x starts and how often it
 * is corrected. */
static gboolean
read_solve (const Reader *r, const yaml_node_t *node, GError **error)
{
  BpGraph *graph = r->graph;
  const char *where = "in training";
  const char *name = "x";
  yaml_node_t *value, *lr_key = NULL;
  guint64 number = 0;

  if (!refuse_unused (r, node, training_keys, error)
      || !check_keys (r, node, where, solve_keys, error))
    return FALSE;

  value = find_value (r, node, "solve", NULL);
  if (value->type != YAML_SCALAR_NODE
      || strcmp (scalar_text (value), "input") != 0)
    return expected (r, "solve", value, "input", error);

  value = require_value (r, node, "target", where, error);
  if (value == NULL
      || !read_real (r, "target", value, -INFINITY, INFINITY, "a number",
                     &graph->solve_target, error))
    return FALSE;
  graph->solve_target_mark = mark_of (value);

  value = require_value (r, node, "rule", where, error);
  if (value == NULL)
    return FALSE;
  if (is_text (value) && strcmp (scalar_text (value), "tangent") == 0)
    graph->solve_rule = BP_SOLVE_TANGENT;
  else if (is_text (value)
           && strcmp (scalar_text (value), "gradient_sign") == 0)
    graph->solve_rule = BP_SOLVE_GRADIENT_SIGN;
  else
    return expected (r, "rule", value, "tangent or gradient_sign", error);
  graph->solve_rule_mark = mark_of (value);

  /* The tangent line of section 2 has one slope to divide by. */
  if (graph->solve_rule == BP_SOLVE_TANGENT && graph->input != 1)
    {
      bp_graph_error (error, graph, graph->solve_rule_mark,
                      "the tangent rule needs a single input; network.input "
                      "is %zu (gradient_sign takes several)", graph->input);
      return FALSE;
    }

  /* Only gradient_sign has a step to scale. */
  value = find_value (r, node, "lr", &lr_key);
  if (graph->solve_rule == BP_SOLVE_TANGENT && value != NULL)
    {
      bp_graph_error (error, graph, mark_of (lr_key),
                      "lr is not used by the tangent rule");
      return FALSE;
    }
  if (graph->solve_rule == BP_SOLVE_GRADIENT_SIGN)
    {
      value = require_value (r, node, "lr", where, error);
      if (value == NULL
          || !read_real (r, "lr", value, 0, INFINITY, "a positive number",
                         &graph->solve_lr, error))
        return FALSE;
      graph->solve_lr_mark = mark_of (value);
    }

  value = require_value (r, node, "start", where, error);
  if (value == NULL || !read_start (r, value, error))
    return FALSE;

  value = require_value (r, node, "updates", where, error);
  if (value == NULL
      || !read_unsigned (r, "updates", value, 1, G_MAXUINT,
                         "a positive integer", &number, error))
    return FALSE;
  graph->solve_updates = (guint) number;
  graph->solve_updates_mark = mark_of (value);

  value = find_value (r, node, "tolerance", NULL);
  if (value != NULL
      && !read_real (r, "tolerance", value, 0, INFINITY,
                     "a positive number", &graph->solve_tolerance, error))
    return FALSE;

  value = find_value (r, node, "name", NULL);
  if (value != NULL && !read_text (r, "name", value, "a name", &name, error))
    return FALSE;
  graph->solve_name = g_strdup (name);
  return TRUE;
}

static gboolean
read_training (const Reader *r, const yaml_node_t *node, GError **error)
{
  BpGraph *graph = r->graph;
  yaml_node_t *value;
  guint64 number = 0;

  if (!require_mapping (r, "training", node, error))
    return FALSE;
  if (graph->solve)
    return read_solve (r, node, error);
  if (!check_keys (r, node, "in training", training_keys, error))
    return FALSE;

  value = require_value (r, node, "epochs", "in training", error);
  if (value == NULL
      || !read_unsigned (r, "epochs", value, 1, G_MAXUINT,
                         "a positive integer", &number, error))
    return FALSE;
  graph->epochs = (guint) number;

  value = find_value (r, node, "batch", NULL);
  if (value != NULL)
    {
      if (!read_unsigned (r, "batch", value, 1, G_MAXUINT,
                          "a positive integer", &number, error))
        return FALSE;
      graph->batch = (guint) number;
    }

  value = require_value (r, node, "optimizer", "in training", error);
  if (value == NULL || !read_optimizer (r, value, error))
    return FALSE;

  value = find_value (r, node, "schedule", NULL);
  if (value != NULL && !read_schedule (r, value, error))
    return FALSE;

  value = find_value (r, node, "weight_decay", NULL);
  if (value != NULL
      && !read_nonnegative (r, "weight_decay", value,
                            &graph->optimizer.weight_decay, error))
    return FALSE;

  value = find_value (r, node, "update", NULL);
  if (value != NULL)
    {
      const char *text = value->type == YAML_SCALAR_NODE
                         ? scalar_text (value) : "";

      if (strcmp (text, "simultaneous") == 0)
        graph->update = BP_UPDATE_SIMULTANEOUS;
      else if (strcmp (text, "sequential") == 0)
        graph->update = BP_UPDATE_SEQUENTIAL;
      else
        return expected (r, "update", value, "simultaneous or sequential",
                         error);
    }

  value = find_value (r, node, "seed", NULL);
  if (value != NULL
      && !read_unsigned (r, "seed", value, 0, G_MAXUINT64,
                         "an unsigned 64-bit integer", &graph->seed, error))
    return FALSE;

  value = find_value (r, node, "shuffle", NULL);
  if (value != NULL
      && !read_bool (r, "shuffle", value, &graph->shuffle, error))
    return FALSE;

  /* OpenBLAS takes the count as an int. */
  value = find_value (r, node, "threads", NULL);
  if (value != NULL)
    {
      if (!read_unsigned (r, "threads", value, 1, G_MAXINT,
                          "a positive integer", &number, error))
        return FALSE;
      graph->threads = (guint) number;
    }
  return TRUE;
}

static gboolean
read_output (const Reader *r, const yaml_node_t *node, GError **error)
{
  yaml_node_t *model;

  if (!require_mapping (r, "output", node, error)
      || !check_keys (r, node, "in output", output_keys, error))
    return FALSE;
  if (r->graph->solve
      && !refuse_unused (r, node, solve_unused_output, error))
    return FALSE;

  model = find_value (r, node, "model", NULL);
  return model == NULL
         || read_path (r, "model", model, "a file path",
                       &r->graph->model_path, error);
}

static gboolean
read_graph (const Reader *r, const yaml_node_t *root, GError **error)
{
  BpGraph *graph = r->graph;
  const char *where = "at the top level";
  yaml_node_t *value;
  gint64 version = 0;

  if (root == NULL || is_null (root))
    {
      BpMark none = { 0, 0 };

      bp_graph_error (error, graph, none,
                      "empty graph file; expected a mapping with version, "
                      "network, data and training");
      return FALSE;
    }
  if (root->type != YAML_MAPPING_NODE)
    return expected (r, NULL, root, "a mapping at the top level", error);

  /* The version first: a later version may have keys this one lacks. */
  value = require_value (r, root, "version", where, error);
  if (value == NULL)
    return FALSE;
  if (value->type != YAML_SCALAR_NODE
      || !g_ascii_string_to_signed (scalar_text (value), 10, G_MININT64,
                                    G_MAXINT64, &version, NULL))
    return expected (r, "version", value, "an integer", error);
  if (version != 1)
    {
      bp_graph_error (error, graph, mark_of (value),
                      "unsupported graph version %" G_GINT64_FORMAT
                      "; this bpframe reads version 1", version);
      return FALSE;
    }
  graph->version = version;

  if (!check_keys (r, root, where, top_keys, error))
    return FALSE;

  value = find_value (r, root, "plugin_path", NULL);
  if (value != NULL && !read_plugin_path (r, value, error))
    return FALSE;

  value = require_value (r, root, "network", where, error);
  if (value == NULL || !read_network (r, value, error))
    return FALSE;

  /* Solve mode reads no data: look for it before reading either. */
  value = find_value (r, root, "training", NULL);
  graph->solve = value != NULL && value->type == YAML_MAPPING_NODE
                 && find_value (r, value, "solve", NULL) != NULL;

  if (graph->solve)
    {
      if (!refuse_unused (r, root, solve_unused_top, error))
        return FALSE;
    }
  else
    {
      value = require_value (r, root, "data", where, error);
      if (value == NULL || !read_data (r, value, error))
        return FALSE;
    }

  value = require_value (r, root, "training", where, error);
  if (value == NULL || !read_training (r, value, error))
    return FALSE;

  value = find_value (r, root, "output", NULL);
  return value == NULL || read_output (r, value, error);
}

/* Reports a libyaml failure as "PATH:LINE:COLUMN: invalid YAML: ...". */
static gboolean
yaml_failure (const BpGraph *graph, const yaml_parser_t *parser,
              const char *contents, GError **error)
{
  BpMark mark;
  const char *problem = parser->problem;

  if (parser->error == YAML_MEMORY_ERROR || problem == NULL)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_FAILED,
                   "%s: out of memory while reading", graph->path);
      return FALSE;
    }

  mark.line = (guint) parser->problem_mark.line + 1;
  mark.column = (guint) parser->problem_mark.column + 1;

  /* The reader (bad UTF-8, say) gives a byte offset, not a mark; what
   * precedes the offset has been checked, so it can be counted. */
  if (parser->error == YAML_READER_ERROR)
    {
      const char *bad = contents + parser->problem_offset;
      const char *line = contents, *p;

      mark.line = 1;
      for (p = contents; p < bad; p++)
        if (*p == '\n')
          {
            mark.line++;
            line = p + 1;
          }
      mark.column = (guint) g_utf8_strlen (line, bad - line) + 1;
    }

  if (parser->context != NULL)
    bp_graph_error (error, graph, mark, "invalid YAML: %s %s", problem,
                    parser->context);
  else
    bp_graph_error (error, graph, mark, "invalid YAML: %s", problem);
  return FALSE;
}

/* Loads the file's one YAML document into doc. A second document would be
 * ignored by the walk, so it is refused rather than dropped. */
static gboolean
load_document (const BpGraph *graph, const char *contents, gsize length,
               yaml_document_t *doc, GError **error)
{
  yaml_parser_t parser;
  yaml_document_t extra;
  gboolean ok = TRUE;

  if (!yaml_parser_initialize (&parser))
    {
      g_set_error (error, BP_ERROR, BP_ERROR_FAILED,
                   "%s: out of memory while reading", graph->path);
      return FALSE;
    }
  yaml_parser_set_input_string (&parser, (const unsigned char *) contents,
                                length);

  if (!yaml_parser_load (&parser, doc))
    ok = yaml_failure (graph, &parser, contents, error);
  else if (yaml_document_get_root_node (doc) != NULL)
    {
      if (!yaml_parser_load (&parser, &extra))
        ok = yaml_failure (graph, &parser, contents, error);
      else
        {
          if (yaml_document_get_root_node (&extra) != NULL)
            {
              BpMark mark = { (guint) extra.start_mark.line + 1,
                              (guint) extra.start_mark.column + 1 };

              bp_graph_error (error, graph, mark,
                              "a graph file holds one YAML document; "
                              "a second one starts here");
              ok = FALSE;
            }
          yaml_document_delete (&extra);
        }
    }

  yaml_parser_delete (&parser);
  return ok;
}

BpGraph *
bp_graph_load (const char *path, GError **error)
{
  g_autoptr (BpGraph) graph = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *dir = NULL;
  g_auto (yaml_document_t) doc = { 0 };
  gsize length = 0;
  Reader reader;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Only the documented defaults; everything else must be written. */
  graph = g_new0 (BpGraph, 1);
  graph->path = g_strdup (path);
  dir = g_path_get_dirname (path);
  graph->dir = g_canonicalize_filename (dir, NULL);
  graph->batch = 1;
  graph->update = BP_UPDATE_SIMULTANEOUS;
  graph->seed = 1;
  graph->shuffle = TRUE;

  if (!bp_read_file (path, "graph file", &contents, &length, error))
    return NULL;

  if (!load_document (graph, contents, length, &doc, error))
    return NULL;

  reader.graph = graph;
  reader.doc = &doc;
  if (!read_graph (&reader, yaml_document_get_root_node (&doc), error))
    return NULL;

  return g_steal_pointer (&graph);
}

static void
plugin_clear (BpGraphPlugin *plugin)
{
  gsize i;

  for (i = 0; i < plugin->n_args; i++)
    {
      g_free (plugin->args[i].key);
      g_free (plugin->args[i].scalar);
      g_free (plugin->args[i].reals);
    }
  g_free (plugin->args);
  g_free (plugin->plugin);
}

static void
spec_clear (BpDataSpec *spec)
{
  g_free (spec->csv_path);
  g_free (spec->images_path);
  g_free (spec->labels_path);
  g_free (spec->label);
  g_strfreev (spec->targets);
  g_free (spec->inputs);
  g_free (spec->outputs);
}

void
bp_graph_free (BpGraph *graph)
{
  gsize i;

  if (graph == NULL)
    return;

  g_free (graph->path);
  g_free (graph->dir);
  g_strfreev (graph->plugin_path);
  for (i = 0; i < graph->n_layers; i++)
    plugin_clear (&graph->layers[i]);
  g_free (graph->layers);
  plugin_clear (&graph->loss);
  spec_clear (&graph->train);
  spec_clear (&graph->test);
  g_free (graph->model_path);
  g_free (graph->solve_start);
  g_free (graph->solve_name);
  g_free (graph);
}

void
bp_graph_set_epochs (BpGraph *graph, guint epochs)
{
  g_return_if_fail (graph != NULL);
  g_return_if_fail (epochs >= 1);

  graph->epochs = epochs;
}

void
bp_graph_set_seed (BpGraph *graph, guint64 seed)
{
  g_return_if_fail (graph != NULL);

  graph->seed = seed;
}

void
bp_graph_set_model_path (BpGraph *graph, const char *model_path)
{
  g_return_if_fail (graph != NULL);

  g_free (graph->model_path);
  graph->model_path = g_strdup (model_path);
}

void
bp_graph_set_update (BpGraph *graph, BpUpdateOrder update)
{
  g_return_if_fail (graph != NULL);
  g_return_if_fail (update == BP_UPDATE_SIMULTANEOUS
                    || update == BP_UPDATE_SEQUENTIAL);
  graph->update = update;
}

void
bp_graph_set_threads (BpGraph *graph, guint threads)
{
  g_return_if_fail (graph != NULL);
  g_return_if_fail (threads <= G_MAXINT);

  graph->threads = threads;
}

const char *
bp_graph_get_model_path (const BpGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);

  return graph->model_path;
}

gboolean
bp_graph_has_schedule (const BpGraph *graph)
{
  g_return_val_if_fail (graph != NULL, FALSE);

  return graph->schedule.kind != BP_SCHEDULE_NONE;
}

gboolean
bp_graph_solves (const BpGraph *graph)
{
  g_return_val_if_fail (graph != NULL, FALSE);

  return graph->solve;
}

const char *
bp_graph_get_solve_name (const BpGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);

  return graph->solve_name;
}

double
bp_graph_get_solve_target (const BpGraph *graph)
{
  g_return_val_if_fail (graph != NULL && graph->solve, NAN);

  return graph->solve_target;
}
