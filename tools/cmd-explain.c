/* bpframe explain: one online step on one training sample, shown in the
 * paper's notation layer by layer from the output back (M, D, M D, M-k,
 * J_phi(y), L-k, delta[W | b]), as aligned text or as YAML for scripts.
 */
#include <math.h>
#include <string.h>

#include "cli.h"

/* ---- The paper's names --------------------------------------------------- */

/* What the paper calls the pieces of one layer. A network made of blocks
 * "affine, activation" (at most three: sections 6 and 7.2) gets the
 * paper's letters, counted from the output; any other gets neutral
 * names. */
typedef struct {
  char *title;     /* "affine: [B | Xi]" or "relu" */
  char *in, *out;  /* the names of x and y: "phi", "z" */
  char *params;    /* "[B | Xi]" */
  char *weights;   /* "B" */
  char *k;         /* the paper's index for M-k and L-k */
  char *jacobian;  /* "D = J_sigma(z)", "J_phi(y)" */
  char *m;         /* the row vector reaching the layer's output */
  char *m_in;      /* m carried through the layer */
  char *step;      /* how the paper writes delta */
  int block;       /* 1, 2, 3 from the output; 0 for neutral names */
} Names;

static const struct {
  const char *weights, *bias, *z, *act, *act_fn, *m_act, *m_z;
} paper_blocks[] = {
  { "B", "Xi", "z", "sigma", "sigma", "M", "M D" },
  { "A", "Lambda", "y", "phi", "phi", "C", "C J_phi(y)" },
  { "C", "Psi", "gamma", "x", "varphi", "D", "D J_varphi(gamma)" },
};

/* "phi_1 phi_2 phi_3" or, for more, "phi_1 ... phi_5". */
static char *
elements (const char *name, gsize n)
{
  if (n == 1)
    return g_strdup_printf ("%s_1", name);
  if (n == 2)
    return g_strdup_printf ("%s_1 %s_2", name, name);
  if (n == 3)
    return g_strdup_printf ("%s_1 %s_2 %s_3", name, name, name);
  return g_strdup_printf ("%s_1 ... %s_%zu", name, name, n);
}

static gboolean
has_params (const BpExplainLayer *rec)
{
  return rec->param_rows > 0;
}

static gboolean
fits_paper (const BpExplain *ex)
{
  gsize blocks = ex->n_layers / 2;

  if (ex->n_layers % 2 != 0 || blocks < 1
      || blocks > G_N_ELEMENTS (paper_blocks))
    return FALSE;
  for (gsize i = 0; i < ex->n_layers; i++)
    if (has_params (&ex->layers[i]) != (i % 2 == 0)
        || (i % 2 == 0 && strcmp (ex->layers[i].plugin, "affine") != 0))
      return FALSE;
  return TRUE;
}

static void
paper_names (const BpExplain *ex, Names *names)
{
  gsize blocks = ex->n_layers / 2;

  for (gsize i = 0; i < ex->n_layers; i++)
    {
      gsize b = blocks - 1 - i / 2; /* 0 for the block at the output */
      Names *n = &names[i];
      const char *act = paper_blocks[b].act;

      n->block = (int) b + 1;
      n->k = g_strdup_printf ("%d", n->block);
      if (i % 2 == 0)
        {
          n->in = g_strdup (i == 0 ? (blocks == 3 ? "w" : "x")
                                   : paper_blocks[b + 1].act);
          n->out = g_strdup (paper_blocks[b].z);
          n->weights = g_strdup (paper_blocks[b].weights);
          n->params = g_strdup_printf ("[%s | %s]", paper_blocks[b].weights,
                                       paper_blocks[b].bias);
          n->title = g_strdup_printf ("affine: %s", n->params);
          n->m = g_strdup (paper_blocks[b].m_z);
          n->step = b == 0
            ? g_strdup_printf ("-eta M-%s L-%s", n->k, n->k)
            : g_strdup_printf ("-eta M-%s J_%s(%s) L-%s", n->k,
                               paper_blocks[b].act_fn, n->out, n->k);
          if (i > 0)
            {
              g_autofree char *list = elements (paper_blocks[b + 1].m_act,
                                                ex->layers[i].n_in);

              n->m_in = g_strdup_printf ("%s %s = [%s]",
                                         b == 0 ? "(M D)"
                                                : paper_blocks[b].m_z,
                                         n->weights, list);
            }
        }
      else
        {
          n->in = g_strdup (paper_blocks[b].z);
          n->out = g_strdup (act);
          n->title = g_strdup (ex->layers[i].plugin);
          n->m = g_strdup (paper_blocks[b].m_act);
          n->jacobian = b == 0
            ? g_strdup ("D = J_sigma(z)")
            : g_strdup_printf ("J_%s(%s)", paper_blocks[b].act_fn,
                               paper_blocks[b].z);
          if (b == 0)
            {
              g_autofree char *list = elements ("B", ex->layers[i].n_in);

              n->m_in = g_strdup_printf ("M D = [%s]", list);
            }
          else
            n->m_in = g_strdup (paper_blocks[b].m_z);
        }
    }
}

