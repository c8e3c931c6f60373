#!/usr/bin/env bash
# The guest SDK: examples/minimal, copied out of the tree, builds with plain gcc from the ABI headers
# alone (VTLMON_INCLUDE), and its ELF keeps every rule of the VTL0 loader (docs/abi.md, "VTL0 image
# rules"), read back with readelf and `vtlmon inspect`. No /dev/kvm: tests/kvm/test_sdk.c runs it.
set -u
source "$(dirname "$0")/lib.bash"
MAKE=${MAKE:-make}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The loader's limits, from the headers themselves so that a changed constant is noticed here.
hdr_const()
{
	sed -n "s/^#define $1[[:space:]]\+\([0-9A-Fa-fx]\+\)U\?L*[[:space:]]*.*/\1/p" "$SRC/include/$2"
}
IMAGE_MIN=$(hdr_const VTL_IMAGE_MIN_OFFSET vtl_layout.h)
MAX_SEGS=$(hdr_const VTL_BOOT_MAX_SEGMENTS vtl_boot.h)
RAM=$((32 << 20)) # `vtlmon run`'s default --mem: the image must fit the smallest usual RAM
PAGE=4096
check "vtl_layout.h gives VTL_IMAGE_MIN_OFFSET ($IMAGE_MIN)" test "$((IMAGE_MIN))" = $((0x100000))
check "vtl_boot.h gives VTL_BOOT_MAX_SEGMENTS ($MAX_SEGS)" test "$((MAX_SEGS))" = 16

# elf_rules ELF: prints every loader rule ELF breaks, one a line (nothing: it keeps them all). These
# are the rules an author controls at link time; file-layout ones (e_phoff, p_offset) are the
# linker's, and `vtlmon run` checks them all again.
elf_rules()
{
	local f=$1 hdr loads entry n=0 in_x=0 lo hi
	local -a starts=() ends=()

	hdr=$(LC_ALL=C readelf -hW "$f" 2>&1) || {
		echo "readelf -h fails: $hdr"
		return
	}
	grep -q '^ *Class: *ELF64$' <<<"$hdr" || echo "not ELF64"
	grep -q "^ *Data: *2's complement, little endian$" <<<"$hdr" || echo "not little-endian"
	grep -q '^ *Type: *EXEC ' <<<"$hdr" || echo "not ET_EXEC: $(grep '^ *Type:' <<<"$hdr")"
	grep -q '^ *Machine: *Advanced Micro Devices X86-64$' <<<"$hdr" || echo "not x86-64"
	entry=$(sed -n 's/^ *Entry point address: *//p' <<<"$hdr")
	grep -q '^ *INTERP ' <(LC_ALL=C readelf -lW "$f") && echo "has PT_INTERP"
	loads=$(LC_ALL=C readelf -lW "$f" | awk '$1 == "LOAD" {
		flags = ""; for (i = 7; i < NF; i++) flags = flags $i; print $3, $4, $6, flags }')
	while read -r vaddr paddr memsz flags; do
		[[ -z $vaddr ]] && continue
		n=$((n + 1))
		[[ $vaddr == "$paddr" ]] || echo "LOAD $n: p_vaddr $vaddr != p_paddr $paddr"
		((memsz > 0)) || echo "LOAD $n: p_memsz is 0 (an empty output section?)"
		lo=$((paddr & ~(PAGE - 1)))
		hi=$(((paddr + memsz + PAGE - 1) & ~(PAGE - 1)))
		((lo >= IMAGE_MIN)) || echo "LOAD $n: starts at $paddr, below VTL_IMAGE_MIN_OFFSET"
		((hi <= RAM)) || echo "LOAD $n: ends at $(printf '%#x' $hi), beyond 32 MiB of RAM"
		[[ $flags == *W* && $flags == *E* ]] &&
			echo "LOAD $n: W+X (the default policy's 'memory text rx locked' takes its W)"
		for i in "${!starts[@]}"; do
			((lo < ends[i] && starts[i] < hi)) && echo "LOAD $n shares a page with LOAD $((i + 1))"
		done
		starts+=("$lo")
		ends+=("$hi")
		[[ $flags == *E* ]] && ((entry >= paddr && entry < paddr + memsz)) && in_x=1
	done <<<"$loads"
	((n >= 1 && n <= MAX_SEGS)) || echo "$n PT_LOAD segments, need 1 to $MAX_SEGS"
	((in_x)) || echo "entry $entry is not inside an executable PT_LOAD"
}

