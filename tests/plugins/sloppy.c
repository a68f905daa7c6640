/* A layer that breaks a contract of plugin.h on request, for the
 * checker: the identity y = x, with fault: overrun (forward writes one
 * entry past Y), unwritten (jacobian leaves its last entry alone),
 * product (jacobian_product writes one entry before G_in), input
 * (forward changes X) or shared (y_k = x_k + P[0][0]: row 1 of P feeds
 * every output, not output 1 alone). The fault is required, so that
 * checking the bare .so meets a layer it cannot make.
 */
#include <stdlib.h>
#include <string.h>

#include "bpframe/plugin.h"

typedef enum { OVERRUN, UNWRITTEN, PRODUCT, INPUT, SHARED, N_FAULTS } Fault;

typedef struct {
  size_t n;
  Fault fault;
} Sloppy;

static const BpParamSpec sloppy_params[] = {
  { "fault", BP_ARG_STRING,
    "overrun, unwritten, product, input or shared (required)" },
  { NULL, 0, NULL }
};

static int
sloppy_init (const BpLayerConfig *config, void **state, BpLayerShape *shape,
             BpError *err)
{
  static const char *const names[N_FAULTS] = { "overrun", "unwritten",
                                               "product", "input",
                                               "shared" };
  Sloppy *self;
  int fault = -1;

  for (size_t i = 0; i < config->n_args; i++)
    if (strcmp (config->args[i].name, "fault") == 0)
      for (int f = 0; f < N_FAULTS; f++)
        if (strcmp (config->args[i].string, names[f]) == 0)
          fault = f;
  if (fault < 0)
    {
      strcpy (err->message, "fault is required: overrun, unwritten, "
              "product, input or shared");
      err->param = "fault";
      return -1;
    }
  self = malloc (sizeof *self);
  if (self == NULL)
    {
      strcpy (err->message, "out of memory");
      err->param = NULL;
      return -1;
    }
  self->n = config->n_in;
  self->fault = (Fault) fault;
  shape->n_out = config->n_in;
  if (self->fault == SHARED)
    {
      shape->param_rows = config->n_in;
      shape->param_cols = 1;
    }
  *state = self;
  return 0;
}

static void
sloppy_init_params (void *state, const BpLayerConfig *config, bp_real *P)
{
  Sloppy *self = state;

  (void) config;
  for (size_t k = 0; k < self->n; k++)
    P[k] = 0.5;
}

static void
sloppy_forward (void *state, const bp_real *P, size_t n, const bp_real *X,
                bp_real *Y)
{
  Sloppy *self = state;

  memcpy (Y, X, n * self->n * sizeof *Y);
  if (self->fault == OVERRUN)
    Y[n * self->n] = 0;
  if (self->fault == INPUT)
    ((bp_real *) X)[0] = 7;
  for (size_t i = 0; self->fault == SHARED && i < n * self->n; i++)
    Y[i] += P[0];
}

static void
sloppy_jacobian (void *state, const bp_real *P, const bp_real *x,
                 const bp_real *y, bp_real *J)
{
  Sloppy *self = state;
  size_t d = self->n;

  (void) P;
  (void) x;
  (void) y;
  for (size_t i = 0; i < d * d; i++)
    if (!(self->fault == UNWRITTEN && i == d * d - 1))
      J[i] = i % (d + 1) == 0 ? 1 : 0;
}

/* L[k][0] = d y_k / d P[k][0]: 1 for k = 0, else 0 (y_k depends on
 * P[0][0] instead, which no L can say: the fault). */
static void
sloppy_local_L (void *state, const bp_real *P, const bp_real *x,
                const bp_real *y, bp_real *L)
{
  Sloppy *self = state;

  (void) P;
  (void) x;
  (void) y;
  for (size_t k = 0; k < self->n; k++)
    L[k] = k == 0 ? 1 : 0;
}

static void
sloppy_update (void *state, const bp_real *m, const bp_real *L,
               bp_real *grad)
{
  Sloppy *self = state;

  for (size_t k = 0; k < self->n; k++)
    grad[k] += m[k] * L[k];
}

static void
sloppy_jacobian_product (void *state, const bp_real *P, size_t n,
                         const bp_real *X, const bp_real *Y,
                         const bp_real *G, bp_real *G_in)
{
  Sloppy *self = state;

  (void) P;
  (void) X;
  (void) Y;
  memcpy (G_in, G, n * self->n * sizeof *G_in);
  if (self->fault == PRODUCT)
    G_in[-1] = 0;
}

static const BpPlugin sloppy_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "sloppy",
  .description = "the identity, breaking a buffer contract (test plugin)",
  .params = sloppy_params,
  .layer_init = sloppy_init,
  .fini = free,
  .forward = sloppy_forward,
  .jacobian = sloppy_jacobian,
  .local_L = sloppy_local_L,
  .update = sloppy_update,
  .jacobian_product = sloppy_jacobian_product,
  .init_params = sloppy_init_params,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &sloppy_plugin;
}
