/* The gradient checker behind `bpframe check` and bp_test_check_plugin:
 * each operation of a plugin against central finite differences or its
 * explicit form, at seeded random points, each result one row of a table.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "bpframe/check.h"
#include "network.h"

#define CHECK_WIDTH 4     /* inputs of a layer checked alone */
#define HELPER_WIDTH 3    /* inputs of the affine layer placed before */
#define BATCH 3           /* rows given to the batched forms */
#define GUARD 8           /* entries of guard on each side of an output */
#define MAX_PERTURBED 256 /* inputs, or parameters, perturbed per point */
#define RANGE 2.0         /* inputs and parameters drawn in [-2, 2] */
#define HELPER_RANGE 1.0  /* the helper affine's W and b in [-1, 1] */

/* How far a point's two steps may disagree, as a share of its slope,
 * before a kink is taken to lie within them (central_difference). */
#define KINK_SHARE 1e-2

#ifdef BP_REAL_FLOAT
#define REAL_EPSILON FLT_EPSILON
#else
#define REAL_EPSILON DBL_EPSILON
#endif

/* ---- The report ---------------------------------------------------------- */

typedef enum {
  VERDICT_PASS,
  VERDICT_FAIL,
  VERDICT_SKIP
} Verdict;

typedef struct {
  char *subject;    /* "relu", "affine + relu", "layer 2 (relu)" */
  char *operation;  /* "jacobian vs differences" */
  double max_abs;   /* the largest errors, when numbers is TRUE */
  double max_rel;
  Verdict verdict;
  char *text;       /* "pass", "FAIL: rows 1-4 off", ... */
  char *note;       /* a line for after the table, or NULL */
  gboolean numbers; /* max_abs and max_rel hold a comparison */
} Row;

struct BpCheckReport {
  char *title;            /* what was checked, one line or more */
  BpCheckOptions options;
  GPtrArray *rows;        /* of Row */
  GPtrArray *notes;       /* char *, lines for after the table */
};

static void
row_free (gpointer data)
{
  Row *row = data;

  g_free (row->subject);
  g_free (row->operation);
  g_free (row->text);
  g_free (row->note);
  g_free (row);
}

static BpCheckReport *
report_new (const BpCheckOptions *options)
{
  BpCheckReport *report = g_new0 (BpCheckReport, 1);

  report->options = *options;
  report->rows = g_ptr_array_new_with_free_func (row_free);
  report->notes = g_ptr_array_new_with_free_func (g_free);
  return report;
}

void
bp_check_report_free (BpCheckReport *report)
{
  if (report == NULL)
    return;
  g_free (report->title);
  g_ptr_array_unref (report->rows);
  g_ptr_array_unref (report->notes);
  g_free (report);
}

static Row *
add_row (BpCheckReport *report, const char *subject, const char *operation,
         Verdict verdict, char *text)
{
  Row *row = g_new0 (Row, 1);

  row->subject = g_strdup (subject);
  row->operation = g_strdup (operation);
  row->max_abs = row->max_rel = NAN;
  row->verdict = verdict;
  row->text = text;
  g_ptr_array_add (report->rows, row);
  return row;
}

static void add_note (BpCheckReport *report, const char *format, ...)
  G_GNUC_PRINTF (2, 3);

static void
add_note (BpCheckReport *report, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (report->notes, g_strdup_vprintf (format, args));
  va_end (args);
}

/* The defaults pass every standard plugin in double with a margin of ten
 * or more, and fail a 1% error by a hundred. A float build's rounding
 * wants a larger step, h = 3e-3 (Richardson's combination keeps the
 * differences' own error far below 1e-3 there), and a wider tolerance:
 * the standard plugins pass at 16 seeds and every graph of configs/ at
 * the default one, and a 1% error fails by three. At other seeds a graph's
 * whole-network row fails now and then in float (5 of 78 runs of the 13
 * graphs at seeds 1 to 6): a step of a first layer's weight that crosses
 * a relu's kink changes the loss by some hundred units of its last place,
 * and the 16 to 64 units allowed for rounding hide the kink. TODO: keep
 * the objective in double (EvalFunc writes bp_real, so chain_value rounds
 * the loss to float) and allow for the rounding of the activations
 * alone. */
void
bp_check_options_init (BpCheckOptions *options)
{
  g_return_if_fail (options != NULL);

#ifdef BP_REAL_FLOAT
  options->rel_tolerance = 3e-3;
  options->step = 3e-3;
#else
  options->rel_tolerance = 1e-4;
  options->step = 1e-5;
#endif
  options->abs_tolerance = 1e-7;
  options->points = 5;
  options->seed = 1;
}

/* ---- Guarded outputs ----------------------------------------------------- */

/* Every buffer a plugin writes has GUARD entries of a byte pattern on each
 * side, and starts filled with it, so that writing outside the announced
 * width, or leaving an entry unwritten, shows afterwards. */
#define SENTINEL_BYTE 0x5b

static bp_real *
guarded_new (gsize n)
{
  bp_real *mem = g_new (bp_real, n + 2 * GUARD);

  memset (mem, SENTINEL_BYTE, (n + 2 * GUARD) * sizeof *mem);
  return mem + GUARD;
}

static void
guarded_free (bp_real *data)
{
  if (data != NULL)
    g_free (data - GUARD);
}

/* Back to all sentinel, guards included. */
static void
guarded_reset (bp_real *data, gsize n)
{
  memset (data - GUARD, SENTINEL_BYTE, (n + 2 * GUARD) * sizeof *data);
}

static gboolean
is_sentinel (const bp_real *v)
{
  const guint8 *bytes = (const guint8 *) v;

  for (gsize i = 0; i < sizeof *v; i++)
    if (bytes[i] != SENTINEL_BYTE)
      return FALSE;
  return TRUE;
}

/* What went wrong with the widths of one subject's outputs, one problem
 * per operation: the first is enough to say which call is at fault. */
typedef struct {
  GPtrArray *problems; /* char *, "forward writes outside its 1 x 4 Y" */
  GPtrArray *ops;      /* const char *, the operations they concern */
} Widths;

static void
widths_init (Widths *w)
{
  w->problems = g_ptr_array_new_with_free_func (g_free);
  w->ops = g_ptr_array_new ();
}

static void
widths_clear (Widths *w)
{
  g_ptr_array_unref (w->problems);
  g_ptr_array_unref (w->ops);
}

static gboolean
widths_reported (const Widths *w, const char *op)
{
  for (guint i = 0; i < w->ops->len; i++)
    if (strcmp (g_ptr_array_index (w->ops, i), op) == 0)
      return TRUE;
  return FALSE;
}

/* Records problem (taken over) for op, unless op has one already. */
static void
widths_problem (Widths *w, const char *op, char *problem)
{
  if (widths_reported (w, op))
    {
      g_free (problem);
      return;
    }
  g_ptr_array_add (w->ops, (gpointer) op);
  g_ptr_array_add (w->problems, problem);
}

/* After op wrote name (rows x cols) at data: its guards must be intact,
 * and, when must_write, every entry written. */
static void
widths_after (Widths *w, const char *op, const char *name,
              const bp_real *data, gsize rows, gsize cols,
              gboolean must_write)
{
  gsize n = rows * cols;

  if (widths_reported (w, op))
    return;

  for (gsize g = 1; g <= GUARD; g++)
    if (!is_sentinel (data - g) || !is_sentinel (data + n - 1 + g))
      {
        widths_problem (w, op, g_strdup_printf ("%s writes outside its %zu "
                                                "x %zu %s", op, rows, cols,
                                                name));
        return;
      }

  for (gsize i = 0; must_write && i < n; i++)
    if (is_sentinel (data + i))
      {
        widths_problem (w, op, g_strdup_printf ("%s leaves %s[%zu][%zu] "
                                                "unwritten", op, name,
                                                i / cols + 1, i % cols + 1));
        return;
      }
}

static void
widths_row (BpCheckReport *report, const char *subject, const Widths *w)
{
  g_autoptr (GString) text = g_string_new ("FAIL: ");

  if (w->problems->len == 0)
    {
      add_row (report, subject, "output widths (guard bytes)",
               VERDICT_PASS, g_strdup ("pass"));
      return;
    }
  for (guint i = 0; i < w->problems->len; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? "; " : "",
                            (const char *) g_ptr_array_index (w->problems,
                                                              i));
  add_row (report, subject, "output widths (guard bytes)", VERDICT_FAIL,
           g_string_free (g_steal_pointer (&text), FALSE));
}

/* ---- Comparisons --------------------------------------------------------- */

/* Accumulates the comparisons of one row: analytic values against what
 * they are checked against, entry by entry of a rows x cols matrix (1 x n
 * for a vector), over the points; and what was skipped. */
typedef struct {
  const char *name;  /* "J", "L", "M", ... for the notes */
  gsize rows, cols;
  gboolean *off;     /* rows x cols: the entry failed at some point */
  gboolean *ones;    /* per column: the reference was 1 at every point */
  gboolean *seen;    /* per column: compared at all */
  double max_abs, max_rel;
  guint compared, nonzero;
  guint kinks, not_finite; /* points skipped, by reason */
  gboolean vacuous_fails;  /* both sides zero everywhere is a failure */
  char *extra;             /* a failure of another kind, or NULL */
  /* The worst entry, relative to what the tolerances allow. */
  double worst_excess, worst_got, worst_want;
  gsize worst_r, worst_c;
  guint worst_point;
} Compare;

static void
compare_init (Compare *c, const char *name, gsize rows, gsize cols,
              gboolean vacuous_fails)
{
  memset (c, 0, sizeof *c);
  c->name = name;
  c->rows = rows;
  c->cols = cols;
  c->off = g_new0 (gboolean, rows * cols);
  c->ones = g_new (gboolean, cols);
  c->seen = g_new0 (gboolean, cols);
  for (gsize j = 0; j < cols; j++)
    c->ones[j] = TRUE;
  c->vacuous_fails = vacuous_fails;
  c->worst_excess = -INFINITY;
}

static void
compare_clear (Compare *c)
{
  g_free (c->off);
  g_free (c->ones);
  g_free (c->seen);
  g_free (c->extra);
}

/* What a comparison allows: the tolerances, plus the rounding error a
 * finite difference can carry (0 when the reference is no difference). */
static double
allowance (const BpCheckOptions *o, double got, double want,
           double rounding)
{
  double scale = MAX (fabs (got), fabs (want));

  return o->abs_tolerance + o->rel_tolerance * scale + rounding;
}

/* Entry (r, col) at point (0-based): got is the plugin's, want the
 * reference, rounding what rounding alone may put between them. Two
 * values that are both not finite (sqrt's slope at 0, from the fast and
 * the explicit form) are not compared; one alone fails. */