# The checker is not vacuous: a host program (a PIE with an interpreter, linked at 0) breaks rules.
bad=$(elf_rules "$(command -v bash)")
check "elf_rules finds broken rules in $(command -v bash)" test -n "$bad"

# Out of the tree: only the example's own files, and the ABI headers through VTLMON_INCLUDE.
cp -r examples/minimal "$tmp/minimal"
if ! (cd "$tmp/minimal" && env -u CC -u CFLAGS $MAKE --no-print-directory \
	VTLMON_INCLUDE="$SRC/include" >"$tmp/make.log" 2>&1); then
	cat "$tmp/make.log" >&2
	fail "make in a copy of examples/minimal with VTLMON_INCLUDE=$SRC/include"
	finish
fi
elf=$tmp/minimal/minimal.elf
check "the build made minimal.elf" test -s "$elf"
check "the build used gcc" grep -q '^gcc ' "$tmp/make.log"

# Every header the sources pull in is an ABI header or the compiler's own freestanding one.
deps=$(cd "$tmp/minimal" && gcc -M -ffreestanding -I"$SRC/include" minimal.c start.S |
	tr ' \\' '\n\n' | grep '\.h$' | sort -u)
for d in $deps; do
	case $d in
	"$SRC"/include/vtl*.h) ;;
	/usr/lib/gcc/*/include/* | /usr/include/*) ;;
	*) fail "minimal's sources include $d: not an ABI header" ;;
	esac
	checks=$((checks + 1))
done
check "minimal.c includes the ABI headers" grep -q "$SRC/include/vtl_call.h" <<<"$deps"

out=$(elf_rules "$elf")
check "minimal.elf keeps the loader's rules: ${out//$'\n'/; }" test -z "$out"
check "minimal.elf has three PT_LOADs (text, rodata, data)" \
	test "$(LC_ALL=C readelf -lW "$elf" | grep -c '^ *LOAD ')" = 3
check "minimal.elf is linked at VTL_IMAGE_MIN_OFFSET" \
	eval "LC_ALL=C readelf -hW '$elf' | grep -q '^ *Entry point address: *0x100000$'"
undef=$(LC_ALL=C nm -u "$elf")
check "minimal.elf has no undefined symbols: $undef" test -z "$undef"

# vtlmon inspect reads it as a VTL0 image: one executable segment, its lidt found on the stream.
out=$("$VTLMON" inspect "$elf" 2>&1)
rc=$?
check "vtlmon inspect minimal.elf exits 0 (got $rc): $out" test "$rc" = 0
check "vtlmon inspect sees one executable segment, no unaligned site: $out" \
	grep -q '^# [0-9]* sites (0 unaligned) in 1 executable segments$' <<<"$out"
check "vtlmon inspect finds the lidt: $out" grep -q '^0x[0-9a-f]* lidt .* aligned$' <<<"$out"
out=$("$VTLMON" inspect "$elf" --json 2>&1)
check "vtlmon inspect --json lists the lidt: $out" grep -q '"lidt"' <<<"$out"

# O= puts everything elsewhere and leaves the source folder as it was.
rm -rf "$tmp/src2" && cp -r examples/minimal "$tmp/src2"
check "make O=DIR builds into DIR" eval "env -u CC $MAKE --no-print-directory -s -C '$tmp/src2' \
	VTLMON_INCLUDE='$SRC/include' O='$tmp/out' >/dev/null 2>&1 && test -s '$tmp/out/minimal.elf'"
check "make O=DIR leaves the source folder clean" \
	test -z "$(cd "$tmp/src2" && find . -name '*.o' -o -name '*.elf')"

finish
