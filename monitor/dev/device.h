/* Guest-visible MMIO devices: one window check, and the ID registers every vtlmon device has. */
#ifndef MONITOR_DEV_DEVICE_H
#define MONITOR_DEV_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Is [addr, addr + len) inside the device window [base, base + size)? Then
 * *off is the offset into it: a device model sees only offsets, never the
 * guest-physical address, and no window check is spelled twice.
 */
bool device_offset(uint64_t base, uint64_t size, uint64_t addr, uint32_t len, uint64_t *off);

/*
 * The registers both VTL devices share (vtl_device.h): ID, VERSION and
 * FEATURES, each at its exact width. *ok is false for any other offset or
 * width, which then reads as all-ones.
 */
uint64_t device_read_id_regs(uint32_t id, uint64_t features, uint64_t off, uint32_t len, bool *ok);

#endif
