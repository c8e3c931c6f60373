#!/usr/bin/env bash
# bench-compare: launch wall time and peak RSS of vtlmon against QEMU microvm, each starting a
# guest that ends at once, interleaved in one run; ratios vtlmon / QEMU with min/median/max.
#
# vtlmon runs the reference VTL1 and the default policy with a VTL0 that shuts down with 0
# (vtl0/tests/launch.c): the whole launch of both VMs, VTL1's boot and the policy included.
# QEMU runs -M microvm (its firmware, then PVH) with a guest that writes isa-debug-exit at its
# entry (bench/pvh_exit.S), which ends QEMU with status 85, (42 << 1) | 1, which no QEMU error
# gives. Both get 32 MiB of guest RAM (vtlmon's default VTL0 size). A measurement, never a
# test: this host is shared and noisy (docs/results.md).
#
# usage: bench/compare.sh METER VTLMON LAUNCH_GUEST_ELF PVH_GUEST_ELF [RUNS]   (default 7 runs)
#   METER is build/bench/measure (bench/measure.c)
set -u
meter=${1:?meter binary} vtlmon=${2:?vtlmon binary} guest=${3:?VTL0 guest that exits at once}
pvh=${4:?PVH guest ELF} runs=${5:-7}

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "bench-compare: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86): skipped"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "bench-compare: python3 gives the ratios and their min/median/max: skipped without it"
	exit 0
fi
if [ ! -c /dev/kvm ]; then
	echo "bench-compare: /dev/kvm is missing" >&2
	exit 1
fi
for f in "$meter" "$vtlmon" "$guest" "$pvh"; do
	[ -f "$f" ] || { echo "bench-compare: $f is missing (make bench-compare builds it)" >&2; exit 1; }
done
case $runs in
'' | *[!0-9]* | 0)
	echo "bench-compare: RUNS must be a positive number, not '$runs'" >&2
	exit 1
	;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One measured run of the command after EXPECT (an exit status): prints "WALL_S MAXRSS_KIB
# STATUS", timed and reaped by bench/measure.c (python cannot be the parent: the child's peak
# RSS would include python's). The command's stderr is shown when its status is not EXPECT.
measure() {
	local expect=$1 out
	shift
	out=$("$meter" "$@" 2>"$tmp/stderr") || { cat "$tmp/stderr" >&2; return 1; }
	[ "${out##* }" = "$expect" ] || cat "$tmp/stderr" >&2
	echo "$out"
}

vt=() qe=()
for i in $(seq 1 "$runs"); do
	# Interleaved: a load change hits both sides alike.
	v=$(measure 0 "$vtlmon" run --quiet --vtl0 "$guest" --timeout 60) || exit 1
	q=$(measure 85 qemu-system-x86_64 -M microvm -enable-kvm -cpu host,-arch-capabilities -m 32M -nodefaults \
		-no-user-config -nographic -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$pvh") || exit 1
	echo "run $i: vtlmon ${v% *} (wall s, peak RSS KiB), qemu ${q% *}"
	vt+=("$v") qe+=("$q")
done

python3 - "${vt[@]}" -- "${qe[@]}" <<'PY'
import statistics, sys
args = sys.argv[1:]
cut = args.index("--")
vt = [tuple(map(float, a.split())) for a in args[:cut]]
qe = [tuple(map(float, a.split())) for a in args[cut + 1:]]
def mmm(xs, f="%.4f"):
    return ("min " + f + "  median " + f + "  max " + f) % (min(xs), statistics.median(xs), max(xs))
bad_v = sorted({int(v[2]) for v in vt} - {0})
bad_q = sorted({int(q[2]) for q in qe} - {85})
if bad_v or bad_q:
    print("bench-compare: unexpected exit statuses: vtlmon %s (expected 0), qemu %s (expected 85,"
          " isa-debug-exit's (42 << 1) | 1)" % (bad_v, bad_q))
    sys.exit(1)
wall = [v[0] / q[0] for v, q in zip(vt, qe)]
rss = [v[1] / q[1] for v, q in zip(vt, qe)]
print("launch of a guest that exits at once, 32 MiB, %d interleaved runs" % len(vt))
print("  vtlmon wall s:        " + mmm([v[0] for v in vt]))
print("  qemu   wall s:        " + mmm([q[0] for q in qe]))
print("  launch wall vtlmon / qemu:  " + mmm(wall, "%.2f") + "   (goal <= 0.5)")
print("  vtlmon peak RSS KiB:  " + mmm([v[1] for v in vt], "%d"))
print("  qemu   peak RSS KiB:  " + mmm([q[1] for q in qe], "%d"))
print("  peak RSS vtlmon / qemu:     " + mmm(rss, "%.2f") + "   (goal <= 0.15)")
PY
