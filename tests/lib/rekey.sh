# shellcheck shell=bash
# The rekey tests' one case (rekey.sh: sshd starts the rekeys; rekey_client.sh: the client
# does), sourced after common.sh, never run.
#
#   rekey_case WHAT WANT NEWKEYS_LINE MIN TIMEOUT [client option ...] -- COMMAND...
#
# runs the client against the test sshd (stdin from the file REKEY_IN names, if any, and then
# WANT is the SHA-256 of the output; otherwise WANT is the output itself) and checks the exit
# status 0, the output, and that sshd logged NEWKEYS_LINE ("SSH2_MSG_NEWKEYS sent" or
# "... received") at least MIN times during the run: the first is the initial key exchange, every
# further one a rekey.
rekey_case() {
	local what=$1 want=$2 line=$3 min=$4 timeout=$5 got n
	shift 5
	log_mark
	if [[ -n "${REKEY_IN:-}" ]]; then
		CLIENT_TIMEOUT=$timeout CLIENT_STDIN=$REKEY_IN run_client "$@"
		got=$(sha256_of "$OUT")
	else
		CLIENT_TIMEOUT=$timeout run_client "$@"
		got=$(cat "$OUT")
	fi
	expect_exit 0 "$what: exit status"
	expect_eq "$what: data exact across rekeys" "$want" "$got"
	log_since_mark >"$T_DIR/slice"
	n=$(grep -c "$line" "$T_DIR/slice" || true)
	if ((n >= min)); then
		pass "$what: sshd logged $((n - 1)) rekeys ('$line')"
	else
		fail "$what: expected >= $min '$line' in the sshd log, saw $n"
	fi
}
