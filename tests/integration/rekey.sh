#!/bin/bash
# A server-initiated rekey (sshd RekeyLimit 1M) in the middle of a 16 MiB transfer keeps the
# data exact, in both directions, with each cipher family.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd "RekeyLimit 1M"

bytes=${REKEY_BYTES:-16777216}
head -c "$bytes" /dev/urandom >"$T_DIR/in"
want=$(sha256_of "$T_DIR/in")

for spec in "chacha20-poly1305@openssh.com" "aes128-gcm@openssh.com" "aes128-ctr hmac-sha2-256-etm@openssh.com" \
	"aes256-ctr hmac-sha2-512"; do
	read -r cipher mac <<<"$spec"
	opts=(-o "Ciphers=$cipher" -o KexAlgorithms=curve25519-sha256)
	if [[ -n "${mac:-}" ]]; then
		opts+=(-o "MACs=$mac")
	fi
	log_mark
	CLIENT_TIMEOUT=180 CLIENT_STDIN="$T_DIR/in" run_client "${opts[@]}" -- cat
	expect_exit 0 "$spec: exit status"
	expect_eq "$spec: data exact across rekeys" "$want" "$(sha256_of "$OUT")"
	log_since_mark >"$T_DIR/slice"
	n=$(grep -c 'SSH2_MSG_NEWKEYS sent' "$T_DIR/slice" || true)
	if ((n >= 3)); then
		pass "$spec: sshd rekeyed ($((n - 1)) times)"
	else
		fail "$spec: expected several rekeys in the sshd log, saw $n NEWKEYS"
	fi
done

t_done
