# Sourced by the tests/cli/*.sh scripts (not a *.sh itself, so `make cli-test` does not run it):
# where things are, and how to count checks and fail. `make cli-test` sets VTLMON (the binary)
# and MAN_DIR (the built man pages); a script run alone (bash tests/cli/man.sh) uses build/.
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
SRC=$PWD
VTLMON=${VTLMON:-$SRC/build/vtlmon}
MAN_DIR=${MAN_DIR:-$SRC/build/man}
TEST_NAME=cli/$(basename "$0" .sh)
fails=0
checks=0

fail()
{
	echo "$TEST_NAME: FAIL: $*" >&2
	fails=$((fails + 1))
}

# check DESCRIPTION COMMAND...: COMMAND must succeed.
check()
{
	local what=$1
	shift
	checks=$((checks + 1))
	"$@" || fail "$what"
}

# The sub-commands `vtlmon help` lists ("  vtlmon NAME ..." lines), help included.
vtlmon_commands()
{
	"$VTLMON" help | sed -n 's/^  vtlmon \([a-z][a-z0-9-]*\).*/\1/p' | sort -u
}

# The options named in `vtlmon CMD --help` (--long and -x words).
vtlmon_help_options()
{
	"$VTLMON" "$1" --help | grep -oE -- '(^|[][ |])--?[a-z][a-z0-9-]*' | sed 's/^[][ |]//' | sort -u
}

finish()
{
	if ((fails)); then
		echo "$TEST_NAME: $fails of $checks checks failed" >&2
		exit 1
	fi
	echo "$TEST_NAME: $checks checks passed"
	exit 0
}
