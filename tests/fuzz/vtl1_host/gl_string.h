/* Host shim for guestlib/gl_string.h: libc's functions, and VTL0 RAM reads made visible. */
#ifndef GL_STRING_H
#define GL_STRING_H

#include <stddef.h>
#include <string.h>

/*
 * VTL1 sees VTL0 RAM identity-mapped (GPA = VA below VTL0_RAM_MAX), and
 * kexec.c copies a signature straight out of it. On the host that address
 * is not mapped, so every memcpy goes through the harness, which serves a
 * source below VTL0_RAM_MAX from its model of VTL0 RAM (and checks that the
 * whole copy lies inside VTL0 RAM) and passes anything else to libc.
 */
void *vtl1_host_memcpy(void *dst, const void *src, size_t len);
#define memcpy vtl1_host_memcpy

#endif
