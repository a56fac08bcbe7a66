# shellcheck shell=bash
# Shared helpers for the integration tests (sourced, never run).
#
#   . "$(dirname "$0")/../lib/common.sh"
#   start_sshd                       # throwaway sshd on a free loopback port
#   run_client -- echo hello         # x509ssh with the standard options, output captured
#   expect_exit 0; expect_eq "stdout" "hello" "$(cat "$OUT")"
#   t_done                           # prints "N passed, N failed", exits non-zero on failure
#
# Environment: X509SSH (client binary; /usr/bin/ssh to validate the tests themselves),
# X509SSH_SRC, X509SSH_BUILD (set by ctest), KEEP_TMP=1 keeps the temp dir for post-mortems,
# T_VERBOSE=1 prints every passing check too.
#
# Everything works under `set -euo pipefail`.

set -euo pipefail

T_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
X509SSH_SRC="${X509SSH_SRC:-$(cd "$T_LIB_DIR/../.." && pwd)}"
X509SSH_BUILD="${X509SSH_BUILD:-$X509SSH_SRC/build}"
if [[ -z "${X509SSH:-}" ]]; then
	X509SSH="$X509SSH_BUILD/x509ssh"
fi
PEERS_DIR="$X509SSH_SRC/tests/peers"
PYTHON="${PYTHON:-/usr/bin/python3}"
SSHD_BIN="${SSHD_BIN:-/usr/sbin/sshd}"
T_NAME="$(basename "${0%.sh}")"

T_PASS=0
T_FAIL=0
T_PIDS=()
T_DONE_CALLED=0

# ---------------------------------------------------------------- messages

t_log() {
	printf '%s: %s\n' "$T_NAME" "$*" >&2
}

pass() {
	T_PASS=$((T_PASS + 1))
	if [[ "${T_VERBOSE:-0}" == 1 ]]; then
		printf 'ok   %s\n' "$*"
	fi
}

# fail MESSAGE: records a failure and prints the message plus the captured client stderr.
fail() {
	T_FAIL=$((T_FAIL + 1))
	printf 'FAIL %s\n' "$*"
	if [[ -n "${ERR:-}" && -s "${ERR:-/nonexistent}" ]]; then
		printf '     client stderr (last 10 lines):\n'
		tail -n 10 "$ERR" | sed 's/^/     | /'
	fi
}

# Abort the whole script (setup could not be done): counts as a failure.
die() {
	printf 'FATAL %s\n' "$*"
	T_FAIL=$((T_FAIL + 1))
	t_done
}

# ---------------------------------------------------------------- temp dir and cleanup

t_cleanup() {
	local rc=$?
	local pid
	for pid in "${T_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
		fi
	done
	for pid in "${T_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [[ -n "${T_DIR:-}" && -d "$T_DIR" ]]; then
		if [[ "${KEEP_TMP:-0}" == 1 || ("$rc" != 0 && "${KEEP_TMP_ON_FAIL:-0}" == 1) ]]; then
			printf 'temp dir kept: %s\n' "$T_DIR" >&2
		else
			rm -rf "$T_DIR"
		fi
	fi
	if [[ "$T_DONE_CALLED" == 0 && "$rc" != 0 ]]; then
		printf '%s: aborted (exit %s) after %d passed, %d failed\n' "$T_NAME" "$rc" "$T_PASS" "$T_FAIL"
	fi
	exit "$rc"
}

T_DIR="$(mktemp -d "${TMPDIR:-/tmp}/x509ssh-test.XXXXXX")"
chmod 700 "$T_DIR"
trap t_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Remember a background process so the EXIT trap kills it.
t_track_pid() {
	T_PIDS+=("$1")
}

# ---------------------------------------------------------------- small utilities

# Print a free TCP port on 127.0.0.1 (the kernel picks it; there is a small race until it is
# bound again, start_sshd retries on "Address already in use").
free_port() {
	if [[ -x "$PYTHON" ]]; then
		"$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
		return
	fi
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	return 1
}

