#!/usr/bin/env bash
# bench-linux: Linux boot to /init's marker (and on to the end of the run) under vtlmon against QEMU
# microvm booting the same kernel and initramfs, interleaved in one run; times and peak RSS as
# ratios with min/median/max.
# A measurement, never a test: this host is shared and noisy (docs/results.md).
#
# usage: vtl0/linux/bench-linux.sh METER VTLMON LINUX_DIR [RUNS]   (METER: bench/measure.c)
set -u
meter=${1:?meter (bench/measure.c)} vtlmon=${2:?vtlmon binary} linux=${3:?linux dir} runs=${4:-3}
kernel=$linux/vmlinux initrd=$linux/initramfs.cpio
base="console=ttyS0 noxsave clearcpuid=297,580,308,288,298,145,151,158,306,534 reboot=k panic=-1 rodata=off"

if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
	echo "bench-linux: no test kernel in $linux (run make linux)" >&2
	exit 1
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "bench-linux: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86): skipped"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "bench-linux: python3 computes the statistics: skipped without it"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One measured run: prints "MARKER_S WALL_S MAXRSS_KIB STATUS" for the command in "$@": the time
# until its console shows /init's marker (the boot), until it exits, and its peak RSS, from
# bench/measure.c (under python the peak RSS would include python's own, bench/compare.sh).
# The command's stderr is shown only when the meter itself fails.
measure() {
	"$meter" -m "vtlmon-linux: /init reached" "$@" 2>"$tmp/stderr" || {
		cat "$tmp/stderr" >&2
		return 1
	}
}

vt=() qe=()
for i in $(seq 1 "$runs"); do
	# Interleaved: a load change hits both sides alike.
	v=$(measure "$vtlmon" run --kernel "$kernel" --initrd "$initrd" \
		--policy policy/examples/linux.policy --append "rodata=off" --timeout 180) || exit 1
	q=$(measure qemu-system-x86_64 -M microvm -enable-kvm -cpu host,-cx16,-arch-capabilities -m 128M -device i8042 \
		-kernel "$kernel" -initrd "$initrd" -nographic -no-reboot -append "$base") || exit 1
	echo "run $i: vtlmon ${v% *} (to /init s, wall s, peak RSS KiB), qemu ${q% *}"
	vt+=("$v") qe+=("$q")
done

python3 - "${vt[@]}" -- "${qe[@]}" <<'PY'
import statistics, sys
args = sys.argv[1:]
cut = args.index("--")
vt = [tuple(map(float, a.split())) for a in args[:cut]]
qe = [tuple(map(float, a.split())) for a in args[cut + 1:]]
def mmm(xs):
    return "min %.2f median %.2f max %.2f" % (min(xs), statistics.median(xs), max(xs))
if any(v[0] < 0 for v in vt + qe):
    print("bench-linux: a run never showed the /init marker"); sys.exit(1)
boot = [v[0] / q[0] for v, q in zip(vt, qe)]
wall = [v[1] / q[1] for v, q in zip(vt, qe)]
rss = [v[2] / q[2] for v, q in zip(vt, qe)]
print("Linux test kernel, 128 MiB, rodata=off, %d interleaved runs" % len(vt))
print("  vtlmon to /init s:  " + mmm([v[0] for v in vt]) + "   (exit statuses %s)" % sorted({int(v[3]) for v in vt}))
print("  qemu   to /init s:  " + mmm([q[0] for q in qe]))
print("  boot to /init  vtlmon / qemu:  " + mmm(boot) + "   (goal <= 1.0)")
print("  vtlmon to exit s:   " + mmm([v[1] for v in vt]))
print("  qemu   to exit s:   " + mmm([q[1] for q in qe]))
print("  to exit        vtlmon / qemu:  " + mmm(wall) + "   (/init prints the driver's state only under vtlmon)")
print("  vtlmon peak RSS KiB:  " + mmm([v[2] for v in vt]))
print("  qemu   peak RSS KiB:  " + mmm([q[2] for q in qe]))
print("  RSS    vtlmon / qemu:  " + mmm(rss) + "   (goal <= 0.25)")
PY
