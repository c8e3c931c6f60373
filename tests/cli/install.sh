#!/usr/bin/env bash
# make install DESTDIR=... PREFIX=/usr puts exactly the expected files there, the installed
# vtlmon runs from anywhere (its guest images are linked in) and checks the installed example
# policies, the installed man pages render, the installed completion works, and
# make uninstall removes every file again.
set -u
source "$(dirname "$0")/lib.bash"
MAKE=${MAKE:-make}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
log=$tmp/make.log

if ! $MAKE --no-print-directory install DESTDIR="$dest" PREFIX=/usr >"$log" 2>&1; then
	cat "$log" >&2
	fail "make install DESTDIR=$dest PREFIX=/usr"
	finish
fi

want=$(
	{
		echo usr/bin/vtlmon
		echo usr/share/man/man1/vtlmon.1
		echo usr/share/man/man5/vtlmon-policy.5
		echo usr/share/bash-completion/completions/vtlmon
		echo usr/share/doc/vtlmon/LICENSE
		for p in policy/examples/*.policy; do echo "usr/share/vtlmon/policies/${p##*/}"; done
	} | sort
)
got=$(cd "$dest" && find . -type f -o -type l | sed 's|^\./||' | sort)
check "installed files: want [${want//$'\n'/ }], got [${got//$'\n'/ }]" test "$want" = "$got"
check "usr/bin/vtlmon is executable" test -x "$dest/usr/bin/vtlmon"
for p in policy/examples/*.policy; do
	check "installed ${p##*/} is policy/examples' copy" cmp -s "$p" "$dest/usr/share/vtlmon/policies/${p##*/}"
done

# The installed binary, run from / (nothing relative to the source tree or the binary).
bin=$dest/usr/bin/vtlmon
version=$(sed -n 's/^#define VTLMON_VERSION "\(.*\)"$/\1/p' monitor/base/version.h)
out=$(cd / && "$bin" --version)
check "installed vtlmon --version: '$out', want 'vtlmon $version'" test "$out" = "vtlmon $version"
for p in "$dest"/usr/share/vtlmon/policies/*.policy; do
	out=$(cd / && "$bin" policy check "$p" 2>&1)
	check "installed vtlmon policy check ${p##*/}: $out" eval '[[ $out == *"sha256 "* ]]'
done
# The built-in default policy is the installed default.policy: same measurement.
sum=$(sha256sum <"$dest/usr/share/vtlmon/policies/default.policy" | cut -d' ' -f1)
out=$(cd / && "$bin" policy check "$dest/usr/share/vtlmon/policies/default.policy")
check "default.policy's measurement is its SHA-256" grep -qx "sha256 $sum" <<<"$out"

# The installed man pages render quietly and name the installed paths.
for page in man1/vtlmon.1 man5/vtlmon-policy.5; do
	f=$dest/usr/share/man/$page
	err=$(MANWIDTH=80 man -l "$f" 2>&1 >/dev/null)
	check "man -l installed $page is quiet: $err" test -z "$err"
	check "installed $page names /usr/share/vtlmon/policies" \
		eval "MANWIDTH=200 man -l '$f' 2>/dev/null | grep -q /usr/share/vtlmon/policies/"
done

# The installed completion completes the installed policies.
out=$(bash --norc --noprofile -c '
	source "$1"
	COMP_WORDS=(vtlmon policy check "$2/def")
	COMP_CWORD=3
	_vtlmon
	echo "${COMPREPLY[*]}"' _ "$dest/usr/share/bash-completion/completions/vtlmon" \
	"$dest/usr/share/vtlmon/policies")
check "installed completion: '$out'" test "$out" = "$dest/usr/share/vtlmon/policies/default.policy"

if ! $MAKE --no-print-directory uninstall DESTDIR="$dest" PREFIX=/usr >"$log" 2>&1; then
	cat "$log" >&2
	fail "make uninstall DESTDIR=$dest PREFIX=/usr"
fi
got=$(cd "$dest" && find . -type f -o -type l)
check "make uninstall leaves no file: [$got]" test -z "$got"
check "make uninstall removes usr/share/vtlmon" test ! -e "$dest/usr/share/vtlmon"

finish
