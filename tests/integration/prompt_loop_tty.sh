#!/bin/bash
# The terminal's prompts in the poll loop (driven in tmux): through a jump host, the destination's
# host-key question and then its password are asked on the terminal (/dev/tty, the password
# without echo), and while each waits for the user the jump host's connection is still served:
# the client's log shows two of its keepalives (ServerAliveCountMax 1: the second is only sent
# once the reply to the first was read) before anything is typed. A client that blocks on the
# terminal logs none. The terminal settings are the same before and after.
. "$(dirname "$0")/../lib/common.sh"
require_client
if ! is_x509ssh; then
	t_log "skip: the log lines checked are x509ssh's"
	t_done
fi
. "$T_LIB_DIR/tmux.sh"

start_sshd
P1=$SSHD_PORT
ssh-keygen -q -t ed25519 -N '' -C peer -f "$T_DIR/peer_host" </dev/null
start_peer pw x509_server.py --key "$T_DIR/peer_host" --password 'Corr3ct horse' --no-kbdint \
	--log "$T_DIR/peer.pw.userauth"
P2=$PEER_PORT
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
    IdentityFile $CLIENT_KEY
    ServerAliveInterval 1
    ServerAliveCountMax 1
Host dest
    Port $P2
    UserKnownHostsFile $KH2
    StrictHostKeyChecking ask
    PreferredAuthentications password
    ProxyJump bastion
Host dest2
    Port $P2
    UserKnownHostsFile $T_DIR/kh_dest2
    StrictHostKeyChecking ask
    ProxyJump bastion
Host *
    HostName 127.0.0.1
    User $(id -un)
    IdentitiesOnly yes
    GlobalKnownHostsFile /dev/null
    BatchMode no
EOC

tm new-session -d -s s -x 150 -y 40 env -u SSH_AUTH_SOCK -u SSH_ASKPASS -u DISPLAY \
	-u WAYLAND_DISPLAY bash "$T_DIR/wrap.sh" "$T_DIR" "$X509SSH" -F "$CFG" -v -E "$LOG" dest \
	'echo served-$((6*7))'
expect_true "the host-key question is on the terminal" pane_wait 'Are you sure you want to continue connecting'
expect_true "the jump host is served during the question" keepalives 2
tm send-keys -t s 'yes' Enter
expect_true "the password is asked on the terminal" pane_wait "password: *\$"
n=$(nkeepalives)
expect_true "the jump host is served during the password prompt" keepalives $((n + 2))
tm send-keys -t s 'Corr3ct horse' Enter
expect_true "the client ends" wait_file "$T_DIR/rc" 20
expect_eq "exit status" 0 "$(cat "$T_DIR/rc" 2>/dev/null)"
expect_true "the command ran on the destination" pane_wait '^served-42'
if tm capture-pane -p -t s -S -500 | grep -q 'Corr3ct'; then
	fail "the password was echoed"
else
	pass "the password was not echoed"
fi
expect_file_matches "$KH2" "^\\[127.0.0.1\\]:$P2 " "the destination's key was recorded"
expect_eq "terminal settings restored" "$(cat "$T_DIR/stty.before")" "$(cat "$T_DIR/stty.after" 2>/dev/null)"

# ---- ^C during the question (while the jump host is served): the terminal is restored, then
# the signal does what it would have done (here: it kills the client, as it does OpenSSH's); the
# pane's shell traps it to record the status
sed -i 's/^d=\$1$/d=$1\ntrap true INT/' "$T_DIR/wrap.sh"
tm kill-server 2>/dev/null || true
rm -f "$T_DIR/rc" "$T_DIR/stty.before" "$T_DIR/stty.after"
: >"$LOG"
for i in 1 2 3 4 5; do
	tm new-session -d -s s -x 150 -y 40 env -u SSH_AUTH_SOCK -u SSH_ASKPASS -u DISPLAY \
		-u WAYLAND_DISPLAY bash "$T_DIR/wrap.sh" "$T_DIR" "$X509SSH" -F "$CFG" -v -E "$LOG" \
		dest2 true 2>/dev/null && break
	sleep 0.2
done
expect_true "the question is on the terminal again" pane_wait 'Are you sure you want to continue connecting'
tm send-keys -t s C-c
expect_true "the client ends on ^C" wait_file "$T_DIR/rc" 20
expect_eq "killed by SIGINT" 130 "$(cat "$T_DIR/rc" 2>/dev/null)"
expect_eq "terminal settings restored after ^C" "$(cat "$T_DIR/stty.before")" "$(cat "$T_DIR/stty.after" 2>/dev/null)"
expect_eq "nothing recorded after ^C" "" "$(cat "$T_DIR/kh_dest2" 2>/dev/null)"
t_done