/* Neutral names: y_i for layer i's output, m_i for the row vector that
 * reaches it, and k counted over the layers with parameters from the
 * output, as the paper counts M-1, M-2, ... */
static void
neutral_names (const BpExplain *ex, Names *names)
{
  int k = 0;

  for (gsize i = ex->n_layers; i-- > 0;)
    {
      Names *n = &names[i];

      n->in = i == 0 ? g_strdup ("x") : g_strdup_printf ("y_%zu", i);
      n->out = g_strdup_printf ("y_%zu", i + 1);
      n->title = g_strdup (ex->layers[i].plugin);
      n->m = g_strdup_printf ("m_%zu", i + 1);
      n->jacobian = g_strdup_printf ("J = d %s / d %s", n->out, n->in);
      n->m_in = g_strdup_printf ("m_%zu J", i + 1);
      if (has_params (&ex->layers[i]))
        {
          n->k = g_strdup_printf ("%d", ++k);
          n->params = g_strdup_printf ("P_%zu", i + 1);
          n->weights = g_strdup (n->params);
          n->step = g_strdup_printf ("-eta M-%s L-%s", n->k, n->k);
        }
    }
}

static void
names_clear (Names *names, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      g_free (names[i].title);
      g_free (names[i].in);
      g_free (names[i].out);
      g_free (names[i].params);
      g_free (names[i].weights);
      g_free (names[i].k);
      g_free (names[i].jacobian);
      g_free (names[i].m);
      g_free (names[i].m_in);
      g_free (names[i].step);
    }
  g_free (names);
}

/* ---- Aligned text -------------------------------------------------------- */

static char *
number (double v)
{
  return g_strdup_printf ("%.8g", v);
}

/* A matrix as rows of right-aligned columns, each row indented and in
 * brackets, so that it can be held against the paper line by line. */
static void
print_matrix (const char *label, const bp_real *a, gsize rows, gsize cols)
{
  g_autofree int *width = g_new0 (int, cols);
  g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);

  for (gsize r = 0; r < rows; r++)
    for (gsize c = 0; c < cols; c++)
      {
        char *cell = number (a[r * cols + c]);

        width[c] = MAX (width[c], (int) strlen (cell));
        g_ptr_array_add (cells, cell);
      }

  g_print ("%s =\n", label);
  for (gsize r = 0; r < rows; r++)
    {
      g_print ("    [");
      for (gsize c = 0; c < cols; c++)
        g_print ("  %*s", width[c],
                 (char *) g_ptr_array_index (cells, r * cols + c));
      g_print ("  ]\n");
    }
}

static void
print_row (const char *label, const bp_real *v, gsize n)
{
  g_print ("%s = [", label);
  for (gsize j = 0; j < n; j++)
    {
      g_autofree char *cell = number (v[j]);

      g_print ("  %s", cell);
    }
  g_print ("  ]\n");
}

