#!/bin/bash
# A question to the user does not stop the poll loop: through a jump host, the destination's
# question (host key, password, keyboard-interactive, AddKeysToAgent ask) goes to an SSH_ASKPASS program that answers
# only once the client's log shows that the jump host's connection was still served meanwhile
# (two keepalives with ServerAliveCountMax 1: the second is only sent when the reply to the first
# was read). A client that blocks on the prompt never logs them: the program gives up and the
# question goes unanswered.
. "$(dirname "$0")/../lib/common.sh"
require_client
if ! is_x509ssh; then
	t_log "skip: the log lines checked are x509ssh's"
	t_done
fi
start_sshd
P1=$SSHD_PORT
start_sshd
P2=$SSHD_PORT
ssh-keygen -q -t ed25519 -N '' -C peer -f "$T_DIR/peer_host" </dev/null
cat >"$T_DIR/rounds.json" <<'JSON'
[
 {"name": "", "instruction": "",
  "prompts": [["Code: ", false, "424242"], ["Colour: ", true, "blue"]]}
]
JSON
start_peer pw x509_server.py --key "$T_DIR/peer_host" --password 'Corr3ct horse' --no-kbdint \
	--log "$T_DIR/peer.pw.userauth"
P_PW=$PEER_PORT
start_peer kbd x509_server.py --key "$T_DIR/peer_host" --kbdint "$T_DIR/rounds.json" \
	--log "$T_DIR/peer.kbd.userauth"
P_KBD=$PEER_PORT

KH1="$T_DIR/kh_bastion"
KH2="$T_DIR/kh_dest"
KHP="$T_DIR/kh_peers"
: >"$KH1"
: >"$KH2"
for t in ed25519 ecdsa rsa; do
	known_hosts_line "$T_DIR/keys/host_$t.pub" "$P1" >>"$KH1"
done
for p in "$P_PW" "$P_KBD"; do
	known_hosts_line "$T_DIR/peer_host.pub" "$p" >>"$KHP"
done
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
Host pw
    Port $P_PW
    UserKnownHostsFile $KHP
    PreferredAuthentications password
    ProxyJump bastion
Host kbd
    Port $P_KBD
    UserKnownHostsFile $KHP
    PreferredAuthentications keyboard-interactive
    ProxyJump bastion
Host addkey
    Port $P2
    UserKnownHostsFile $KH2
    ProxyJump bastion
    IdentityAgent $T_DIR/agent.sock
    AddKeysToAgent ask
Host *
    HostName 127.0.0.1
    User $(id -un)
    IdentityFile $CLIENT_KEY
    IdentitiesOnly yes
    GlobalKnownHostsFile /dev/null
    BatchMode no
EOC
# the askpass program: the answer to its question once the log has two keepalives of the jump
# host, else (after 20 s: the loop is not running) it cancels
cat >"$T_DIR/askpass" <<'SH'
#!/bin/bash
printf '%s\n' "$1" | head -n 1 >>"$ASKPASS_LOG"
case "$1" in
*"Are you sure"*) a=yes ;;
*"password: ") a='Corr3ct horse' ;;
*"Code: ") a=424242 ;;
*"Colour: ") a=blue ;;
*"to the agent? (yes/no) ") a=yes ;;
*) exit 1 ;;
esac
for _ in $(seq 200); do
	if [ "$(grep -c 'keepalive 1 of 1' "$CLIENT_LOG" 2>/dev/null)" -ge 2 ]; then
		printf '%s\n' "$a"
		exit 0
	fi
	sleep 0.1
done
echo "gave up waiting for keepalives" >>"$ASKPASS_LOG"
exit 1
SH
chmod 755 "$T_DIR/askpass"

# run HOST: the client through the jump host, a fresh log and askpass log
run() {
	LOG="$T_DIR/client.$1.log"
	ALOG="$T_DIR/askpass.$1.log"
	: >"$ALOG"
	set +e
	env -u SSH_AUTH_SOCK -u DISPLAY -u WAYLAND_DISPLAY SSH_ASKPASS="$T_DIR/askpass" \
		SSH_ASKPASS_REQUIRE=force ASKPASS_LOG="$ALOG" CLIENT_LOG="$LOG" \
		setsid -w timeout -k 5 "$CLIENT_TIMEOUT" "$X509SSH" -F "$CFG" -v -E "$LOG" "$1" \
		'echo served' </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_sanitizer_report
}

# ---- the host-key question
run dest
expect_exit 0 "the destination's host key accepted while the jump host was served"
expect_stdout_eq "served" "the command ran on the destination"
expect_file_matches "$ALOG" 'authenticity' "the host-key question went to SSH_ASKPASS"
expect_file_not_matches "$ALOG" 'gave up' "the keepalives came during the question"
expect_file_matches "$KH2" "^\\[127.0.0.1\\]:$P2 " "the destination's key was recorded"

# ---- the password
run pw
expect_exit 0 "the password answered while the jump host was served"
expect_stdout_eq "served" "the command ran after the password"
expect_file_matches "$ALOG" "password: \$" "the password went to SSH_ASKPASS"
expect_file_not_matches "$ALOG" 'gave up' "the keepalives came during the password prompt"
expect_file_matches "$T_DIR/peer.pw.userauth" '^auth-ok' "the server took the password"

# ---- keyboard-interactive: two questions of one round, one after the other
run kbd
expect_exit 0 "the keyboard-interactive round answered while the jump host was served"
expect_stdout_eq "served" "the command ran after keyboard-interactive"
expect_eq "both questions asked, in order" "2 Code: Colour: " \
	"$(wc -l <"$ALOG") $(grep -o 'Code: \|Colour: ' "$ALOG" | tr -d '\n')"
expect_file_not_matches "$ALOG" 'gave up' "the keepalives came during the questions"

# ---- AddKeysToAgent ask: the question before the destination's key file signs
command -v ssh-agent >/dev/null || die "ssh-agent missing"
ssh-agent -D -a "$T_DIR/agent.sock" >/dev/null 2>&1 &
t_track_pid $!
for ((i = 0; i < 200; i++)); do [[ -S "$T_DIR/agent.sock" ]] && break; sleep 0.05; done
run addkey
expect_exit 0 "AddKeysToAgent ask answered while the jump host was served"
expect_stdout_eq "served" "the command ran after the question"
expect_file_matches "$ALOG" "^Add key .* to the agent\\? \\(yes/no\\) \$" "the question went to SSH_ASKPASS"
expect_file_not_matches "$ALOG" 'gave up' "the keepalives came during the question"
expect_eq "the key was added" 1 "$(SSH_AUTH_SOCK=$T_DIR/agent.sock ssh-add -l 2>/dev/null | grep -c "$CLIENT_KEY" || true)"
t_done
