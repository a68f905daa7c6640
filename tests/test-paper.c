/* The paper's networks in configs/paper/: each section*.yaml's one online
 * step worked out here from the paper's formulas alone (never the engine or
 * the plugins), against the model `bpframe run` writes, in both orders.
 */
#include <math.h>
#include <string.h>

#include <glib.h>
#include <yaml.h>

#include "testutil.h"

/* ---- Small dense matrices, the paper's M, D, L, J ------------------------ */

#define MAX_DIM 8
#define MAX_AFFINE 3

typedef struct {
  gsize rows, cols;
  double v[MAX_DIM][MAX_DIM];
} Mat;

static Mat
mat_new (gsize rows, gsize cols)
{
  Mat m = { 0 };

  g_assert_cmpuint (rows, <=, MAX_DIM);
  g_assert_cmpuint (cols, <=, MAX_DIM);
  m.rows = rows;
  m.cols = cols;
  return m;
}

static Mat
mat_mul (const Mat *a, const Mat *b)
{
  Mat c = mat_new (a->rows, b->cols);

  g_assert_cmpuint (a->cols, ==, b->rows);
  for (gsize i = 0; i < a->rows; i++)
    for (gsize j = 0; j < b->cols; j++)
      for (gsize k = 0; k < a->cols; k++)
        c.v[i][j] += a->v[i][k] * b->v[k][j];
  return c;
}

/* diag(m) of a row vector m. */
static Mat
mat_diag (const Mat *m)
{
  Mat d = mat_new (m->cols, m->cols);

  g_assert_cmpuint (m->rows, ==, 1);
  for (gsize k = 0; k < m->cols; k++)
    d.v[k][k] = m->v[0][k];
  return d;
}

/* L: one row [h_1 ... h_n 1] per unit, the derivatives of each unit's
 * output with respect to its row of [W | b]. */
static Mat
mat_L (gsize units, const double *h, gsize n)
{
  Mat L = mat_new (units, n + 1);

  for (gsize r = 0; r < units; r++)
    {
      for (gsize j = 0; j < n; j++)
        L.v[r][j] = h[j];
      L.v[r][n] = 1.0;
    }
  return L;
}

/* ---- The graph file and the model file, read with libyaml ---------------- */

typedef enum { ACT_RELU, ACT_LOGISTIC, ACT_SOFTMAX } Activation;

/* A network of the paper: affine layers [W | b], each with an activation
 * after it, one training sample (x, f), learning rate eta. */
typedef struct {
  gsize n_in;
  gsize n_affine;
  Mat P[MAX_AFFINE];
  Activation act[MAX_AFFINE];
  gboolean binary_ce;
  double x[MAX_DIM], f[MAX_DIM];
  double eta;
} Paper;

static void
load_yaml (const char *path, yaml_document_t *doc)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gsize length;
  yaml_parser_t parser;

  g_file_get_contents (path, &text, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpint (yaml_parser_initialize (&parser), ==, 1);
  yaml_parser_set_input_string (&parser, (const unsigned char *) text,
                                length);
  g_assert_cmpint (yaml_parser_load (&parser, doc), ==, 1);
  yaml_parser_delete (&parser);
  g_assert_nonnull (yaml_document_get_root_node (doc));
}

static const char *
scalar (yaml_node_t *node)
{
  g_assert_nonnull (node);
  g_assert_cmpint (node->type, ==, YAML_SCALAR_NODE);
  return (const char *) node->data.scalar.value;
}

static double
number (yaml_node_t *node)
{
  const char *text = scalar (node);
  char *end;
  double value = g_ascii_strtod (text, &end);

  g_assert_true (end != text && *end == '\0');
  return value;
}

/* The value of key in the mapping map, NULL if it has none. */
static yaml_node_t *
map_find (yaml_document_t *doc, yaml_node_t *map, const char *key)
{
  g_assert_nonnull (map);
  g_assert_cmpint (map->type, ==, YAML_MAPPING_NODE);
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
       p < map->data.mapping.pairs.top; p++)
    if (strcmp (scalar (yaml_document_get_node (doc, p->key)), key) == 0)
      return yaml_document_get_node (doc, p->value);
  return NULL;
}

static yaml_node_t *
map_get (yaml_document_t *doc, yaml_node_t *map, const char *key)
{
  yaml_node_t *value = map_find (doc, map, key);

  if (value == NULL)
    g_error ("no key %s", key);
  return value;
}

static gsize
seq_length (yaml_node_t *seq)
{
  g_assert_nonnull (seq);
  g_assert_cmpint (seq->type, ==, YAML_SEQUENCE_NODE);
  return (gsize) (seq->data.sequence.items.top
                  - seq->data.sequence.items.start);
}

