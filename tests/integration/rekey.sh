#!/bin/bash
# A server-initiated rekey (sshd RekeyLimit 1M) in the middle of a 16 MiB transfer keeps the
# data exact, in both directions, with each cipher family.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/rekey.sh"
require_client
start_sshd "RekeyLimit 1M"

bytes=${REKEY_BYTES:-16777216}
REKEY_IN="$T_DIR/in"
head -c "$bytes" /dev/urandom >"$REKEY_IN"
want=$(sha256_of "$REKEY_IN")

for spec in "chacha20-poly1305@openssh.com" "aes128-gcm@openssh.com" "aes128-ctr hmac-sha2-256-etm@openssh.com" \
	"aes256-ctr hmac-sha2-512"; do
	read -r cipher mac <<<"$spec"
	opts=(-o "Ciphers=$cipher" -o KexAlgorithms=curve25519-sha256)
	if [[ -n "${mac:-}" ]]; then
		opts+=(-o "MACs=$mac")
	fi
	rekey_case "$spec" "$want" 'SSH2_MSG_NEWKEYS sent' 3 180 "${opts[@]}" -- cat
done

t_done
