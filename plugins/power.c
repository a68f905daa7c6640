/* Each input raised to its own power, y_i = x_i^e_i: a stage of the
 * paper's scalar chains (sections 2 and 3), e.g. t -> t^3 or (x, y) ->
 * (x^2, y^3). n_out = n_in and no parameters; the exponents are fixed.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpframe/plugin.h"

typedef struct {
  size_t n_in;
  double exponents[]; /* e_i, copied: the args live only during init */
} Power;

static const BpParamSpec power_params[] = {
  { "exponents", BP_ARG_REALS,
    "e_i for y_i = x_i^e_i, a flat list of one number per input "
    "(required)" },
  { NULL, 0, NULL }
};

#if defined(__GNUC__)
__attribute__ ((format (printf, 3, 4)))
#endif
static int
fail (BpError *err, const char *param, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  vsnprintf (err->message, sizeof err->message, format, args);
  va_end (args);
  err->param = param;
  return -1;
}

static const BpArg *
find_arg (const BpLayerConfig *config, const char *name)
{
  for (size_t i = 0; i < config->n_args; i++)
    if (strcmp (config->args[i].name, name) == 0)
      return &config->args[i];
  return NULL;
}

static int
power_init (const BpLayerConfig *config, void **state, BpLayerShape *shape,
            BpError *err)
{
  const BpArg *exponents = find_arg (config, "exponents");
  size_t d = config->n_in;
  Power *self;

  /* Check every parameter before allocating, so that a failure leaves
   * nothing behind. */
  if (d == 0)
    return fail (err, NULL, "power needs at least one input, got 0");
  if (exponents == NULL)
    return fail (err, NULL, "exponents is required (one per input)");
  if (exponents->type != BP_ARG_REALS)
    return fail (err, "exponents", "exponents must be a list of numbers");
  if (exponents->rows != 0)
    return fail (err, "exponents",
                 "exponents must be a flat list, got a %zu x %zu list of "
                 "lists", exponents->rows, exponents->cols);
  if (exponents->n_reals != d)
    return fail (err, "exponents",
                 "exponents has %zu number%s; the layer has %zu input%s",
                 exponents->n_reals, exponents->n_reals == 1 ? "" : "s",
                 d, d == 1 ? "" : "s");

  self = malloc (sizeof *self + d * sizeof self->exponents[0]);
  if (self == NULL)
    return fail (err, NULL, "out of memory");
  self->n_in = d;
  memcpy (self->exponents, exponents->reals, d * sizeof self->exponents[0]);

  shape->n_out = d;
  shape->param_rows = shape->param_cols = 0;
  *state = self;
  return 0;
}

/* y_i = x_i^e_i; a negative x_i with a non-integer e_i gives NaN, which
 * the core sees as a diverging run. */
static void
power_forward (void *state, const bp_real *P, size_t n, const bp_real *X,
               bp_real *Y)
{
  Power *self = state;
  size_t d = self->n_in;

  (void) P;
  for (size_t s = 0; s < n; s++)
    for (size_t i = 0; i < d; i++)
      Y[s * d + i] = pow (X[s * d + i], self->exponents[i]);
}

/* The derivative e x^(e - 1), computed as written, e * pow(x, e - 1), so
 * that the paper's worked examples come out bit for bit (2 * pow(x, 1) is
 * exactly 2x). A constant (e = 0) has slope 0 everywhere, where the
 * formula would give 0 * inf at x = 0. */
static bp_real
slope (double e, bp_real x)
{
  return e == 0 ? 0 : e * pow (x, e - 1);
}

/* J = diag(e_i x_i^(e_i - 1)), the paper's phi'(t) for each input. */
static void
power_jacobian (void *state, const bp_real *P, const bp_real *x,
                const bp_real *y, bp_real *J)
{
  Power *self = state;
  size_t d = self->n_in;

  (void) P;
  (void) y;
  for (size_t k = 0; k < d; k++)
    for (size_t j = 0; j < d; j++)
      J[k * d + j] = j == k ? slope (self->exponents[k], x[k]) : 0;
}

/* G_in = G diag(e x^(e - 1)): m_i scaled by its input's slope. */
static void
power_jacobian_product (void *state, const bp_real *P, size_t n,
                        const bp_real *X, const bp_real *Y,
                        const bp_real *G, bp_real *G_in)
{
  Power *self = state;
  size_t d = self->n_in;

  (void) P;
  (void) Y;
  for (size_t s = 0; s < n; s++)
    for (size_t i = 0; i < d; i++)
      G_in[s * d + i] = G[s * d + i] * slope (self->exponents[i],
                                              X[s * d + i]);
}

static const BpPlugin power_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "power",
  .description = "y_i = x_i^e_i for each input, with fixed exponents e",
  .params = power_params,
  .layer_init = power_init,
  .fini = free,
  .forward = power_forward,
  .jacobian = power_jacobian,
  .jacobian_product = power_jacobian_product,
  .output_flags = 0,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &power_plugin;
}
