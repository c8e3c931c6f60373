#!/usr/bin/env bash
# The bash completion (completion/vtlmon.bash), sourced here as bash sources it: a few
# completions, and no drift from the binary: every command of `vtlmon help` and every option
# of `vtlmon CMD --help` completes, and every option shown with a FILE or ELF completes file names.
set -u
source "$(dirname "$0")/lib.bash"

source completion/vtlmon.bash || {
	fail "completion/vtlmon.bash does not source"
	finish
}
check "complete -p vtlmon names _vtlmon" eval '[[ $(complete -p vtlmon) == *"-F _vtlmon vtlmon" ]]'

# comp WORD...: the completions of the last WORD after the others, sorted, one per line.
comp()
{
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_vtlmon
	((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect WANT WORD...: the completions are exactly WANT (words separated by spaces).
expect()
{
	local want got
	want=$(printf '%s\n' $1 | sort)
	shift
	got=$(comp "$@")
	checks=$((checks + 1))
	[[ $got == "$want" ]] || fail "vtlmon ${*:2}<TAB>: want [${want//$'\n'/ }], got [${got//$'\n'/ }]"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/dir"
touch "$tmp/vmlinux" "$tmp/a.policy" "$tmp/b.policy" "$tmp/notes.txt"

# Sub-commands: whatever `vtlmon help` lists that starts with r (run, and report once it exists).
expect "$(vtlmon_commands | grep '^r' | tr '\n' ' ')" vtlmon r
expect "$(vtlmon_commands | tr '\n' ' ')" vtlmon ""
expect "--version" vtlmon --v
expect "policy" vtlmon pol
# Options.
expect "--policy" vtlmon run --po
expect "--vtl0 --vtl1 --vtl1-mem" vtlmon run --vtl
expect "--cr-period --cr-samples --cr-load --cr-only" vtlmon bench --cr-
expect "--json" vtlmon inspect --j
expect "--help" vtlmon caps --h
# File arguments: any file, or policy files (and folders) where a policy is expected.
expect "$tmp/vmlinux" vtlmon run --kernel "$tmp/vm"
expect "$tmp/a.policy $tmp/b.policy $tmp/dir" vtlmon run --policy "$tmp/"
expect "$tmp/a.policy" vtlmon run --policy = "$tmp/a"
expect "$tmp/a.policy $tmp/b.policy $tmp/dir $tmp/notes.txt $tmp/vmlinux" vtlmon run --quiet --events "$tmp/"
expect "$tmp/notes.txt" vtlmon run --initrd "$tmp/no"
expect "$tmp/notes.txt" vtlmon run --module "$tmp/vmlinux" --module "$tmp/n"
expect "check" vtlmon policy ""
expect "$tmp/a.policy $tmp/b.policy $tmp/dir" vtlmon policy check "$tmp/"
expect "policy/examples/default.policy policy/examples/dev.policy" \
	vtlmon policy check policy/examples/de
expect "" vtlmon policy check "$tmp/a.policy" ""
expect "$tmp/vmlinux" vtlmon inspect --json "$tmp/v"
expect "" vtlmon inspect "$tmp/vmlinux" "$tmp/"
# Values that are not files: nothing to offer.
expect "" vtlmon run --mem ""
expect "" vtlmon bench --runs ""
expect "" vtlmon run --append ""
expect "$(vtlmon_commands | grep -vx help | tr '\n' ' ')" vtlmon help ""

# No drift: every command and every option the binary documents completes.
while read -r cmd; do
	got=$(comp vtlmon "${cmd:0:1}")
	checks=$((checks + 1))
	grep -qx -- "$cmd" <<<"$got" || fail "command '$cmd' (vtlmon help) does not complete: add it to completion/vtlmon.bash"
	[[ $cmd == help ]] && continue
	if ! "$VTLMON" "$cmd" --help >/dev/null; then
		fail "vtlmon $cmd --help fails"
		continue
	fi
	opts=$(comp vtlmon "$cmd" -)
	while read -r opt; do
		checks=$((checks + 1))
		grep -qx -- "$opt" <<<"$opts" ||
			fail "option '$opt' of 'vtlmon $cmd --help' does not complete: add it to completion/vtlmon.bash"
	done < <(vtlmon_help_options "$cmd")
	# "--opt FILE" / "--opt ELF" in the usage: the option completes file names.
	while read -r opt; do
		checks=$((checks + 1))
		[[ $(comp vtlmon "$cmd" "$opt" "$tmp/notes") == "$tmp/notes.txt" ]] ||
			fail "'vtlmon $cmd $opt FILE' does not complete file names"
	done < <("$VTLMON" "$cmd" --help | grep -oE -- '--[a-z0-9-]+ (FILE|ELF)' | cut -d' ' -f1 | sort -u)
done < <(vtlmon_commands)
while read -r opt; do
	checks=$((checks + 1))
	grep -qx -- "$opt" <<<"$(comp vtlmon -)" || fail "top-level option '$opt' (vtlmon help) does not complete"
done < <("$VTLMON" help | grep -oE -- '--(help|version)' | sort -u)

finish
