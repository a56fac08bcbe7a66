#!/bin/bash
# A two-minute tour: install what is missing, build, start a throwaway sshd on 127.0.0.1,
# connect to it with `x509ssh -v` (the host key accepted into a temporary known_hosts), run a
# command, and tell what happened in a few readable lines.
#
# Environment: BUILD_DIR (default build/), DEMO_SKIP_BUILD=1 to use an existing binary,
# X509SSH to demo another client binary (e.g. /usr/bin/ssh).
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
. "$SRC/tests/lib/install.sh"
BUILD_DIR=${BUILD_DIR:-$SRC/build}

if [[ "${DEMO_SKIP_BUILD:-0}" != 1 ]]; then
	echo "== installing missing packages (if any)"
	x509ssh_install_deps
	echo "== building into $BUILD_DIR"
	if ! x509ssh_build "$BUILD_DIR" >"${TMPDIR:-/tmp}/x509ssh-demo-build.log" 2>&1; then
		tail -n 20 "${TMPDIR:-/tmp}/x509ssh-demo-build.log"
		echo "build failed (full log: ${TMPDIR:-/tmp}/x509ssh-demo-build.log)"
		exit 1
	fi
fi

export X509SSH_SRC=$SRC X509SSH_BUILD=$BUILD_DIR
. "$SRC/tests/lib/common.sh"
require_client

echo "== starting a throwaway sshd"
start_sshd
kh="$T_DIR/demo_known_hosts"
common=(-F /dev/null -o "UserKnownHostsFile=$kh" -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes
	-o IdentitiesOnly=yes -i "$CLIENT_KEY" -l "$(id -un)" -p "$SSHD_PORT")
remote_cmd='echo "hello from $(hostname) as $(id -un), remote shell $0"'

echo "== $(basename "$X509SSH") -v -o StrictHostKeyChecking=accept-new ... 127.0.0.1 '$remote_cmd'"
log_mark
set +e
env -u SSH_AUTH_SOCK timeout 60 "$X509SSH" -v -o StrictHostKeyChecking=accept-new "${common[@]}" 127.0.0.1 "$remote_cmd" \
	>"$T_DIR/demo.out" 2>"$T_DIR/demo.err"
rc=$?
set -e
log_since_mark >"$T_DIR/demo.sshd"

echo
echo "-- what happened --------------------------------------------------------------"
printf 'client:        %s\n' "$X509SSH"
printf 'server:        OpenSSH sshd on 127.0.0.1 port %s (%s)\n' "$SSHD_PORT" "$("$SSHD_BIN" -V 2>&1 | head -n 1 || true)"
printf 'key exchange:  %s\n' "$(sed -n 's/.*kex: algorithm: \([^ ]*\).*/\1/p' "$T_DIR/demo.sshd" | head -n 1)"
printf 'host key:      %s\n' "$(sed -n 's/.*kex: host key algorithm: \([^ ]*\).*/\1/p' "$T_DIR/demo.sshd" | head -n 1)"
printf 'cipher / MAC:  %s\n' "$(sed -n 's/.*server->client cipher: \([^ ]*\) MAC: \([^ ]*\).*/\1 \/ \2/p' "$T_DIR/demo.sshd" | head -n 1)"
printf 'known_hosts:   %s\n' "$(if [[ -s "$kh" ]]; then awk '{print $1, $2, substr($3, 1, 24) "..."}' "$kh" | head -n 1; else echo "(nothing written)"; fi)"
printf 'user auth:     %s\n' "$(grep -m1 -o 'Accepted publickey for [^ ]* from [^ ]* port [0-9]* ssh2: [^ ]*' "$T_DIR/demo.sshd" || echo "(not accepted)")"
printf 'remote output: %s\n' "$(head -n 3 "$T_DIR/demo.out")"
printf 'exit status:   %s\n' "$rc"
echo
echo "-- the first lines of the client's -v output ------------------------------------"
head -n 15 "$T_DIR/demo.err"
echo "($(wc -l <"$T_DIR/demo.err") lines in all)"

echo
echo "== connecting again: the host key is now known (StrictHostKeyChecking=yes)"
set +e
env -u SSH_AUTH_SOCK timeout 60 "$X509SSH" -o StrictHostKeyChecking=yes "${common[@]}" 127.0.0.1 'echo "second connection ok"'
rc2=$?
set -e
printf 'exit status:   %s\n' "$rc2"

if [[ "$rc" == 0 && "$rc2" == 0 ]]; then
	echo "demo: OK"
	T_PASS=1
else
	echo "demo: FAILED"
	T_FAIL=1
fi
t_done >/dev/null
