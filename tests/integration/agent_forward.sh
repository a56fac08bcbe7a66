#!/bin/bash
# Agent forwarding (-A / -a / ForwardAgent) to Debian's sshd with OpenSSH's ssh-agent started
# here: with -A the remote `ssh-add -l` lists the local agent's key and `ssh-add -L` prints the
# very lines the local one prints; without it (default, -a, ForwardAgent no) the remote side has
# no agent (ssh-add's exit 2); ForwardAgent as a path and as $VAR; a forwarded agent that is
# not there refuses the channel with a -v line and the session goes on; through one -J hop only
# the destination forwards, and it lists the key.
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys
command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null || die "ssh-agent/ssh-add missing"

K=$T_DIR/fk
mkdir -p "$K"
ssh-keygen -q -t ed25519 -N '' -C fwd-ed -f "$K/ed" </dev/null
ssh-keygen -q -t ecdsa -b 256 -N '' -C fwd-ec -f "$K/ec" </dev/null
AS=$T_DIR/agent.sock
ssh-agent -D -a "$AS" >/dev/null 2>&1 &
t_track_pid $!
for ((i = 0; i < 200; i++)); do [[ -S "$AS" ]] && break; sleep 0.05; done
[[ -S "$AS" ]] || die "ssh-agent did not start"
SSH_AUTH_SOCK=$AS ssh-add -q "$K/ed" "$K/ec" 2>/dev/null || die "ssh-add failed"
FP=$(ssh-keygen -lf "$K/ed.pub" | cut -d' ' -f2 | sed 's/[+.]/\\&/g')
SSH_AUTH_SOCK=$AS ssh-add -L >"$T_DIR/local.L" || die "local ssh-add -L failed"

start_sshd "AllowAgentForwarding yes"

# the login is the plain key file: the agent is only what is forwarded
fwd() { # fwd [option ...] -- command
	CLIENT_ENV=(SSH_AUTH_SOCK="$AS")
	run_client_bare -l "$(id -un)" -i "$CLIENT_KEY" "$@"
}

fwd -A -- 'ssh-add -l'
expect_exit 0 "-A: the remote ssh-add -l succeeds"
expect_file_matches "$OUT" "$FP" "-A: the remote side lists the local agent's key"
expect_eq "-A: both keys listed" 2 "$(wc -l <"$OUT")"

fwd -A -- 'ssh-add -L'
expect_exit 0 "-A: the remote ssh-add -L succeeds"
cp "$OUT" "$T_DIR/remote.L"
if cmp -s "$T_DIR/local.L" "$T_DIR/remote.L"; then
	pass "-A: the remote ssh-add -L is byte-exact the local one"
else
	fail "-A: remote ssh-add -L differs: $(diff "$T_DIR/local.L" "$T_DIR/remote.L" | head -5)"
fi

# a signature through the forwarded agent: the remote side checks it (ssh-keygen -Y needs the
# agent to sign, then verifies with the public key it listed)
fwd -A -- 'ssh-add -L | head -1 >/tmp/.x509ssh-fwd.$$ && echo data | ssh-keygen -Y sign -q -n test -f /tmp/.x509ssh-fwd.$$ >/tmp/.x509ssh-fwd.sig.$$ && echo signed; rm -f /tmp/.x509ssh-fwd.$$ /tmp/.x509ssh-fwd.sig.$$'
expect_exit 0 "-A: the remote side signs through the forwarded agent"
expect_eq "-A: the signature was made" "signed" "$(cat "$OUT")"

# off by default, and -a / ForwardAgent no
fwd -- 'ssh-add -l'
expect_exit 2 "default: the remote side has no agent (ssh-add's exit 2)"
fwd -a -- 'ssh-add -l'
expect_exit 2 "-a: no agent on the remote side"
fwd -o ForwardAgent=no -- 'ssh-add -l'
expect_exit 2 "ForwardAgent no: no agent on the remote side"
# the engine says it asks (and sends no request without -A)
fwd -A -o LogLevel=DEBUG1 -- 'ssh-add -l'
expect_file_matches "$ERR" "Requesting authentication agent forwarding" "-A: -vv says the request went out"
fwd -o LogLevel=DEBUG1 -- 'ssh-add -l'
expect_file_not_matches "$ERR" "Requesting authentication agent forwarding" "default: no request"

