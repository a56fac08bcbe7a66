#!/bin/bash
# Timeouts before the session is open, against servers that stall or only pretend to talk
# (tests/peers/hostile_server.py):
#   - ConnectTimeout covers everything up to the open session, user authentication included,
#     and names the phase: "connect: 127.0.0.1 port P: timed out during user authentication
#     (ConnectTimeout 3 s)";
#   - ServerAliveInterval x ServerAliveCountMax is a read timeout from connect on, restarted
#     only by complete packets other than IGNORE/DEBUG (a drip of bytes or an IGNORE flood
#     does not count): "connect: timeout: server not responding for 2 s <phase>
#     (ServerAliveInterval 1 s x ServerAliveCountMax 2)";
#   - no keepalive probe is sent before the session is open, slow but steady answers (1.5 s
#     each, probe-check) log in fine with ServerAliveInterval 1 x CountMax 3, and keepalives
#     still go out once the session is open;
#   - time spent waiting for the user (a password prompt taking 4 s) is not counted by
#     ConnectTimeout=2.
# A client that waits forever is killed by timeout(1) (CLIENT_TIMEOUT) and reported as a hang.
# The BatchMode default (60 s) is proved in hostile_batchmode.sh.
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

# ---- a server that never answers the userauth request
start_hostile stall stall-userauth
stalled "stall-userauth, ServerAlive 1x2 and ConnectTimeout 5" "${alive[@]}" -o ConnectTimeout=5
expect_file_matches "$HOSTILE_RECORD" '^userauth none ' "stall-userauth: the client got to user authentication"
expect_x509ssh_line "^x509ssh: connect: timeout: server not responding for 2 s during user authentication $alive_line" \
	"stall-userauth: ServerAlive 1x2 ends it first and names user authentication"

stalled "stall-userauth, ConnectTimeout 3" -o ConnectTimeout=3
expect_x509ssh_line "^x509ssh: connect: 127\.0\.0\.1 port $CLIENT_PORT: timed out during user authentication \(ConnectTimeout 3 s\)$" \
	"stall-userauth: ConnectTimeout names user authentication"

# ---- a server that stops after its KEXINIT (ConnectTimeout covered this already)
start_hostile stallkex stall-kex
stalled "stall-kex, ConnectTimeout 3" -o ConnectTimeout=3
expect_x509ssh_line "^x509ssh: connect: 127\.0\.0\.1 port $CLIENT_PORT: timed out during key exchange \(ConnectTimeout 3 s\)$" \
	"stall-kex: ConnectTimeout names the key exchange"

# ---- ServerAlive alone, no ConnectTimeout
start_hostile silent silent
stalled "silent, ServerAlive 1x2" "${alive[@]}"
expect_x509ssh_line "^x509ssh: connect: timeout: server not responding for 2 s waiting for the server's banner $alive_line" \
	"silent: names the banner wait"

start_hostile drip drip
stalled "drip (one byte a second), ServerAlive 1x2" "${alive[@]}"
expect_x509ssh_line "^x509ssh: connect: timeout: server not responding for 2 s during key exchange $alive_line" \
	"drip: bytes that never make a packet do not count as an answer"

start_hostile ignore ignore-flood
stalled "ignore-flood, ServerAlive 1x2" "${alive[@]}"
expect_file_matches "$HOSTILE_RECORD" '^userauth none ' "ignore-flood: the client got to user authentication"
expect_x509ssh_line "^x509ssh: connect: timeout: server not responding for 2 s during user authentication $alive_line" \
	"ignore-flood: IGNORE packets do not count as an answer"

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

# ---- the time spent at a password prompt is not counted by ConnectTimeout
start_hostile password password
cat >"$T_DIR/askpass" <<'SH'
#!/bin/sh
echo asked >>"$ASKPASS_LOG"
sleep 4
echo any-password
SH
chmod 755 "$T_DIR/askpass"
CLIENT_ENV=(SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ASKPASS_LOG="$T_DIR/askpass.log")
t0=$(date +%s%N)
run_client_bare -o BatchMode=no -o PreferredAuthentications=password -o ConnectTimeout=2 \
	-o NumberOfPasswordPrompts=1 -o LogLevel=INFO -- echo hi
MS=$((($(date +%s%N) - t0) / 1000000))
expect_exit 0 "password prompt answered after 4 s, ConnectTimeout 2 (took $MS ms)"
expect_stdout_eq "hello" "password prompt: output"
expect_eq "password prompt: asked once" 1 "$(wc -l <"$T_DIR/askpass.log" 2>/dev/null || echo 0)"
expect_file_matches "$HOSTILE_RECORD" '^userauth password ' "password prompt: the password was sent"
hostile_diag
t_done
