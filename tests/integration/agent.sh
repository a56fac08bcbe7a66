#!/bin/bash
# x509ssh signs through OpenSSH's ssh-agent (started here) against Debian's sshd: a key file
# whose private half only the agent can use (encrypted on disk, BatchMode; or only KEY.pub left,
# as ssh-copy-id does), RSA with each hash (the agent's SHA-2 flags), ECDSA P-384, Ed25519;
# IdentityAgent (path, $VAR, none) and SSH_AUTH_SOCK; IdentitiesOnly keeps unconfigured agent
# keys out; at most 5 unconfigured agent keys are offered; a missing agent, or one not running
# (its socket left behind), is no error, but named in the error line when the login fails; a key
# removed from the agent, or a confirmation the agent's askpass declines, goes on with the next
# identity with one line (agent_x509.sh: a key removed between listing and signing).
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys
command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null || die "ssh-agent/ssh-add missing"

K=$T_DIR/ak
mkdir -p "$K"
newkey() { # newkey NAME TYPE [BITS]
	ssh-keygen -q -t "$2" ${3:+-b "$3"} -N '' -C "agent-$1" -f "$K/$1" </dev/null
	chmod 600 "$K/$1"
}
fp_re() { ssh-keygen -lf "$1" | cut -d' ' -f2 | sed 's/[+.]/\\&/g'; }
newkey ed ed25519
newkey rsa rsa 2048
newkey ec384 ecdsa 384
newkey extra ed25519
for i in 1 2 3 4 5 6; do newkey "x$i" ed25519; done

# the agent, its own askpass (for ssh-add -c confirmations): says no
cat >"$T_DIR/deny" <<'EOS'
#!/bin/sh
exit 1
EOS
chmod 755 "$T_DIR/deny"
AS=$T_DIR/agent.sock
env SSH_ASKPASS="$T_DIR/deny" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ssh-agent -D -a "$AS" >/dev/null 2>&1 &
t_track_pid $!
for ((i = 0; i < 200; i++)); do [[ -S "$AS" ]] && break; sleep 0.05; done
[[ -S "$AS" ]] || die "ssh-agent did not start"
add() { SSH_AUTH_SOCK=$AS ssh-add -q "$@" 2>/dev/null || die "ssh-add $* failed"; }
add "$K/ed" "$K/rsa" "$K/ec384"
# on disk now encrypted: without the agent a BatchMode run cannot use them
for k in ed rsa ec384; do ssh-keygen -q -p -P '' -N secret -f "$K/$k" >/dev/null; done

cat "$K/ed.pub" "$K/rsa.pub" "$K/ec384.pub" >"$T_DIR/authorized_keys"
start_sshd

# agent_login WHAT KEY [option ...] [-- command]: logs in with the agent given by IdentityAgent,
# sshd accepted KEY
agent_login() {
	local what=$1 k=$2
	shift 2
	log_mark
	run_client_bare -l "$(id -un)" -o "IdentityAgent=$AS" "$@" -- echo agent-ok
	expect_exit 0 "$what: exit status"
	expect_eq "$what: output" "agent-ok" "$(cat "$OUT")"
	log_since_mark >"$T_DIR/slice"
	expect_file_matches "$T_DIR/slice" "Accepted publickey for $(id -un) from 127\\.0\\.0\\.1 .*$(fp_re "$K/$k.pub")" \
		"$what: sshd accepted the agent's $k key"
}

# ---- without the agent: the encrypted file is skipped in BatchMode (the test is meaningful)
run_client_bare -l "$(id -un)" -i "$K/ed" -- echo agent-ok
expect_exit 255 "no agent: exit status"
expect_error_line auth "no agent"

