#!/bin/bash
# A question to the user does not stop the poll loop: through a jump host, the destination's
# host-key question goes to an SSH_ASKPASS program that answers only once the client's log shows
# that the jump host's connection was still served meanwhile (two keepalives with
# ServerAliveCountMax 1: the second is only sent when the reply to the first was read). A client
# that blocks on the prompt never logs them: the program gives up and the key is refused.
. "$(dirname "$0")/../lib/common.sh"
require_client
if ! is_x509ssh; then
	pass "the log lines checked are x509ssh's: skipped"
	t_done
fi
start_sshd
P1=$SSHD_PORT
start_sshd
P2=$SSHD_PORT
KH1="$T_DIR/kh_bastion"
KH2="$T_DIR/kh_dest"
: >"$KH1"
: >"$KH2"
for t in ed25519 ecdsa rsa; do
	known_hosts_line "$T_DIR/keys/host_$t.pub" "$P1" >>"$KH1"
done
LOG="$T_DIR/client.log"
CFG="$T_DIR/prompt_config"
cat >"$CFG" <<EOC
Host bastion
    Port $P1
    UserKnownHostsFile $KH1
    ServerAliveInterval 1
    ServerAliveCountMax 1
Host dest
    Port $P2
    UserKnownHostsFile $KH2
    StrictHostKeyChecking ask
    ProxyJump bastion
Host *
    HostName 127.0.0.1
    User $(id -un)
    IdentityFile $CLIENT_KEY
    IdentitiesOnly yes
    GlobalKnownHostsFile /dev/null
    BatchMode no
EOC
# the askpass program: "yes" once the log has two keepalives of the jump host, else (after
# 20 s: the loop is not running) it cancels
cat >"$T_DIR/askpass" <<'SH'
#!/bin/bash
printf '%s\n' "$1" | head -n 1 >>"$ASKPASS_LOG"
for _ in $(seq 200); do
	if [ "$(grep -c 'keepalive 1 of 1' "$CLIENT_LOG" 2>/dev/null)" -ge 2 ]; then
		echo yes
		exit 0
	fi
	sleep 0.1
done
echo "gave up waiting for keepalives" >>"$ASKPASS_LOG"
exit 1
SH
chmod 755 "$T_DIR/askpass"

set +e
env -u SSH_AUTH_SOCK -u DISPLAY SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force \
	ASKPASS_LOG="$T_DIR/askpass.log" CLIENT_LOG="$LOG" \
	setsid -w timeout -k 5 "$CLIENT_TIMEOUT" "$X509SSH" -F "$CFG" -v -E "$LOG" dest \
	'echo served' </dev/null >"$OUT" 2>"$ERR"
RC=$?
set -e
check_sanitizer_report
expect_exit 0 "the destination's host key accepted while the jump host was served"
expect_stdout_eq "served" "the command ran on the destination"
expect_file_matches "$T_DIR/askpass.log" 'authenticity' "the host-key question went to SSH_ASKPASS"
expect_file_not_matches "$T_DIR/askpass.log" 'gave up' "the keepalives came during the question"
expect_file_matches "$KH2" "^\\[127.0.0.1\\]:$P2 " "the destination's key was recorded"
t_done