static void
compare_entry (Compare *c, const BpCheckOptions *o, gsize r, gsize col,
               double got, double want, double rounding, guint point)
{
  double diff = fabs (got - want);
  double scale = MAX (fabs (got), fabs (want));
  double allowed = allowance (o, got, want, rounding);
  double excess;

  if (!isfinite (got) && !isfinite (want))
    return;
  c->compared++;
  c->seen[col] = TRUE;
  if (scale > o->abs_tolerance)
    c->nonzero++;
  if (!(fabs (want - 1) <= allowance (o, 1, want, rounding)))
    c->ones[col] = FALSE;
  /* NaN fails: no comparison with it is true. */
  if (!(diff <= allowed))
    c->off[r * c->cols + col] = TRUE;
  /* A NaN stays: the row must show it. */
  if (isnan (diff) || isnan (c->max_abs))
    c->max_abs = c->max_rel = NAN;
  else
    {
      c->max_abs = MAX (c->max_abs, diff);
      if (scale > 0)
        c->max_rel = MAX (c->max_rel, diff / scale);
    }

  excess = isnan (diff) ? INFINITY : diff - allowed;
  if (excess > c->worst_excess)
    {
      c->worst_excess = excess;
      c->worst_got = got;
      c->worst_want = want;
      c->worst_r = r;
      c->worst_c = col;
      c->worst_point = point;
    }
}

/* "1-4", "1, 3", "2, 5-7": the 1-based numbers of the TRUE flags. */
static char *
number_list (const gboolean *flags, gsize n)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    {
      gsize end = i;

      if (!flags[i])
        continue;
      while (end + 1 < n && flags[end + 1])
        end++;
      g_string_append_printf (out, "%s%zu", out->len ? ", " : "", i + 1);
      if (end > i)
        g_string_append_printf (out, "%s%zu", end == i + 1 ? ", " : "-",
                                end + 1);
      i = end;
    }
  return g_string_free (out, FALSE);
}

static gsize
count_true (const gboolean *flags, gsize n)
{
  gsize count = 0;

  for (gsize i = 0; i < n; i++)
    count += flags[i] != 0;
  return count;
}

/* Which entries are off: whole columns when the failures are exactly
 * some columns in every row (a column that should be all ones is named
 * as the bias column, d y_k / d b_k = 1), else the rows they are in. */
static char *
describe_off (const Compare *c)
{
  g_autofree gboolean *rows = g_new0 (gboolean, c->rows);
  g_autofree gboolean *cols = g_new0 (gboolean, c->cols);
  g_autofree char *list = NULL;
  gboolean whole_columns = TRUE;
  gsize n_cols;

  for (gsize r = 0; r < c->rows; r++)
    for (gsize j = 0; j < c->cols; j++)
      if (c->off[r * c->cols + j])
        rows[r] = cols[j] = TRUE;
  for (gsize r = 0; r < c->rows; r++)
    for (gsize j = 0; j < c->cols; j++)
      if (cols[j] && !c->off[r * c->cols + j])
        whole_columns = FALSE;
  n_cols = count_true (cols, c->cols);

  if (c->rows == 1)
    {
      list = number_list (cols, c->cols);
      return g_strdup_printf ("entr%s %s off", n_cols == 1 ? "y" : "ies",
                              list);
    }
  if (c->rows > 1 && whole_columns && n_cols < c->cols)
    {
      list = number_list (cols, c->cols);
      if (n_cols == 1)
        for (gsize j = 0; j < c->cols; j++)
          if (cols[j] && c->ones[j] && c->seen[j])
            return g_strdup_printf ("column %s (bias column) off in every "
                                    "row", list);
      return g_strdup_printf ("column%s %s off in every row",
                              n_cols == 1 ? "" : "s", list);
    }
  list = number_list (rows, c->rows);
  return g_strdup_printf ("row%s %s off",
                          count_true (rows, c->rows) == 1 ? "" : "s", list);
}

/* "skipped 2 points (kink)", or "" when none was. */
static char *
skipped_text (const Compare *c)
{
  guint skipped = c->kinks + c->not_finite;

  if (skipped == 0)
    return g_strdup ("");
  return g_strdup_printf ("skipped %u point%s (%s%s%s)", skipped,
                          skipped == 1 ? "" : "s",
                          c->kinks ? "kink" : "",
                          c->kinks && c->not_finite ? ", " : "",
                          c->not_finite ? "not finite" : "");
}

/* Turns the comparisons into a row: FAIL when an entry is off, when
 * nothing was compared, or (vacuous_fails) when both sides were zero
 * everywhere, the classic empty pass of a gradient checker. */
static void
compare_row (BpCheckReport *report, const char *subject,
             const char *operation, const Compare *c)
{
  g_autofree char *skipped = skipped_text (c);
  Verdict verdict = VERDICT_PASS;
  char *text;
  Row *row;

  if (c->compared == 0)
    {
      verdict = VERDICT_FAIL;
      text = g_strdup_printf ("FAIL: nothing compared%s%s",
                              *skipped ? ", " : "", skipped);
    }
  else if (c->extra != NULL)
    {
      verdict = VERDICT_FAIL;
      text = g_strdup_printf ("FAIL: %s", c->extra);
    }
  else if (count_true (c->off, c->rows * c->cols) > 0)
    {
      g_autofree char *off = describe_off (c);

      verdict = VERDICT_FAIL;
      text = g_strdup_printf ("FAIL: %s", off);
    }
  else if (c->vacuous_fails && c->nonzero == 0)
    {
      verdict = VERDICT_FAIL;
      text = g_strdup ("FAIL: vacuous, both sides zero everywhere");
    }
  else
    text = g_strdup_printf ("pass%s%s", *skipped ? ", " : "", skipped);

  row = add_row (report, subject, operation, verdict, text);
  if (c->compared > 0)
    {
      row->numbers = TRUE;
      row->max_abs = c->max_abs;
      row->max_rel = c->max_rel;
    }
  if (verdict == VERDICT_FAIL && c->compared > 0 && c->worst_excess > 0)
    {
      g_autofree char *where = c->rows == 1
        ? g_strdup_printf ("%s[%zu]", c->name, c->worst_c + 1)
        : g_strdup_printf ("%s[%zu][%zu]", c->name, c->worst_r + 1,
                           c->worst_c + 1);

      row->note = g_strdup_printf ("%s, %s: worst %s = %.9g against %.9g "
                                   "(point %u)", subject, operation, where,
                                   c->worst_got, c->worst_want,
                                   c->worst_point + 1);
    }
}

/* ---- Finite differences -------------------------------------------------- */

/* Writes the m outputs of a function at the current values of its
 * arguments; returns FALSE when one is not finite. */
typedef gboolean (*EvalFunc) (gpointer ctx, bp_real *out);

typedef enum {
  DIFF_OK,
  DIFF_KINK,
  DIFF_NOT_FINITE
} DiffResult;

static gboolean
all_finite (const bp_real *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (v[i]))
      return FALSE;
  return TRUE;
}

/* A central difference quotient, and the error that rounding the values
 * it subtracts can put in it: ROUNDING_ULPS units of the last place of
 * the larger, or of the terms they sum when those are larger (an output
 * summed from many terms carries more than one unit; 16 covers the
 * standard plugins' widest). */
#define ROUNDING_ULPS 16

/* What rounding can put in a value computed in bp_real from terms whose
 * sizes add up to magnitude: a fast form against its explicit one. */
static double
sum_rounding (double magnitude)
{
  return ROUNDING_ULPS * REAL_EPSILON * magnitude;
}

typedef struct {
  double value;
  double rounding;
} Diff;

/* One step's quotients of an output: the central one, the forward one
 * less the backward one, and what rounding can put in either. */
typedef struct {
  double central, spread, noise, rounding;
} Quotients;

static Quotients
quotients (bp_real up, bp_real base, bp_real down, bp_real hi,
           bp_real saved, bp_real lo, double magnitude)
{
  double size = MAX (MAX (fabs ((double) up), fabs ((double) down)),
                     magnitude);
  Quotients q;

  q.central = ((double) up - down) / ((double) hi - lo);
  q.spread = ((double) up - base) / ((double) hi - saved)
             - ((double) base - down) / ((double) saved - lo);
  q.noise = 64 * REAL_EPSILON * MAX (size, fabs ((double) base))
            / ((double) hi - saved);
  q.rounding = ROUNDING_ULPS * REAL_EPSILON * size / ((double) hi - lo);
  return q;
}

/* The derivatives d out / d *v of eval's m outputs, whose values at *v
 * are base, into q: central differences D at the steps h and h / 2,
 * combined as (4 D(h/2) - D(h)) / 3 (Richardson), which cancels the
 * h^2 f''' / 6 error of each. A float build needs that: its rounding
 * wants a step of 1e-3 or more, where D(h) alone is off by more than the
 * 1% error the checker must catch. The steps actually taken are the ones
 * the number type can represent. magnitude, when not NULL, holds the size
 * of the terms each output sums, for its rounding.
 *
 * A smooth output's two steps agree: their central quotients to
 * h^2 f''' / 8, and the forward quotient less the backward one (h f'' at
 * the full step) is twice what it is at the half step, to h^3. A kink
 * within the step breaks one of the two by a share of its jump in slope;
 * beyond KINK_SHARE of the quotients, plus rounding, the point is
 * skipped. A kink too small to be seen cannot pass a check wrongly: its
 * differences are off, so the row fails. */
static DiffResult
central_difference (const BpCheckOptions *o, EvalFunc eval, gpointer ctx,
                    bp_real *v, gsize m, const bp_real *base, bp_real *up,
                    bp_real *down, const double *magnitude, Diff *q)
{
  bp_real saved = *v;
  bp_real hi = (bp_real) (saved + o->step);
  bp_real lo = (bp_real) (saved - o->step);
  bp_real half_hi = (bp_real) (saved + o->step / 2);
  bp_real half_lo = (bp_real) (saved - o->step / 2);
  g_autofree Quotients *full = g_new (Quotients, m);
  gboolean finite, kink = FALSE;

  *v = hi;
  finite = eval (ctx, up);
  *v = lo;
  finite = eval (ctx, down) && finite;
  for (gsize k = 0; k < m; k++)
    full[k] = quotients (up[k], base[k], down[k], hi, saved, lo,
                         magnitude != NULL ? magnitude[k] : 0);

  *v = half_hi;
  finite = eval (ctx, up) && finite;
  *v = half_lo;
  finite = eval (ctx, down) && finite;
  *v = saved;
  if (!finite)
    return DIFF_NOT_FINITE;

  for (gsize k = 0; k < m; k++)
    {
      Quotients half = quotients (up[k], base[k], down[k], half_hi, saved,
                                  half_lo,
                                  magnitude != NULL ? magnitude[k] : 0);
      double slope = MAX (fabs (full[k].central), fabs (half.central));
      double spread = MAX (fabs (full[k].spread), fabs (half.spread));

      if (fabs (full[k].central - half.central)
            > KINK_SHARE * slope + half.rounding + full[k].rounding
          || fabs (full[k].spread - 2 * half.spread)
               > KINK_SHARE * (slope + spread) + 2 * half.noise
                 + full[k].noise)
        kink = TRUE;
      q[k].value = (4 * half.central - full[k].central) / 3;
      q[k].rounding = (4 * half.rounding + full[k].rounding) / 3;
    }
  return kink ? DIFF_KINK : DIFF_OK;
}

