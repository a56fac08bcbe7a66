#!/bin/bash
# Every key exchange method we support completes against OpenSSH's sshd, and the server log
# confirms which one was used.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

for kex in curve25519-sha256 curve25519-sha256@libssh.org \
	ecdh-sha2-nistp256 ecdh-sha2-nistp384 ecdh-sha2-nistp521 \
	diffie-hellman-group14-sha256 diffie-hellman-group16-sha512 diffie-hellman-group18-sha512 \
	diffie-hellman-group-exchange-sha256; do
	log_mark
	run_client -o "KexAlgorithms=$kex" -- echo "kex-ok"
	expect_exit 0 "$kex: exit status"
	expect_stdout_eq "kex-ok" "$kex: output"
	log_since_mark >"$T_DIR/slice"
	expect_file_matches "$T_DIR/slice" "kex: algorithm: ${kex//./\\.} " "$kex: sshd negotiated it"
done

# A client list with no method the server has: local failure, 255.
stop_sshd
start_sshd "KexAlgorithms curve25519-sha256"
run_client -o KexAlgorithms=ecdh-sha2-nistp256 -- true
expect_exit 255 "no common kex"
expect_error_line kex "no common kex"

t_done
