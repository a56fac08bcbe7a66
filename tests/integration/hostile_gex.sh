#!/bin/bash
# Diffie-Hellman group exchange against a server that chooses a bad group
# (tests/peers/hostile_server.py, -o KexAlgorithms=diffie-hellman-group-exchange-sha256):
#   - a 2048-bit odd composite p (divisible by 3), and a prime p whose (p-1)/2 is composite
#     (odd, no small factor): exit 255, "x509ssh: kex: ..." naming group-exchange and
#     "not a safe prime";
#   - g = 1 and g = p-1 with a safe prime: exit 255, "x509ssh: kex: ..." naming the generator;
#   - a real safe prime (RFC 3526 group 14) logs in.
. "$(dirname "$0")/../lib/common.sh"
require_client
CLIENT_TIMEOUT=30
gex=(-o KexAlgorithms=diffie-hellman-group-exchange-sha256)

# refused NAME MODE WORD...: the client refuses the group with one kex: line holding each WORD
refused() {
	local name=$1 mode=$2 word
	shift 2
	start_hostile "$mode" "$mode"
	run_client -o LogLevel=INFO "${gex[@]}" -- echo should-not-run
	expect_no_crash "$name"
	expect_exit 255 "$name"
	expect_eq "$name: no command output" "" "$(cat "$OUT")"
	expect_error_line kex "$name"
	for word in "$@"; do
		expect_x509ssh_line "^x509ssh: kex: .*$word" "$name: the kex line says '$word'"
	done
	expect_file_not_matches "$HOSTILE_RECORD" '^userauth ' "$name: no user authentication attempted"
}

refused "composite modulus" gex-composite group-exchange 'not a safe prime'
refused "prime modulus, (p-1)/2 composite" gex-unsafe-prime group-exchange 'not a safe prime'
refused "generator 1" gex-g1 generator
refused "generator p-1" gex-gpm1 generator

start_hostile safe gex-safe
run_client "${gex[@]}" -- echo hi
expect_exit 0 "safe prime (RFC 3526 group 14): login"
expect_stdout_eq "hello" "safe prime: output"
hostile_diag
t_done
