#!/usr/bin/env bash
# bench-instr: monitor instructions per PROTECT call and per exit, counted by callgrind on real KVM.
#
# callgrind counts instructions, not seconds: the same binary, guest and inputs give the same
# count whatever else the host is doing. Two runs of the bench guest (vtl0/tests/bench.c) with
# its PROTECT parameters as a module differ only in the number of timed pairs (1 and 1 + PAIRS
# per placement, three placements): the difference is the monitor's cost of 6 x PAIRS PROTECT
# calls, with launch, set-up and the exit/call loops cancelled out. A PROTECT call is three exits
# (VTL0's call, VTL1's op list, VTL1's answer), each told apart by the functions that handle it:
#   call exit  = one VTL0 exit fetch (vcpu_exit_next from pair_thread, averaged) +
#                vtl0_device_write - vtl1_entry_run  (the call block, entering VTL1, the results)
#   VTL1 exits = vtl1_entry_run: two exits that differ only in their op, SET_PERMS or RETURN, so
#   answer     = (vtl1_entry_run - op_set_perms) / 2 and op list = answer + op_set_perms.
# A measurement, never a test.
#
# usage: bench/instr.sh VTLMON BENCH_GUEST_ELF [RANGES...]   (default: 10 16000)
set -eu
vtlmon=${1:?vtlmon binary} guest=${2:?bench guest ELF}
shift 2
ranges=("$@")
[ ${#ranges[@]} -gt 0 ] || ranges=(10 16000)
pairs=100

if ! command -v valgrind >/dev/null || ! command -v python3 >/dev/null; then
	echo "bench-instr: needs valgrind and python3: skipped"
	exit 0
fi
if [ ! -c /dev/kvm ]; then
	echo "bench-instr: /dev/kvm is missing" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One callgrind run with N timed pairs per placement over R ranges: its profile path.
run() {
	local r=$1 n=$2 out=$tmp/cg-$1-$2
	python3 -c "import struct,sys; open(sys.argv[1],'wb').write(struct.pack('<QIIQ', 0x31525042, $r, $n, 8 << 20))" \
		"$tmp/mod-$r-$n"
	valgrind --tool=callgrind --callgrind-out-file="$out" "$vtlmon" run --quiet --no-sandbox \
		--mem 128M --vtl0 "$guest" --module "$tmp/mod-$r-$n" --timeout 600 \
		>"$tmp/log-$r-$n" 2>&1 || { cat "$tmp/log-$r-$n" >&2; exit 1; }
	echo "$out"
}

echo "monitor instructions (callgrind), PROTECT r-- / rwx of one page, 128 MiB, $((6 * pairs)) calls"
printf '  %-8s %9s %9s %9s %9s %9s %9s\n' ranges "per call" "avg exit" "call" "op list" \
	"answer" "perm_set"
for r in "${ranges[@]}"; do
	a=$(run "$r" 1)
	b=$(run "$r" $((1 + pairs)))
	python3 - "$a" "$b" "$r" $((6 * pairs)) <<'PY'
import collections, re, sys

def load(path):
    """Total instructions, and calls + inclusive cost per callee and per (caller, callee)."""
    names, calls, incl = {}, collections.Counter(), collections.Counter()
    total, fn, cfn, pending = 0, None, None, None
    def name(tok):
        m = re.match(r'\((\d+)\)(?: (.*))?', tok)
        if not m:
            return tok
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), m.group(1))
    for line in open(path):
        if line.startswith('cfn='):
            cfn = name(line[4:].strip())
        elif line.startswith('fn='):
            fn = name(line[3:].strip())
        elif line.startswith('calls='):
            pending = int(line[6:].split()[0])
        elif line.startswith('summary:'):
            total = int(line.split()[1])
        elif pending is not None and (line[:1].isdigit() or line[:1] in ('+', '-', '*')):
            parts = line.split()
            cost = int(parts[1]) if len(parts) > 1 else 0
            calls[cfn] += pending
            incl[cfn] += cost
            calls[fn, cfn] += pending
            incl[fn, cfn] += cost
            pending = None
    return total, calls, incl

(ta, ca, ia), (tb, cb, ib) = load(sys.argv[1]), load(sys.argv[2])
ranges, n = sys.argv[3], int(sys.argv[4])
per_call = (tb - ta) / n
def per(fn):
    return (ib[fn] - ia[fn]) / n
if cb['perm_set'] - ca['perm_set'] != n or cb['op_set_perms'] - ca['op_set_perms'] != n:
    sys.exit('bench-instr: expected one perm_set per call')
v1, sp = per('vtl1_entry_run'), per('op_set_perms')
answer = (v1 - sp) / 2
# VTL0's exits are fetched in pair_thread: the average fetch, since timer and kick exits come in
# numbers that differ from run to run (so the difference of its totals is noise, not calls).
fetch = ib['pair_thread', 'vcpu_exit_next'] / max(cb['pair_thread', 'vcpu_exit_next'], 1)
print('  %-8s %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f' % (ranges, per_call, per_call / 3,
      fetch + per('vtl0_device_write') - v1, answer + sp, answer, per('perm_set')))
PY
done
echo "  goal: <= 2000 per handled exit; perm_set runs in the op-list exit"
