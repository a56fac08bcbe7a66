#!/bin/bash
# Timeouts before the session is open, against servers that stall or only pretend to talk
# (tests/peers/hostile_server.py):
#   - ConnectTimeout covers everything up to the open session (the banner wait, key exchange,
#     user authentication, the opening of the session) and names the phase:
#     "connect: 127.0.0.1 port P: timed out <phase> (ConnectTimeout 2 s)";
#   - ServerAliveInterval x ServerAliveCountMax is a read timeout from connect on, restarted
#     only by complete packets other than IGNORE/DEBUG (a drip of bytes or an IGNORE flood
#     does not count): "connect: timeout: server not responding for 2 s <phase>
#     (ServerAliveInterval 1 s x ServerAliveCountMax 2)";
#   - no keepalive probe is sent before the session is open (checked in every stall where the
#     server reads, and by probe-check: slow but steady answers, 1.5 s each, log in fine with
#     ServerAliveInterval 1 x CountMax 3), and keepalives still go out once the session is open;
#   - the time the user takes is not counted by ConnectTimeout 2 or ServerAlive 1 x 1: a
#     host-key question and a password answered in 3 s each, a key's passphrase typed in 3 s
#     (the key loaded at once, and decrypted after the server accepted FILE.pub).
# A client that waits forever is killed by timeout(1) (CLIENT_TIMEOUT) and reported as a hang.
# The BatchMode default (60 s) is proved in hostile_batchmode.sh, a token PIN in token_wait.sh.
. "$(dirname "$0")/../lib/common.sh"
require_client
CLIENT_TIMEOUT=20
alive=(-o ServerAliveInterval=1 -o ServerAliveCountMax=2)
alive_line='\(ServerAliveInterval 1 s x ServerAliveCountMax 2\)$'

# stalled NAME [option ...]: one run against the current hostile server; exit 255, one
# "connect:" line, no command output.
stalled() {
	local name=$1
	shift
	run_client_timed -o LogLevel=INFO "$@" -- echo should-not-run
	expect_no_crash "$name"
	expect_exit 255 "$name (ended after $MS ms)"
	expect_eq "$name: no command output" "" "$(cat "$OUT")"
	expect_error_line connect "$name"
}

# stall_both MODE PHASE: MODE ended by ServerAlive 1x2 alone and by ConnectTimeout 2 alone, each
# line naming PHASE; no keepalive was seen by the server.
stall_both() {
	local mode=$1 phase=$2
	start_hostile "$mode" "$mode"
	stalled "$mode, ServerAlive 1x2" "${alive[@]}"
	expect_x509ssh_line "^x509ssh: connect: timeout: server not responding for 2 s $phase $alive_line" \
		"$mode: the read timeout names the phase ($phase)"
	stalled "$mode, ConnectTimeout 2" -o ConnectTimeout=2
	expect_x509ssh_line "^x509ssh: connect: 127\.0\.0\.1 port $CLIENT_PORT: timed out $phase \(ConnectTimeout 2 s\)$" \
		"$mode: ConnectTimeout names the phase ($phase)"
	expect_file_not_matches "$HOSTILE_RECORD" '^probe ' "$mode: no keepalive before the session is open"
}

# ---- before the key exchange: nothing, a drip of bytes, IGNORE packets instead of a KEXINIT
stall_both silent "waiting for the server's banner"
stall_both drip "during key exchange"
stall_both ignore-flood-kex "during key exchange"

# ---- a server that stops after its KEXINIT
start_hostile stallkex stall-kex
stalled "stall-kex, ConnectTimeout 2" -o ConnectTimeout=2
expect_x509ssh_line "^x509ssh: connect: 127\.0\.0\.1 port $CLIENT_PORT: timed out during key exchange \(ConnectTimeout 2 s\)$" \
	"stall-kex: ConnectTimeout names the key exchange"

# ---- a server that never answers the userauth request; ServerAlive ends it before ConnectTimeout
start_hostile stall stall-userauth
stalled "stall-userauth, ServerAlive 1x2 and ConnectTimeout 5" "${alive[@]}" -o ConnectTimeout=5
expect_file_matches "$HOSTILE_RECORD" '^userauth none ' "stall-userauth: the client got to user authentication"
expect_x509ssh_line "^x509ssh: connect: timeout: server not responding for 2 s during user authentication $alive_line" \
	"stall-userauth: ServerAlive 1x2 ends it first and names user authentication"
stalled "stall-userauth, ConnectTimeout 2" -o ConnectTimeout=2
expect_x509ssh_line "^x509ssh: connect: 127\.0\.0\.1 port $CLIENT_PORT: timed out during user authentication \(ConnectTimeout 2 s\)$" \
	"stall-userauth: ConnectTimeout names user authentication"

# ---- IGNORE packets instead of an answer to the userauth request
start_hostile ignore ignore-flood
stalled "ignore-flood, ServerAlive 1x2" "${alive[@]}"
expect_file_matches "$HOSTILE_RECORD" '^userauth none ' "ignore-flood: the client got to user authentication"
expect_x509ssh_line "^x509ssh: connect: timeout: server not responding for 2 s during user authentication $alive_line" \
	"ignore-flood: IGNORE packets do not count as an answer"
