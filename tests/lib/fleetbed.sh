# shellcheck shell=bash
# The fleet test bed (sourced after tests/lib/common.sh, never run): N "hosts" that are N
# addresses inside a network namespace of our own, one sshd answering on all of them, and
# optional added latency. Needs root and `ip netns`.
#
#   . "$(dirname "$0")/../lib/common.sh"
#   . "$(dirname "$0")/../lib/fleetbed.sh"
#   fleetbed_require            # exits 77 (ctest: skipped) when not root or no `ip netns`
#   fleetbed_up 20 25           # 20 addresses, 25 ms each way
#   for a in "${FLEETBED_ADDRS[@]}"; do ssh "${FLEETBED_SSH_OPTS[@]}" "$a" uname -n; done
#   fleetbed_down               # also run by the EXIT trap
#
# Layout: namespace FLEETBED_NS (unique per run), a veth pair (host side FLEETBED_HOST_IF with
# 10.A.0.1/16, namespace side with the N addresses 10.A.B.C/16 listed in FLEETBED_ADDRS, B.C
# counting up from 1.1), A picked so that no address of 10.A.0.0/16 is in use on this machine
# (chosen under a lock, so parallel runs do not collide). Inside the namespace: sshd on
# 0.0.0.0:22 (only the namespace's addresses exist there), MaxStartups 1000:30:2000 and
# MaxSessions 100, the keys of common.sh's make_keys. With DELAY_MS > 0, sshd listens on
# 127.0.0.1:2222 instead and tests/peers/delay_relay.py listens on 0.0.0.0:22 in front of it,
# delaying each direction by DELAY_MS (the kernel has no netem). Port 22 everywhere.
#
# Set by fleetbed_up: FLEETBED_NS, FLEETBED_HOST_IF, FLEETBED_ADDRS (array), FLEETBED_HOST_ADDR,
# FLEETBED_SSHD_LOG, FLEETBED_SSH_OPTS (OpenSSH options: BatchMode, the bed's key, no host key
# checking, port 22). fleetbed_ns_exec CMD... runs a command inside the namespace.

FLEETBED_NS=
FLEETBED_HOST_IF=
FLEETBED_HOST_ADDR=
FLEETBED_ADDRS=()
FLEETBED_PIDS=()
FLEETBED_SSHD_LOG=
FLEETBED_SSH_OPTS=()

# fleetbed_require: exit 77 (the SKIP_RETURN_CODE of the fleet tests) when the bed cannot exist
# here: not root, or no working `ip netns`.
fleetbed_require() {
	if [[ $(id -u) != 0 ]]; then
		printf '%s: skipped: the fleet test bed needs root\n' "$T_NAME"
		T_DONE_CALLED=1
		exit 77
	fi
	if ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
		printf '%s: skipped: "ip netns" is not available\n' "$T_NAME"
		T_DONE_CALLED=1
		exit 77
	fi
}

# fleetbed_ns_exec CMD...: run CMD inside the bed's namespace.
fleetbed_ns_exec() {
	ip netns exec "$FLEETBED_NS" "$@"
}

# _fleetbed_pick_net: print a second octet A such that nothing on this machine uses 10.A.x.x
# (routes or addresses), trying random ones; the caller holds the lock.
_fleetbed_pick_net() {
	local a i
	for ((i = 0; i < 200; i++)); do
		a=$((100 + RANDOM % 150))
		if ! ip -4 route show table all | grep -qE "(^|[^0-9.])10\.$a\." &&
			! ip -4 addr show | grep -qE "inet 10\.$a\."; then
			echo "$a"
			return 0
		fi
	done
	return 1
}

