#!/bin/bash
# A PIN asked on behalf of the token (through SSH_ASKPASS here) is the user's time: it is not
# counted by ConnectTimeout or the ServerAlive read timeout before the session (issue 8). The
# answer comes after 3 s, the limits are 2 s and 1 s x 1.
# (The other cases of the user's time, a host-key question, a password and a key passphrase,
# are in hostile_timeouts.sh.)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/softhsm.sh"
require_client
make_keys
CLIENT_TIMEOUT=30
softhsm_use # the standard tokens in $P=$T_DIR/p11
ROOT_B64=$(openssl x509 -in "$P/root.pem" -outform DER | base64 -w0)
printf 'cert-authority x509v3-ssh-rsa %s\n' "$ROOT_B64" >"$T_DIR/ak"
start_peer x509 x509_server.py --key "$T_DIR/keys/host_ed25519" --client-ca "$P/root.pem" \
	--authorized-keys "$T_DIR/ak"
CLIENT_PORT=$PEER_PORT
known_hosts_line "$T_DIR/keys/host_ed25519.pub" "$PEER_PORT" >"$KNOWN_HOSTS"

printf '#!/bin/sh\nsleep 3\nprintf "%%s\\n" "%s"\n' "$P11_PIN" >"$T_DIR/askpass.sh"
chmod 700 "$T_DIR/askpass.sh"

CLIENT_ENV=(SSH_ASKPASS="$T_DIR/askpass.sh" SSH_ASKPASS_REQUIRE=force DISPLAY=:0)
run_client_bare -o BatchMode=no -o ConnectTimeout=2 -o ServerAliveInterval=1 \
	-o ServerAliveCountMax=1 -I "pkcs11:token=x509ssh-test;object=ec?module-path=$SOFTHSM_MODULE" \
	-l "ec user" -- 'echo pin-ok'
expect_exit 0 "a PIN typed in 3 s (ConnectTimeout 2, ServerAlive 1x1)"
expect_stdout_eq "pin-ok" "slow PIN: the command ran"
stop_peer
t_done