static void
print_diag (const char *label, const bp_real *v, gsize n)
{
  g_autofree bp_real *d = g_new0 (bp_real, n * n);

  for (gsize j = 0; j < n; j++)
    d[j * n + j] = v[j];
  print_matrix (label, d, n, n);
}

static const char *
update_text (BpUpdateOrder update)
{
  return update == BP_UPDATE_SEQUENTIAL
    ? "sequential (the paper's, section 6): each layer is stepped\n"
      "before m is carried back through it, so the layers before it see "
      "its\nupdated weights"
    : "simultaneous (standard backpropagation): every gradient\n"
      "comes from the weights of the forward pass, and all layers are "
      "stepped\nat the end";
}

static void
print_forward (const BpExplain *ex, const Names *names)
{
  g_print ("Forward\n");
  print_row (names[0].in, ex->x, ex->n_in);
  for (gsize i = 0; i < ex->n_layers; i++)
    {
      const BpExplainLayer *rec = &ex->layers[i];
      g_autofree char *label = has_params (rec) && names[i].block > 0
        ? g_strdup_printf ("%s = %s %s + %s", names[i].out,
                           names[i].weights, names[i].in,
                           paper_blocks[names[i].block - 1].bias)
        : g_strdup_printf ("%s = %s(%s)", names[i].out, rec->plugin,
                           names[i].in);

      print_row (label, rec->y, rec->n_out);
    }
  print_row ("f", ex->f, ex->n_out);
  g_print ("loss = %s(sigma, f) = %.8g\n", ex->loss_plugin, ex->loss);
}

static double
max_difference (const bp_real *a, const bp_real *b, gsize n)
{
  double worst = 0.0;

  for (gsize j = 0; j < n; j++)
    worst = MAX (worst, fabs (a[j] - b[j]));
  return worst;
}

static void
print_activation (const BpExplain *ex, gsize i, const Names *n)
{
  const BpExplainLayer *rec = &ex->layers[i];

  if (n->block == 1)
    print_row ("M = d loss / d sigma", rec->m, rec->n_out);
  else if (n->block > 1)
    {
      g_autofree char *label = g_strdup_printf ("M-%s = diag(%s)", n->k,
                                                n->m);

      print_diag (label, rec->m, rec->n_out);
    }
  else
    print_row (n->m, rec->m, rec->n_out);

  print_matrix (n->jacobian, rec->J, rec->n_out, rec->n_in);
  if (rec->m_in != NULL)
    print_row (n->m_in, rec->m_in, rec->n_in);

  /* Section 8: the fused gradient replaces M D and is what carries on. */
  if (i == ex->n_layers - 1 && ex->fused != NULL && rec->m_in != NULL)
    {
      print_row ("sigma - f", ex->fused, ex->n_out);
      g_print ("    the fused gradient of section 8: it differs from M D by "
               "at most %.2g\n    and carries on in its place\n",
               max_difference (ex->fused, rec->m_in, ex->n_out));
    }
}

static void
print_parameter_layer (const BpExplain *ex, gsize i, const Names *n)
{
  const BpExplainLayer *rec = &ex->layers[i];
  g_autofree char *inputs = elements (n->in, rec->n_in);
  g_autofree char *L = g_strdup_printf ("L-%s = rows [%s 1]", n->k,
                                        inputs);
  g_autofree char *delta = g_strdup_printf ("delta%s = %s", n->params,
                                            n->step);
  g_autofree char *after = g_strdup_printf ("%s after the step", n->params);

  /* The paper's M-1 is diag(M D); further back M-k came with the
   * activation, and the step folds in its jacobian. */
  if (n->block <= 1)
    {
      g_autofree char *label = n->block == 1
        ? g_strdup_printf ("M-%s = diag(M D)", n->k)
        : g_strdup_printf ("M-%s = diag(%s)", n->k, n->m);

      print_diag (label, rec->m, rec->n_out);
    }
  print_matrix (L, rec->L, rec->param_rows, rec->param_cols);
  print_matrix (delta, rec->delta, rec->param_rows, rec->param_cols);
  print_matrix (after, rec->P_new, rec->param_rows, rec->param_cols);
  if (rec->m_in != NULL)
    {
      g_autofree char *label = g_strdup_printf (
        "%s, with %s %s", n->m_in, n->weights,
        rec->carried_updated ? "already updated" : "as it was (old)");

      print_row (label, rec->m_in, rec->n_in);
    }
}