agent_login "Ed25519 key file held by the agent" ed -i "$K/ed"
agent_login "RSA, rsa-sha2-256" rsa -i "$K/rsa" -o PubkeyAcceptedAlgorithms=rsa-sha2-256
expect_file_matches "$T_DIR/slice" "Accepted publickey .* RSA SHA256" "rsa-sha2-256: RSA key"
agent_login "RSA, rsa-sha2-512" rsa -i "$K/rsa" -o PubkeyAcceptedAlgorithms=rsa-sha2-512
agent_login "RSA, ssh-rsa (SHA-1, no flag)" rsa -i "$K/rsa" -o PubkeyAcceptedAlgorithms=ssh-rsa
agent_login "ECDSA P-384" ec384 -i "$K/ec384"
# -v says the key went through the agent
agent_login "-v names the agent" ed -i "$K/ed" -o LogLevel=DEBUG1
expect_file_matches "$ERR" "Will attempt key: $K/ed \\(agent\\)" "-v: the key is offered through the agent"

# -i KEY.pub with the private half only in the agent (ssh-copy-id)
mkdir -p "$T_DIR/pubonly"
cp "$K/ed.pub" "$T_DIR/pubonly/ed.pub"
agent_login "-i KEY.pub" ed -i "$T_DIR/pubonly/ed.pub"

# SSH_AUTH_SOCK, and IdentityAgent as a variable
log_mark
CLIENT_ENV=(SSH_AUTH_SOCK="$AS")
run_client_bare -l "$(id -un)" -i "$K/ed" -- echo agent-ok
expect_exit 0 "SSH_AUTH_SOCK: exit status"
CLIENT_ENV=(MYAGENT="$AS")
run_client_bare -l "$(id -un)" -i "$K/ed" -o 'IdentityAgent=$MYAGENT' -- echo agent-ok
expect_exit 0 "IdentityAgent \$VAR: exit status"
CLIENT_ENV=(SSH_AUTH_SOCK="$AS")
run_client_bare -l "$(id -un)" -i "$K/ed" -o IdentityAgent=none -- echo agent-ok
expect_exit 255 "IdentityAgent none: the agent is not used"

# ---- a missing agent is no error: silent at the default level, one -v line
cat "$CLIENT_KEY.pub" >>"$T_DIR/authorized_keys"
CLIENT_ENV=(SSH_AUTH_SOCK="$T_DIR/nonexistent.sock")
run_client_bare -l "$(id -un)" -i "$CLIENT_KEY" -o LogLevel=INFO -- echo agent-ok
expect_exit 0 "missing agent (SSH_AUTH_SOCK): the key file is used"
expect_eq "missing agent: nothing said at the default level" "" "$(cat "$ERR")"
run_client_bare -l "$(id -un)" -i "$CLIENT_KEY" -o "IdentityAgent=$T_DIR/nonexistent.sock" -v -- echo agent-ok
expect_exit 0 "missing agent (IdentityAgent): the key file is used"
expect_file_matches "$ERR" "agent socket $T_DIR/nonexistent\\.sock \\(IdentityAgent\\): No such file or directory" \
	"missing agent: one -v line"

# ---- an agent that is not running (its socket left behind): the same, and when the login fails
# the one error line says the agent was not there
"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T_DIR/stale.sock"
CLIENT_ENV=(SSH_AUTH_SOCK="$T_DIR/stale.sock")
run_client_bare -l "$(id -un)" -i "$CLIENT_KEY" -o LogLevel=INFO -- echo agent-ok
expect_exit 0 "agent not running: the key file is used"
expect_eq "agent not running: nothing said at the default level" "" "$(cat "$ERR")"
CLIENT_ENV=(SSH_AUTH_SOCK="$T_DIR/stale.sock")
run_client_bare -l "$(id -un)" -i "$K/ed" -- echo agent-ok
expect_exit 255 "agent not running, the key only usable through it: exit status"
expect_error_line auth "agent not running"
expect_file_matches "$ERR" "^x509ssh: auth: .*no agent at $T_DIR/stale\.sock \(SSH_AUTH_SOCK\): Connection refused" \
	"agent not running: the error line says so"