static void
count_skip (Compare *c, DiffResult result)
{
  if (result == DIFF_KINK)
    c->kinks++;
  else
    c->not_finite++;
}

/* The indices 0 .. n - 1, or MAX_PERTURBED of them drawn without
 * repeats when there are more: a large layer is sampled, not skipped. */
static gsize
draw_indices (GRand *rng, gsize n, gsize *out)
{
  gsize take = MIN (n, MAX_PERTURBED);

  for (gsize i = 0; i < n && i < take; i++)
    out[i] = i;
  if (take == n)
    return n;
  /* Selection sampling: each index kept with the probability that the
   * remaining draws need. */
  for (gsize i = 0, kept = 0; i < n && kept < take; i++)
    if ((gsize) g_rand_int_range (rng, 0, (gint32) (n - i)) < take - kept)
      out[kept++] = i;
  return take;
}

/* ---- Instances ----------------------------------------------------------- */

/* One layer or loss instance under check: made here from a plugin, or
 * borrowed from a network built from a graph. */
typedef struct {
  BpLoadedPlugin *plugin; /* owned when made here, else NULL */
  const BpPlugin *d;
  void *state;
  gboolean owns_state;
  gsize n_in, n_out;      /* a loss: n_in == n_out, its width */
  gsize rows, cols;       /* P's shape, 0 x 0 without parameters */
  bp_real *P0;            /* the parameters init_params gave, or NULL */
  double range;           /* parameters at the other points: [-r, r] */
  char *args_text;        /* "{units: 3}" or NULL */
} Unit;

static void
unit_free (Unit *u)
{
  if (u == NULL)
    return;
  if (u->owns_state && u->state != NULL && u->d->fini != NULL)
    u->d->fini (u->state);
  g_free (u->P0);
  g_free (u->args_text);
  bp_plugin_unload (u->plugin);
  g_free (u);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Unit, unit_free)

static GRand *
seeded_rand (guint64 seed, guint32 stream)
{
  guint32 words[3] = { (guint32) seed, (guint32) (seed >> 32), stream };

  return g_rand_new_with_seed_array (words, G_N_ELEMENTS (words));
}

/* layer_init with these parameters; on success the unit has its shape
 * and its P from init_params, as bp_network_new gives them. Returns 0,
 * -1 with err filled when init refuses, or -2 with error set when the
 * shape breaks the ABI. */
static int
unit_init_layer (Unit *u, gsize n_in, const BpArg *args, gsize n_args,
                 guint64 seed, BpError *err, GError **error)
{
  g_autoptr (GRand) rng = seeded_rand (seed, 1);
  BpLayerConfig config = { .n_in = n_in, .args = args, .n_args = n_args,
                           .host = bp_host (), .rng = rng };
  BpLayerShape shape = { 0 };

  memset (err, 0, sizeof *err);
  if (u->d->layer_init (&config, &u->state, &shape, err) != 0)
    {
      u->state = NULL;
      return -1;
    }
  u->owns_state = TRUE;
  if (shape.n_out == 0
      || (shape.param_rows != 0 && shape.param_rows != shape.n_out)
      || (shape.param_rows == 0) != (shape.param_cols == 0)
      || (shape.param_rows != 0 && u->d->local_L == NULL))
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                   "%s (%s) breaks the plugin ABI: it declared %zu outputs "
                   "and a %zu x %zu parameter matrix", u->d->name,
                   u->plugin->file, shape.n_out, shape.param_rows,
                   shape.param_cols);
      return -2;
    }
  u->n_in = n_in;
  u->n_out = shape.n_out;
  u->rows = shape.param_rows;
  u->cols = shape.param_cols;
  if (u->rows > 0)
    {
      u->P0 = g_new0 (bp_real, u->rows * u->cols);
      u->d->init_params (u->state, &config, u->P0);
    }
  return 0;
}

/* A layer made from a loaded plugin, which it takes over (and unloads on
 * failure), with n_in inputs and the given parameters; error names the
 * plugin's file when init refuses. */
static Unit *
unit_new_layer (BpLoadedPlugin *plugin, gsize n_in, const BpArg *args,
                gsize n_args, const char *args_text, guint64 seed,
                GError **error)
{
  g_autoptr (Unit) u = g_new0 (Unit, 1);
  BpError err;

  u->plugin = plugin;
  u->d = plugin->desc;
  u->range = RANGE;
  switch (unit_init_layer (u, n_in, args, n_args, seed, &err, error))
    {
    case 0:
      u->args_text = g_strdup (args_text);
      return g_steal_pointer (&u);
    case -1:
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN, "%s: %s", plugin->file,
                   err.message[0] ? err.message : "initialisation failed");
      return NULL;
    default:
      return NULL;
    }
}

/* A plugin's layer checked on its own (the plugin taken over as by
 * unit_new_layer): with no parameters if init takes that, else with one
 * declared parameter set to a small default (an integer to 3, as
 * affine's units; a list to one number per input, 2 and 3 in turn, as
 * power's exponents), the first that init takes. */
static Unit *
unit_new_bare_layer (BpLoadedPlugin *plugin, guint64 seed, GError **error)
{
  static const double reals[CHECK_WIDTH] = { 2, 3, 2, 3 };
  g_autoptr (Unit) u = g_new0 (Unit, 1);
  BpError first;
  int rc;

  u->plugin = plugin;
  u->d = plugin->desc;
  u->range = RANGE;
  rc = unit_init_layer (u, CHECK_WIDTH, NULL, 0, seed, &first, error);
  if (rc == 0)
    return g_steal_pointer (&u);
  if (rc == -2)
    return NULL;

  for (const BpParamSpec *s = u->d->params; s != NULL && s->name; s++)
    {
      BpArg arg = { .name = s->name, .type = s->type };
      BpError err;

      if (s->type == BP_ARG_INT)
        arg.integer = 3;
      else if (s->type == BP_ARG_REALS)
        {
          arg.reals = reals;
          arg.n_reals = arg.cols = CHECK_WIDTH;
        }
      else
        continue;

      rc = unit_init_layer (u, CHECK_WIDTH, &arg, 1, seed, &err, error);
      if (rc == -2)
        return NULL;
      if (rc == 0)
        {
          u->args_text = s->type == BP_ARG_INT
                           ? g_strdup_printf ("{%s: 3}", s->name)
                           : g_strdup_printf ("{%s: [2, 3, 2, 3]}",
                                              s->name);
          return g_steal_pointer (&u);
        }
    }

  g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
               "%s: cannot make the layer with %d inputs and no "
               "parameters: %s; give its parameters in a graph file and "
               "check that (bpframe check GRAPH.yaml)", plugin->file,
               CHECK_WIDTH,
               first.message[0] ? first.message : "initialisation failed");
  return NULL;
}

/* A loss made from a loaded plugin (taken over) at width n_out: -1 with
 * err filled when init refuses. */
static int
unit_init_loss (Unit *u, gsize n_out, BpError *err)
{
  BpLossConfig config = { .n_out = n_out };

  memset (err, 0, sizeof *err);
  if (u->d->loss_init (&config, &u->state, err) != 0)
    {
      u->state = NULL;
      return -1;
    }
  u->owns_state = TRUE;
  u->n_in = u->n_out = n_out;
  return 0;
}

/* A borrowed instance of a network: nothing of it is freed here. */
static Unit *
unit_borrow (const BpLayer *layer)
{
  Unit *u = g_new0 (Unit, 1);

  u->d = layer->plugin->desc;
  u->state = layer->state;
  u->n_in = layer->n_in;
  u->n_out = layer->n_out;
  u->rows = layer->param_rows;
  u->cols = layer->param_cols;
  u->range = RANGE;
  if (layer->P != NULL)
    u->P0 = g_memdup2 (layer->P, u->rows * u->cols * sizeof *layer->P);
  return u;
}

/* The parameters of point p: init_params' at the first point, so that
 * what the plugin itself gives is checked, random draws after, in
 * [-range, range] divided by sqrt(cols) when scaled (in a chain, so that
 * a wide or deep network does not saturate its softmax to exact zeros). */
static void
unit_params_at (const Unit *u, GRand *rng, guint point, gboolean scaled,
                bp_real *P)
{
  gsize size = u->rows * u->cols;
  double range = scaled ? u->range / sqrt ((double) u->cols) : u->range;

  if (point == 0)
    memcpy (P, u->P0, size * sizeof *P);
  else
    for (gsize i = 0; i < size; i++)
      P[i] = (bp_real) g_rand_double_range (rng, -range, range);
}

/* ---- The checker --------------------------------------------------------- */

typedef struct {
  const BpCheckOptions *o;
  BpCheckReport *report;
  GRand *rng;             /* the points */
  char **search_path;     /* for the helper and partner plugins */
} Checker;

static void
fill_uniform (GRand *rng, bp_real *v, gsize n, double range)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (bp_real) g_rand_double_range (rng, -range, range);
}

/* Softmax and logistic written out here, so that the points for a loss
 * do not depend on the plugins under check. */
static void
plain_softmax (const bp_real *z, bp_real *s, gsize n)
{
  double max = z[0], sum = 0;

  for (gsize k = 1; k < n; k++)
    max = MAX (max, z[k]);
  for (gsize k = 0; k < n; k++)
    sum += s[k] = (bp_real) exp (z[k] - max);
  for (gsize k = 0; k < n; k++)
    s[k] = (bp_real) (s[k] / sum);
}

/* sigma valid for a loss that needs flags: a distribution from the
 * softmax of random logits, values in (0, 1) from their logistic, else
 * any numbers. */
static void
draw_sigma (GRand *rng, guint32 flags, bp_real *sigma, gsize n)
{
  fill_uniform (rng, sigma, n, RANGE);
  if (flags & BP_OUTPUT_DISTRIBUTION)
    {
      g_autofree bp_real *z = g_memdup2 (sigma, n * sizeof *sigma);

      plain_softmax (z, sigma, n);
    }
  else if (flags & BP_OUTPUT_UNIT_INTERVAL)
    for (gsize k = 0; k < n; k++)
      sigma[k] = (bp_real) (1 / (1 + exp (-sigma[k])));
}

/* Targets to match: one-hot at even points and a random distribution at
 * odd ones for a distribution; 0 or 1 each, then anything in [0, 1], for
 * values in (0, 1); else any numbers. */
