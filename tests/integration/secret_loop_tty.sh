#!/bin/bash
# A token's PIN and a key file's passphrase on the terminal, in the poll loop (driven in tmux):
# through a jump host, the destination's question is asked on /dev/tty without echo, and while it
# waits the jump host's connection is still served: the client's log shows two more of its
# keepalives (ServerAliveCountMax 1: the second is only sent once the reply to the first was
# read) before anything is typed. A client that blocks on the terminal logs none. The terminal
# settings are the same before and after.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/softhsm.sh"
require_client
if ! is_x509ssh; then
	t_log "skip: the log lines checked are x509ssh's"
	t_done
fi
. "$T_LIB_DIR/tmux.sh"
make_keys
softhsm_use # $P, $M, $PIN, $TOK

K="$T_DIR/enc"
mkdir -p "$K"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/plain.pem" 2>/dev/null
openssl pkcs8 -topk8 -in "$K/plain.pem" -out "$K/key" -passout pass:Sekr1t-phrase -v2 aes-256-cbc
chmod 600 "$K/key" "$K/plain.pem"
ssh-keygen -y -f "$K/plain.pem" >"$K/key.pub"
{
	cat "$K/key.pub"
	ssh-keygen -i -m PKCS8 -f "$P/ec.pub.pem"
} >>"$T_DIR/authorized_keys"
start_sshd
P1=$SSHD_PORT
start_sshd
P2=$SSHD_PORT
KH="$T_DIR/kh"
trust_host_keys "$KH" "$P1"
trust_host_keys "$KH.2" "$P2"
cat "$KH.2" >>"$KH"

LOG="$T_DIR/client.log"
CFG="$T_DIR/config"
cat >"$CFG" <<EOC
Host bastion
    Port $P1
    IdentityFile $CLIENT_KEY
    ServerAliveInterval 1
    ServerAliveCountMax 1
Host tok
    IdentityFile "$TOK;object=ec?module-path=$M"
Host enc
    IdentityFile $K/key
Host tok enc
    Port $P2
    ProxyJump bastion
Host *
    HostName 127.0.0.1
    User $(id -un)
    IdentitiesOnly yes
    UserKnownHostsFile $KH
    GlobalKnownHostsFile /dev/null
    BatchMode no
EOC

# ask HOST QUESTION SECRET: the client in a fresh pane; QUESTION on the terminal while the jump
# host is served, SECRET typed, the command runs, nothing echoed, the terminal restored
ask() {
	local host=$1 question=$2 secret=$3 i n
	tm kill-server 2>/dev/null || true
	rm -f "$T_DIR/rc" "$T_DIR/stty.before" "$T_DIR/stty.after"
	: >"$LOG"
	for i in 1 2 3 4 5; do
		tm new-session -d -s s -x 150 -y 40 env -u SSH_AUTH_SOCK -u SSH_ASKPASS -u DISPLAY \
			-u WAYLAND_DISPLAY bash "$T_DIR/wrap.sh" "$T_DIR" "$X509SSH" -F "$CFG" -v \
			-E "$LOG" "$host" 'echo served-$((6*7))' 2>/dev/null && break
		sleep 0.2
	done
	expect_true "$host: the question is on the terminal" pane_wait "$question"
	n=$(nkeepalives)
	expect_true "$host: the jump host is served during the question" keepalives $((n + 2))
	tm send-keys -t s "$secret" Enter
	expect_true "$host: the client ends" wait_file "$T_DIR/rc" 20
	expect_eq "$host: exit status" 0 "$(cat "$T_DIR/rc" 2>/dev/null)"
	expect_true "$host: the command ran on the destination" pane_wait '^served-42'
	if tm capture-pane -p -t s -S -500 | grep -qF -- "$secret"; then
		fail "$host: the secret was echoed"
	else
		pass "$host: the secret was not echoed"
	fi
	expect_eq "$host: terminal settings restored" "$(cat "$T_DIR/stty.before")" \
		"$(cat "$T_DIR/stty.after" 2>/dev/null)"
}

ask tok "Enter PIN for token 'x509ssh-test': *\$" "$PIN"
ask enc "Enter passphrase for key '$K/key': *\$" "Sekr1t-phrase"
t_done
