#!/bin/bash
# ProxyJump / -J: the destination is reached through jump hosts in one process, each hop's bytes
# over a direct-tcpip channel of the hop before, each with its own Host block (user, port, key,
# known_hosts). Three Debian sshd instances on loopback: one and two jumps, ProxyJump in the
# config and on the command line, a jump host's own ProxyJump, a loop, "none", byte-exact data, the remote exit status, and a hop that
# fails is named in the one error line.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/forward.sh"
require_client
start_sshd
P1=$SSHD_PORT
L1=$SSHD_LOG
start_sshd
P2=$SSHD_PORT
L2=$SSHD_LOG
start_sshd
P3=$SSHD_PORT
KH="$T_DIR/jump_known_hosts"
: >"$KH"
for p in "$P1" "$P2" "$P3"; do
	for t in ed25519 ecdsa rsa; do
		known_hosts_line "$T_DIR/keys/host_$t.pub" "$p" >>"$KH"
	done
done
CFG="$T_DIR/jump_config"
cat >"$CFG" <<EOC
Host bastion1
    Port $P1
Host bastion2
    Port $P2
Host router
    Port $P3
Host router-via
    Port $P3
    ProxyJump bastion1
Host b2
    Port $P2
    ProxyJump bastion1
Host loopa
    Port $P1
    ProxyJump loopb
Host loopb
    Port $P2
    ProxyJump loopa
Host badhop
    Port $P1
    User nosuchuser-x509ssh
Host *
    HostName 127.0.0.1
    User $(id -un)
    IdentityFile $CLIENT_KEY
    IdentitiesOnly yes
    UserKnownHostsFile $KH
    GlobalKnownHostsFile /dev/null
    BatchMode yes
    LogLevel ERROR
EOC

jc() { # jc OPT... -- CMD: the client with the jump config
	local -a opts=()
	while [[ $# -gt 0 && "$1" != -- ]]; do opts+=("$1"); shift; done
	shift
	set +e
	env -u SSH_AUTH_SOCK timeout -k 5 "$CLIENT_TIMEOUT" "$X509SSH" -F "$CFG" "${opts[@]}" "$@" \
		<"${CLIENT_STDIN:-/dev/null}" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_sanitizer_report
}

jc -J bastion1 router -- 'echo "$SSH_CONNECTION"'
expect_exit 0 "one jump (-J)"
expect_file_matches "$OUT" " $P3\$" "the command ran on the destination (port $P3)"

jc router-via -- 'exit 7'
expect_exit 7 "ProxyJump from the config: the remote exit status"

make_blob big 20
CLIENT_STDIN="$T_DIR/big" jc -J bastion1,bastion2 router -- cat
expect_exit 0 "two jumps"
expect_eq "two jumps: 20 MiB byte-exact" "$(sha256_of "$T_DIR/big")" "$(sha256_of "$OUT")"

log_mark
jc -J "$(id -un)@127.0.0.1:$P1" router -- true
expect_exit 0 "-J user@host:port (no Host block for the hop)"

jc -J none router-via -- 'echo "$SSH_CONNECTION"'
expect_exit 0 "-J none overrides ProxyJump of the config"
expect_file_matches "$OUT" " $P3\$" "-J none: straight to the destination"

# a jump host's own ProxyJump is followed (as OpenSSH): -J b2 reaches b2 through bastion1.
# Each sshd logs (DEBUG1) the direct-tcpip channels it opened before their data flows.
M1=$(stat -c %s "$L1")
M2=$(stat -c %s "$L2")
jc -J b2 router -- 'echo "$SSH_CONNECTION"'
expect_exit 0 "-J b2, whose Host block says ProxyJump bastion1"
expect_file_matches "$OUT" " $P3\$" "-J b2: the command ran on the destination (port $P3)"
tail -c +"$((M1 + 1))" "$L1" >"$T_DIR/jump_l1"
tail -c +"$((M2 + 1))" "$L2" >"$T_DIR/jump_l2"
expect_file_matches "$T_DIR/jump_l1" "direct_tcpip.*target 127.0.0.1 port $P2([^0-9]|$)" \
	"bastion1 opened the channel to b2 (b2's own ProxyJump was followed)"
expect_file_matches "$T_DIR/jump_l2" "direct_tcpip.*target 127.0.0.1 port $P3([^0-9]|$)" \
	"b2 opened the channel to the destination"

# jump hosts whose ProxyJump lead back to themselves: one config line, nothing connects
if is_x509ssh; then
	jc -J loopa router -- true
	expect_exit 255 "a ProxyJump loop"
	expect_error_line "config" "a ProxyJump loop: one error line"
	expect_stderr_matches "ProxyJump: loop: loopa -> loopb -> loopa" "the line names the loop"
	jc loopa -- true
	expect_exit 255 "a destination whose ProxyJump loops"
	expect_stderr_matches "ProxyJump: loop: loopb -> loopa -> loopb" "the loop from the destination"
fi

# a hop that cannot reach the next one: named in the one error line
DEAD=$(free_port)
jc -J bastion1 -p "$DEAD" router -- true
expect_exit 255 "the destination port is closed behind the jump host"
expect_error_line "connect" "a refused hop: one error line"
if is_x509ssh; then
	expect_stderr_matches "jump host bastion1" "the line names the jump host"
fi

# the jump host itself refuses us (an unknown user): the hop is named
jc -J badhop router -- true
expect_exit 255 "a jump host that refuses authentication"
expect_error_line "auth" "a refused login at a jump host: one error line"
if is_x509ssh; then
	expect_stderr_matches "auth: jump host badhop" "the auth line names the jump host"
fi

t_done