static void
draw_target (GRand *rng, guint32 flags, guint point, bp_real *f, gsize n)
{
  if (flags & BP_OUTPUT_DISTRIBUTION)
    {
      if (point % 2 == 0)
        {
          gint32 hot = g_rand_int_range (rng, 0, (gint32) n);

          for (gsize k = 0; k < n; k++)
            f[k] = (gint32) k == hot ? 1 : 0;
        }
      else
        draw_sigma (rng, BP_OUTPUT_DISTRIBUTION, f, n);
    }
  else if (flags & BP_OUTPUT_UNIT_INTERVAL)
    for (gsize k = 0; k < n; k++)
      f[k] = point % 2 == 0 ? (bp_real) g_rand_int_range (rng, 0, 2)
                            : (bp_real) g_rand_double (rng);
  else
    fill_uniform (rng, f, n, RANGE);
}

/* ---- A layer alone ------------------------------------------------------- */

typedef struct {
  const Unit *u;
  const bp_real *P;
  const bp_real *x;
} ForwardEval;

static gboolean
eval_forward (gpointer ctx, bp_real *out)
{
  ForwardEval *e = ctx;

  e->u->d->forward (e->u->state, e->P, 1, e->x, out);
  return all_finite (out, e->u->n_out);
}

/* The buffers of one layer's checks, all outputs guarded. */
typedef struct {
  gsize d, v, size;
  bp_real *x, *P, *y, *up, *down, *J, *L, *grad, *m;
  bp_real *X, *Y, *Y1, *G, *G_in, *batch_grad, *x_copy;
  Diff *q, *J_num, *L_num;
  gsize *pick;
} LayerBuffers;

static void
layer_buffers_init (LayerBuffers *b, const Unit *u)
{
  b->d = u->n_in;
  b->v = u->n_out;
  b->size = u->rows * u->cols;
  b->x = g_new0 (bp_real, b->d);
  b->x_copy = g_new0 (bp_real, b->d);
  b->P = g_new0 (bp_real, MAX (b->size, 1));
  b->m = g_new0 (bp_real, b->v);
  b->y = guarded_new (b->v);
  b->up = guarded_new (b->v);
  b->down = guarded_new (b->v);
  b->J = guarded_new (b->v * b->d);
  b->L = guarded_new (MAX (b->size, 1));
  b->grad = guarded_new (MAX (b->size, 1));
  b->batch_grad = guarded_new (MAX (b->size, 1));
  b->X = g_new0 (bp_real, BATCH * b->d);
  b->Y = guarded_new (BATCH * b->v);
  b->Y1 = guarded_new (b->v);
  b->G = g_new0 (bp_real, BATCH * b->v);
  b->G_in = guarded_new (BATCH * b->d);
  b->q = g_new0 (Diff, b->v);
  b->J_num = g_new0 (Diff, b->v * b->d);
  b->L_num = g_new0 (Diff, MAX (b->size, 1));
  b->pick = g_new0 (gsize, MAX (MAX (b->size, b->d), 1));
}

static void
layer_buffers_clear (LayerBuffers *b)
{
  g_free (b->x);
  g_free (b->x_copy);
  g_free (b->P);
  g_free (b->m);
  guarded_free (b->y);
  guarded_free (b->up);
  guarded_free (b->down);
  guarded_free (b->J);
  guarded_free (b->L);
  guarded_free (b->grad);
  guarded_free (b->batch_grad);
  g_free (b->X);
  guarded_free (b->Y);
  guarded_free (b->Y1);
  g_free (b->G);
  guarded_free (b->G_in);
  g_free (b->q);
  g_free (b->J_num);
  g_free (b->L_num);
  g_free (b->pick);
}

/* y = forward(x) at the point, checked for its width and for leaving x
 * alone; FALSE when y is not finite. */
static gboolean
layer_forward_point (const Unit *u, LayerBuffers *b, Widths *w)
{
  memcpy (b->x_copy, b->x, b->d * sizeof *b->x);
  guarded_reset (b->y, b->v);
  u->d->forward (u->state, b->P, 1, b->x, b->y);
  widths_after (w, "forward", "Y", b->y, 1, b->v, TRUE);
  if (memcmp (b->x_copy, b->x, b->d * sizeof *b->x) != 0)
    {
      widths_problem (w, "forward input",
                      g_strdup ("forward changes its input X"));
      memcpy (b->x, b->x_copy, b->d * sizeof *b->x);
    }
  return all_finite (b->y, b->v);
}

/* The size of the terms each output of u sums at x, for its rounding:
 * |y_k| + sum_j |J_kj x_j|, from the explicit jacobian J (v x d) there.
 * An affine output cancelling to near 0 from terms of size 1 is rounded
 * as they are. */
static void
output_magnitudes (const Unit *u, const bp_real *x, const bp_real *y,
                   const bp_real *J, double *magnitude)
{
  gsize d = u->n_in, v = u->n_out;

  for (gsize k = 0; k < v; k++)
    {
      magnitude[k] = fabs ((double) y[k]);
      for (gsize j = 0; j < d; j++)
        magnitude[k] += fabs ((double) J[k * d + j] * x[j]);
    }
}

/* J against central differences of forward, column by column. */
static void
check_jacobian_point (const Checker *ck, const Unit *u, LayerBuffers *b,
                      Compare *c, Widths *w, guint point)
{
  ForwardEval e = { u, b->P, b->x };
  gsize n_pick = draw_indices (ck->rng, b->d, b->pick);
  g_autofree double *magnitude = g_new (double, b->v);

  guarded_reset (b->J, b->v * b->d);
  u->d->jacobian (u->state, b->P, b->x, b->y, b->J);
  widths_after (w, "jacobian", "J", b->J, b->v, b->d, TRUE);
  output_magnitudes (u, b->x, b->y, b->J, magnitude);

  for (gsize i = 0; i < n_pick; i++)
    {
      gsize j = b->pick[i];
      DiffResult r = central_difference (ck->o, eval_forward, &e, &b->x[j],
                                         b->v, b->y, b->up, b->down,
                                         magnitude, b->q);

      if (r != DIFF_OK)
        {
          count_skip (c, r);
          return;
        }
      for (gsize k = 0; k < b->v; k++)
        b->J_num[k * b->d + j] = b->q[k];
    }
  for (gsize i = 0; i < n_pick; i++)
    for (gsize k = 0; k < b->v; k++)
      {
        gsize at = k * b->d + b->pick[i];

        compare_entry (c, ck->o, k, b->pick[i], b->J[at], b->J_num[at].value,
                       b->J_num[at].rounding, point);
      }
}

/* L against central differences of forward in each entry of P; every
 * other output must stay put (row k of P is output k's alone). Then
 * update against diag(m) L, as increments of a random grad. */
static void
check_local_L_point (const Checker *ck, const Unit *u, LayerBuffers *b,
                     Compare *c, Compare *cu, Widths *w, guint point)
{
  ForwardEval e = { u, b->P, b->x };
  gsize n_pick = draw_indices (ck->rng, b->size, b->pick);
  g_autofree bp_real *grad0 = g_new (bp_real, b->size);
  g_autofree double *magnitude = g_new (double, b->v);
  gboolean skipped = FALSE;

  guarded_reset (b->L, b->size);
  u->d->local_L (u->state, b->P, b->x, b->y, b->L);
  widths_after (w, "local_L", "L", b->L, u->rows, u->cols, TRUE);
  guarded_reset (b->J, b->v * b->d);
  u->d->jacobian (u->state, b->P, b->x, b->y, b->J);
  output_magnitudes (u, b->x, b->y, b->J, magnitude);

  for (gsize i = 0; i < n_pick && !skipped; i++)
    {
      gsize at = b->pick[i], k = at / u->cols;
      DiffResult r = central_difference (ck->o, eval_forward, &e,
                                         &b->P[at], b->v, b->y, b->up,
                                         b->down, magnitude, b->q);

      if (r != DIFF_OK)
        {
          count_skip (c, r);
          skipped = TRUE;
          break;
        }
      b->L_num[at] = b->q[k];
      for (gsize o = 0; o < b->v; o++)
        if (o != k && c->extra == NULL
            && !(fabs (b->q[o].value)
                 <= allowance (ck->o, 0, b->q[o].value, b->q[o].rounding)))
          c->extra = g_strdup_printf ("output %zu moves with P[%zu][%zu] "
                                      "(row k of P must feed output k "
                                      "alone)", o + 1, k + 1,
                                      at % u->cols + 1);
    }
  for (gsize i = 0; i < n_pick && !skipped; i++)
    {
      gsize at = b->pick[i];

      compare_entry (c, ck->o, at / u->cols, at % u->cols, b->L[at],
                     b->L_num[at].value, b->L_num[at].rounding, point);
    }

  /* update adds diag(m) L to grad. */
  fill_uniform (ck->rng, b->m, b->v, 1.0);
  guarded_reset (b->grad, b->size);
  fill_uniform (ck->rng, b->grad, b->size, 1.0);
  memcpy (grad0, b->grad, b->size * sizeof *grad0);
  u->d->update (u->state, b->m, b->L, b->grad);
  widths_after (w, "update", "grad", b->grad, u->rows, u->cols, FALSE);
  for (gsize k = 0; k < u->rows; k++)
    for (gsize j = 0; j < u->cols; j++)
      {
        gsize at = k * u->cols + j;

        compare_entry (cu, ck->o, k, j, (double) b->grad[at] - grad0[at],
                       (double) b->m[k] * b->L[at],
                       sum_rounding (fabs ((double) grad0[at])
                                     + fabs ((double) b->m[k] * b->L[at])),
                       point);
      }
}

/* The batched forms on BATCH rows whose first is the point: forward
 * against row by row; jacobian_product against m J; update_batch against
 * the sum of diag(m_i) L_i from the explicit forms. Rows whose output is
 * not finite (outside the layer's domain) are left out of the fast forms;
 * an entry finite one way and not the other is a failure. */