static yaml_node_t *
seq_item (yaml_document_t *doc, yaml_node_t *seq, gsize i)
{
  g_assert_cmpuint (i, <, seq_length (seq));
  return yaml_document_get_node (doc, seq->data.sequence.items.start[i]);
}

/* A list of n numbers. */
static void
read_vector (yaml_document_t *doc, yaml_node_t *seq, double *v, gsize n)
{
  g_assert_cmpuint (seq_length (seq), ==, n);
  for (gsize j = 0; j < n; j++)
    v[j] = number (seq_item (doc, seq, j));
}

/* A list of rows rows of cols numbers, into the first cols columns of m. */
static void
read_rows (yaml_document_t *doc, yaml_node_t *seq, Mat *m, gsize rows,
           gsize cols)
{
  g_assert_cmpuint (seq_length (seq), ==, rows);
  for (gsize r = 0; r < rows; r++)
    read_vector (doc, seq_item (doc, seq, r), m->v[r], cols);
}

/* A single sample, given as a list of one row. */
static void
read_sample (yaml_document_t *doc, yaml_node_t *rows, double *v, gsize n)
{
  g_assert_cmpuint (seq_length (rows), ==, 1);
  read_vector (doc, seq_item (doc, rows, 0), v, n);
}

static Activation
activation_named (const char *name)
{
  if (strcmp (name, "relu") == 0)
    return ACT_RELU;
  if (strcmp (name, "logistic") == 0)
    return ACT_LOGISTIC;
  g_assert_cmpstr (name, ==, "softmax");
  return ACT_SOFTMAX;
}

/* The affine layer `affine: {units, weights, bias}` with n_in inputs. */
static void
read_affine (yaml_document_t *doc, yaml_node_t *args, gsize n_in, Mat *P)
{
  gsize units = (gsize) number (map_get (doc, args, "units"));
  double bias[MAX_DIM];

  *P = mat_new (units, n_in + 1);
  read_rows (doc, map_get (doc, args, "weights"), P, units, n_in);
  read_vector (doc, map_get (doc, args, "bias"), bias, units);
  for (gsize r = 0; r < units; r++)
    P->v[r][n_in] = bias[r];
}

/* Reads a graph file of configs/paper/: its layers alternate affine and
 * an activation, ending with softmax; one online step on one sample. */
static void
read_paper (const char *path, Paper *p)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *model = NULL;
  yaml_document_t doc;
  yaml_node_t *root, *network, *layers, *train, *training, *loss;
  gsize width;

  load_yaml (path, &doc);
  root = yaml_document_get_root_node (&doc);
  *p = (Paper) { 0 };
  g_assert_cmpstr (scalar (map_get (&doc, root, "version")), ==, "1");

  network = map_get (&doc, root, "network");
  p->n_in = width = (gsize) number (map_get (&doc, network, "input"));
  layers = map_get (&doc, network, "layers");
  g_assert_cmpuint (seq_length (layers) % 2, ==, 0);
  p->n_affine = seq_length (layers) / 2;
  g_assert_cmpuint (p->n_affine, <=, MAX_AFFINE);
  for (gsize i = 0; i < p->n_affine; i++)
    {
      yaml_node_t *affine = seq_item (&doc, layers, 2 * i);

      read_affine (&doc, map_get (&doc, affine, "affine"), width, &p->P[i]);
      width = p->P[i].rows;
      p->act[i] = activation_named (scalar (seq_item (&doc, layers,
                                                      2 * i + 1)));
      g_assert_cmpint (p->act[i] == ACT_SOFTMAX, ==, i + 1 == p->n_affine);
    }
  loss = map_get (&doc, network, "loss");
  p->binary_ce = strcmp (scalar (loss), "binary_cross_entropy") == 0;
  if (!p->binary_ce)
    g_assert_cmpstr (scalar (loss), ==, "cross_entropy");

  train = map_get (&doc, map_get (&doc, root, "data"), "train");
  read_sample (&doc, map_get (&doc, train, "inputs"), p->x, p->n_in);
  read_sample (&doc, map_get (&doc, train, "targets"), p->f, width);

  /* One online step, as the paper takes it. */
  training = map_get (&doc, root, "training");
  g_assert_cmpstr (scalar (map_get (&doc, training, "epochs")), ==, "1");
  g_assert_cmpstr (scalar (map_get (&doc, training, "batch")), ==, "1");
  g_assert_cmpstr (scalar (map_get (&doc, training, "shuffle")), ==,
                   "false");
  g_assert_cmpstr (scalar (map_get (&doc, training, "update")), ==,
                   "sequential");
  p->eta = number (map_get (&doc,
                            map_get (&doc,
                                     map_get (&doc, training, "optimizer"),
                                     "sgd"),
                            "lr"));

  /* section6.yaml writes section6-model.yaml. */
  model = g_strdup_printf ("%.*s-model.yaml",
                           (int) (strlen (base) - strlen (".yaml")), base);
  g_assert_cmpstr (scalar (map_get (&doc, map_get (&doc, root, "output"),
                                    "model")),
                   ==, model);
  yaml_document_delete (&doc);
}

