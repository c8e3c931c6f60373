/* What the BOOT entry established and every handler reads: boot info, compiled policy, features. */
#include "vtl1/state.h"

const struct vtl_boot_info *vtl1_boot;
struct policy vtl1_policy;
uint64_t vtl1_features;
