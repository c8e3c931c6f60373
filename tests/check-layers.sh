#!/usr/bin/env bash
# check-layers: monitor/ depends one way (commands down to KVM and base), files form no cycle,
# every function is declared in its own module's header, and only the KVM layer calls ioctl(). `make check-layers` runs it; CI runs that.
#
# Layers, lowest first (a file may include its own layer and the ones below):
#   base     log, events, guest RAM, files, sandbox, exit statuses, limits
#   kvm      every ioctl on /dev/kvm, VM and vCPU fds; the pure kvm_run decoder
#   x86      boot state, page walk, instruction decoding and disassembly
#   image    ELF loading and inspection, embedded images, policy loading
#   protect  the permission map and memslots, CR/MSR pins, host features
#   dev      guest-visible devices as table entries (base, size, read, write)
#   vm       the machine, the per-pair loop, VTL1 entry and ops, enforcement, kexec, reset
#   cmd      one file per sub-command
#   main.c   the ordered start-up
# include/ (the guest ABI), hypercalls/ and policy/ are below all of them and never include
# monitor/. A module is a .c file with its .h; a cycle is a chain of includes between modules
# that comes back to where it started.
set -u
cd "$(dirname "$0")/.." || exit 2

layers=(base kvm x86 image protect dev vm cmd)
rank_of() {
	local i
	for i in "${!layers[@]}"; do
		[ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo -1
}

fail=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

while IFS= read -r f; do
	mod=${f%.*}
	case $f in
	monitor/main.c) from_rank=${#layers[@]} ;;
	monitor/*/*) from_rank=$(rank_of "$(echo "$f" | cut -d/ -f2)") ;;
	monitor/*)
		echo "check-layers: $f: monitor/ holds only main.c and the layer folders" >&2
		fail=1
		continue
		;;
	*) from_rank=-2 ;; # hypercalls/, policy/: below every monitor layer
	esac
	if [ "$from_rank" = -1 ]; then
		echo "check-layers: $f: unknown layer folder (add it to the list in $0)" >&2
		fail=1
		continue
	fi
	# Every quoted include of a project module (not the ABI headers in include/).
	grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"(monitor|hypercalls|policy)/' "$f" |
		sed -E 's/^([0-9]+):.*"([^"]+)".*/\1 \2/' |
		while read -r line inc; do
			tmod=${inc%.*}
			[ "$tmod" = "$mod" ] && continue
			echo "$mod $tmod" >>"$edges"
			case $inc in
			monitor/*/*)
				to_rank=$(rank_of "$(echo "$inc" | cut -d/ -f2)")
				if [ "$from_rank" -lt 0 ] || [ "$to_rank" -lt 0 ] || [ "$to_rank" -gt "$from_rank" ]; then
					echo "check-layers: $f:$line: includes $inc, which is above it" >&2
					echo x >>"$edges.fail"
				fi
				;;
			monitor/*)
				echo "check-layers: $f:$line: includes $inc outside the layer folders" >&2
				echo x >>"$edges.fail"
				;;
			esac
		done
done < <(find monitor hypercalls policy -name '*.[chS]' | sort)

[ -s "$edges.fail" ] && fail=1
rm -f "$edges.fail"

# Cycles between modules: tsort names the modules of each loop it finds.
if ! tsort "$edges" >/dev/null 2>"$edges.tsort"; then
	sed 's/^/check-layers: /' "$edges.tsort" >&2
	fail=1
fi
rm -f "$edges.tsort"

# ioctl() belongs to monitor/kvm/ alone: the rest of the monitor asks the KVM layer.
if grep -nE '(^|[^_[:alnum:]"])ioctl[[:space:]]*\(' $(find monitor -name '*.c' -not -path 'monitor/kvm/*') |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' >"$edges.ioctl"; then
	sed 's/^/check-layers: raw ioctl() outside monitor\/kvm\/: /' "$edges.ioctl" >&2
	fail=1
fi
rm -f "$edges.ioctl"

# Every function a module's header declares is defined in that module's .c file: a declaration
# in another module's header would hide a dependency from the include graph above.
for h in $(find monitor -name '*.h' | sort); do
	c=${h%.h}.c
	names=$(sed -e 's://.*$::' "$h" | grep -v '^[[:space:]]*#' | tr '\n' ' ' |
		sed -e 's:/\*[^*]*\*\+\([^/*][^*]*\*\+\)*/: :g' |
		awk '{ out = ""; d = 0; for (i = 1; i <= length($0); i++) { ch = substr($0, i, 1);
			if (ch == "{") d++; else if (ch == "}") d--; else if (d == 0) out = out ch; }
			print out }' |
		tr ';' '\n' | grep -vE '^[[:space:]]*(typedef|extern[[:space:]]+const|static|_Static_assert)' |
		grep -E '[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\(' |
		sed -E 's/__attribute__.*$//' |
		sed -nE 's/.*[[:space:]*]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\(.*/\1/p')
	for n in $names; do
		if [ ! -f "$c" ] || ! grep -qE "^[A-Za-z_].*[[:space:]*]$n\(" "$c"; then
			echo "check-layers: $h declares $n(), which $c does not define" >&2
			fail=1
		fi
	done
done

if [ "$fail" = 0 ]; then
	echo "check-layers: $(sort -u "$edges" | wc -l) include edges between modules, one-way, no cycles, ioctl() only in monitor/kvm/"
fi
exit "$fail"
