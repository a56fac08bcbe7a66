#!/bin/bash
# OpenSSH's config files, as a user of git or rsync has them: HOME is a temporary directory
# holding a real ~/.ssh/config with a host alias (HostName, Port, User, IdentityFile, an Include
# relative to ~/.ssh, Match lines) and OpenSSH-only keywords; `x509ssh alias cmd` moves bytes
# exactly. Also: ~/.x509ssh/config is read before ~/.ssh/config, and a HostKeyAlgorithms list from
# ~/.ssh/config that names no x509v3 algorithm keeps the X.509 host keys of a CA-verified host.
#
# Cases 1 and 3 need only this branch. Case 2 runs without -F, so /etc/ssh/ssh_config is read
# too (Debian's sets GSSAPIAuthentication) and ~/.ssh/config carries OpenSSH-only keywords: it
# passes once every OpenSSH keyword is accepted.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

H="$T_DIR/home"
mkdir -p "$H/.ssh" "$H/.x509ssh"
chmod 700 "$H" "$H/.ssh" "$H/.x509ssh"
cp "$CLIENT_KEY" "$H/.ssh/id_alias"
chmod 600 "$H/.ssh/id_alias"
trust_host_keys "$H/.ssh/known_hosts"
me=$(id -un)

# the payload: every byte value, then random bytes
head -c 200000 /dev/urandom >"$T_DIR/blob"
"$PYTHON" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 4)' >>"$T_DIR/blob"
blob_sum=$(sha256_of "$T_DIR/blob")

# run_home [x509ssh argument ...]: the client with HOME=$H and nothing else added
run_home() {
	set +e
	env -u SSH_AUTH_SOCK HOME="$H" timeout -k 5 "$CLIENT_TIMEOUT" "$X509SSH" "$@" \
		</dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_sanitizer_report
}

# byte_exact DESCRIPTION [x509ssh argument ...]: `cat blob` through the client, checksummed
byte_exact() {
	local what=$1
	shift
	run_home "$@" alias cat "$T_DIR/blob"
	expect_exit 0 "$what: exit status"
	expect_eq "$what: byte-exact output" "$blob_sum" "$(sha256_of "$OUT")"
}

# ~/.ssh/config: the alias, an Include relative to ~/.ssh, Match criteria
cat >"$H/.ssh/config" <<EOF
# a user's OpenSSH config
Include config.d/*.conf

Host alias
    HostName 127.0.0.1
    User $me
    IdentityFile ~/.ssh/id_alias
    IdentitiesOnly yes

Match originalhost alias exec "test %h = 127.0.0.1 -a %n = alias" localuser $me
    BatchMode yes

Match host 127.0.0.1 !user root,nobody
    StrictHostKeyChecking yes
EOF
mkdir -p "$H/.ssh/config.d"
cat >"$H/.ssh/config.d/10-port.conf" <<EOF
Host alias
    Port $SSHD_PORT
EOF

# ---- case 1: -F ~/.ssh/config (that file and what it includes, relative to ~/.ssh)
byte_exact "-F ~/.ssh/config" -F "$H/.ssh/config"
run_home -F "$H/.ssh/config" -G alias
expect_file_matches "$OUT" "^port $SSHD_PORT\$" "-G: Port from the Include relative to ~/.ssh"
expect_file_matches "$OUT" "^batchmode yes\$" "-G: Match originalhost + exec + localuser"
expect_file_matches "$OUT" "^stricthostkeychecking (yes|true)\$" "-G: Match host (after HostName) !user"
expect_file_matches "$OUT" "^identityfile $H/.ssh/id_alias\$" "-G: IdentityFile ~ expanded"

# ---- case 2: no -F: ~/.x509ssh/config, ~/.ssh/config with OpenSSH-only keywords, the system files
cat >"$H/.x509ssh/config" <<EOF
# ours first: this Port wins over ~/.ssh's
Host alias
    Port $SSHD_PORT
EOF
sed -i "s/^    Port .*/    Port 1/" "$H/.ssh/config.d/10-port.conf"
cat >>"$H/.ssh/config" <<EOF

Host *
    ForwardAgent no
    AddKeysToAgent no
    HashKnownHosts yes
    ControlMaster auto
    ControlPath ~/.ssh/cm-%r@%h:%p
    ControlPersist 10m
    Compression yes
    GSSAPIAuthentication no
    IdentityAgent none
    ServerAliveInterval 30
    ServerAliveCountMax 4
    TCPKeepAlive yes
    CheckHostIP no
    VisualHostKey no
    UpdateHostKeys no
