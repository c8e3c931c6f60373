#!/bin/sh
# Self-test of the scenario runner: wrong expectations must FAIL, each for the right reason.
#
# usage: sh tests/scenarios/selftest.sh RUNNER VTLMON BUILD   (from the repository root;
#        BUILD holds the scenario guests, BUILD/NAME/guest.elf)
#
# Every case runs the runner on a temporary copy of a real scenario (so the guest
# ELF exists) with a deliberately wrong expect file, and checks the runner's status,
# its summary line and the diagnostic it must print. A positive control first
# proves the copies themselves are sound, so a negative case cannot "fail" for
# an unrelated reason. A fake vtlmon covers what the real one should never do
# (hang, crash, write a bad log).
set -eu

runner=$1
vtlmon=$2
build=$3
src=tests/scenarios
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vtlmon-selftest-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
ncase=0
nbad=0

# scenario CASE BASE: copies the real scenario BASE to $tmp/CASE/BASE; its expect file comes from stdin.
scenario() {
	mkdir -p "$tmp/$1/$2"
	cp "$src/$2"/* "$tmp/$1/$2/"
	cat >"$tmp/$1/$2/expect"
}

# want CASE STATUS SUMMARY PATTERN RUNNER-ARGS...: the runner, run on $tmp/CASE, must exit with
# STATUS and print the SUMMARY line and a line containing PATTERN.
want() {
	c=$1
	rc=$2
	sum=$3
	pat=$4
	shift 4
	ncase=$((ncase + 1))
	set +e
	out=$("$runner" -d "$tmp/$c" "$@" 2>&1)
	got=$?
	set -e
	if [ "$got" != "$rc" ] || ! printf '%s\n' "$out" | grep -qxF -- "$sum" ||
		! printf '%s\n' "$out" | grep -qF -- "$pat"; then
		echo "scenario-selftest: case '$c': wanted status $rc, '$sum' and '$pat'; got status $got:"
		printf '%s\n' "$out" | sed 's/^/    | /'
		nbad=$((nbad + 1))
	fi
}

PASS="scenarios: 1 passed, 0 failed"
FAIL="scenarios: 0 passed, 1 failed"

# want_fail CASE PATTERN: the boot-order copy in $tmp/CASE must fail, printing PATTERN.
want_fail() {
	want "$1" 1 "$FAIL" "$2" -m "$vtlmon" -b "$build" boot-order
}

# ---- the real vtlmon ---------------------------------------------------------

scenario control boot-order <"$src/boot-order/expect"
want control 0 "$PASS" "PASS boot-order" -m "$vtlmon" -b "$build" boot-order

scenario status boot-order <<'EOF'
status 1
expect boot vtl=1
EOF
want_fail status "expect:1: status 1"

scenario missing boot-order <<'EOF'
status 0
expect vtl_call call=echo status=3
EOF
want_fail missing "no matching event in the whole log"

scenario order boot-order <<'EOF'
status 0
expect boot vtl=0
expect boot vtl=1
expect vtl_call
EOF
want_fail order "one comes earlier (out of order)"
want_fail order "1 later expect line not checked"

scenario string boot-order <<'EOF'
status 0
expect console vtl=0 line="boot-order: vtl0 up, \"quoted\" \\ OK"
EOF
want_fail string "no matching event"

scenario forbid boot-order <<'EOF'
status 0
forbid boot vtl=1
EOF
want_fail forbid "1 forbidden event"

scenario not-equal boot-order <<'EOF'
status 0
forbid vtl_call status!=1
EOF
want_fail not-equal "2 forbidden events"

scenario substring boot-order <<'EOF'
status 0
forbid boot image~guest.e
EOF
want_fail substring "1 forbidden event"

# "0x100000" in the log equals 1048576 by value.
scenario hex boot-order <<'EOF'
status 0
forbid boot vtl=0 entry=1048576
EOF
want_fail hex "1 forbidden event"

scenario count boot-order <<'EOF'
status 0
expect-count boot 3
EOF
want_fail count "2 matching events, not 3"

scenario count-ge boot-order <<'EOF'
status 0
expect-count vtl_call call=nop >=2
EOF
want_fail count-ge "1 matching event, not >=2"

scenario typo-directive boot-order <<'EOF'
status 0
expct boot
EOF
want_fail typo-directive "unknown directive 'expct'"

scenario typo-type boot-order <<'EOF'
status 0
forbid violaton
EOF
want_fail typo-type "unknown event type 'violaton'"

scenario typo-key boot-order <<'EOF'
status 0
forbid boot vlt=1
EOF
want_fail typo-key "has a field 'vlt'"

scenario no-status boot-order <<'EOF'
expect boot vtl=1
EOF
want_fail no-status "no 'status N' line"

scenario empty-value boot-order <<'EOF'
status 0
expect boot image=
EOF
want_fail empty-value "empty value"

scenario bad-args boot-order <<'EOF'
status 0
EOF
echo "--events /tmp/x" >"$tmp/bad-args/boot-order/args"
want_fail bad-args "'--events' is set by the runner"

mkdir -p "$tmp/no-expect/boot-order"
cp "$src/boot-order/guest.c" "$tmp/no-expect/boot-order/"
want_fail no-expect "expect: No such file or directory"

mkdir -p "$tmp/no-guest/ghost"
echo "status 0" >"$tmp/no-guest/ghost/expect"
want no-guest 1 "$FAIL" "guest.c: missing" -m "$vtlmon" -b "$build" ghost

mkdir -p "$tmp/empty"
want empty 1 "scenarios: 0 passed, 0 failed" "no scenario under" -m "$vtlmon" -b "$build"

# ---- policy.policy.in: values known only after the build ---------------------

# Positive: the expanded policy (kept with -k) holds the guest's SHA-256 as sha256sum computes it,
# and the public key of the seed "trusted" (a known answer, checked against OpenSSL's Ed25519).
TRUSTED_PUB=edd572d3c0fcf3b8d40b2c7503dc450a8a8c383cdc2c7a7f8451ffec63874432
scenario policy-in boot-order <"$src/boot-order/expect"
cat >"$tmp/policy-in/boot-order/policy.policy.in" <<'EOF'
vtlmon-policy 1
# ${src} and ${build} may appear anywhere, also in comments
kexec allow yes
kexec digest ${sha256:${build}/guest.elf}
kexec key ${ed25519-pub:trusted}
EOF
want policy-in 0 "$PASS" "(policy)" -k -m "$vtlmon" -b "$build" boot-order
ncase=$((ncase + 1))
kept=$(printf '%s\n' "$out" | sed -n 's/.*, \([^ ]*\) (policy)$/\1/p')
digest=$(sha256sum "$build/boot-order/guest.elf" | cut -d' ' -f1)
if [ -z "$kept" ] || ! grep -qxF "kexec digest $digest" "$kept" ||
	! grep -qxF "kexec key $TRUSTED_PUB" "$kept" ||
	! grep -qxF "# $tmp/policy-in/boot-order and $build/boot-order may appear anywhere, also in comments" \
		"$kept"; then
	echo "scenario-selftest: case 'policy-in': the expanded policy ${kept:-(not kept)} is wrong:"
	[ -z "$kept" ] || sed 's/^/    | /' "$kept"
	nbad=$((nbad + 1))
fi
# -k kept the run's files: they are ours to remove.
printf '%s\n' "$out" | sed -n 's/^  kept: //p' | tr ',' '\n' | sed 's/^ *\([^ ]*\) .*/\1/' |
	while read -r f; do rm -f "$f"; done

scenario policy-missing boot-order <"$src/boot-order/expect"
echo 'kexec digest ${sha256:${build}/nowhere.elf}' >"$tmp/policy-missing/boot-order/policy.policy.in"
want_fail policy-missing "policy.policy.in:1: \${sha256:$build/boot-order/nowhere.elf}: No such file"

scenario policy-unknown boot-order <"$src/boot-order/expect"
echo 'kexec key ${md5:x}' >"$tmp/policy-unknown/boot-order/policy.policy.in"
want_fail policy-unknown "'\${md5:x}': expected \${src}, \${build}, \${linux}, \${sha256:FILE}"

scenario policy-open boot-order <"$src/boot-order/expect"
echo 'kexec key ${ed25519-pub:x' >"$tmp/policy-open/boot-order/policy.policy.in"
want_fail policy-open "no closing '}'"

scenario policy-both boot-order <"$src/boot-order/expect"
echo 'vtlmon-policy 1' >"$tmp/policy-both/boot-order/policy.policy"
echo 'vtlmon-policy 1' >"$tmp/policy-both/boot-order/policy.policy.in"
want_fail policy-both "and policy.policy.in too: keep one"

scenario args-fn boot-order <"$src/boot-order/expect"
echo '--module ${sha256:x}' >"$tmp/args-fn/boot-order/args"
want_fail args-fn "only \${src}, \${build} and \${linux} are expanded"

# The test keys are real Ed25519: OpenSSL, an independent implementation, must accept a signature
# kexec-sign made (checked when OpenSSL 3 and a built signing scenario are at hand).
sig_img="$build/kexec-signature/newkernel.elf"
if command -v openssl >/dev/null 2>&1 && [ -f "$sig_img.sig" ]; then
	ncase=$((ncase + 1))
	seed=$(printf trusted | sha256sum | cut -d' ' -f1)
	# PKCS#8 DER of an Ed25519 private key is a fixed 16-byte prefix and the 32-byte seed.
	printf '302e020100300506032b657004220420%s' "$seed" | xxd -r -p >"$tmp/key.der"
	if ! openssl pkey -inform DER -in "$tmp/key.der" -pubout -out "$tmp/pub.pem" 2>"$tmp/ossl" ||
		! openssl pkeyutl -verify -pubin -inkey "$tmp/pub.pem" -rawin -in "$sig_img" \
			-sigfile "$sig_img.sig" >>"$tmp/ossl" 2>&1; then
		echo "scenario-selftest: case 'openssl': OpenSSL rejects $sig_img.sig:"
		sed 's/^/    | /' "$tmp/ossl"
		nbad=$((nbad + 1))
	fi
fi

# ---- a fake vtlmon: FAKE_LOG becomes the event log, then FAKE_ACT runs ----------

cat >"$tmp/fake-vtlmon" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do
	[ "$1" = --events ] && ev=$2
	shift
done
[ -z "$FAKE_LOG" ] || printf '%s\n' "$FAKE_LOG" >"$ev"
eval "$FAKE_ACT"
EOF
chmod +x "$tmp/fake-vtlmon"
fake="$tmp/fake-vtlmon"

# fake LOG ACT: what the fake vtlmon writes as its log, and then does (exported: the runner's child reads them).
fake() {
	FAKE_LOG=$1
	FAKE_ACT=$2
	export FAKE_LOG FAKE_ACT
}
EXIT0='{"t":9,"type":"exit","reason":"shutdown","code":0,"status":0,"detail":""}'

scenario watchdog boot-order <<'EOF'
status 67
EOF
echo "--timeout 0.2" >"$tmp/watchdog/boot-order/args"
fake '' 'exec sleep 30'
want watchdog 1 "$FAIL" "killed by the runner's watchdog" -w 0.3 -m "$fake" -b "$build" boot-order

scenario signal boot-order <<'EOF'
status 0
EOF
fake '' 'kill -SEGV $$'
want signal 1 "$FAIL" "vtlmon died from signal 11" -m "$fake" -b "$build" boot-order
# A crash mid-write: the status is reported first, then the cut log.
fake '{"t":1,"type":"bo' 'kill -SEGV $$'
want signal 1 "$FAIL" "vtlmon died from signal 11" -m "$fake" -b "$build" boot-order
want signal 1 "$FAIL" "unterminated string" -m "$fake" -b "$build" boot-order

scenario malformed boot-order <<'EOF'
status 0
EOF
fake '{"t":1,"type":"boot"' 'exit 0'
want malformed 1 "$FAIL" "events:1:21: malformed event (expected ',' or '}')" \
	-m "$fake" -b "$build" boot-order
fake '{"t":1}' 'exit 0'
want malformed 1 "$FAIL" 'no "type"' -m "$fake" -b "$build" boot-order
fake '{"t":1,"type":"boot","type":"exit"}' 'exit 0'
want malformed 1 "$FAIL" "duplicate key" -m "$fake" -b "$build" boot-order
fake '{"t":1,"type":"console","line":"a
b"}' 'exit 0'
want malformed 1 "$FAIL" "unterminated string" -m "$fake" -b "$build" boot-order

scenario contract boot-order <<'EOF'
status 0
EOF
fake "$EXIT0
{\"t\":10,\"type\":\"boot\",\"vtl\":0}" 'exit 0'
want contract 1 "$FAIL" "(event log contract)" -m "$fake" -b "$build" boot-order
fake '{"t":9,"type":"exit","reason":"shutdown","code":3,"status":3}' 'exit 0'
want contract 1 "$FAIL" "(event log contract)" -m "$fake" -b "$build" boot-order

# Positive: JSON escapes in the log and in the expect file decode to the same bytes.
scenario escapes boot-order <<'EOF'
status 0
expect console line="a\"b\\c/\u00e9\ud83d\ude00\tz" vtl=0x0 ok=true none=null
expect-count console line~"\u00e9" line~"b\\c/" 1
expect exit
EOF
fake '{"t":1,"type":"console","vtl":0,"ok":true,"none":null,"line":"a\"b\\c\/\u00e9\uD83D\uDE00\tz"}'"
$EXIT0" 'exit 0'
want escapes 0 "$PASS" "PASS boot-order" -m "$fake" -b "$build" boot-order

# ---- replay mode: checking a saved log ---------------------------------------

printf '%s\n' "$EXIT0" >"$tmp/saved.jsonl"
scenario replay boot-order <<'EOF'
status 0
expect exit reason=shutdown
EOF
want replay 0 "$PASS" "PASS boot-order" -e "$tmp/saved.jsonl" -s 0 boot-order
want replay 1 "$FAIL" "vtlmon exited with status 5" -e "$tmp/saved.jsonl" -s 5 boot-order

if [ "$nbad" -ne 0 ]; then
	echo "scenario-selftest: $nbad of $ncase cases went wrong: the runner cannot be trusted"
	exit 1
fi
echo "scenario-selftest: $ncase cases behaved (wrong expectations fail, right ones pass)"
