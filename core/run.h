/* Private pieces shared between the training loop and the model writer. */
#ifndef BP_CORE_RUN_H
#define BP_CORE_RUN_H

#include "network.h"

/* The model file's text (format bpframe-model, version 1). */
char *bp_model_to_yaml (const BpNetwork *net);

/* Writes it to path atomically; BP_ERROR_IO on failure. */
gboolean bp_model_save (const BpNetwork *net, const char *path,
                        GError **error);

#endif /* BP_CORE_RUN_H */
