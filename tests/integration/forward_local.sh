#!/bin/bash
# -L and -D: local listeners whose connections travel as direct-tcpip channels of one session
# (Debian's sshd on loopback): byte-exact bulk data, several connections at once, one stalled
# reader that must not stall the others, SOCKS 4/4a/5 through curl, and a listener that cannot
# be set up, with and without ExitOnForwardFailure.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/forward.sh"
forward_setup 20

# ---- -L: three connections at once, 20 MiB each way, byte-exact
LPORT=$(free_port)
start_client_bg -N -L "$LPORT:127.0.0.1:$ECHO_PORT" --
wait_port "$LPORT" "$BG_PID" 20 || fail "-L: nothing listens on $LPORT: $(cat "$T_DIR/bg.err")"
for i in 1 2 3; do
	pump "$LPORT" "$T_DIR/big" "$T_DIR/out.$i" &
	pids[i]=$!
done
for i in 1 2 3; do
	wait "${pids[i]}" || fail "-L: pump $i failed"
	expect_eq "-L connection $i byte-exact (20 MiB)" "$(sha256_of "$T_DIR/big")" "$(sha256_of "$T_DIR/out.$i")"
done

# ---- flow control per channel: a reader that reads nothing does not hold the others
rm -f "$T_DIR/release"
pump "$LPORT" "$T_DIR/big" "$T_DIR/slow.out" --wait-file "$T_DIR/release" &
slow=$!
sleep 0.5
pump "$LPORT" "$T_DIR/big" "$T_DIR/fast.out"
expect_eq "a connection completes while another one's reader is stalled" \
	"$(sha256_of "$T_DIR/big")" "$(sha256_of "$T_DIR/fast.out")"
expect_eq "the stalled reader is still waiting (its connection did not end early)" "yes" \
	"$(kill -0 "$slow" 2>/dev/null && echo yes || echo no)"
touch "$T_DIR/release"
wait "$slow" || fail "the stalled pump failed once released"
expect_eq "the stalled connection is byte-exact once released" \
	"$(sha256_of "$T_DIR/big")" "$(sha256_of "$T_DIR/slow.out")"
stop_client_bg TERM
expect_eq "-N -L ends with 0 on SIGTERM" 0 "$BG_RC"

# ---- -D: SOCKS through curl to a web server behind the SSH server
mkdir -p "$T_DIR/www"
cp "$T_DIR/big" "$T_DIR/www/big"
HTTP_PORT=$(free_port)
(cd "$T_DIR/www" && exec "$PYTHON" -m http.server --bind 127.0.0.1 "$HTTP_PORT" >/dev/null 2>&1) &
t_track_pid $!
wait_port "$HTTP_PORT" $! 10 || die "http.server did not start"
DPORT=$(free_port)
start_client_bg -N -D "127.0.0.1:$DPORT" --
wait_port "$DPORT" "$BG_PID" 20 || fail "-D: nothing listens on $DPORT: $(cat "$T_DIR/bg.err")"
n=0
for proto in socks4 socks4a socks5 socks5-hostname; do
	n=$((n + 1))
	curl -sS --max-time 60 "--$proto" "127.0.0.1:$DPORT" -o "$T_DIR/curl.$n" \
		"http://127.0.0.1:$HTTP_PORT/big" 2>"$T_DIR/curl.$n.err" &
	cpids[n]=$!
done
for i in 1 2 3 4; do
	wait "${cpids[i]}" || fail "curl $i through -D failed: $(cat "$T_DIR/curl.$i.err")"
	expect_eq "-D: curl $i (SOCKS) byte-exact (20 MiB)" "$(sha256_of "$T_DIR/big")" "$(sha256_of "$T_DIR/curl.$i")"
done
# a destination the server cannot reach: curl gets a SOCKS failure, the session lives on
DEAD_PORT=$(free_port)
set +e
curl -sS --max-time 30 --socks5-hostname "127.0.0.1:$DPORT" "http://127.0.0.1:$DEAD_PORT/" \
	-o /dev/null 2>"$T_DIR/curl.dead.err"
crc=$?
set -e
expect_ne "-D: an unreachable destination fails for the SOCKS client" 0 "$crc"
curl -sS --max-time 60 --socks5 "127.0.0.1:$DPORT" -o "$T_DIR/curl.after" "http://127.0.0.1:$HTTP_PORT/big" ||
	fail "-D: the session did not survive a refused destination"
expect_eq "-D still works after a refusal" "$(sha256_of "$T_DIR/big")" "$(sha256_of "$T_DIR/curl.after")"
stop_client_bg TERM
expect_eq "-N -D ends with 0 on SIGTERM" 0 "$BG_RC"

