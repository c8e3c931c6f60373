/* Guest ABI: status codes returned by VTL calls and by VTL1 ops, with vtl_strerror(). */
#ifndef VTL_STATUS_H
#define VTL_STATUS_H

#include <stdint.h>

enum vtl_status {
	VTL_OK = 0,
	VTL_E_INVALID = 1,	 /* malformed argument, flag or reserved field */
	VTL_E_UNKNOWN_CALL = 2,	 /* no such call or op */
	VTL_E_BAD_ADDRESS = 3,	 /* GPA unaligned, out of range, overflowing, or crossing a page */
	VTL_E_DENIED = 4,	 /* refused by VTL1's policy */
	VTL_E_NO_RESOURCES = 5,	 /* a host resource (memslots, table space) ran out */
	VTL_E_NOT_SUPPORTED = 6, /* this host cannot enforce what was asked */
	VTL_E_BAD_STATE = 7,	 /* not valid now (for example after END_OF_BOOT) */
	VTL_E_VERIFY = 8,	 /* measurement or signature check failed */
	VTL_E_SKIPPED = 9,	 /* op not applied because an earlier op failed */
	VTL_STATUS_COUNT
};

static inline const char *vtl_strerror(uint32_t status)
{
	switch (status) {
	case VTL_OK: return "ok";
	case VTL_E_INVALID: return "invalid argument";
	case VTL_E_UNKNOWN_CALL: return "unknown call";
	case VTL_E_BAD_ADDRESS: return "bad address";
	case VTL_E_DENIED: return "denied by policy";
	case VTL_E_NO_RESOURCES: return "no resources";
	case VTL_E_NOT_SUPPORTED: return "not supported on this host";
	case VTL_E_BAD_STATE: return "bad state";
	case VTL_E_VERIFY: return "verification failed";
	case VTL_E_SKIPPED: return "skipped after an earlier failure";
	default: return "unknown status";
	}
}

#endif