static void
check_batch_point (const Checker *ck, const Unit *u, LayerBuffers *b,
                   Compare *cf, Compare *cj, Compare *cb, Widths *w,
                   guint point)
{
  gsize d = b->d, v = b->v, n = 0;
  g_autofree bp_real *rows = g_new (bp_real, BATCH * v);
  guint compared = cf->compared;

  memcpy (b->X, b->x, d * sizeof *b->X);
  fill_uniform (ck->rng, b->X + d, (BATCH - 1) * d, RANGE);
  fill_uniform (ck->rng, b->G, BATCH * v, 1.0);

  for (gsize i = 0; i < BATCH; i++)
    {
      guarded_reset (b->Y1, v);
      u->d->forward (u->state, b->P, 1, b->X + i * d, b->Y1);
      widths_after (w, "forward", "Y", b->Y1, 1, v, TRUE);
      memcpy (rows + i * v, b->Y1, v * sizeof *b->Y1);
    }
  guarded_reset (b->Y, BATCH * v);
  u->d->forward (u->state, b->P, BATCH, b->X, b->Y);
  widths_after (w, "forward (batch)", "Y", b->Y, BATCH, v, TRUE);
  for (gsize i = 0; i < BATCH * v; i++)
    compare_entry (cf, ck->o, 0, i % v, b->Y[i], rows[i], 0, point);
  if (cf->compared == compared)
    cf->not_finite++;

  /* The rows the fast forms can take, moved to the front; the batch then
   * goes forward again, so that it is the last forward call before the
   * fast forms, as the core calls them. */
  for (gsize i = 0; i < BATCH; i++)
    if (all_finite (rows + i * v, v) && all_finite (b->Y + i * v, v))
      {
        memmove (b->X + n * d, b->X + i * d, d * sizeof *b->X);
        memmove (b->G + n * v, b->G + i * v, v * sizeof *b->G);
        n++;
      }
  if (n == 0)
    {
      if (cj != NULL)
        cj->not_finite++;
      if (cb != NULL)
        cb->not_finite++;
      return;
    }
  guarded_reset (b->Y, BATCH * v);
  u->d->forward (u->state, b->P, n, b->X, b->Y);

  if (cj != NULL)
    {
      guarded_reset (b->G_in, BATCH * d);
      u->d->jacobian_product (u->state, b->P, n, b->X, b->Y, b->G,
                              b->G_in);
      widths_after (w, "jacobian_product", "G_in", b->G_in, n, d, TRUE);
      for (gsize i = 0; i < n; i++)
        {
          guarded_reset (b->J, v * d);
          u->d->jacobian (u->state, b->P, b->X + i * d, b->Y + i * v,
                          b->J);
          for (gsize j = 0; j < d; j++)
            {
              double mJ = 0, terms = 0;

              for (gsize k = 0; k < v; k++)
                {
                  mJ += (double) b->G[i * v + k] * b->J[k * d + j];
                  terms += fabs ((double) b->G[i * v + k] * b->J[k * d + j]);
                }
              compare_entry (cj, ck->o, 0, j, b->G_in[i * d + j], mJ,
                             sum_rounding (terms), point);
            }
        }
    }

  if (cb != NULL)
    {
      g_autofree bp_real *grad0 = g_new (bp_real, b->size);
      g_autofree double *sum = g_new0 (double, b->size);
      g_autofree double *terms = g_new0 (double, b->size);

      guarded_reset (b->batch_grad, b->size);
      fill_uniform (ck->rng, b->batch_grad, b->size, 1.0);
      memcpy (grad0, b->batch_grad, b->size * sizeof *grad0);
      u->d->update_batch (u->state, b->P, n, b->X, b->Y, b->G,
                          b->batch_grad);
      widths_after (w, "update_batch", "grad", b->batch_grad, u->rows,
                    u->cols, FALSE);
      for (gsize i = 0; i < n; i++)
        {
          guarded_reset (b->L, b->size);
          u->d->local_L (u->state, b->P, b->X + i * d, b->Y + i * v, b->L);
          guarded_reset (b->grad, b->size);
          memset (b->grad, 0, b->size * sizeof *b->grad);
          u->d->update (u->state, b->G + i * v, b->L, b->grad);
          for (gsize j = 0; j < b->size; j++)
            {
              sum[j] += b->grad[j];
              terms[j] += fabs ((double) b->grad[j]);
            }
        }
      for (gsize j = 0; j < b->size; j++)
        compare_entry (cb, ck->o, j / u->cols, j % u->cols,
                       (double) b->batch_grad[j] - grad0[j], sum[j],
                       sum_rounding (fabs ((double) grad0[j]) + terms[j]),
                       point);
    }
}

/* Every check of one layer instance on its own: widths, forward on a
 * batch, J (and L and update) against differences, the fast forms
 * against the explicit ones. */
static void
check_layer (const Checker *ck, const Unit *u, const char *subject)
{
  const BpPlugin *d = u->d;
  gboolean params = u->rows > 0;
  LayerBuffers b;
  Widths w;
  Compare cf, cJ, cL, cu, cj, cb;

  layer_buffers_init (&b, u);
  widths_init (&w);
  compare_init (&cf, "Y", 1, b.v, FALSE);
  compare_init (&cJ, "J", b.v, b.d, TRUE);
  compare_init (&cL, "L", MAX (u->rows, 1), MAX (u->cols, 1), TRUE);
  compare_init (&cu, "grad", MAX (u->rows, 1), MAX (u->cols, 1), TRUE);
  compare_init (&cj, "G_in", 1, b.d, TRUE);
  compare_init (&cb, "grad", MAX (u->rows, 1), MAX (u->cols, 1), TRUE);

  for (guint p = 0; p < ck->o->points; p++)
    {
      fill_uniform (ck->rng, b.x, b.d, RANGE);
      /* 0 is where kinks usually are (relu's): the first point has one
       * input there, so that the skipping of kinks is itself exercised. */
      if (p == 0)
        b.x[0] = 0;
      if (params)
        unit_params_at (u, ck->rng, p, FALSE, b.P);

      if (!layer_forward_point (u, &b, &w))
        {
          cJ.not_finite++;
          cL.not_finite++;
          cu.not_finite++;
        }
      else
        {
          check_jacobian_point (ck, u, &b, &cJ, &w, p);
          if (params)
            check_local_L_point (ck, u, &b, &cL, &cu, &w, p);
        }
      check_batch_point (ck, u, &b, &cf, d->jacobian_product ? &cj : NULL,
                         d->update_batch && params ? &cb : NULL, &w, p);
    }

  widths_row (ck->report, subject, &w);
  compare_row (ck->report, subject, "forward, batch vs row by row", &cf);
  compare_row (ck->report, subject, "jacobian vs differences", &cJ);
  if (params)
    {
      compare_row (ck->report, subject, "local_L vs differences", &cL);
      compare_row (ck->report, subject, "update vs diag(m) L", &cu);
    }
  if (d->jacobian_product != NULL)
    compare_row (ck->report, subject, "jacobian_product vs m J", &cj);
  if (d->update_batch != NULL && params)
    compare_row (ck->report, subject, "update_batch vs sum diag(m) L",
                 &cb);
  if (d->forward_train != NULL)
    add_row (ck->report, subject, "forward_train", VERDICT_SKIP,
             g_strdup ("skipped: random while training; forward and "
                       "jacobian checked as in evaluation"));

  if (b.d > MAX_PERTURBED)
    add_note (ck->report, "%s: %d of its %zu inputs perturbed per point",
              subject, MAX_PERTURBED, b.d);
  if (b.size > MAX_PERTURBED)
    add_note (ck->report, "%s: %d of its %zu parameters perturbed per "
              "point", subject, MAX_PERTURBED, b.size);

  compare_clear (&cf);
  compare_clear (&cJ);
  compare_clear (&cL);
  compare_clear (&cu);
  compare_clear (&cj);
  compare_clear (&cb);
  widths_clear (&w);
  layer_buffers_clear (&b);
}

/* ---- A chain of layers, and a loss --------------------------------------- */

/* Layers one after another, ending in a loss (the objective is its value)
 * or in nothing (the objective is r . y for a random row r). Its gradient
 * is computed here with the explicit forms alone (jacobian, local_L,
 * update), starting like the core from M or from the fused gradient: a
 * reference for the differences, not a second engine. */
typedef struct {
  Unit **layers;     /* not owned */
  gsize n;
  const Unit *loss;  /* NULL: r . y */
  gboolean fused;    /* the loss's fused gradient replaces the last
                        layer's jacobian, as in the core */
  bp_real **P;       /* each layer's current parameters, or NULL */
  bp_real *x;        /* the input, layers[0]->n_in */
  bp_real *f, *r;    /* the target, or the row r; width of the output */
  bp_real **act;     /* act[i]: layer i's output */
  bp_real *m, *m_in, *J, *L;
  gsize width;       /* the widest input or output */
  double magnitude;  /* what the objective sums at the last evaluation,
                        for its rounding: sum |r_k y_k| (r . y cancels),
                        or |loss|; check_chain keeps the point's */
} Chain;

static void
chain_init (Chain *c, Unit **layers, gsize n, const Unit *loss,
            gboolean fused)
{
  gsize jacobian = 1, local = 1;

  memset (c, 0, sizeof *c);
  c->layers = layers;
  c->n = n;
  c->loss = loss;
  c->fused = fused;
  c->width = layers[0]->n_in;
  c->P = g_new0 (bp_real *, n);
  c->act = g_new0 (bp_real *, n);
  for (gsize i = 0; i < n; i++)
    {
      c->width = MAX (c->width, layers[i]->n_out);
      jacobian = MAX (jacobian, layers[i]->n_out * layers[i]->n_in);
      local = MAX (local, layers[i]->rows * layers[i]->cols);
      if (layers[i]->rows > 0)
        c->P[i] = g_new0 (bp_real, layers[i]->rows * layers[i]->cols);
      /* Guarded, as everywhere a plugin writes: a plugin that writes
       * too far is reported by the checks alone, and must not corrupt
       * the chain's memory meanwhile. */
      c->act[i] = guarded_new (layers[i]->n_out);
    }
  c->x = g_new0 (bp_real, layers[0]->n_in);
  c->f = g_new0 (bp_real, layers[n - 1]->n_out);
  c->r = g_new0 (bp_real, layers[n - 1]->n_out);
  c->m = guarded_new (c->width);
  c->m_in = guarded_new (c->width);
  c->J = guarded_new (jacobian);
  c->L = guarded_new (local);
}

static void
chain_clear (Chain *c)
{
  for (gsize i = 0; i < c->n; i++)
    {
      g_free (c->P[i]);
      guarded_free (c->act[i]);
    }
  g_free (c->P);
  g_free (c->act);
  g_free (c->x);
  g_free (c->f);
  g_free (c->r);
  guarded_free (c->m);
  guarded_free (c->m_in);
  guarded_free (c->J);
  guarded_free (c->L);
}

static const bp_real *
chain_input (const Chain *c, gsize i)
{
  return i == 0 ? c->x : c->act[i - 1];
}

