/* Built-in guest images linked into the vtlmon binary (monitor/image/embedded.S). */
#ifndef MONITOR_EMBEDDED_H
#define MONITOR_EMBEDDED_H

#include <stddef.h>

extern const unsigned char embedded_demo_elf[], embedded_demo_elf_end[];
extern const unsigned char embedded_vtl1_elf[], embedded_vtl1_elf_end[];
extern const unsigned char embedded_bench_elf[], embedded_bench_elf_end[];
extern const unsigned char embedded_cr_latency_elf[], embedded_cr_latency_elf_end[];
extern const unsigned char embedded_default_policy[], embedded_default_policy_end[];

#define EMBEDDED_SIZE(name) ((size_t)(name##_end - name))

#endif