# port_open PORT: true when something accepts connections on 127.0.0.1:PORT.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_port PORT PID [SECONDS]: wait until PORT accepts or PID died.
wait_port() {
	local port=$1 pid=$2 limit=${3:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		if port_open "$port"; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.05
	done
	return 1
}

# wait_file FILE [SECONDS]: wait until FILE exists and is non-empty.
wait_file() {
	local f=$1 limit=${2:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		if [[ -s "$f" ]]; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# is_x509ssh: true when the client under test is x509ssh (not OpenSSH's ssh used to validate
# the tests); x509ssh-only checks (the exact error line) are guarded by it.
is_x509ssh() {
	case "$(basename "$X509SSH")" in
	ssh | ssh.*) return 1 ;;
	*) return 0 ;;
	esac
}

sha256_of() {
	sha256sum "$1" | cut -d' ' -f1
}

# ---------------------------------------------------------------- keys and sshd

# user_pki: a CA (RSA-2048) in $T_DIR/pki and two users whose certificates carry the SSH
# client EKU (id-kp-secureShellClient): alice (RSA-2048) and ecuser (P-256). Sets PKI, PKISH
# (tests/lib/pki.sh, for more leaves) and CLIENT_EKU.
user_pki() {
	PKI="$T_DIR/pki"
	PKISH="$X509SSH_SRC/tests/lib/pki.sh"
	CLIENT_EKU=1.3.6.1.5.5.7.3.21
	"$PKISH" "$PKI" init --key rsa2048 >/dev/null
	"$PKISH" "$PKI" leaf alice --key rsa2048 --eku "$CLIENT_EKU" >/dev/null
	"$PKISH" "$PKI" leaf ecuser --key ec256 --eku "$CLIENT_EKU" >/dev/null
}

# start_user_x509_peer: the asyncssh RFC 6187 peer (tests/peers/x509_server.py) with the plain
# ed25519 host key, trusting $PKI's root for client certificates (user_pki) through a
# cert-authority line; its log in PLOG; the client's port and known_hosts set for it.
start_user_x509_peer() {
	local root_b64
	root_b64=$(openssl x509 -in "$PKI/root.pem" -outform DER | base64 -w0)
	printf 'cert-authority x509v3-ssh-rsa %s\n' "$root_b64" >"$T_DIR/ak.x509"
	PLOG="$T_DIR/auth.log"
	start_peer x509 x509_server.py --key "$T_DIR/keys/host_ed25519" --client-ca "$PKI/root.pem" \
		--authorized-keys "$T_DIR/ak.x509" --log "$PLOG"
	CLIENT_PORT=$PEER_PORT
	known_hosts_line "$T_DIR/keys/host_ed25519.pub" "$PEER_PORT" >"$KNOWN_HOSTS"
}

# run_fleet LIMIT [flag ...]: x509ssh-fleet ($FLEET) within LIMIT seconds with the usual client
# flags (known_hosts $KH, BatchMode, only $CLIENT_KEY) and the given ones; sets RC, OUT, ERR.
run_fleet() {
	local limit=$1
	shift
	set +e
	env -u SSH_AUTH_SOCK timeout -k 5 "$limit" "$FLEET" -F /dev/null -o "UserKnownHostsFile=$KH" \
		-o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o IdentitiesOnly=yes \
		-i "$CLIENT_KEY" -l "$(id -un)" "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
}

# make_encrypted_key DIR: DIR/key, a P-256 key in PKCS#8 encrypted with the passphrase
# "sekrit"; DIR/key.pub its public half; DIR/nopub the same key without a .pub beside it;
# DIR/plain.pem the key unencrypted.
make_encrypted_key() {
	local k=$1
	mkdir -p "$k"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$k/plain.pem" 2>/dev/null
	openssl pkcs8 -topk8 -in "$k/plain.pem" -out "$k/key" -passout pass:sekrit -v2 aes-256-cbc
	chmod 600 "$k/key" "$k/plain.pem"
	ssh-keygen -y -f "$k/plain.pem" >"$k/key.pub"
	cp "$k/key" "$k/nopub"
}

# make_keys: host keys (ed25519, ecdsa P-256, rsa) and a client ed25519 key in $T_DIR/keys,
# authorized_keys with the client key. Idempotent.
make_keys() {
	local k="$T_DIR/keys"
	if [[ -f "$k/id_ed25519" ]]; then
		return 0
	fi
	mkdir -p "$k"
	ssh-keygen -q -t ed25519 -N '' -C hostkey -f "$k/host_ed25519" </dev/null
	ssh-keygen -q -t ecdsa -b 256 -N '' -C hostkey -f "$k/host_ecdsa" </dev/null
	ssh-keygen -q -t rsa -b 2048 -N '' -C hostkey -f "$k/host_rsa" </dev/null
	ssh-keygen -q -t ed25519 -N '' -C client -f "$k/id_ed25519" </dev/null
	cat "$k/id_ed25519.pub" >"$T_DIR/authorized_keys"
	chmod 600 "$k"/host_* "$k/id_ed25519" "$T_DIR/authorized_keys"
	CLIENT_KEY="$k/id_ed25519"
}

SSHD_ALL_KEX="curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1,sntrup761x25519-sha512@openssh.com"
SSHD_ALL_CIPHERS="chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-cbc,aes192-cbc,aes256-cbc,3des-cbc"
SSHD_ALL_MACS="hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1,hmac-sha1-etm@openssh.com,umac-64-etm@openssh.com,umac-128-etm@openssh.com"
SSHD_ALL_HOSTKEYS="ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256,ssh-rsa"
SSHD_ALL_PUBKEYS="ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa"

SSHD_N=0

# start_sshd [sshd_config line ...]: start a throwaway sshd on 127.0.0.1 and a free port.
# Extra lines come first in the config, so they win over the defaults below (sshd_config is
# first-value-wins). Sets SSHD_PORT, SSHD_PID, SSHD_LOG, SSHD_CONFIG; writes the host keys
# into $T_DIR/known_hosts (the client's default UserKnownHostsFile).
start_sshd() {
	local attempt cfg log pid port line
	make_keys
	mkdir -p /run/sshd 2>/dev/null || true
	# Remote commands get an empty HOME of their own (a caller's SetEnv wins): the login
	# shell then reads no ~/.bashrc of the machine's user (root's may run pyenv, whose lock
	# stalls concurrent logins for up to a minute) and leaves nothing in the real home.
	mkdir -p "$T_DIR/remote-home"
	for attempt in 1 2 3 4 5; do
		SSHD_N=$((SSHD_N + 1))
		cfg="$T_DIR/sshd_config.$SSHD_N"
		log="$T_DIR/sshd.$SSHD_N.log"
		port=$(free_port)
		{
			for line in "$@"; do
				printf '%s\n' "$line"
			done
			cat <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $T_DIR/keys/host_ed25519
HostKey $T_DIR/keys/host_ecdsa
HostKey $T_DIR/keys/host_rsa
PidFile $T_DIR/sshd.$SSHD_N.pid
AuthorizedKeysFile $T_DIR/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel DEBUG1
KexAlgorithms $SSHD_ALL_KEX
Ciphers $SSHD_ALL_CIPHERS
MACs $SSHD_ALL_MACS
HostKeyAlgorithms $SSHD_ALL_HOSTKEYS
PubkeyAcceptedAlgorithms $SSHD_ALL_PUBKEYS
MaxStartups 100:30:200
MaxSessions 50
LoginGraceTime 30
PrintMotd no
PrintLastLog no
Banner none
UseDNS no
X11Forwarding no
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
SetEnv HOME=$T_DIR/remote-home
EOF
		} >"$cfg"
		"$SSHD_BIN" -t -f "$cfg" >"$log" 2>&1 || die "sshd -t rejected $cfg: $(tail -n 3 "$log")"
		"$SSHD_BIN" -D -e -f "$cfg" -E "$log" </dev/null >>"$log" 2>&1 &
		pid=$!
		t_track_pid "$pid"
		if wait_port "$port" "$pid" 10; then
			SSHD_PORT=$port
			SSHD_PID=$pid
			SSHD_LOG=$log
			SSHD_CONFIG=$cfg
			log_settle
			trust_host_keys "$T_DIR/known_hosts"
			return 0
		fi
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		if ! grep -q 'Address already in use' "$log"; then
			die "sshd did not start (attempt $attempt): $(tail -n 5 "$log")"
		fi
	done
	die "sshd did not start after 5 attempts"
}

stop_sshd() {
	if [[ -n "${SSHD_PID:-}" ]]; then
		kill "$SSHD_PID" 2>/dev/null || true
		wait "$SSHD_PID" 2>/dev/null || true
		SSHD_PID=
	fi
}

# known_hosts_line KEYFILE.pub [PORT]: the known_hosts line for the current sshd (or for
# 127.0.0.1:PORT, e.g. a proxy in front of it).
known_hosts_line() {
	local pub=$1 port=${2:-$SSHD_PORT}
	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$pub")"
}

# trust_host_keys FILE [PORT]: FILE lists every host key of the current sshd (for PORT).
trust_host_keys() {
	trust_ports "$1" "${2:-$SSHD_PORT}"
}

# trust_ports FILE PORT...: FILE lists every host key of the current sshd(s) for each PORT.
trust_ports() {
	local f=$1 p t
	shift
	: >"$f"
	for p in "$@"; do
		for t in ed25519 ecdsa rsa; do
			known_hosts_line "$T_DIR/keys/host_$t.pub" "$p" >>"$f"
		done
	done
}

# log_mark: remember the current size of the sshd log (sets LOG_MARK).
log_mark() {
	LOG_MARK=$(stat -c %s "$SSHD_LOG")
}

# log_since_mark: print what sshd logged since log_mark. Waits (up to 5 s) until a connection
# end has been logged and the log has been quiet for 0.3 s, so nothing arrives after we looked.
log_since_mark() {
	local i size last=-1 quiet=0
	for ((i = 0; i < 100; i++)); do
		size=$(stat -c %s "$SSHD_LOG")
		if [[ "$size" == "$last" ]]; then
			quiet=$((quiet + 1))
		else
			quiet=0
		fi
		last=$size
		if ((quiet >= 6)) && tail -c +"$((LOG_MARK + 1))" "$SSHD_LOG" |
			grep -Eq 'Connection closed|Disconnected from|Received disconnect|Connection reset|Timeout before authentication|Unable to negotiate|kex_exchange_identification|error: kex|Bad packet|Corrupted|ssh_dispatch_run_fatal|banner exchange|Disconnecting|Close session'; then
			break
		fi
		sleep 0.05
	done
	tail -c +"$((LOG_MARK + 1))" "$SSHD_LOG"
}

# log_settle: wait until the sshd log has been quiet for 0.3 s (at most 3 s).
log_settle() {
	local i size last=-1 quiet=0
	for ((i = 0; i < 60; i++)); do
		size=$(stat -c %s "$SSHD_LOG")
		if [[ "$size" == "$last" ]]; then
			quiet=$((quiet + 1))
			if ((quiet >= 6)); then
				return 0
			fi
		else
			quiet=0
		fi
		last=$size
		sleep 0.05
	done
}

# start_peer NAME SCRIPT [ARG ...]: run a scripted peer (tests/peers/SCRIPT) that listens on a
# port of its choosing and writes it to a port file; sets PEER_PORT and PEER_PID.
start_peer() {
	local name=$1 script=$2 pf pid
	shift 2
	pf="$T_DIR/peer.$name.port"
	rm -f "$pf"
	"$PYTHON" "$PEERS_DIR/$script" --port-file "$pf" "$@" </dev/null >"$T_DIR/peer.$name.log" 2>&1 &
	pid=$!
	t_track_pid "$pid"
	if ! wait_file "$pf" 10; then
		die "peer $script $* did not start: $(tail -n 5 "$T_DIR/peer.$name.log")"
	fi
	PEER_PORT=$(cat "$pf")
	PEER_PID=$pid
	wait_port "$PEER_PORT" "$pid" 5 || die "peer $script is not listening on $PEER_PORT"
}

stop_peer() {
	if [[ -n "${PEER_PID:-}" ]]; then
		kill "$PEER_PID" 2>/dev/null || true
		wait "$PEER_PID" 2>/dev/null || true
		PEER_PID=
	fi
}

# ---------------------------------------------------------------- running the client

CLIENT_KEY="$T_DIR/keys/id_ed25519"
# The client's known_hosts file; tests may point it elsewhere.
KNOWN_HOSTS="$T_DIR/known_hosts"
OUT="$T_DIR/out"
ERR="$T_DIR/err"
RC=0
# Wall-clock limit for one client run (seconds); exceeding it is a failure ("hang").
CLIENT_TIMEOUT="${CLIENT_TIMEOUT:-60}"

# The key exchange of every client run that does not choose one itself (a caller's -o comes first
# and wins): the classical defaults, so that tests not about key exchange do not pay for the
# post-quantum hybrids that lead our defaults (sntrup761 against Debian's sshd). Tests about key
# exchange pass their own -o KexAlgorithms; a test may set CLIENT_KEX_PIN (empty: the defaults).
CLIENT_KEX_PIN="${CLIENT_KEX_PIN-curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256}"

# client_argv_with N ID_WORD... [option ...] -- [command ...]: CLIENT_ARGV = the client, the
# caller's options first (first value wins), the standard ones, the N words after N (the
# identity and login options, or none), the port, 127.0.0.1 and the command.
client_argv_with() {
	local n=$1
	local -a id=("${@:2:n}") opts=() cmd=()
	shift $((n + 1))
	while [[ $# -gt 0 ]]; do
		if [[ "$1" == -- ]]; then
			shift
			cmd=("$@")
			break
		fi
		opts+=("$1")
		shift
	done
	local -a pin=()
	if [[ -n "$CLIENT_KEX_PIN" ]]; then
		pin=(-o "KexAlgorithms=$CLIENT_KEX_PIN")
	fi
	CLIENT_ARGV=("$X509SSH" "${opts[@]}"
		"${pin[@]}"
		-F /dev/null
		-o "UserKnownHostsFile=$KNOWN_HOSTS"
		-o GlobalKnownHostsFile=/dev/null
		-o BatchMode=yes
		-o IdentitiesOnly=yes
		-o LogLevel=ERROR
		"${id[@]}"
		-p "${CLIENT_PORT:-$SSHD_PORT}"
		127.0.0.1 "${cmd[@]}")
}

# client_argv [option ...] -- [command ...]: print nothing, fill the array CLIENT_ARGV with the
# full client command line: the caller's options first (first value wins), then the standard
# ones with the test key (-i) and the local user (-l).
client_argv() {
	make_keys
	client_argv_with 4 -i "$CLIENT_KEY" -l "$(id -un)" "$@"
}

# run_client [option ...] -- [command ...]: run the client (stdin from /dev/null unless
# CLIENT_STDIN names a file), stdout to $OUT, stderr to $ERR, exit status in $RC.
# A run that exceeds CLIENT_TIMEOUT is killed and reported as a hang (RC=124).
run_client() {
	client_argv "$@"
	local in=${CLIENT_STDIN:-/dev/null}
	set +e
	env -u SSH_AUTH_SOCK timeout -k 5 "$CLIENT_TIMEOUT" "${CLIENT_ARGV[@]}" <"$in" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	if [[ "$RC" == 124 || "$RC" == 137 ]]; then
		# timeout(1): 124 = stopped by SIGTERM after CLIENT_TIMEOUT, 137 = SIGKILL 5 s later
		fail "client hung (killed after ${CLIENT_TIMEOUT}s): ${CLIENT_ARGV[*]}"
	fi
	check_sanitizer_report
	return 0
}

# run_client_bare [option ...] -- [command ...]: like run_client, but without -i and -l (the
# caller picks the identity and the login name) and without a controlling terminal; SSH_ASKPASS,
# SSH_ASKPASS_REQUIRE and DISPLAY are removed from the environment, and CLIENT_ENV (an array of
# NAME=VALUE, emptied afterwards) is added to it.
CLIENT_ENV=()
run_client_bare() {
	client_argv_with 0 "$@"
	set +e
	env -u SSH_AUTH_SOCK -u SSH_ASKPASS -u SSH_ASKPASS_REQUIRE -u DISPLAY "${CLIENT_ENV[@]}" \
		setsid -w timeout -k 5 "$CLIENT_TIMEOUT" "${CLIENT_ARGV[@]}" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	CLIENT_ENV=()
	if [[ "$RC" == 124 || "$RC" == 137 ]]; then
		fail "client hung (killed after ${CLIENT_TIMEOUT}s): ${CLIENT_ARGV[*]}"
	fi
	check_sanitizer_report
	return 0
}

# A sanitizer (ASan/UBSan/LSan) report on the client's stderr is always a failure.
check_sanitizer_report() {
	if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: |SUMMARY: (Address|Undefined|Leak)' "$ERR" 2>/dev/null; then
		fail "sanitizer report from the client: $(grep -E -m1 'ERROR: |runtime error: ' "$ERR")"
	fi
}

# run_cmd COMMAND...: run any command with the same capture conventions.
run_cmd() {
	set +e
	timeout -k 5 "$CLIENT_TIMEOUT" "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	return 0
}

# ---------------------------------------------------------------- assertions

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [[ "$2" == "$3" ]]; then
		pass "$1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# expect_ne DESCRIPTION UNEXPECTED ACTUAL
expect_ne() {
	if [[ "$2" != "$3" ]]; then
		pass "$1"
	else
		fail "$1: did not expect '$2'"
	fi
}

# expect_exit EXPECTED [DESCRIPTION]: the last run's exit status.
expect_exit() {
	local what=${2:-exit status}
	if [[ "$RC" == "$1" ]]; then
		pass "$what is $1"
	else
		fail "$what: expected $1, got $RC"
	fi
}

# expect_no_crash [DESCRIPTION]: the last run ended by itself: not killed by a signal (bash
# reports 128+N; 255 is the client's own failure status) and not stopped by the hang timeout.
expect_no_crash() {
	local what=${1:-client}
	if ((RC > 128 && RC < 255)) || [[ "$RC" == 124 ]]; then
		fail "$what: died from a signal or timeout (exit $RC)"
	else
		pass "$what: no crash (exit $RC)"
	fi
}

# expect_stdout_eq EXPECTED [DESCRIPTION]
expect_stdout_eq() {
	expect_eq "${2:-stdout}" "$1" "$(cat "$OUT")"
}

# expect_file_matches FILE REGEX DESCRIPTION (grep -E)
expect_file_matches() {
	if grep -Eq -- "$2" "$1"; then
		pass "$3"
	else
		fail "$3: no line of $(basename "$1") matches /$2/"
	fi
}

# expect_file_not_matches FILE REGEX DESCRIPTION
expect_file_not_matches() {
	if grep -Eq -- "$2" "$1"; then
		fail "$3: unexpected line /$2/: $(grep -E -m1 -- "$2" "$1")"
	else
		pass "$3"
	fi
}

expect_stderr_matches() {
	expect_file_matches "$ERR" "$1" "${2:-stderr matches /$1/}"
}

expect_stderr_not_matches() {
	expect_file_not_matches "$ERR" "$1" "${2:-stderr does not match /$1/}"
}

# expect_error_line CATEGORY [DESCRIPTION]: x509ssh only (a no-op for OpenSSH): stderr holds
# exactly one line starting with "x509ssh: ", and it is "x509ssh: CATEGORY: <cause>".
# CATEGORY may be an ERE alternative such as 'kex|connect'.
expect_error_line() {
	local cat=$1 what=${2:-error line} n
	if ! is_x509ssh; then
		return 0
	fi
	n=$(grep -c '^x509ssh: ' "$ERR" || true)
	if [[ "$n" != 1 ]]; then
		fail "$what: expected exactly one 'x509ssh: ' line on stderr, got $n"
		return 0
	fi
	expect_file_matches "$ERR" "^x509ssh: ($cat): .+" "$what: 'x509ssh: $cat: ...'"
}

# t_done: closing line; exit status 0 only when nothing failed (and something was checked).
t_done() {
	T_DONE_CALLED=1
	printf '%s: %d passed, %d failed\n' "$T_NAME" "$T_PASS" "$T_FAIL"
	if ((T_FAIL > 0 || T_PASS == 0)); then
		exit 1
	fi
	exit 0
}

# Refuse to run without a client binary (a clear message instead of 100 failures).
require_client() {
	if [[ ! -x "$X509SSH" ]]; then
		die "client binary not found: X509SSH=$X509SSH (build first, or set X509SSH)"
	fi
}

# ---------------------------------------------------------------- the hostile SSH server

# start_hostile NAME MODE [hostile_server.py option ...]: start tests/peers/hostile_server.py in
# MODE; its fresh ed25519 host key goes into $T_DIR/hostile.NAME.known_hosts, which becomes
# KNOWN_HOSTS; CLIENT_PORT is its port; HOSTILE_RECORD names its --record file (emptied) and
# HOSTILE_LOG its stderr.
HOSTILE_FAIL_MARK=0
start_hostile() {
	local name=$1 mode=$2
	shift 2
	hostile_diag
	HOSTILE_RECORD="$T_DIR/hostile.$name.record"
	: >"$HOSTILE_RECORD"
	rm -f "$T_DIR/hostile.$name.known_hosts"
	start_peer "$name" hostile_server.py --mode "$mode" --record "$HOSTILE_RECORD" \
		--hostkey-out "$T_DIR/hostile.$name.known_hosts" "$@"
	KNOWN_HOSTS="$T_DIR/hostile.$name.known_hosts"
	CLIENT_PORT=$PEER_PORT
	HOSTILE_LOG="$T_DIR/peer.$name.log"
	HOSTILE_MODE=$mode
}

# hostile_diag: when checks failed since the current hostile server started, print what it
# recorded and logged (start_hostile calls it for the previous server; call it before t_done).
hostile_diag() {
	if [[ -n "${HOSTILE_LOG:-}" && "$T_FAIL" -gt "$HOSTILE_FAIL_MARK" ]]; then
		printf '     hostile server (%s) record:\n' "$HOSTILE_MODE"
		sed 's/^/     | /' "$HOSTILE_RECORD" 2>/dev/null | tail -n 10
		printf '     hostile server (%s) log (last 5 lines):\n' "$HOSTILE_MODE"
		tail -n 5 "$HOSTILE_LOG" 2>/dev/null | sed 's/^/     | /'
	fi
	HOSTILE_FAIL_MARK=$T_FAIL
}

# run_client_timed [option ...] -- [command ...]: run_client, and MS is the wall-clock time it
# took (for diagnostics; pass/fail rests on the hang timeout and on what the client printed).
run_client_timed() {
	local t0
	t0=$(date +%s%N)
	run_client "$@"
	MS=$((($(date +%s%N) - t0) / 1000000))
}

# run_client_rss [option ...] -- [command ...]: run_client through a small Python wrapper that
# reports the peak resident set size of the client (ru_maxrss of the waited-for children, which
# covers timeout(1) and the client under it) in RSS_KB. Under AddressSanitizer the quarantine
# of freed memory is kept small (8 MB) so that the peak reflects what the client holds.
run_client_rss() {
	client_argv "$@"
	local in=${CLIENT_STDIN:-/dev/null}
	set +e
	env -u SSH_AUTH_SOCK ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8" \
		"$PYTHON" -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc if rc >= 0 else 128 - rc)
' "$T_DIR/rss" timeout -k 5 "$CLIENT_TIMEOUT" "${CLIENT_ARGV[@]}" <"$in" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	RSS_KB=$(cat "$T_DIR/rss" 2>/dev/null || echo 0)
	if [[ "$RC" == 124 || "$RC" == 137 ]]; then
		fail "client hung (killed after ${CLIENT_TIMEOUT}s): ${CLIENT_ARGV[*]}"
	fi
	check_sanitizer_report
	return 0
}

# expect_stderr_lines_at_most N DESCRIPTION: the client printed no more than N lines on stderr.
expect_stderr_lines_at_most() {
	local n
	n=$(wc -l <"$ERR")
	if ((n <= $1)); then
		pass "$2 ($n lines)"
	else
		fail "$2: $n lines on stderr, at most $1 expected; first: $(head -n 1 "$ERR" | head -c 200)"
	fi
}

# expect_x509ssh_line REGEX DESCRIPTION: x509ssh only (a no-op for OpenSSH): a stderr line
# matches REGEX (grep -E).
expect_x509ssh_line() {
	if is_x509ssh; then
		expect_stderr_matches "$1" "$2"
	fi
}