EOF
byte_exact "no -F (needs every OpenSSH keyword)"
run_home -G alias
expect_exit 0 "no -F: -G"
expect_file_matches "$OUT" "^port $SSHD_PORT\$" "no -F: ~/.x509ssh/config is read before ~/.ssh/config"
expect_file_matches "$OUT" "^serveralivecountmax 4\$" "no -F: ~/.ssh/config's Host * applies"
expect_file_matches "$OUT" "^hashknownhosts yes\$" "no -F: HashKnownHosts from ~/.ssh/config"
if grep -Eqi '^[[:space:]]*SendEnv[[:space:]]+LANG' /etc/ssh/ssh_config 2>/dev/null; then
	expect_file_matches "$OUT" "^sendenv LANG\$" "no -F: /etc/ssh/ssh_config is read (its SendEnv LANG)"
fi
if [[ -d /etc/ssh/ssh_config.d ]] && grep -q 'ssh_config.d' /etc/ssh/ssh_config 2>/dev/null; then
	pass "no -F: /etc/ssh/ssh_config includes ssh_config.d (read when the -G above passed)"
fi

# ---- case 3: HostKeyAlgorithms from ~/.ssh/config naming plain algorithms only, against an
# RFC 6187 server whose certificate the CA store in ~/.x509ssh verifies
PKI="$T_DIR/pki"
PKISH="$X509SSH_SRC/tests/lib/pki.sh"
"$PKISH" "$PKI" init >/dev/null
"$PKISH" "$PKI" leaf rsa --key rsa2048 --san "IP:127.0.0.1" --eku serverAuth >/dev/null
cp "$PKI/root.pem" "$H/.x509ssh/ca-bundle.pem"
: >"$T_DIR/auth.log"
start_peer x509 x509_server.py --key "$PKI/rsa.key" --chain "$PKI/rsa.chain.pem" \
	--host-key-algs "x509v3-ssh-rsa,rsa-sha2-256" --authorized-keys "$T_DIR/authorized_keys" \
	--log "$T_DIR/auth.log"
: >"$T_DIR/kh_empty"
cat >"$H/.ssh/hk.conf" <<EOF
Host x509peer
    HostName 127.0.0.1
    Port $PEER_PORT
    User $me
    IdentityFile ~/.ssh/id_alias
    IdentitiesOnly yes
    BatchMode yes
    StrictHostKeyChecking yes
    UserKnownHostsFile $T_DIR/kh_empty
    GlobalKnownHostsFile /dev/null
    HostKeyAlgorithms rsa-sha2-256,ssh-ed25519
EOF
run_home -F "$H/.ssh/hk.conf" -v x509peer 'echo x509-kept'
expect_exit 0 "OpenSSH file's plain HostKeyAlgorithms: the CA-verified host still connects"
expect_stdout_eq x509-kept "OpenSSH file's plain HostKeyAlgorithms: output"
expect_file_matches "$ERR" "host certificate for 127\\.0\\.0\\.1 verified \\(x509v3-ssh-rsa" \
	"OpenSSH file's plain HostKeyAlgorithms: verified with the x509v3 algorithm"
expect_file_matches "$ERR" "HostKeyAlgorithms from an OpenSSH config file" "the -v line says so"
# the same list in our own file is used as given: plain only, unknown host, refused
cp "$H/.ssh/hk.conf" "$H/.x509ssh/hk.conf"
run_home -F "$H/.x509ssh/hk.conf" x509peer 'echo never'
expect_exit 255 "our file's plain HostKeyAlgorithms: used as given (unknown plain key refused)"
expect_error_line hostkey "our file's plain HostKeyAlgorithms"
# a list naming x509v3 algorithms in OpenSSH's file is used as given too
sed -i 's/^    HostKeyAlgorithms .*/    HostKeyAlgorithms x509v3-rsa2048-sha256,rsa-sha2-256/' "$H/.ssh/hk.conf"
run_home -F "$H/.ssh/hk.conf" -v x509peer 'echo never'
expect_exit 255 "OpenSSH file's list naming x509v3: used as given"
expect_file_not_matches "$ERR" "HostKeyAlgorithms from an OpenSSH config file" \
	"OpenSSH file's list naming x509v3: no rule applied"
stop_peer

t_done