# ---- a listener that cannot be set up: its port is taken on both loopback addresses (the
# default bind is 127.0.0.1 and ::1, as OpenSSH's; one of the two is enough to go on)
TAKEN=$(free_port)
"$PYTHON" -c '
import socket, sys, time
socks = []
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, int(sys.argv[1])))
    s.listen(1)
    socks.append(s)
print("ready", flush=True)
time.sleep(600)
' "$TAKEN" >"$T_DIR/taken.out" &
t_track_pid $!
for _ in $(seq 1 100); do grep -q ready "$T_DIR/taken.out" && break; sleep 0.05; done
ECHO_PORT_SAVED=$ECHO_PORT
ECHO_PORT=$TAKEN
run_client -L "$ECHO_PORT:127.0.0.1:1" -- echo ran
expect_exit 0 "without ExitOnForwardFailure the command still runs"
expect_stdout_eq "ran" "the command's output"
if is_x509ssh; then
	expect_stderr_matches "Warning: cannot listen on .* port $ECHO_PORT" "the failed listener is a warning"
fi
run_client -o ExitOnForwardFailure=yes -o LogLevel=ERROR -L "$ECHO_PORT:127.0.0.1:1" -- echo ran
expect_exit 255 "ExitOnForwardFailure yes: 255"
expect_eq "ExitOnForwardFailure: the command did not run" "" "$(cat "$OUT")"
if is_x509ssh; then
	expect_error_line "channel" "ExitOnForwardFailure: one error line"
	expect_stderr_matches "cannot listen on .* port $ECHO_PORT.*ExitOnForwardFailure" "it names the port and the option"
fi
ECHO_PORT=$ECHO_PORT_SAVED

# ---- -L with a command: the forwarding works while the command runs
LPORT2=$(free_port)
printf 'hello through -L\n' >"$T_DIR/small"
run_client -L "$LPORT2:127.0.0.1:$ECHO_PORT" -- "exec 3<>/dev/tcp/127.0.0.1/$LPORT2 && cat $T_DIR/small >&3 && head -n1 <&3"
expect_exit 0 "a remote command reaches our -L listener (through the same session)"
expect_stdout_eq "hello through -L" "bytes through -L from the remote command"

# ---- the session's end waits for an open forwarded connection (as OpenSSH): the remote command
# exits (status 7) while a -L connection is open; bytes sent after that still come back
# byte-exact, new connections are refused, and the client exits 7 once the connection closes
LPORT3=$(free_port)
make_blob late 1
rm -f "$T_DIR/held"
start_client_bg -o LogLevel=DEBUG1 -L "$LPORT3:127.0.0.1:$ECHO_PORT" -- \
	"while [ ! -e $T_DIR/held ]; do sleep 0.1; done; exit 7"
wait_port "$LPORT3" "$BG_PID" 20 || fail "-L with a command: nothing listens on $LPORT3"
set +e
timeout -k 5 "$CLIENT_TIMEOUT" "$PYTHON" - "$LPORT3" "$T_DIR/late" "$T_DIR/late.out" \
	"$T_DIR/held" "$T_DIR/bg.err" "$BG_PID" <<'EOP'
import os, socket, sys, time
port, infile, outfile, held, errfile, pid = sys.argv[1:7]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=60)
s.sendall(b"first\n")
got = b""
while len(got) < 6:
    d = s.recv(6 - len(got))
    if not d:
        sys.exit("the first bytes did not come back")
    got += d
open(held, "w").close()  # the remote command may exit now
def ended():
    with open(errfile, "rb") as f:
        t = f.read()
    return b"session has ended" in t or b"rtype exit-status" in t
while not ended():
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        break  # the client is gone: the bytes below cannot come back
    time.sleep(0.05)
late_ok = False
try:
    socket.create_connection(("127.0.0.1", int(port)), timeout=5).close()
    late_ok = True
except OSError:
    pass
data = open(infile, "rb").read()
s.sendall(data)
s.shutdown(socket.SHUT_WR)
with open(outfile, "wb") as out:
    while True:
        d = s.recv(262144)
        if not d:
            break
        out.write(d)
s.close()
if late_ok:
    sys.exit("a new connection was accepted after the session ended")
EOP
prc=$?
set -e
expect_eq "the forwarded connection was served to its end" 0 "$prc"
expect_eq "bytes sent after the remote command exited came back byte-exact" \
	"$(sha256_of "$T_DIR/late")" "$(sha256_of "$T_DIR/late.out")"
set +e
timeout 20 tail --pid="$BG_PID" -f /dev/null
wait "$BG_PID"
BG_RC=$?
set -e
expect_eq "the client exits with the command's status once the connection closed" 7 "$BG_RC"

t_done