/* Reads the parameters [W | b] of every affine layer of a model file
 * written for the network p (which only gives the expected shapes). */
static void
read_model (const char *path, const Paper *p, Mat P[MAX_AFFINE])
{
  yaml_document_t doc;
  yaml_node_t *root, *layers;
  gsize a = 0;

  load_yaml (path, &doc);
  root = yaml_document_get_root_node (&doc);
  g_assert_cmpstr (scalar (map_get (&doc, root, "format")), ==,
                   "bpframe-model");
  g_assert_cmpstr (scalar (map_get (&doc, root, "version")), ==, "1");
  g_assert_cmpuint ((gsize) number (map_get (&doc, root, "input")), ==,
                    p->n_in);
  g_assert_cmpstr (scalar (map_get (&doc, root, "loss")), ==,
                   p->binary_ce ? "binary_cross_entropy" : "cross_entropy");

  layers = map_get (&doc, root, "layers");
  g_assert_cmpuint (seq_length (layers), ==, 2 * p->n_affine);
  for (gsize i = 0; i < seq_length (layers); i++)
    {
      yaml_node_t *layer = seq_item (&doc, layers, i);
      const char *plugin = scalar (map_get (&doc, layer, "plugin"));
      gsize rows, cols;

      if (i % 2 == 1)
        {
          g_assert_cmpint (activation_named (plugin), ==, p->act[i / 2]);
          g_assert_null (map_find (&doc, layer, "parameters"));
          continue;
        }
      g_assert_cmpstr (plugin, ==, "affine");
      rows = (gsize) number (map_get (&doc, layer, "rows"));
      cols = (gsize) number (map_get (&doc, layer, "cols"));
      g_assert_cmpuint (rows, ==, p->P[a].rows);
      g_assert_cmpuint (cols, ==, p->P[a].cols);
      P[a] = mat_new (rows, cols);
      read_rows (&doc, map_get (&doc, layer, "parameters"), &P[a], rows,
                 cols);
      a++;
    }
  yaml_document_delete (&doc);
}

/* ---- One online step, by the paper's formulas ---------------------------- */

/* The files, with how many ReLU units each is to have inactive (y < 0)
 * and whether to check section 8's sigma - f at the start of the chain. */
typedef struct {
  const char *file;
  guint relu_inactive;
  gboolean check_fused;
} PaperCase;

static const PaperCase cases[] = {
  { "section6.yaml", 0, FALSE },
  { "section6-453.yaml", 2, FALSE },
  { "section7-1.yaml", 2, FALSE },
  { "section7-2.yaml", 0, FALSE },
  { "section8.yaml", 1, TRUE },
};

/* J_phi(y): the activation's jacobian at its input y, diagonal for ReLU
 * (0 or 1) and for the logistic (s (1 - s)). */
static Mat
jacobian (Activation act, const double *y, gsize n, guint *inactive)
{
  Mat J = mat_new (n, n);

  for (gsize j = 0; j < n; j++)
    if (act == ACT_RELU)
      {
        /* Away from the kink, where ReLU has no derivative. */
        g_assert_cmpfloat (fabs (y[j]), >, 1e-3);
        J.v[j][j] = y[j] > 0 ? 1.0 : 0.0;
        *inactive += y[j] < 0;
      }
    else
      {
        double s = 1.0 / (1.0 + exp (-y[j]));

        g_assert_cmpint (act, ==, ACT_LOGISTIC);
        J.v[j][j] = s * (1.0 - s);
      }
  return J;
}

/* The start of the chain: M = d loss / d sigma (a row), D = J_sigma(z),
 * and M D. */
