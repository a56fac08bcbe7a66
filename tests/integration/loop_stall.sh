#!/bin/bash
# Servers that stall before the session is open (issue 8). ServerAliveInterval x
# ServerAliveCountMax is a read timeout from the connection on, restarted only by a complete
# packet other than IGNORE/DEBUG: a silent server, a drip of bytes and an IGNORE flood end the
# client with 255 and one line naming the phase, and no keepalive is sent before the session is
# open. ConnectTimeout covers user authentication and the opening of the session too. Neither
# counts the time the user takes (host-key question, passphrase, password).
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys
CLIENT_TIMEOUT=20
LOOP_PEERS="$X509SSH_SRC/tests/integration"
HK="$T_DIR/keys/host_ed25519"

# peer NAME MODE [ARG ...]: a fresh loop_peer.py (a stalled asyncssh server stays frozen)
peer() {
	local name=$1 mode=$2
	shift 2
	stop_peer
	PEERS_DIR="$LOOP_PEERS" start_peer "$name" loop_peer.py --mode "$mode" --host-key "$HK" "$@"
	CLIENT_PORT=$PEER_PORT
	known_hosts_line "$HK.pub" "$PEER_PORT" >"$KNOWN_HOSTS"
}

ALIVE=(-o ServerAliveInterval=1 -o ServerAliveCountMax=2)
alive_line() { # alive_line PHASE: the ServerAlive read-timeout line, as an ERE
	printf '^x509ssh: connect: timeout: server not responding for 2 s %s \\(ServerAliveInterval 1 s x ServerAliveCountMax 2\\)$' "$1"
}

# ---- before the key exchange: silent, drip, IGNORE flood (no ConnectTimeout)
for m in silent:"waiting for the server's banner" drip:"during key exchange" ignore-flood:"during key exchange"; do
	mode=${m%%:*}
	phase=${m#*:}
	rm -f "$T_DIR/rec.$mode"
	peer "$mode" "$mode" --record "$T_DIR/rec.$mode"
	run_client "${ALIVE[@]}" -- true
	expect_exit 255 "$mode + ServerAlive 1x2"
	expect_error_line connect "$mode"
	expect_stderr_matches "$(alive_line "$phase")" "$mode: the read timeout names the phase"
	if [[ -f "$T_DIR/rec.$mode" ]] && grep -aq keepalive "$T_DIR/rec.$mode"; then
		fail "$mode: a keepalive was sent before the session was open"
	else
		pass "$mode: no keepalive before the session is open"
	fi
	# the same stall, bounded by ConnectTimeout alone
	run_client -o ConnectTimeout=2 -- true
	expect_exit 255 "$mode + ConnectTimeout 2"
	expect_stderr_matches "^x509ssh: connect: 127\.0\.0\.1 port $PEER_PORT: timed out $phase \(ConnectTimeout 2 s\)$" "$mode: ConnectTimeout names the phase"
done

# ---- after the key exchange: the server freezes at the first userauth request, or once it
# said USERAUTH_SUCCESS (the channel open is never answered)
for m in auth-stall:"during user authentication" open-stall:"while opening the session"; do
	mode=${m%%:*}
	phase=${m#*:}
	peer "$mode" "$mode"
	run_client -o ConnectTimeout=3 -- true
	expect_exit 255 "$mode + ConnectTimeout 3"
	expect_error_line connect "$mode + ConnectTimeout"
	expect_stderr_matches "^x509ssh: connect: 127\.0\.0\.1 port $PEER_PORT: timed out $phase \(ConnectTimeout 3 s\)$" "$mode: ConnectTimeout names the phase"
	peer "$mode-alive" "$mode"
	run_client -o ServerAliveInterval=1 -o ServerAliveCountMax=2 -o ConnectTimeout=30 -- true
	expect_exit 255 "$mode + ServerAlive 1x2"
	expect_error_line connect "$mode + ServerAlive"
	expect_stderr_matches "$(alive_line "$phase")" "$mode: the read timeout names the phase"
done

# ---- the user's time is not counted: every answer comes 3 s late, the limits are 2 s
ASKPASS="$T_DIR/askpass.sh"
cat >"$ASKPASS" <<'EOF'
#!/bin/sh
sleep 3
case "$1" in
*authenticity*) echo yes ;;
*passphrase*) echo keypass ;;
*) echo userpass ;;
esac
EOF
chmod 700 "$ASKPASS"
SLOW=(-o BatchMode=no -o ConnectTimeout=2 -o ServerAliveInterval=1 -o ServerAliveCountMax=1)
ASKENV=(SSH_ASKPASS="$ASKPASS" SSH_ASKPASS_REQUIRE=force DISPLAY=:0)

peer password password --password userpass
CLIENT_ENV=("${ASKENV[@]}")
run_client_bare "${SLOW[@]}" -o PreferredAuthentications=password -l u -- 'echo pw-ok'
expect_exit 0 "a password typed in 3 s (ConnectTimeout 2, ServerAlive 1x1)"
expect_stdout_eq "pw-ok" "slow password: the command ran"

# the host-key question and then the password: 6 s of the user's time
: >"$KNOWN_HOSTS"
CLIENT_ENV=("${ASKENV[@]}")
run_client_bare "${SLOW[@]}" -o StrictHostKeyChecking=ask -o PreferredAuthentications=password \
	-l u -- 'echo hk-ok'
expect_exit 0 "a host-key question and a password answered in 3 s each"
expect_stdout_eq "hk-ok" "slow host-key answer: the command ran"

# an encrypted key: its passphrase, when loaded at once and when decrypted after the server
# accepted its .pub
peer publickey publickey
ssh-keygen -q -t ecdsa -b 256 -m PEM -N keypass -C enc -f "$T_DIR/enc_key" </dev/null
mv "$T_DIR/enc_key.pub" "$T_DIR/enc_key.pub.saved"
CLIENT_ENV=("${ASKENV[@]}")
run_client_bare "${SLOW[@]}" -o PreferredAuthentications=publickey -i "$T_DIR/enc_key" -l u \
	-- 'echo key-ok'
expect_exit 0 "a passphrase typed in 3 s"
expect_stdout_eq "key-ok" "slow passphrase: the command ran"
mv "$T_DIR/enc_key.pub.saved" "$T_DIR/enc_key.pub"
CLIENT_ENV=("${ASKENV[@]}")
run_client_bare "${SLOW[@]}" -o PreferredAuthentications=publickey -i "$T_DIR/enc_key" -l u \
	-- 'echo keypub-ok'
expect_exit 0 "a passphrase typed in 3 s after the server accepted FILE.pub"
expect_stdout_eq "keypub-ok" "slow passphrase (FILE.pub): the command ran"

stop_peer
t_done
