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

# RequiredRSASize: the 2048-bit RSA host key passes at 2048 and ends the connection at 3072;
# a 2048-bit RSA user key is skipped at 3072 (the next identity is tried), as OpenSSH does
run_client -o RequiredRSASize=2048 -o HostKeyAlgorithms=rsa-sha2-256 -- echo rsa-2048
expect_exit 0 "RequiredRSASize 2048: a 2048-bit RSA host key"
expect_stdout_eq "rsa-2048" "RequiredRSASize 2048: output"
run_client -o RequiredRSASize=3072 -o HostKeyAlgorithms=rsa-sha2-256 -- true
expect_exit 255 "RequiredRSASize 3072: a 2048-bit RSA host key"
expect_error_line hostkey "RequiredRSASize 3072: the host key refused in one line"
if is_x509ssh; then
	expect_stderr_matches "^x509ssh: hostkey: the server's RSA host key has 2048 bits, fewer than RequiredRSASize 3072\$" \
		"RequiredRSASize 3072: the cause named"
fi
ssh-keygen -q -t rsa -b 2048 -N '' -C small -f "$T_DIR/id_rsa2048" </dev/null
cat "$T_DIR/id_rsa2048.pub" >>"$T_DIR/authorized_keys"
run_client_bare -o BatchMode=yes -o IdentitiesOnly=yes -i "$T_DIR/id_rsa2048" -l "$(id -un)" \
	-o HostKeyAlgorithms=ssh-ed25519 -- echo rsa-user
expect_exit 0 "a 2048-bit RSA user key at the default RequiredRSASize"
run_client_bare -o BatchMode=yes -o IdentitiesOnly=yes -i "$T_DIR/id_rsa2048" -l "$(id -un)" \
	-o HostKeyAlgorithms=ssh-ed25519 -o RequiredRSASize=3072 -v -- true
expect_exit 255 "RequiredRSASize 3072: the only identity, a 2048-bit RSA key, is skipped"
if is_x509ssh; then
	expect_file_matches "$ERR" "Skipping .*id_rsa2048.*: its RSA key has 2048 bits, fewer than RequiredRSASize 3072" \
		"RequiredRSASize 3072: the skip is said at -v"
fi
expect_error_line auth "RequiredRSASize 3072: auth fails"
run_client -i "$T_DIR/id_rsa2048" -o RequiredRSASize=3072 -o HostKeyAlgorithms=ssh-ed25519 -- echo next
expect_exit 0 "RequiredRSASize 3072: the next identity (ed25519) logs in"
expect_stdout_eq "next" "RequiredRSASize 3072: output through the next identity"

t_done