static Mat
chain_start (const Paper *p, const double *sigma, gsize v,
             const PaperCase *pc)
{
  Mat M = mat_new (1, v), D = mat_new (v, v), MD;

  /* M: section 5's loss (with 1/v, the paper's 1/2) or the cross entropy
   * -sum_k f_k log sigma_k of sections 4 and 8. */
  for (gsize k = 0; k < v; k++)
    if (p->binary_ce)
      M.v[0][k] = -1.0 / (double) v
                  * (p->f[k] / sigma[k] - (1 - p->f[k]) / (1 - sigma[k]));
    else
      M.v[0][k] = -p->f[k] / sigma[k];

  /* D: d sigma_p / d z_k = sigma_p (delta_pk - sigma_k). */
  for (gsize r = 0; r < v; r++)
    for (gsize k = 0; k < v; k++)
      D.v[r][k] = sigma[r] * ((r == k ? 1.0 : 0.0) - sigma[k]);
  MD = mat_mul (&M, &D);

  /* Section 8: with sum f = 1, M D is sigma - f, even for an f that is
   * not one-hot. */
  if (pc->check_fused)
    {
      double sum = 0;
      guint nonzero = 0;

      for (gsize k = 0; k < v; k++)
        {
          sum += p->f[k];
          nonzero += p->f[k] != 0.0;
          g_assert_cmpfloat_with_epsilon (MD.v[0][k], sigma[k] - p->f[k],
                                          1e-15);
        }
      g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-15);
      g_assert_cmpuint (nonzero, >, 1);
    }
  return MD;
}

/* One step from p in the given order; the new [W | b] of every affine
 * layer into out. */
static void
paper_step (const Paper *p, gboolean sequential, const PaperCase *pc,
            Mat out[MAX_AFFINE])
{
  const gsize n = p->n_affine;
  double h[MAX_AFFINE + 1][MAX_DIM], pre[MAX_AFFINE][MAX_DIM];
  Mat m;
  guint inactive = 0;

  /* Forward: y = A x + Lambda, phi = ReLU(y), ..., sigma = S(z). */
  memcpy (h[0], p->x, sizeof h[0]);
  for (gsize i = 0; i < n; i++)
    {
      const Mat *P = &p->P[i];
      const gsize d = P->cols - 1;
      double total = 0;

      for (gsize r = 0; r < P->rows; r++)
        {
          pre[i][r] = P->v[r][d];
          for (gsize j = 0; j < d; j++)
            pre[i][r] += P->v[r][j] * h[i][j];
        }
      for (gsize r = 0; r < P->rows; r++)
        if (p->act[i] == ACT_RELU)
          h[i + 1][r] = pre[i][r] > 0 ? pre[i][r] : 0.0;
        else if (p->act[i] == ACT_LOGISTIC)
          h[i + 1][r] = 1.0 / (1.0 + exp (-pre[i][r]));
        else
          {
            h[i + 1][r] = exp (pre[i][r]);
            total += h[i + 1][r];
          }
      if (p->act[i] == ACT_SOFTMAX)
        for (gsize r = 0; r < P->rows; r++)
          h[i + 1][r] /= total;
    }

  /* M D = [B_1 ... B_v]. */
  m = chain_start (p, h[n], p->P[n - 1].rows, pc);

  /* delta[B | Xi] = -eta M-1 L-1, with M-1 = diag(M D). */
  {
    Mat M1 = mat_diag (&m);
    Mat L1 = mat_L (p->P[n - 1].rows, h[n - 1], p->P[n - 1].cols - 1);
    Mat delta = mat_mul (&M1, &L1);

    out[n - 1] = p->P[n - 1];
    for (gsize r = 0; r < delta.rows; r++)
      for (gsize c = 0; c < delta.cols; c++)
        out[n - 1].v[r][c] += -p->eta * delta.v[r][c];
  }

  /* Each layer further back: C = m W of the layer after it (the new W in
   * sequential order, the old one in simultaneous), M-2 = diag(C) and
   * delta[A | Lambda] = -eta M-2 J_phi(y) L-2; m goes on as C J_phi(y)
   * (so that, in 7.2, C J_phi(y) A = [D_1 ... D_d] and M-3 = diag(D)). */
  for (gsize i = n - 1; i-- > 0;)
    {
      const Mat *after = sequential ? &out[i + 1] : &p->P[i + 1];
      Mat W = mat_new (after->rows, after->cols - 1);
      Mat C, Mk, J, L, MJ, delta;

      for (gsize r = 0; r < W.rows; r++)
        memcpy (W.v[r], after->v[r], W.cols * sizeof W.v[r][0]);
      C = mat_mul (&m, &W);
      Mk = mat_diag (&C);
      J = jacobian (p->act[i], pre[i], p->P[i].rows, &inactive);
      L = mat_L (p->P[i].rows, h[i], p->P[i].cols - 1);
      MJ = mat_mul (&Mk, &J);
      delta = mat_mul (&MJ, &L);

      out[i] = p->P[i];
      for (gsize r = 0; r < delta.rows; r++)
        for (gsize c = 0; c < delta.cols; c++)
          out[i].v[r][c] += -p->eta * delta.v[r][c];
      m = mat_mul (&C, &J);
    }
  g_assert_cmpuint (inactive, ==, pc->relu_inactive);
}