# _fleetbed_wait_listen ADDR [SECONDS]: wait until ADDR:22 inside the namespace accepts.
_fleetbed_wait_listen() {
	local addr=$1 limit=${2:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		if fleetbed_ns_exec bash -c "exec 3<>/dev/tcp/$addr/22" 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# fleetbed_up N [DELAY_MS]: build the bed (see above); dies on failure (after removing what
# was made). Registers fleetbed_down in the EXIT trap (before common.sh's clean-up).
fleetbed_up() {
	local n=$1 delay=${2:-0} id a i b c cfg pid listen addr
	if ((n < 1 || n > 60000)); then
		die "fleetbed_up: N must be 1..60000"
	fi
	make_keys
	id=$(printf '%04x%02x' $(($$ % 65536)) $((RANDOM % 256)))
	FLEETBED_NS="x5fb-$id-$$"
	FLEETBED_HOST_IF="fb${id}h"
	trap 'T_RC=$?; fleetbed_down; (exit "$T_RC"); t_cleanup' EXIT
	exec 9>/run/x509ssh-fleetbed.lock
	flock 9
	a=$(_fleetbed_pick_net) || {
		flock -u 9
		die "fleetbed_up: no free 10.x.0.0/16 network"
	}
	ip netns add "$FLEETBED_NS" || {
		flock -u 9
		die "fleetbed_up: ip netns add failed"
	}
	if ! ip link add "$FLEETBED_HOST_IF" type veth peer name "fb${id}n" ||
		! ip link set "fb${id}n" netns "$FLEETBED_NS" ||
		! ip addr add "10.$a.0.1/16" dev "$FLEETBED_HOST_IF" ||
		! ip link set "$FLEETBED_HOST_IF" up; then
		flock -u 9
		die "fleetbed_up: veth set-up failed"
	fi
	flock -u 9
	exec 9>&-
	FLEETBED_HOST_ADDR="10.$a.0.1"
	fleetbed_ns_exec ip link set lo up
	fleetbed_ns_exec ip link set "fb${id}n" up
	FLEETBED_ADDRS=()
	for ((i = 0; i < n; i++)); do
		b=$((1 + i / 250))
		c=$((1 + i % 250))
		FLEETBED_ADDRS+=("10.$a.$b.$c")
	done
	# one `ip -batch` instead of N processes
	for addr in "${FLEETBED_ADDRS[@]}"; do
		printf 'addr add %s/16 dev fb%sn\n' "$addr" "$id"
	done | fleetbed_ns_exec ip -batch - || die "fleetbed_up: adding the addresses failed"
	fleetbed_ns_exec ip route add default via "$FLEETBED_HOST_ADDR" 2>/dev/null || true

	listen="0.0.0.0:22"
	if ((delay > 0)); then
		listen="127.0.0.1:2222"
	fi
	cfg="$T_DIR/fleetbed_sshd_config"
	mkdir -p "$T_DIR/remote-home" # see start_sshd
	FLEETBED_SSHD_LOG="$T_DIR/fleetbed_sshd.log"
	cat >"$cfg" <<EOF
ListenAddress $listen
HostKey $T_DIR/keys/host_ed25519
HostKey $T_DIR/keys/host_ecdsa
HostKey $T_DIR/keys/host_rsa
PidFile none
AuthorizedKeysFile $T_DIR/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel INFO
KexAlgorithms $SSHD_ALL_KEX
Ciphers $SSHD_ALL_CIPHERS
MACs $SSHD_ALL_MACS
HostKeyAlgorithms $SSHD_ALL_HOSTKEYS
PubkeyAcceptedAlgorithms $SSHD_ALL_PUBKEYS
MaxStartups 1000:30:2000
MaxSessions 100
LoginGraceTime 60
PrintMotd no
PrintLastLog no
Banner none
UseDNS no
X11Forwarding no
Subsystem sftp internal-sftp
SetEnv HOME=$T_DIR/remote-home
EOF
	mkdir -p /run/sshd 2>/dev/null || true
	"$SSHD_BIN" -t -f "$cfg" >"$FLEETBED_SSHD_LOG" 2>&1 || die "fleetbed: sshd -t: $(tail -n 3 "$FLEETBED_SSHD_LOG")"
	# `ip netns exec` execs the command: the pid is sshd's own
	fleetbed_ns_exec "$SSHD_BIN" -D -e -f "$cfg" -E "$FLEETBED_SSHD_LOG" </dev/null >/dev/null 2>&1 &
	pid=$!
	FLEETBED_PIDS+=("$pid")
	if ((delay > 0)); then
		rm -f "$T_DIR/fleetbed_relay.ready"
		fleetbed_ns_exec "$PYTHON" "$PEERS_DIR/delay_relay.py" --listen 0.0.0.0:22 \
			--target 127.0.0.1:2222 --delay-ms "$delay" --ready-file "$T_DIR/fleetbed_relay.ready" \
			</dev/null >"$T_DIR/fleetbed_relay.log" 2>&1 &
		FLEETBED_PIDS+=("$!")
		wait_file "$T_DIR/fleetbed_relay.ready" 10 || die "fleetbed: the relay did not start: $(tail -n 5 "$T_DIR/fleetbed_relay.log")"
		for ((i = 0; i < 200; i++)); do
			fleetbed_ns_exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/2222' 2>/dev/null && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
	fi
	_fleetbed_wait_listen "${FLEETBED_ADDRS[0]}" 10 ||
		die "fleetbed: sshd is not listening: $(tail -n 5 "$FLEETBED_SSHD_LOG")"
	FLEETBED_SSH_OPTS=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$CLIENT_KEY"
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null
		-o LogLevel=ERROR -l "$(id -un)" -p 22)
}

# fleetbed_down: stop the bed's processes and remove the namespace and the veth pair (safe to
# call twice, or when fleetbed_up failed half-way).
fleetbed_down() {
	local pid
	for pid in "${FLEETBED_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${FLEETBED_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	FLEETBED_PIDS=()
	if [[ -n "$FLEETBED_NS" ]]; then
		# anything still running in the namespace (sshd's session children) goes first
		for pid in $(ip netns pids "$FLEETBED_NS" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$FLEETBED_NS" 2>/dev/null || true
		FLEETBED_NS=
	fi
	if [[ -n "$FLEETBED_HOST_IF" ]]; then
		# deleting the namespace removes its veth end and with it the pair; this is for the
		# half-made case
		ip link del "$FLEETBED_HOST_IF" 2>/dev/null || true
		FLEETBED_HOST_IF=
	fi
}
