#!/bin/bash
# The fleet test bed itself (tests/lib/fleetbed.sh): 20 addresses with 25 ms each way; OpenSSH's
# ssh runs `uname -n` on all 20 at once and every run succeeds; the relay really adds the delay
# (the server's banner and the answer to our banner each come one round trip, >= 2*25 ms,
# after we asked: a property of the bed, not a timing of our code) and carries 200 connections
# at once; fleetbed_down leaves no namespace, interface or process behind. Skipped (77) when
# not root or without `ip netns`.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/fleetbed.sh"

fleetbed_require
N=20
DELAY=25

fleetbed_up "$N" "$DELAY"
ns=$FLEETBED_NS
hif=$FLEETBED_HOST_IF
pids=("${FLEETBED_PIDS[@]}")

expect_eq "addresses" "$N" "${#FLEETBED_ADDRS[@]}"
if ip netns list | grep -qw "$ns"; then
	pass "namespace $ns exists"
else
	fail "namespace $ns missing"
fi
# every address is inside our namespace and none on the host side
n_in=0
inside=$(fleetbed_ns_exec ip -4 -o addr show)
outside=$(ip -4 -o addr show)
for a in "${FLEETBED_ADDRS[@]}"; do
	if grep -q "inet $a/" <<<"$inside"; then
		n_in=$((n_in + 1))
	fi
	if grep -q "inet $a/" <<<"$outside"; then
		fail "$a is an address of the host namespace"
	fi
done
expect_eq "addresses inside the namespace" "$N" "$n_in"

# ---- 20 ssh at once, each to its own address
want=$(uname -n)
declare -a jobs=()
for i in "${!FLEETBED_ADDRS[@]}"; do
	timeout 60 ssh "${FLEETBED_SSH_OPTS[@]}" "${FLEETBED_ADDRS[$i]}" uname -n \
		</dev/null >"$T_DIR/ssh.$i.out" 2>"$T_DIR/ssh.$i.err" &
	jobs+=("$!")
done
ok=0
for i in "${!jobs[@]}"; do
	rc=0
	wait "${jobs[$i]}" || rc=$?
	if [[ $rc == 0 && "$(cat "$T_DIR/ssh.$i.out")" == "$want" ]]; then
		ok=$((ok + 1))
	else
		fail "ssh to ${FLEETBED_ADDRS[$i]}: exit $rc, out '$(cat "$T_DIR/ssh.$i.out")', err '$(tail -n 2 "$T_DIR/ssh.$i.err")'"
	fi
done
expect_eq "ssh runs that printed '$want'" "$N" "$ok"
# and sshd logged each login
accepted=$(grep -c 'Accepted publickey' "$FLEETBED_SSHD_LOG" || true)
expect_eq "sshd logins" "$N" "$accepted"

# ---- the delay: banner after connect, and the answer to our banner, each >= 2*DELAY
"$PYTHON" - "${FLEETBED_ADDRS[$((N - 1))]}" "$DELAY" >"$T_DIR/ping.out" 2>&1 <<'EOF' || true
import socket, sys, time
addr, delay = sys.argv[1], float(sys.argv[2]) / 1000.0
t0 = time.monotonic()
s = socket.create_connection((addr, 22), timeout=10)
banner = s.recv(4096)
t1 = time.monotonic()
s.sendall(b"SSH-2.0-fleetbed_ping\r\n")
kexinit = s.recv(4096)
t2 = time.monotonic()
s.close()
print("banner %s first-rtt %.1f ms second-rtt %.1f ms" % (
    banner.startswith(b"SSH-2.0-"), (t1 - t0) * 1000, (t2 - t1) * 1000))
ok = banner.startswith(b"SSH-2.0-") and len(kexinit) > 0 and t1 - t0 >= 2 * delay and t2 - t1 >= 2 * delay
sys.exit(0 if ok else 1)
EOF
if grep -q '^banner True' "$T_DIR/ping.out" && "$PYTHON" - "$DELAY" "$(cat "$T_DIR/ping.out")" <<'EOF'; then
import sys
d = float(sys.argv[1])
w = sys.argv[2].split()
sys.exit(0 if float(w[3]) >= 2 * d and float(w[6]) >= 2 * d else 1)
EOF
	pass "round trips >= 2*$DELAY ms: $(cat "$T_DIR/ping.out")"
else
	fail "round trips through the bed: $(cat "$T_DIR/ping.out") (want both >= $((2 * DELAY)) ms)"
fi

# ---- the relay carries 200 connections at once: 200 sockets over the 20 addresses, all
# connected before any is read, each gets sshd's banner
"$PYTHON" - "${FLEETBED_ADDRS[@]}" >"$T_DIR/many.out" 2>&1 <<'EOF' || true
import socket, sys
addrs = sys.argv[1:]
socks = [socket.create_connection((addrs[i % len(addrs)], 22), timeout=30) for i in range(200)]
good = 0
for s in socks:
    buf = b""
    while not buf.endswith(b"\n") and len(buf) < 256:
        chunk = s.recv(256)
        if not chunk:
            break
        buf += chunk
    good += buf.startswith(b"SSH-2.0-")
for s in socks:
    s.close()
print("banners", good)
EOF
expect_eq "banners through the relay, 200 connections at once" "banners 200" "$(cat "$T_DIR/many.out")"

# ---- down leaves nothing
fleetbed_down
if ip netns list | grep -qw "$ns"; then
	fail "namespace $ns left behind"
else
	pass "namespace removed"
fi
if ip link show "$hif" >/dev/null 2>&1; then
	fail "interface $hif left behind"
else
	pass "veth pair removed"
fi
for p in "${pids[@]}"; do
	if kill -0 "$p" 2>/dev/null; then
		fail "process $p of the bed still runs"
	else
		pass "process $p gone"
	fi
done
fleetbed_down
pass "a second fleetbed_down is harmless"
t_done