/* ---- The program against the paper -------------------------------------- */

static void
run_bpframe (const char *file, const char *order, const char *model)
{
  g_autofree char *config = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                              "paper", file, NULL);
  const char *argv[] = { g_getenv ("BPFRAME"), "run", "--quiet", "--update",
                         order, "--model", model, config, NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status;

  g_assert_nonnull (argv[0]);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpstr (out, ==, "");
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
}

static void
read_case (const PaperCase *pc, Paper *p)
{
  g_autofree char *config = g_build_filename (g_getenv ("BP_TEST_CONFIGDIR"),
                                              "paper", pc->file, NULL);

  read_paper (config, p);
}

/* Runs bpframe on the case in the given order and reads its model. */
static void
run_case (BpTestFixture *f, const PaperCase *pc, const Paper *p,
          gboolean sequential, Mat P[MAX_AFFINE])
{
  const char *order = sequential ? "sequential" : "simultaneous";
  g_autofree char *name = g_strdup_printf ("%s-model.yaml", order);
  g_autofree char *model = g_build_filename (f->dir, name, NULL);

  run_bpframe (pc->file, order, model);
  read_model (model, p, P);
}

typedef struct {
  const PaperCase *pc;
  gboolean sequential;
} PaperRun;

/* Every parameter bpframe writes equals the paper's step, to 1e-12
 * relative (1e-15 absolute near 0). */
static void
test_step (BpTestFixture *f, gconstpointer data)
{
  const PaperRun *run = data;
  Paper p;
  Mat expected[MAX_AFFINE], actual[MAX_AFFINE];
  gsize compared = 0;

  read_case (run->pc, &p);
  paper_step (&p, run->sequential, run->pc, expected);
  run_case (f, run->pc, &p, run->sequential, actual);
  for (gsize i = 0; i < p.n_affine; i++)
    for (gsize r = 0; r < expected[i].rows; r++)
      for (gsize c = 0; c < expected[i].cols; c++)
        {
          double e = expected[i].v[r][c];

          g_assert_cmpfloat_with_epsilon (actual[i].v[r][c], e,
                                          MAX (1e-12 * fabs (e), 1e-15));
          compared++;
        }
  g_assert_cmpuint (compared, >=, 12);
}

/* The orders differ only where the paper says: the last [W | b] is the
 * same bit for bit, every one before it differs in some entry. */
static void
test_orders (BpTestFixture *f, gconstpointer data)
{
  const PaperCase *pc = data;
  Paper p;
  Mat seq[MAX_AFFINE], sim[MAX_AFFINE];
  const Mat *last_seq, *last_sim;

  read_case (pc, &p);
  run_case (f, pc, &p, TRUE, seq);
  run_case (f, pc, &p, FALSE, sim);

  last_seq = &seq[p.n_affine - 1];
  last_sim = &sim[p.n_affine - 1];
  for (gsize r = 0; r < last_seq->rows; r++)
    g_assert_cmpmem (last_seq->v[r], last_seq->cols * sizeof (double),
                     last_sim->v[r], last_sim->cols * sizeof (double));
  for (gsize i = 0; i + 1 < p.n_affine; i++)
    {
      gsize differing = 0;

      for (gsize r = 0; r < seq[i].rows; r++)
        for (gsize c = 0; c < seq[i].cols; c++)
          differing += seq[i].v[r][c] != sim[i].v[r][c];
      g_assert_cmpuint (differing, >, 0);
    }
}

int
main (int argc, char **argv)
{
  PaperRun runs[G_N_ELEMENTS (cases)][2];

  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strndup (cases[i].file,
                                         strlen (cases[i].file)
                                         - strlen (".yaml"));

      for (int o = 0; o < 2; o++)
        {
          g_autofree char *path = g_strdup_printf (
            "/paper/%s/%s", name, o == 0 ? "sequential" : "simultaneous");

          runs[i][o] = (PaperRun) { &cases[i], o == 0 };
          g_test_add (path, BpTestFixture, &runs[i][o],
                      bp_test_fixture_set_up, test_step,
                      bp_test_fixture_tear_down);
        }
      {
        g_autofree char *path = g_strdup_printf ("/paper/%s/orders", name);

        g_test_add (path, BpTestFixture, &cases[i], bp_test_fixture_set_up,
                    test_orders, bp_test_fixture_tear_down);
      }
    }
  return g_test_run ();
}