/* The objective at the current x and P, into out[0]. */
static gboolean
chain_value (gpointer ctx, bp_real *out)
{
  Chain *c = ctx;
  const Unit *last = c->layers[c->n - 1];
  double value = 0;

  for (gsize i = 0; i < c->n; i++)
    {
      const Unit *u = c->layers[i];

      u->d->forward (u->state, c->P[i], 1, chain_input (c, i), c->act[i]);
      if (!all_finite (c->act[i], u->n_out))
        return FALSE;
    }
  if (c->loss != NULL)
    {
      value = c->loss->d->loss_value (c->loss->state, 1, c->act[c->n - 1],
                                      c->f);
      c->magnitude = fabs (value);
    }
  else
    {
      c->magnitude = 0;
      for (gsize k = 0; k < last->n_out; k++)
        {
          double term = (double) c->r[k] * c->act[c->n - 1][k];

          value += term;
          c->magnitude += fabs (term);
        }
    }
  out[0] = (bp_real) value;
  return isfinite (out[0]);
}

/* The objective's gradient with respect to x (into gx) and to each
 * layer's P (into gP[i]), by the paper's chain: m starts as M (or the
 * fused gradient, or r), a layer with parameters adds diag(m) L, and m
 * is carried back through each explicit jacobian. */
static void
chain_gradient (Chain *c, bp_real *gx, bp_real **gP)
{
  const Unit *last = c->layers[c->n - 1];
  bp_real out;
  gssize first = (gssize) c->n - 1;

  chain_value (c, &out);
  if (c->loss != NULL && c->fused)
    {
      c->loss->d->loss_fused_gradient (c->loss->state, 1,
                                       c->act[c->n - 1], c->f, c->m);
      first--;
    }
  else if (c->loss != NULL)
    c->loss->d->loss_gradient (c->loss->state, c->act[c->n - 1], c->f,
                               c->m);
  else
    memcpy (c->m, c->r, last->n_out * sizeof *c->m);

  for (gssize i = first; i >= 0; i--)
    {
      const Unit *u = c->layers[i];
      const bp_real *in = chain_input (c, (gsize) i);
      bp_real *swap;

      if (u->rows > 0)
        {
          u->d->local_L (u->state, c->P[i], in, c->act[i], c->L);
          memset (gP[i], 0, u->rows * u->cols * sizeof *gP[i]);
          u->d->update (u->state, c->m, c->L, gP[i]);
        }
      u->d->jacobian (u->state, c->P[i], in, c->act[i], c->J);
      for (gsize j = 0; j < u->n_in; j++)
        {
          double sum = 0;

          for (gsize k = 0; k < u->n_out; k++)
            sum += (double) c->m[k] * c->J[k * u->n_in + j];
          c->m_in[j] = (bp_real) sum;
        }
      swap = c->m;
      c->m = c->m_in;
      c->m_in = swap;
    }
  memcpy (gx, c->m, c->layers[0]->n_in * sizeof *gx);
}

/* Central differences of the objective in the entries pick[0 .. n) of
 * values, against grad; FALSE (and the point counted as skipped) at a
 * kink or where the objective is not finite. base and magnitude are the
 * objective and the size of its terms at the point. */
static void
chain_compare (const Checker *ck, Chain *c, const bp_real *base,
               double magnitude, bp_real *values, const bp_real *grad,
               gsize cols, const gsize *pick, gsize n_pick, Compare *cmp,
               guint point)
{
  g_autofree Diff *numeric = g_new (Diff, n_pick);
  bp_real up, down;

  for (gsize i = 0; i < n_pick; i++)
    {
      DiffResult r = central_difference (ck->o, chain_value, c,
                                         &values[pick[i]], 1, base, &up,
                                         &down, &magnitude, &numeric[i]);

      if (r != DIFF_OK)
        {
          count_skip (cmp, r);
          return;
        }
    }
  for (gsize i = 0; i < n_pick; i++)
    compare_entry (cmp, ck->o, pick[i] / cols, pick[i] % cols,
                   grad[pick[i]], numeric[i].value, numeric[i].rounding,
                   point);
}

/* The chain's gradient with respect to its input and to every P, at
 * random points, against central differences of its objective. label(i)
 * names layer i in the rows. */
static void
check_chain (const Checker *ck, Chain *c, const char *subject,
             const char *objective, const char *const *labels)
{
  gsize d = c->layers[0]->n_in;
  g_autofree bp_real *gx = g_new0 (bp_real, d);
  g_autofree bp_real **gP = g_new0 (bp_real *, c->n);
  g_autofree Compare *cP = g_new0 (Compare, c->n);
  g_autofree gsize *pick = NULL;
  g_autofree char *op_x = g_strdup_printf ("%s/dx vs differences",
                                           objective);
  gsize most = d;
  Compare cx;

  compare_init (&cx, "dx", 1, d, TRUE);
  for (gsize i = 0; i < c->n; i++)
    if (c->layers[i]->rows > 0)
      {
        const Unit *u = c->layers[i];

        gP[i] = g_new0 (bp_real, u->rows * u->cols);
        compare_init (&cP[i], "dP", u->rows, u->cols, TRUE);
        most = MAX (most, u->rows * u->cols);
      }
  pick = g_new0 (gsize, most);

  for (guint p = 0; p < ck->o->points; p++)
    {
      const Unit *last = c->layers[c->n - 1];
      bp_real base;
      double magnitude; /* of the objective's terms at the point */
      gsize n_pick;

      fill_uniform (ck->rng, c->x, d, RANGE);
      for (gsize i = 0; i < c->n; i++)
        if (c->P[i] != NULL)
          unit_params_at (c->layers[i], ck->rng, p, TRUE, c->P[i]);
      if (c->loss != NULL)
        draw_target (ck->rng, c->loss->d->input_flags, p, c->f,
                     last->n_out);
      else
        fill_uniform (ck->rng, c->r, last->n_out, 1.0);

      if (!chain_value (c, &base))
        {
          cx.not_finite++;
          for (gsize i = 0; i < c->n; i++)
            cP[i].not_finite++;
          continue;
        }
      magnitude = c->magnitude;
      chain_gradient (c, gx, gP);

      n_pick = draw_indices (ck->rng, d, pick);
      chain_compare (ck, c, &base, magnitude, c->x, gx, d, pick, n_pick,
                     &cx, p);
      for (gsize i = 0; i < c->n; i++)
        if (gP[i] != NULL)
          {
            const Unit *u = c->layers[i];

            n_pick = draw_indices (ck->rng, u->rows * u->cols, pick);
            chain_compare (ck, c, &base, magnitude, c->P[i], gP[i],
                           u->cols, pick, n_pick, &cP[i], p);
          }
    }

  compare_row (ck->report, subject, op_x, &cx);
  compare_clear (&cx);
  if (d > MAX_PERTURBED)
    add_note (ck->report, "%s, %s/dx: %d of its %zu inputs perturbed per "
              "point", subject, objective, MAX_PERTURBED, d);
  for (gsize i = 0; i < c->n; i++)
    if (gP[i] != NULL)
      {
        gsize size = c->layers[i]->rows * c->layers[i]->cols;
        g_autofree char *op = g_strdup_printf ("%s/dP (%s) vs differences",
                                               objective, labels[i]);

        compare_row (ck->report, subject, op, &cP[i]);
        compare_clear (&cP[i]);
        g_free (gP[i]);
        if (size > MAX_PERTURBED)
          add_note (ck->report, "%s, %s/dP (%s): %d of its %zu parameters "
                    "perturbed per point", subject, objective, labels[i],
                    MAX_PERTURBED, size);
      }
}

/* ---- A loss -------------------------------------------------------------- */

typedef struct {
  const Unit *loss;
  const bp_real *sigma, *f;
} LossEval;

static gboolean
eval_loss (gpointer ctx, bp_real *out)
{
  LossEval *e = ctx;

  out[0] = (bp_real) e->loss->d->loss_value (e->loss->state, 1, e->sigma,
                                             e->f);
  return isfinite (out[0]);
}

/* loss_fused_gradient on a batch against the chain it replaces: for each
 * row, M (at the partner's output) times the partner's jacobian. */
static void
check_fused_point (const Checker *ck, const Unit *loss,
                   const Unit *partner, Compare *c, Widths *w, guint point)
{
  gsize v = loss->n_out;
  g_autofree bp_real *Z = g_new (bp_real, BATCH * v);
  g_autofree bp_real *F = g_new (bp_real, BATCH * v);
  bp_real *S = guarded_new (BATCH * v);
  bp_real *G = guarded_new (BATCH * v);
  bp_real *M = guarded_new (v);
  bp_real *J = guarded_new (v * v);

  fill_uniform (ck->rng, Z, BATCH * v, RANGE);
  for (gsize i = 0; i < BATCH; i++)
    draw_target (ck->rng, loss->d->input_flags, point + i, F + i * v, v);
  partner->d->forward (partner->state, partner->P0, BATCH, Z, S);
  loss->d->loss_fused_gradient (loss->state, BATCH, S, F, G);
  widths_after (w, "loss_fused_gradient", "G", G, BATCH, v, TRUE);

  for (gsize i = 0; i < BATCH && all_finite (S, BATCH * v); i++)
    {
      loss->d->loss_gradient (loss->state, S + i * v, F + i * v, M);
      partner->d->jacobian (partner->state, partner->P0, Z + i * v,
                            S + i * v, J);
      for (gsize k = 0; k < v; k++)
        {
          double MJ = 0;

          for (gsize p = 0; p < v; p++)
            MJ += (double) M[p] * J[p * v + k];
          compare_entry (c, ck->o, 0, k, G[i * v + k], MJ, 0, point);
        }
    }
  if (!all_finite (S, BATCH * v))
    c->not_finite++;

  guarded_free (S);
  guarded_free (G);
  guarded_free (M);
  guarded_free (J);
}

/* Every check of one loss instance: M against differences of
 * loss_value, loss_value on a batch against its rows, and the fused
 * gradient, when the loss has one, against its chain through partner. */
