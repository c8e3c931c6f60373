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
#
# Then the VTL0 exit of a denied store, from one run of the flood guest (vtl0/tests/flood.c: 10,000
# stores to a page VTL1 made read-only, each denied with a #PF): per store, the pair loop's exit
# fetch (averaged as above) plus enforce_mem_access, split into the store's origin
# (insn_write_origin), the instruction bytes (the walk of RIP's page), VTL1's decision
# (intercept_run) and the report (intercept_report); and how often the decoder process was asked,
# with what it cost in its own process (callgrind follows the fork: one profile per process).
#
# usage: bench/instr.sh VTLMON BENCH_GUEST_ELF [RANGES...]   (default: 10 16000)
#        FLOOD_ELF=... names the flood guest (default: flood.elf beside BENCH_GUEST_ELF)
set -eu
vtlmon=${1:?vtlmon binary} guest=${2:?bench guest ELF}
bench_dir=$(cd "$(dirname "$0")" && pwd)
flood=${FLOOD_ELF:-$(dirname "$guest")/flood.elf}
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
	python3 - "$a" "$b" "$r" $((6 * pairs)) "$bench_dir" <<'PY'
import sys
sys.path.insert(0, sys.argv[5])
from cgload import load

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

if [ ! -f "$flood" ]; then
	echo "bench-instr: $flood is missing: no violation figure"
	exit 0
fi
valgrind --tool=callgrind --callgrind-out-file="$tmp/flood-%p" "$vtlmon" run --quiet --no-sandbox \
	--vtl0 "$flood" --timeout 600 >"$tmp/log-flood" 2>&1 || { cat "$tmp/log-flood" >&2; exit 1; }
echo
echo "monitor instructions (callgrind) per denied store, flood guest, events off"
printf '  %-7s %7s %7s %7s %7s %7s %7s %14s %14s\n' stores "exit" fetch origin bytes decide \
	report "decoder asks" "decoder instr"
python3 - "$bench_dir" "$tmp"/flood-* <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from cgload import load

monitor, others = None, []
for path in sys.argv[2:]:
    prof = load(path)
    # The monitor is the process with the pair threads; any other is the decoder.
    if monitor is None and prof[1]['pair_thread']:
        monitor = prof
    else:
        others.append(prof)
if monitor is None:
    sys.exit('bench-instr: no monitor profile from the flood run')
_, calls, incl = monitor
stores = calls['enforce_mem_access']
if not stores:
    sys.exit('bench-instr: the flood run made no memory exit')
def per(key):
    return incl[key] / stores
fetch = incl['pair_thread', 'vcpu_exit_next'] / max(calls['pair_thread', 'vcpu_exit_next'], 1)
code = sum(per(('enforce_mem_access', f)) for f in ('vtl0_walks_fetch', 'vtl0_view_fetch',
                                                     'vtl0_view_fetch_before',
                                                     'intercept_fill_insn'))
print('  %-7d %7.0f %7.0f %7.0f %7.0f %7.0f %7.0f %14.3f %14.0f' % (
    stores, fetch + per('enforce_mem_access'), fetch, per('insn_write_origin'), code,
    per('intercept_run'), per('intercept_report'), calls['decoder_decode'] / stores,
    sum(p[0] for p in others) / stores))
print('  exit = fetch + enforce_mem_access (origin, bytes, decide and report are parts of it);')
print('  decoder asks: requests of the whole run per store; decoder instr: the decoder process\'s')
print('  whole run (Capstone loaded at its first request) per store')
PY
