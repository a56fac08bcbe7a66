#!/bin/bash
# Every plain host-key algorithm: the server proves possession of each host key and the client
# verifies it against known_hosts.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

for alg in ssh-ed25519 ecdsa-sha2-nistp256 rsa-sha2-256 rsa-sha2-512; do
	log_mark
	run_client -o "HostKeyAlgorithms=$alg" -- echo hk-ok
	expect_exit 0 "$alg: exit status"
	expect_stdout_eq "hk-ok" "$alg: output"
	log_since_mark >"$T_DIR/slice"
	expect_file_matches "$T_DIR/slice" "kex: host key algorithm: $alg " "$alg: sshd used it"
done

# Only one key type known: the client must still verify exactly that key (algorithm restricted
# to it) and refuse when the known key is of another type and nothing else is allowed.
known_hosts_line "$T_DIR/keys/host_rsa.pub" >"$T_DIR/kh_rsa"
KNOWN_HOSTS="$T_DIR/kh_rsa" run_client -o HostKeyAlgorithms=rsa-sha2-512 -- echo rsa-only
expect_exit 0 "rsa known, rsa-sha2-512 used"
KNOWN_HOSTS="$T_DIR/kh_rsa" run_client -o HostKeyAlgorithms=ssh-ed25519 -- true
expect_exit 255 "rsa known, server shows ed25519 (unknown in BatchMode)"
expect_error_line hostkey "unknown ed25519 host key"

t_done