static void
check_loss (const Checker *ck, const Unit *loss, const Unit *partner,
            const char *subject)
{
  const BpPlugin *d = loss->d;
  gsize v = loss->n_out;
  g_autofree bp_real *sigma = g_new (bp_real, v);
  g_autofree bp_real *f = g_new (bp_real, v);
  g_autofree bp_real *S = g_new (bp_real, BATCH * v);
  g_autofree bp_real *F = g_new (bp_real, BATCH * v);
  Diff q;
  g_autofree gsize *pick = g_new (gsize, v);
  bp_real *M = guarded_new (v);
  LossEval e = { loss, sigma, f };
  Widths w;
  Compare cM, cV, cF;

  widths_init (&w);
  compare_init (&cM, "M", 1, v, TRUE);
  compare_init (&cV, "loss", 1, 1, FALSE);
  compare_init (&cF, "G", 1, v, TRUE);

  for (guint p = 0; p < ck->o->points; p++)
    {
      bp_real base, up, down;
      double rows = 0;
      gsize n_pick;
      gboolean skipped = FALSE;

      draw_sigma (ck->rng, d->input_flags, sigma, v);
      draw_target (ck->rng, d->input_flags, p, f, v);
      guarded_reset (M, v);
      d->loss_gradient (loss->state, sigma, f, M);
      widths_after (&w, "loss_gradient", "M", M, 1, v, TRUE);

      /* M against differences of the loss in each sigma_k. */
      n_pick = draw_indices (ck->rng, v, pick);
      if (!eval_loss (&e, &base))
        cM.not_finite++;
      else
        {
          g_autofree Diff *numeric = g_new (Diff, n_pick);

          for (gsize i = 0; i < n_pick && !skipped; i++)
            {
              DiffResult r = central_difference (ck->o, eval_loss, &e,
                                                 &sigma[pick[i]], 1, &base,
                                                 &up, &down, NULL, &q);

              numeric[i] = q;
              if (r != DIFF_OK)
                {
                  count_skip (&cM, r);
                  skipped = TRUE;
                }
            }
          for (gsize i = 0; i < n_pick && !skipped; i++)
            compare_entry (&cM, ck->o, 0, pick[i], M[pick[i]],
                           numeric[i].value, numeric[i].rounding, p);
        }

      /* loss_value on BATCH rows is the sum of the rows' losses. */
      memcpy (S, sigma, v * sizeof *S);
      memcpy (F, f, v * sizeof *F);
      for (gsize i = 1; i < BATCH; i++)
        {
          draw_sigma (ck->rng, d->input_flags, S + i * v, v);
          draw_target (ck->rng, d->input_flags, p + i, F + i * v, v);
        }
      for (gsize i = 0; i < BATCH; i++)
        rows += d->loss_value (loss->state, 1, S + i * v, F + i * v);
      if (isfinite (rows))
        compare_entry (&cV, ck->o, 0, 0,
                       d->loss_value (loss->state, BATCH, S, F), rows, 0, p);
      else
        cV.not_finite++;

      if (partner != NULL)
        check_fused_point (ck, loss, partner, &cF, &w, p);
    }

  widths_row (ck->report, subject, &w);
  compare_row (ck->report, subject, "loss_gradient vs differences", &cM);
  compare_row (ck->report, subject, "loss_value, batch vs sum of rows",
               &cV);
  if (partner != NULL)
    {
      g_autofree char *op = g_strdup_printf ("loss_fused_gradient vs M J "
                                             "(%s)", partner->d->name);

      compare_row (ck->report, subject, op, &cF);
    }
  if (v > MAX_PERTURBED)
    add_note (ck->report, "%s: %d of its %zu outputs perturbed per point",
              subject, MAX_PERTURBED, v);

  guarded_free (M);
  compare_clear (&cM);
  compare_clear (&cV);
  compare_clear (&cF);
  widths_clear (&w);
}

/* ---- Checking a plugin --------------------------------------------------- */

static void
checker_init (Checker *ck, const BpCheckOptions *options,
              BpCheckReport *report, char **search_path)
{
  ck->o = &report->options;
  ck->report = report;
  ck->rng = seeded_rand (options->seed, 2);
  ck->search_path = search_path;
}

static void
checker_clear (Checker *ck)
{
  g_rand_free (ck->rng);
  g_strfreev (ck->search_path);
}

/* A layer plugin by name along the search path, made with n_in inputs
 * and the parameters {units: units} when units > 0; it must give n_out
 * outputs. */
static Unit *
helper_layer (const Checker *ck, const char *name, gsize n_in, gint64 units,
              gsize n_out, GError **error)
{
  g_autoptr (GError) load_error = NULL;
  BpLoadedPlugin *plugin = bp_plugin_load (name,
                                           (const char *const *)
                                           ck->search_path, &load_error);
  BpArg arg = { .name = "units", .type = BP_ARG_INT, .integer = units };
  Unit *u;

  if (plugin == NULL)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                   "the checks need the %s plugin: %s", name,
                   load_error->message);
      return NULL;
    }
  if (plugin->desc->kind != BP_KIND_LAYER)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                   "the checks need the %s layer plugin; %s is a loss",
                   name, plugin->file);
      bp_plugin_unload (plugin);
      return NULL;
    }
  u = unit_new_layer (plugin, n_in, &arg, units > 0 ? 1 : 0, NULL,
                      ck->o->seed, error);
  if (u != NULL && u->n_out != n_out)
    {
      g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                   "the checks need %s to give %zu outputs from %zu "
                   "inputs; it gives %zu", name, n_out, n_in, u->n_out);
      g_clear_pointer (&u, unit_free);
    }
  return u;
}

/* The layer alone, then after an affine layer, so that the row vector
 * reaching its input is carried through the affine's W too. */
static gboolean
check_layer_plugin (const Checker *ck, Unit *u, GError **error)
{
  g_autoptr (Unit) affine = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  Unit *layers[2];
  const char *labels[2];
  Chain chain;

  check_layer (ck, u, u->d->name);

  affine = helper_layer (ck, "affine", HELPER_WIDTH, (gint64) u->n_in,
                         u->n_in, error);
  if (affine == NULL)
    return FALSE;
  affine->range = HELPER_RANGE;
  layers[0] = affine;
  layers[1] = u;
  labels[0] = first = g_strdup ("layer 1, affine");
  labels[1] = second = g_strdup_printf ("layer 2, %s", u->d->name);
  subject = g_strdup_printf ("affine + %s", u->d->name);
  chain_init (&chain, layers, 2, NULL, FALSE);
  check_chain (ck, &chain, subject, "d(r.y)", labels);
  chain_clear (&chain);
  return TRUE;
}

/* The layer that makes valid inputs for a loss after an affine layer:
 * its fused partner, else softmax for a distribution, logistic for
 * values in (0, 1), else none. */
static const char *
loss_adapter (const BpPlugin *d)
{
  if (d->fused_partner != NULL)
    return d->fused_partner;
  if (d->input_flags & BP_OUTPUT_DISTRIBUTION)
    return "softmax";
  if (d->input_flags & BP_OUTPUT_UNIT_INTERVAL)
    return "logistic";
  return NULL;
}

/* The loss alone (with its fused partner when it has one), then after an
 * affine layer and the adapter it needs. */
static gboolean
check_loss_plugin (const Checker *ck, Unit *loss, GError **error)
{
  const char *adapter_name = loss_adapter (loss->d);
  g_autoptr (Unit) partner = NULL;
  g_autoptr (Unit) affine = NULL;
  g_autoptr (Unit) adapter = NULL;
  g_autoptr (GString) subject = g_string_new ("affine + ");
  Unit *layers[2];
  const char *labels[2] = { "layer 1, affine", "layer 2, adapter" };
  Chain chain;
  gsize n = 1;

  if (loss->d->fused_partner != NULL)
    {
      partner = helper_layer (ck, loss->d->fused_partner, loss->n_out, 0,
                              loss->n_out, error);
      if (partner == NULL)
        return FALSE;
    }
  check_loss (ck, loss, partner, loss->d->name);

  affine = helper_layer (ck, "affine", HELPER_WIDTH, (gint64) loss->n_out,
                         loss->n_out, error);
  if (affine == NULL)
    return FALSE;
  affine->range = HELPER_RANGE;
  layers[0] = affine;
  if (adapter_name != NULL)
    {
      adapter = helper_layer (ck, adapter_name, loss->n_out, 0,
                              loss->n_out, error);
      if (adapter == NULL)
        return FALSE;
      layers[n++] = adapter;
      g_string_append_printf (subject, "%s + ", adapter_name);
    }
  g_string_append (subject, loss->d->name);
  /* Fused as the core fuses: the adapter is the loss's partner. */
  chain_init (&chain, layers, n, loss, partner != NULL && adapter != NULL);
  check_chain (ck, &chain, subject->str, "d loss", labels);
  chain_clear (&chain);
  return TRUE;
}

/* The width a loss is checked at: 4, or 1 for a loss of one output (as
 * target); -1 and err filled when init takes neither. */
static int
loss_init_any_width (Unit *loss, BpError *err)
{
  BpError one;

  if (unit_init_loss (loss, CHECK_WIDTH, err) == 0)
    return 0;
  if (unit_init_loss (loss, 1, &one) == 0)
    return 0;
  return -1;
}

static char *
options_line (const BpCheckOptions *o)
{
  return g_strdup_printf ("tolerance: |analytic - reference| <= %g + %g "
                          "max(|analytic|, |reference|); step h = %g; "
                          "%u points; seed %" G_GUINT64_FORMAT,
                          o->abs_tolerance, o->rel_tolerance, o->step,
                          o->points, o->seed);
}

static gboolean
options_valid (const BpCheckOptions *o, GError **error)
{
  const char *bad = NULL;

  if (!(o->rel_tolerance >= 0) || !isfinite (o->rel_tolerance))
    bad = "the relative tolerance must be a number >= 0";
  else if (!(o->abs_tolerance >= 0) || !isfinite (o->abs_tolerance))
    bad = "the absolute tolerance must be a number >= 0";
  else if (!(o->step > 0) || !isfinite (o->step))
    bad = "the step must be a number > 0";
  else if (o->points == 0)
    bad = "the number of points must be at least 1";
  if (bad != NULL)
    g_set_error_literal (error, BP_ERROR, BP_ERROR_FAILED, bad);
  return bad == NULL;
}

BpCheckReport *
bp_check_plugin (const char *plugin, const BpCheckOptions *options,
                 GError **error)
{
  g_autoptr (BpCheckReport) report = NULL;
  g_autoptr (Unit) unit = NULL;
  BpLoadedPlugin *loaded;
  Checker ck;
  gboolean ok;

  g_return_val_if_fail (plugin != NULL && options != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!options_valid (options, error))
    return NULL;
  if (g_str_has_suffix (plugin, ".so")
      && !g_file_test (plugin, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, BP_ERROR, BP_ERROR_IO,
                   "%s: cannot read the plugin: %s", plugin,
                   g_strerror (ENOENT));
      return NULL;
    }

  report = report_new (options);
  checker_init (&ck, options, report, bp_plugin_search_path (NULL));
  loaded = bp_plugin_load (plugin, (const char *const *) ck.search_path,
                           error);
  if (loaded == NULL)
    {
      checker_clear (&ck);
      return NULL;
    }

  if (loaded->desc->kind == BP_KIND_LAYER)
    {
      unit = unit_new_bare_layer (loaded, options->seed, error);
      if (unit == NULL)
        {
          checker_clear (&ck);
          return NULL;
        }
      report->title = g_strdup_printf ("%s (%s): a layer, %zu input%s, %zu "
                                       "output%s%s%s", loaded->desc->name,
                                       loaded->file, unit->n_in,
                                       unit->n_in == 1 ? "" : "s",
                                       unit->n_out,
                                       unit->n_out == 1 ? "" : "s",
                                       unit->args_text ? ", parameters "
                                                       : "",
                                       unit->args_text ? unit->args_text
                                                       : "");
      ok = check_layer_plugin (&ck, unit, error);
    }
  else
    {
      BpError err;

      unit = g_new0 (Unit, 1);
      unit->plugin = loaded;
      unit->d = loaded->desc;
      if (loss_init_any_width (unit, &err) != 0)
        {
          g_set_error (error, BP_ERROR, BP_ERROR_PLUGIN,
                       "%s: cannot make the loss with %d outputs or 1: %s",
                       loaded->file, CHECK_WIDTH,
                       err.message[0] ? err.message
                                      : "initialisation failed");
          checker_clear (&ck);
          return NULL;
        }
      report->title = g_strdup_printf ("%s (%s): a loss, %zu output%s",
                                       loaded->desc->name, loaded->file,
                                       unit->n_out,
                                       unit->n_out == 1 ? "" : "s");
      ok = check_loss_plugin (&ck, unit, error);
    }
  checker_clear (&ck);
  return ok ? g_steal_pointer (&report) : NULL;
}