expect_file_not_matches "$HOSTILE_RECORD" '^probe ' "ignore-flood: no keepalive before the session is open"

# ---- USERAUTH_SUCCESS, then the channel open is never answered
start_hostile stallopen stall-open
stalled "stall-open, ServerAlive 1x2 and ConnectTimeout 5" "${alive[@]}" -o ConnectTimeout=5
expect_file_matches "$HOSTILE_RECORD" '^userauth none ' "stall-open: the client logged in"
expect_x509ssh_line "^x509ssh: connect: timeout: server not responding for 2 s while opening the session $alive_line" \
	"stall-open: ServerAlive 1x2 names the opening of the session"
stalled "stall-open, ConnectTimeout 2" -o ConnectTimeout=2
expect_x509ssh_line "^x509ssh: connect: 127\.0\.0\.1 port $CLIENT_PORT: timed out while opening the session \(ConnectTimeout 2 s\)$" \
	"stall-open: ConnectTimeout names the opening of the session"

# ---- slow but steady answers: no probe before the session is open, login works
start_hostile probe probe-check
run_client_timed -o ServerAliveInterval=1 -o ServerAliveCountMax=3 -- echo hi
expect_exit 0 "probe-check: 1.5 s per answer logs in with ServerAlive 1x3 (took $MS ms)"
expect_stdout_eq "hello" "probe-check: output"
expect_file_matches "$HOSTILE_RECORD" '^login-ok$' "probe-check: the server saw the exec"
expect_file_not_matches "$HOSTILE_RECORD" '^probe (kex|auth) ' "probe-check: no global request before USERAUTH_SUCCESS"
expect_file_not_matches "$HOSTILE_RECORD" '^probe open ' "probe-check: no global request before the session was open"
expect_file_matches "$HOSTILE_RECORD" '^probe session keepalive@openssh\.com$' \
	"probe-check: keepalives go out once the session is open (2.5 s quiet)"
if [[ "$RC" != 0 || "${T_VERBOSE:-0}" == 1 ]]; then
	sed 's/^/     server record: /' "$HOSTILE_RECORD"
fi

# ---- the user's time is not counted: every answer comes 3 s late, the limits are 2 s and 1 x 1
cat >"$T_DIR/askpass" <<'SH'
#!/bin/sh
printf '%s\n' "$1" | head -n 1 >>"$ASKPASS_LOG" # one line per question
sleep 3
case "$1" in
*authenticity*) echo yes ;;
*) echo keypass ;;
esac
SH
chmod 755 "$T_DIR/askpass"
slow=(-o BatchMode=no -o ConnectTimeout=2 -o ServerAliveInterval=1 -o ServerAliveCountMax=1
	-o LogLevel=INFO)
# slow_run NAME [option ...] -- [command ...]: run_client_bare, answers through the askpass
slow_run() {
	local name=$1
	shift
	rm -f "$T_DIR/askpass.log"
	CLIENT_ENV=(SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0
		ASKPASS_LOG="$T_DIR/askpass.log")
	run_client_bare "${slow[@]}" "$@"
	expect_exit 0 "$name"
	expect_stdout_eq "hello" "$name: output"
}

# the host-key question (no known_hosts line) and then the password: 6 s of the user's time
start_hostile password password
: >"$KNOWN_HOSTS"
slow_run "a host-key question and a password answered in 3 s each" -o StrictHostKeyChecking=ask \
	-o PreferredAuthentications=password -o NumberOfPasswordPrompts=1 -l u -- echo hi
expect_file_matches "$T_DIR/askpass.log" 'authenticity' "slow answers: the host key was asked about"
expect_eq "slow answers: the password asked once" 1 "$(grep -vc authenticity "$T_DIR/askpass.log" || true)"
expect_file_matches "$HOSTILE_RECORD" '^userauth password ' "slow answers: the password was sent"

# an encrypted key: its passphrase when the key is loaded at once, and when it is decrypted
# after the server accepted FILE.pub
start_hostile publickey publickey
ssh-keygen -q -t ecdsa -b 256 -m PEM -N keypass -C enc -f "$T_DIR/enc_key" </dev/null
mv "$T_DIR/enc_key.pub" "$T_DIR/enc_key.pub.saved"
slow_run "a passphrase typed in 3 s" -o PreferredAuthentications=publickey -i "$T_DIR/enc_key" \
	-l u -- echo hi
expect_file_matches "$T_DIR/askpass.log" 'passphrase' "slow passphrase: it was asked"
mv "$T_DIR/enc_key.pub.saved" "$T_DIR/enc_key.pub"
: >"$HOSTILE_RECORD"
slow_run "a passphrase typed in 3 s after the server accepted FILE.pub" \
	-o PreferredAuthentications=publickey -i "$T_DIR/enc_key" -l u -- echo hi
expect_file_matches "$T_DIR/askpass.log" 'passphrase' "slow passphrase (FILE.pub): it was asked"
expect_eq "slow passphrase (FILE.pub): the key was offered, then signed with" 2 \
	"$(grep -c '^userauth publickey u$' "$HOSTILE_RECORD" || true)"
hostile_diag
t_done