static void
print_text (const BpExplain *ex, const char *graph_path, const Names *names)
{
  g_print ("One online step of %s on training sample %zu\n", graph_path,
           ex->sample);
  g_print ("learning rate eta = %g\nupdate order %s\n",
           ex->learning_rate, update_text (ex->update));
  if (ex->optimizer != NULL && strcmp (ex->optimizer, "sgd") != 0)
    g_print ("the graph trains with %s; the step shown is plain SGD at "
             "the same lr\n", ex->optimizer);
  g_print ("\n");

  print_forward (ex, names);
  g_print ("\nBackward, from the output\n");
  for (gsize i = ex->n_layers; i-- > 0;)
    {
      const Names *n = &names[i];

      g_print ("\nlayer %zu (%s)\n", i + 1, n->title);
      if (has_params (&ex->layers[i]))
        print_parameter_layer (ex, i, n);
      else
        print_activation (ex, i, n);
    }
}

/* ---- YAML ---------------------------------------------------------------- */

static void
yaml_reals (GString *out, const bp_real *v, gsize n)
{
  g_string_append_c (out, '[');
  for (gsize j = 0; j < n; j++)
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      g_string_append_printf (out, "%s%s", j ? ", " : "",
                              g_ascii_formatd (buffer, sizeof buffer,
                                               "%.17g", v[j]));
    }
  g_string_append_c (out, ']');
}

static void
yaml_vector (GString *out, const char *indent, const char *key,
             const bp_real *v, gsize n)
{
  g_string_append_printf (out, "%s%s: ", indent, key);
  yaml_reals (out, v, n);
  g_string_append_c (out, '\n');
}

static void
yaml_matrix (GString *out, const char *indent, const char *key,
             const bp_real *a, gsize rows, gsize cols)
{
  g_string_append_printf (out, "%s%s:\n", indent, key);
  for (gsize r = 0; r < rows; r++)
    {
      g_string_append_printf (out, "%s  - ", indent);
      yaml_reals (out, a + r * cols, cols);
      g_string_append_c (out, '\n');
    }
}

static void
yaml_layer (GString *out, const BpExplainLayer *rec, gsize i,
            const Names *n)
{
  const char *in = "    ";

  g_string_append_printf (out, "  - layer: %zu\n    plugin: %s\n"
                          "    input_name: %s\n    output_name: %s\n",
                          i + 1, rec->plugin, n->in, n->out);
  yaml_vector (out, in, "input", rec->x, rec->n_in);
  yaml_vector (out, in, "output", rec->y, rec->n_out);
  yaml_vector (out, in, "m", rec->m, rec->n_out);
  yaml_matrix (out, in, "jacobian", rec->J, rec->n_out, rec->n_in);
  if (rec->m_in != NULL)
    yaml_vector (out, in, "m_jacobian", rec->m_in, rec->n_in);
  if (!has_params (rec))
    return;

  g_string_append_printf (out, "    parameters_name: \"%s\"\n    k: %s\n",
                          n->params, n->k);
  yaml_matrix (out, in, "L", rec->L, rec->param_rows, rec->param_cols);
  yaml_matrix (out, in, "delta", rec->delta, rec->param_rows,
               rec->param_cols);
  yaml_matrix (out, in, "parameters_before", rec->P_old, rec->param_rows,
               rec->param_cols);
  yaml_matrix (out, in, "parameters_after", rec->P_new, rec->param_rows,
               rec->param_cols);
  g_string_append_printf (out, "    carried_with: %s\n",
                          rec->carried_updated ? "updated" : "old");
}