# ForwardAgent PATH and $VAR: another socket than IdentityAgent's
CLIENT_ENV=()
run_client_bare -l "$(id -un)" -i "$CLIENT_KEY" -o IdentityAgent=none -o "ForwardAgent=$AS" -- 'ssh-add -l'
expect_exit 0 "ForwardAgent PATH: the remote side lists the key"
expect_file_matches "$OUT" "$FP" "ForwardAgent PATH: the key's fingerprint"
CLIENT_ENV=(FWDSOCK="$AS")
run_client_bare -l "$(id -un)" -i "$CLIENT_KEY" -o 'ForwardAgent=$FWDSOCK' -- 'ssh-add -l'
expect_exit 0 "ForwardAgent \$VAR: the remote side lists the key"
expect_file_matches "$OUT" "$FP" "ForwardAgent \$VAR: the key's fingerprint"
# ForwardAgent yes with no agent at all: nothing asked, no agent remotely
CLIENT_ENV=()
run_client_bare -l "$(id -un)" -i "$CLIENT_KEY" -A -v -- 'ssh-add -l'
expect_exit 2 "ForwardAgent yes without an agent: no agent remotely"
expect_file_matches "$ERR" "ForwardAgent: no agent \\(SSH_AUTH_SOCK\\): not forwarding" "no agent: the -v line"

# the forwarded agent is gone when the server opens the channel: refused, a -v line, the
# session goes on
run_client_bare -l "$(id -un)" -i "$CLIENT_KEY" -o "ForwardAgent=$T_DIR/gone.sock" -v -- 'ssh-add -l; echo after=$?'
expect_exit 0 "agent gone: the session goes on"
expect_file_matches "$OUT" "^after=[1-9][0-9]*$" "agent gone: the remote ssh-add fails (1, or 141: SIGPIPE as sshd drops it)"
expect_file_matches "$ERR" "agent forwarding \\(channel [0-9]+\\) -> $T_DIR/gone\\.sock: cannot connect to the agent: No such file or directory" \
	"agent gone: one -v line"

# -G prints it
run_cmd "$X509SSH" -G -F /dev/null -A h.example
expect_file_matches "$OUT" '^forwardagent yes$' "-G: forwardagent yes with -A"
run_cmd "$X509SSH" -G -F /dev/null h.example
expect_file_matches "$OUT" '^forwardagent no$' "-G: forwardagent no by default"

# ---- through one -J hop: only the destination forwards (ForwardAgent from each host's block;
# -A is the destination's)
P_DEST=$SSHD_PORT
L_DEST=$SSHD_LOG
start_sshd "AllowAgentForwarding yes"
P_JUMP=$SSHD_PORT
KH=$T_DIR/jump_known_hosts
: >"$KH"
for p in "$P_DEST" "$P_JUMP"; do
	for t in ed25519 ecdsa rsa; do known_hosts_line "$T_DIR/keys/host_$t.pub" "$p" >>"$KH"; done
done
CFG=$T_DIR/jump_config
cat >"$CFG" <<EOC
Host bastion
    Port $P_JUMP
Host dest
    Port $P_DEST
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
jc() { # jc OPT... -- CMD
	local -a opts=()
	while [[ $# -gt 0 && "$1" != -- ]]; do opts+=("$1"); shift; done
	shift
	set +e
	env SSH_AUTH_SOCK="$AS" timeout -k 5 "$CLIENT_TIMEOUT" "$X509SSH" -F "$CFG" "${opts[@]}" "$@" \
		</dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_sanitizer_report
}
jc -A -J bastion dest -- 'echo "$SSH_CONNECTION"; ssh-add -l'
expect_exit 0 "-J: the destination's ssh-add -l succeeds"
expect_file_matches "$OUT" " $P_DEST\$" "-J: the command ran on the destination"
expect_file_matches "$OUT" "$FP" "-J: the destination lists the forwarded key"
jc -A -J bastion dest -- 'ssh-add -L'
if cmp -s "$T_DIR/local.L" "$OUT"; then
	pass "-J: the destination's ssh-add -L is byte-exact the local one"
else
	fail "-J: ssh-add -L differs"
fi
# the jump host was not asked to forward: its sshd logs no agent request
if grep -q "auth-agent-req@openssh.com" "$SSHD_LOG"; then
	fail "-J: the jump host got an agent request"
else
	pass "-J: the jump host got no agent request"
fi
expect_file_matches "$L_DEST" "auth-agent-req@openssh.com" "-J: the destination got the agent request"
jc -J bastion dest -- 'ssh-add -l'
expect_exit 2 "-J without -A: no agent on the destination"

t_done
