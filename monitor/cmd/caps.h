/* What this host can enforce: KVM capabilities, and the FEATURES bits vtlmon reports to guests. */
#ifndef MONITOR_CAPS_H
#define MONITOR_CAPS_H

#include <stdint.h>

#include "monitor/kvm/kvm.h"

/*
 * The VTL_FEAT_* bits that are both possible on this host and implemented by
 * this build. One table in caps.c backs this and `vtlmon caps`, so the two
 * can never disagree.
 */
uint64_t caps_features(const struct kvm *kvm);

#endif