static void
print_yaml (const BpExplain *ex, const char *graph_path, const Names *names)
{
  g_autoptr (GString) out = g_string_new ("format: bpframe-explain\n"
                                          "version: 1\n");
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (ex->optimizer != NULL && strcmp (ex->optimizer, "sgd") != 0)
    g_string_append_printf (out, "# the graph trains with %s; the step is "
                            "plain SGD at the same lr\n", ex->optimizer);
  g_string_append_printf (out, "graph: \"%s\"\nsample: %zu\n", graph_path,
                          ex->sample);
  g_string_append_printf (out, "learning_rate: %s\nupdate: %s\n",
                          g_ascii_formatd (buffer, sizeof buffer, "%.17g",
                                           ex->learning_rate),
                          ex->update == BP_UPDATE_SEQUENTIAL
                            ? "sequential" : "simultaneous");
  yaml_vector (out, "", "x", ex->x, ex->n_in);
  yaml_vector (out, "", "sigma", ex->sigma, ex->n_out);
  yaml_vector (out, "", "f", ex->f, ex->n_out);
  g_string_append_printf (out, "loss: {plugin: %s, value: %s}\n",
                          ex->loss_plugin,
                          g_ascii_formatd (buffer, sizeof buffer, "%.17g",
                                           ex->loss));
  yaml_vector (out, "", "M", ex->M, ex->n_out);
  if (ex->fused != NULL)
    yaml_vector (out, "", "fused_gradient", ex->fused, ex->n_out);

  g_string_append (out, "backward:\n");
  for (gsize i = ex->n_layers; i-- > 0;)
    yaml_layer (out, &ex->layers[i], i, &names[i]);
  g_print ("%s", out->str);
}

/* ---- The command --------------------------------------------------------- */

int
bp_cmd_explain (int argc, char **argv)
{
  gint64 sample = 1;
  g_autofree char *format = NULL;
  gboolean yaml;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (BpGraph) graph = NULL;
  g_autoptr (BpRun) run = NULL;
  g_autoptr (BpExplain) ex = NULL;
  Names *names;
  GOptionEntry entries[] = {
    { "sample", 'k', 0, G_OPTION_ARG_INT64, &sample,
      "Explain training sample K (1 is the first; the default)", "K" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      "text (the default) or yaml", "FORMAT" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("GRAPH.yaml - show one step in the "
                                  "paper's notation");
  g_option_context_set_summary (context,
    "Takes one online step of the network GRAPH.yaml describes on one "
    "training\nsample and shows it in the paper's notation, layer by layer "
    "from the output\nback: the forward values, M, D, M D, each layer's "
    "M-k, jacobian, L-k and\ndelta, and whether the old or the updated "
    "weights carried m back.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return bp_cli_fail (error);

  if (argc != 2)
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           "explain needs one graph file (try 'bpframe "
                           "explain --help')");
      return bp_cli_fail (error);
    }
  if (!bp_cli_parse_format (format, &yaml, &error))
    return bp_cli_fail (error);

  graph = bp_cli_load_graph (argv[1]);
  if (graph == NULL)
    return BP_EXIT_USAGE;
  run = bp_run_new (graph, &error);
  if (run == NULL)
    return bp_cli_fail (error);
  if (sample < 1 || (guint64) sample > bp_run_get_train (run)->n)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--sample must be between 1 and %zu (the training "
                   "set's rows), got %" G_GINT64_FORMAT,
                   bp_run_get_train (run)->n, sample);
      return bp_cli_fail (error);
    }

  ex = bp_run_explain (run, (gsize) sample);
  names = g_new0 (Names, ex->n_layers);
  if (fits_paper (ex))
    paper_names (ex, names);
  else
    neutral_names (ex, names);
  if (yaml)
    print_yaml (ex, argv[1], names);
  else
    print_text (ex, argv[1], names);
  names_clear (names, ex->n_layers);
  return BP_EXIT_OK;
}