# ---- IdentitiesOnly: an agent key no IdentityFile names
add "$K/extra"
cp "$K/extra.pub" "$T_DIR/authorized_keys.extra"
cat "$K/extra.pub" >"$T_DIR/authorized_keys"
agent_login "IdentitiesOnly=no: an unconfigured agent key" extra -i "$K/ed" -o IdentitiesOnly=no
run_client_bare -l "$(id -un)" -i "$K/ed" -o "IdentityAgent=$AS" -o IdentitiesOnly=yes -o LogLevel=DEBUG1 -- echo agent-ok
expect_exit 255 "IdentitiesOnly=yes: the unconfigured agent key is not offered"
expect_file_matches "$ERR" "IdentitiesOnly: agent key agent-extra not offered" "IdentitiesOnly: the -v line"
expect_file_not_matches "$ERR" "Offering public key: .* agent-extra" "IdentitiesOnly: agent-extra not offered"

# configured agent keys first: the configured one is offered before the unconfigured ones
run_client_bare -l "$(id -un)" -i "$K/ed" -o "IdentityAgent=$AS" -o IdentitiesOnly=no -o LogLevel=DEBUG1 -- echo agent-ok
first=$(grep -m1 'Offering public key' "$ERR" || true)
expect_eq "order: the configured agent key first" "1" "$(grep -c "$K/ed" <<<"$first")"

# ---- the cap: 6 more unconfigured keys, only 5 offered (the authorized one is the last)
SSH_AUTH_SOCK=$AS ssh-add -q -D 2>/dev/null
for i in 1 2 3 4 5 6; do add "$K/x$i"; done
cat "$K/x6.pub" >"$T_DIR/authorized_keys"
start_sshd "MaxAuthTries 20"
run_client_bare -l "$(id -un)" -i "$K/nonexistent" -o "IdentityAgent=$AS" -o IdentitiesOnly=no -v -- echo agent-ok
expect_exit 255 "cap: the sixth unconfigured key is not offered"
expect_file_matches "$ERR" "agent: 1 more key not offered \\(at most 5 agent keys" "cap: the -v line"
expect_eq "cap: 5 unconfigured keys offered" 5 "$(grep -c 'Will attempt key: agent-x' "$ERR" || true)"

# ---- a key removed from the agent between listing and signing, and a declined
# confirmation: one line, the next identity (the plain key file) logs in
cat "$K/ed.pub" "$CLIENT_KEY.pub" >"$T_DIR/authorized_keys"
SSH_AUTH_SOCK=$AS ssh-add -q -D 2>/dev/null
ssh-keygen -q -p -P secret -N '' -f "$K/ed" >/dev/null
# removed between runs (IdentitiesOnly): the key file is used itself
add "$K/ed"
SSH_AUTH_SOCK=$AS ssh-add -q -d "$K/ed.pub" 2>/dev/null
log_mark
run_client_bare -l "$(id -un)" -i "$K/ed" -i "$CLIENT_KEY" -o "IdentityAgent=$AS" -o LogLevel=INFO -- echo agent-ok
expect_exit 0 "key removed from the agent: the key file logs in"
log_since_mark >"$T_DIR/slice"
expect_file_matches "$T_DIR/slice" "Accepted publickey .*$(fp_re "$K/ed.pub")" "key removed: the key file itself accepted"
SSH_AUTH_SOCK=$AS ssh-add -q -c "$K/ed" 2>/dev/null || die "ssh-add -c failed"
log_mark
run_client_bare -l "$(id -un)" -i "$K/ed" -i "$CLIENT_KEY" -o "IdentityAgent=$AS" -o LogLevel=INFO -- echo agent-ok
expect_exit 0 "confirmation declined: the next identity logs in"
expect_eq "confirmation declined: one line" 1 "$(grep -c 'agent refused operation' "$ERR" || true)"
expect_file_not_matches "$ERR" "no longer lists the key" "confirmation declined: not taken for a removed key"
log_since_mark >"$T_DIR/slice"
expect_file_matches "$T_DIR/slice" "Accepted publickey .*$(fp_re "$CLIENT_KEY.pub")" "confirmation declined: the file key accepted"
expect_eq "confirmation declined: nothing else on stderr" 1 "$(wc -l <"$ERR")"
cp "$ERR" "$T_DIR/declined.err"

# -G prints IdentityAgent as given
run_cmd "$X509SSH" -G -F /dev/null -o 'IdentityAgent=~/agent-%h.sock' h.example
expect_file_matches "$OUT" '^identityagent ~/agent-%h\.sock$' "-G prints identityagent"

t_done