/* ---- Checking a graph ---------------------------------------------------- */

static gboolean
same_args (const BpGraphPlugin *a, const BpGraphPlugin *b)
{
  if (a->n_args != b->n_args)
    return FALSE;
  for (gsize i = 0; i < a->n_args; i++)
    {
      const BpGraphArg *x = &a->args[i], *y = &b->args[i];

      if (strcmp (x->key, y->key) != 0
          || g_strcmp0 (x->scalar, y->scalar) != 0
          || x->n_reals != y->n_reals || x->rows != y->rows
          || (x->n_reals > 0
              && memcmp (x->reals, y->reals,
                         x->n_reals * sizeof *x->reals) != 0))
        return FALSE;
    }
  return TRUE;
}

/* Layers i and j are checked once when they are the same plugin with the
 * same parameters at the same width. */
static gboolean
same_layer (const BpGraph *graph, const BpNetwork *net, gsize i, gsize j)
{
  return strcmp (graph->layers[i].plugin, graph->layers[j].plugin) == 0
         && net->layers[i].n_in == net->layers[j].n_in
         && same_args (&graph->layers[i], &graph->layers[j]);
}

static Unit *
unit_borrow_loss (const BpNetwork *net)
{
  Unit *u = g_new0 (Unit, 1);

  u->d = net->loss->desc;
  u->state = net->loss_state;
  u->n_in = u->n_out = net->n_out;
  return u;
}

BpCheckReport *
bp_check_graph (const BpGraph *graph, const BpCheckOptions *options,
                GError **error)
{
  g_autoptr (BpCheckReport) report = NULL;
  g_autoptr (BpNetwork) net = NULL;
  g_autoptr (GPtrArray) units = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  g_autoptr (Unit) loss = NULL;
  g_autoptr (Unit) partner = NULL;
  g_autofree gboolean *done = NULL;
  g_autofree char *loss_subject = NULL;
  const BpPlugin *loss_d;
  Checker ck;
  Chain chain;

  g_return_val_if_fail (graph != NULL && options != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!options_valid (options, error))
    return NULL;
  net = bp_network_new (graph, 1, error);
  if (net == NULL)
    return NULL;

  report = report_new (options);
  checker_init (&ck, options, report,
                bp_plugin_search_path ((const char *const *)
                                       graph->plugin_path));
  report->title = g_strdup_printf ("%s: %zu layer%s, %zu input%s, %zu "
                                   "output%s, loss %s", graph->path,
                                   net->n_layers,
                                   net->n_layers == 1 ? "" : "s", net->n_in,
                                   net->n_in == 1 ? "" : "s", net->n_out,
                                   net->n_out == 1 ? "" : "s",
                                   net->loss->desc->name);

  /* Each distinct layer alone, named by its places in the graph. */
  units = g_ptr_array_new_with_free_func ((GDestroyNotify) unit_free);
  labels = g_ptr_array_new_with_free_func (g_free);
  done = g_new0 (gboolean, net->n_layers);
  for (gsize i = 0; i < net->n_layers; i++)
    {
      g_ptr_array_add (units, unit_borrow (&net->layers[i]));
      g_ptr_array_add (labels, g_strdup_printf ("layer %zu, %s", i + 1,
                                                graph->layers[i].plugin));
    }
  for (gsize i = 0; i < net->n_layers; i++)
    {
      g_autoptr (GString) places = g_string_new (NULL);
      g_autofree char *subject = NULL;
      guint count = 0;

      if (done[i])
        continue;
      for (gsize j = i; j < net->n_layers; j++)
        if (!done[j] && same_layer (graph, net, i, j))
          {
            done[j] = TRUE;
            g_string_append_printf (places, "%s%zu", count++ ? ", " : "",
                                    j + 1);
          }
      subject = g_strdup_printf ("layer%s %s (%s)", count > 1 ? "s" : "",
                                 places->str, net->layers[i].plugin->desc
                                                ->name);
      check_layer (&ck, g_ptr_array_index (units, i), subject);
    }

  /* The loss, with its fused partner: the graph's last layer when the
   * core fuses them, else the plugin of that name. */
  loss = unit_borrow_loss (net);
  loss_d = loss->d;
  if (net->fused)
    partner = unit_borrow (&net->layers[net->n_layers - 1]);
  else if (loss_d->fused_partner != NULL)
    {
      partner = helper_layer (&ck, loss_d->fused_partner, net->n_out, 0,
                              net->n_out, error);
      if (partner == NULL)
        {
          checker_clear (&ck);
          return NULL;
        }
    }
  loss_subject = g_strdup_printf ("loss (%s)", loss_d->name);
  check_loss (&ck, loss, partner, loss_subject);

  /* The whole chain, input to loss. */
  chain_init (&chain, (Unit **) units->pdata, net->n_layers, loss,
              net->fused);
  check_chain (&ck, &chain, "network", "d loss",
               (const char *const *) labels->pdata);
  chain_clear (&chain);

  checker_clear (&ck);
  return g_steal_pointer (&report);
}

/* ---- The report ---------------------------------------------------------- */

gboolean
bp_check_report_passed (const BpCheckReport *report)
{
  gboolean compared = FALSE;

  g_return_val_if_fail (report != NULL, FALSE);

  for (guint i = 0; i < report->rows->len; i++)
    {
      const Row *row = g_ptr_array_index (report->rows, i);

      if (row->verdict == VERDICT_FAIL)
        return FALSE;
      compared = compared || (row->verdict == VERDICT_PASS && row->numbers);
    }
  return compared;
}

void
bp_check_report_counts (const BpCheckReport *report, guint *passed,
                        guint *failed, guint *skipped)
{
  guint counts[3] = { 0, 0, 0 };

  g_return_if_fail (report != NULL);

  for (guint i = 0; i < report->rows->len; i++)
    {
      const Row *row = g_ptr_array_index (report->rows, i);

      counts[row->verdict]++;
    }
  if (passed != NULL)
    *passed = counts[VERDICT_PASS];
  if (failed != NULL)
    *failed = counts[VERDICT_FAIL];
  if (skipped != NULL)
    *skipped = counts[VERDICT_SKIP];
}

static char *
format_error (const Row *row, double value)
{
  if (!row->numbers)
    return g_strdup ("-");
  if (value == 0)
    return g_strdup ("0");
  if (isnan (value))
    return g_strdup ("nan");
  return g_strdup_printf ("%.1e", value);
}

char *
bp_check_report_table (const BpCheckReport *report)
{
  static const char *const heads[] = { "plugin or layer", "operation",
                                       "max abs", "max rel", "verdict" };
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *options = NULL;
  g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  gsize width[4];
  guint passed, failed, skipped;
  gboolean notes = FALSE;

  g_return_val_if_fail (report != NULL, NULL);

  options = options_line (&report->options);
  g_string_append_printf (out, "%s\n%s\n\n", report->title, options);

  for (gsize c = 0; c < 4; c++)
    width[c] = strlen (heads[c]);
  for (guint i = 0; i < report->rows->len; i++)
    {
      const Row *row = g_ptr_array_index (report->rows, i);
      char *abs = format_error (row, row->max_abs);
      char *rel = format_error (row, row->max_rel);

      width[0] = MAX (width[0], strlen (row->subject));
      width[1] = MAX (width[1], strlen (row->operation));
      width[2] = MAX (width[2], strlen (abs));
      width[3] = MAX (width[3], strlen (rel));
      g_ptr_array_add (cells, abs);
      g_ptr_array_add (cells, rel);
    }

  g_string_append_printf (out, "%-*s  %-*s  %*s  %*s  %s\n",
                          (int) width[0], heads[0], (int) width[1],
                          heads[1], (int) width[2], heads[2],
                          (int) width[3], heads[3], heads[4]);
  for (guint i = 0; i < report->rows->len; i++)
    {
      const Row *row = g_ptr_array_index (report->rows, i);

      g_string_append_printf (out, "%-*s  %-*s  %*s  %*s  %s\n",
                              (int) width[0], row->subject, (int) width[1],
                              row->operation, (int) width[2],
                              (const char *) cells->pdata[2 * i],
                              (int) width[3],
                              (const char *) cells->pdata[2 * i + 1],
                              row->text);
    }

  for (guint i = 0; i < report->rows->len; i++)
    {
      const Row *row = g_ptr_array_index (report->rows, i);

      if (row->note == NULL)
        continue;
      g_string_append_printf (out, "%s%s\n", notes ? "" : "\n", row->note);
      notes = TRUE;
    }
  for (guint i = 0; i < report->notes->len; i++)
    {
      g_string_append_printf (out, "%s%s\n", notes ? "" : "\n",
                              (const char *) report->notes->pdata[i]);
      notes = TRUE;
    }

  bp_check_report_counts (report, &passed, &failed, &skipped);
  g_string_append_printf (out, "\n%u checks: %u passed, %u failed",
                          report->rows->len, passed, failed);
  if (skipped > 0)
    g_string_append_printf (out, ", %u skipped", skipped);
  g_string_append_c (out, '\n');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ---- The harness --------------------------------------------------------- */

void
bp_test_check_plugin (const char *plugin)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BpCheckReport) report = NULL;
  g_autofree char *table = NULL;
  g_auto (GStrv) lines = NULL;
  BpCheckOptions options;
  guint failed = 0;

  g_return_if_fail (plugin != NULL);

  bp_check_options_init (&options);
  report = bp_check_plugin (plugin, &options, &error);
  if (report == NULL)
    {
      g_test_fail_printf ("bpframe check %s: %s", plugin, error->message);
      return;
    }

  table = bp_check_report_table (report);
  lines = g_strsplit (table, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    if (**line != '\0')
      g_test_message ("%s", *line);

  bp_check_report_counts (report, NULL, &failed, NULL);
  if (!bp_check_report_passed (report))
    g_test_fail_printf ("bpframe check %s: %u of %u checks failed", plugin,
                        failed, report->rows->len);
}
