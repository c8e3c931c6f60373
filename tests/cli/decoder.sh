#!/usr/bin/env bash
# The decoder process (docs/security.md): vtlmon itself never links libcapstone (its relocations
# would cost ~3 MiB of RSS at every launch, and it parses guest bytes); `vtlmon inspect`, which
# loads it with dlopen, still decodes. No /dev/kvm: tests/unit/test_decoder.c runs the process.
set -u
source "$(dirname "$0")/lib.bash"

check "readelf -d vtlmon lists no libcapstone" \
	eval '! readelf -d "$VTLMON" | grep -qi "NEEDED.*libcapstone"'
check "readelf -d vtlmon still reads (the check above is not vacuous)" \
	eval 'readelf -d "$VTLMON" | grep -q "NEEDED.*libc\.so"'
demo=$SRC/build/vtl0/demo.elf
if [ -f "$demo" ]; then
	check "vtlmon inspect decodes the demo's CR0 write" \
		eval '"$VTLMON" inspect "$demo" | grep "cr0_write.*mov cr0, rax" >/dev/null'
fi
finish
