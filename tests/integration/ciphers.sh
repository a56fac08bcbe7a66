#!/bin/bash
# Every cipher, and every MAC (with a ctr cipher, where a MAC is used), works in both directions
# with data that spans several packets; the server log confirms the negotiated pair.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

head -c 200000 /dev/urandom >"$T_DIR/payload"
want=$(sha256_of "$T_DIR/payload")

check_pair() { # cipher mac-or-empty
	local cipher=$1 mac=$2 what expect_mac
	local -a opts=(-o "Ciphers=$cipher")
	what=$cipher
	if [[ -n "$mac" ]]; then
		opts+=(-o "MACs=$mac")
		what="$cipher + $mac"
		expect_mac=$mac
	else
		expect_mac='<implicit>'
	fi
	log_mark
	CLIENT_STDIN="$T_DIR/payload" run_client "${opts[@]}" -- cat
	expect_exit 0 "$what: exit status"
	expect_eq "$what: data round trip" "$want" "$(sha256_of "$OUT")"
	log_since_mark >"$T_DIR/slice"
	expect_file_matches "$T_DIR/slice" "client->server cipher: ${cipher//./\\.} MAC: ${expect_mac//./\\.} " \
		"$what: sshd negotiated it (client->server)"
	expect_file_matches "$T_DIR/slice" "server->client cipher: ${cipher//./\\.} MAC: ${expect_mac//./\\.} " \
		"$what: sshd negotiated it (server->client)"
}

for c in chacha20-poly1305@openssh.com aes128-gcm@openssh.com aes256-gcm@openssh.com; do
	check_pair "$c" ""
done
for c in aes128-ctr aes192-ctr aes256-ctr; do
	check_pair "$c" hmac-sha2-256
done
for m in hmac-sha2-256 hmac-sha2-512 hmac-sha2-256-etm@openssh.com hmac-sha2-512-etm@openssh.com; do
	check_pair aes128-ctr "$m"
	check_pair aes256-ctr "$m"
done

# No common cipher / MAC: 255.
run_client -o Ciphers=aes128-ctr -o MACs=hmac-sha2-256 -o KexAlgorithms=curve25519-sha256 -- true
expect_exit 0 "control: the restricted lists alone work"
stop_sshd
start_sshd "Ciphers aes256-gcm@openssh.com" "MACs hmac-sha2-512"
run_client -o Ciphers=aes128-ctr -- true
expect_exit 255 "no common cipher"
expect_error_line kex "no common cipher"
run_client -o Ciphers=aes256-gcm@openssh.com -- true
expect_exit 0 "control: the common cipher works"

t_done
