#!/usr/bin/env bash
# The man pages (make man): they render with man and groff without a warning at 80 columns,
# have a NAME line for whatis, carry the binary's version, and document what the binary has:
# every command of `vtlmon help` in vtlmon(1)'s SYNOPSIS, every option of `vtlmon CMD --help`.
set -u
source "$(dirname "$0")/lib.bash"

version=$("$VTLMON" --version | sed -n 's/^vtlmon //p')
check "vtlmon --version prints a version" test -n "$version"

for page in vtlmon.1 vtlmon-policy.5; do
	f=$MAN_DIR/$page
	if [[ ! -s $f ]]; then
		fail "$f missing (make man)"
		continue
	fi
	err=$(MANWIDTH=80 man -l "$f" 2>&1 >/dev/null)
	check "man -l $page is quiet at 80 columns: $err" test -z "$err"
	err=$(groff -ww -z -man "$f" 2>&1)
	check "groff -ww -z -man $page is quiet: $err" test -z "$err"
	check "$page is ASCII (groff reads it without preconv)" eval "! LC_ALL=C grep -q '[^[:print:][:space:]]' '$f'"
	check "$page has a NAME line for whatis" eval "lexgrog '$f' | grep -q ' - '"
	check "$page footer names vtlmon $version" grep -q "^\\.TH .*\"vtlmon $version\"" "$f"
	check "$page has no unsubstituted @PATH@" eval "! grep -q '@[A-Z]*DIR@' '$f'"
done

text=$(MANWIDTH=200 man -l "$MAN_DIR/vtlmon.1" 2>/dev/null)
synopsis=$(sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' <<<"$text")
for h in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" FILES "SEE ALSO"; do
	check "vtlmon.1 has section $h" grep -qx "$h" <<<"$text"
done
while read -r cmd; do
	check "vtlmon.1 SYNOPSIS has 'vtlmon $cmd' (add it to docs/man/vtlmon.1.head.md)" \
		grep -qE "^ +vtlmon $cmd( |$)" <<<"$synopsis"
	[[ $cmd == help ]] && continue
	while read -r opt; do
		check "vtlmon.1 documents '$opt' of 'vtlmon $cmd --help'" grep -qe "$opt" <<<"$text"
	done < <(vtlmon_help_options "$cmd")
done < <(vtlmon_commands)

finish
