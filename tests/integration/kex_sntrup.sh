#!/bin/bash
# sntrup761x25519-sha512 (issue 15) against Debian's OpenSSH 9.2 sshd, under both of its names:
# sshd pinned to the name, the client asks for it with -o KexAlgorithms, -v shows it negotiated,
# sshd's log agrees, and 4 MiB come back byte-exact. Then one bit of the server's reply (the KEM
# ciphertext || X25519 key) flipped on the way (tests/peers/flipproxy.py): the exchange hash
# differs, the host key signature fails, and the client refuses with one error line.
. "$(dirname "$0")/../lib/common.sh"
require_client

head -c $((4 * 1024 * 1024)) /dev/urandom >"$T_DIR/payload"
want=$(sha256_of "$T_DIR/payload")

for kex in sntrup761x25519-sha512@openssh.com sntrup761x25519-sha512; do
	start_sshd "KexAlgorithms $kex"
	log_mark
	run_client -o "KexAlgorithms=$kex" -o LogLevel=DEBUG1 -- cat "$T_DIR/payload"
	expect_exit 0 "$kex: exit status"
	expect_eq "$kex: 4 MiB byte-exact" "$want" "$(sha256_of "$OUT")"
	if is_x509ssh; then
		expect_stderr_matches "kex: algorithm: ${kex//./\\.}( |$)" "$kex: -v names the method"
	fi
	log_since_mark >"$T_DIR/slice"
	expect_file_matches "$T_DIR/slice" "kex: algorithm: ${kex//./\\.} " "$kex: sshd negotiated it"
	stop_sshd
done

# one flipped bit inside Q_S: small KEXINIT lists on both sides, so that offset 700 after the
# banner falls in the 1071 bytes of the server's ciphertext and X25519 key
start_sshd "KexAlgorithms sntrup761x25519-sha512@openssh.com" "Ciphers aes128-ctr" "MACs hmac-sha2-256" \
	"HostKeyAlgorithms ssh-ed25519"
start_peer flip flipproxy.py --target-port "$SSHD_PORT" --after-banner --offset 700
CLIENT_PORT=$PEER_PORT
trust_host_keys "$KNOWN_HOSTS" "$PEER_PORT"
run_client -o KexAlgorithms=sntrup761x25519-sha512@openssh.com -o Ciphers=aes128-ctr \
	-o MACs=hmac-sha2-256 -o HostKeyAlgorithms=ssh-ed25519 -- echo should-not-run
expect_exit 255 "flipped reply: refused"
expect_error_line "kex|hostkey" "flipped reply"
expect_file_not_matches "$OUT" "should-not-run" "flipped reply: nothing ran"

t_done
