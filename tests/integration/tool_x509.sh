#!/bin/bash
# The tools with an X.509 host key and a token key, which no other client can do: scp -S (SFTP
# mode and -O), sftp -S and rsync -e x509ssh against the asyncssh RFC 6187 peer
# (tests/peers/x509_server.py --sftp), which presents an RSA host certificate for 127.0.0.1; the
# client trusts it only through the CA store (X509HostKeys require, known_hosts /dev/null) and logs
# in with the P-256 key and certificate on a SoftHSM token, the login name taken from the
# certificate (UserFromCertificate cn). The peer's log proves the x509v3 login; the files are
# compared by SHA-256. x509ssh only: with X509SSH=/usr/bin/ssh the script says so and passes.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tools.sh"
. "$(dirname "$0")/../lib/softhsm.sh"
require_client
if ! is_x509ssh; then
	t_log "X.509 host keys and token keys need x509ssh: nothing to check with $X509SSH"
	exit 0
fi
make_keys
softhsm_use # the standard tokens: $P, $M, $PIN, $TOK

PKI="$T_DIR/pki"
"$X509SSH_SRC/tests/lib/pki.sh" "$PKI" init >/dev/null
"$X509SSH_SRC/tests/lib/pki.sh" "$PKI" leaf host --key rsa2048 --san "IP:127.0.0.1" --eku serverAuth >/dev/null
ROOT_B64=$(openssl x509 -in "$P/root.pem" -outform DER | base64 -w0)
printf 'cert-authority x509v3-ssh-rsa %s\n' "$ROOT_B64" >"$T_DIR/peer_ak"
PLOG="$T_DIR/peer.auth.log"
start_peer x509 x509_server.py --sftp --key "$PKI/host.key" --chain "$PKI/host.chain.pem" \
	--client-ca "$P/root.pem" --authorized-keys "$T_DIR/peer_ak" --log "$PLOG"

TOOL_HOME="$T_DIR/home"
mkdir -p "$TOOL_HOME/.x509ssh"
cat >"$TOOL_HOME/.x509ssh/config" <<EOF
Host xsrv
    HostName 127.0.0.1
    Port $PEER_PORT
Host *
    IdentityFile $TOK;object=ec?module-path=$M&pin-value=$PIN
    IdentitiesOnly yes
    UserFromCertificate cn
    CACertificateFile $PKI/root.pem
    X509HostKeys require
    UserKnownHostsFile /dev/null
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    LogLevel ERROR
EOF
tools_home_enter
TOOL_SSH="$X509SSH"
tools_dirs # SRC, R, BACK
make_random_file "$SRC/file.bin" 4096
make_test_tree "$SRC/tree"

# logged_in_x509 WHAT: the peer saw the token's certificate chain accepted for "ec user"
logged_in_x509() {
	expect_file_matches "$PLOG" "^userauth publickey ec user x509v3-ecdsa-sha2-nistp256\$" \
		"$1: the token key signed as x509v3-ecdsa-sha2-nistp256 for 'ec user'"
	expect_file_matches "$PLOG" "^x509-chain ec user certs=2 result=ok" "$1: the peer accepted the chain"
	: >"$PLOG"
}

# ---- scp, SFTP mode and legacy mode
: >"$PLOG"
run_tool "scp (SFTP mode): upload" scp -S "$TOOL_SSH" "$SRC/file.bin" "xsrv:$R/scp.bin"
expect_tool_ok
expect_same_file "scp (SFTP mode) upload" "$SRC/file.bin" "$R/scp.bin"
logged_in_x509 "scp (SFTP mode)"
run_tool "scp (SFTP mode): download" scp -S "$TOOL_SSH" "xsrv:$R/scp.bin" "$BACK/scp.bin"
expect_tool_ok
expect_same_file "scp (SFTP mode) download" "$SRC/file.bin" "$BACK/scp.bin"
run_tool "scp -O: upload a tree" scp -O -S "$TOOL_SSH" -r "$SRC/tree" "xsrv:$R/"
expect_tool_ok
cp -rL "$SRC/tree" "$T_DIR/tree.deref"
expect_same_tree "scp -O upload of a tree" "$T_DIR/tree.deref" "$R/tree"
logged_in_x509 "scp -O"

# ---- sftp batch
rm "$SRC/tree/link"
cat >"$T_DIR/batch" <<EOB
cd $R
put $SRC/file.bin sftp.bin
mkdir sftp-tree
put -R $SRC/tree sftp-tree
lcd $BACK
get sftp.bin
get -R sftp-tree
EOB
run_tool "sftp -b" sftp -S "$TOOL_SSH" -b "$T_DIR/batch" xsrv
expect_tool_ok
expect_same_file "sftp put" "$SRC/file.bin" "$R/sftp.bin"
expect_same_file "sftp get" "$SRC/file.bin" "$BACK/sftp.bin"
expect_same_tree "sftp put -R / get -R" "$SRC/tree" "$BACK/sftp-tree/tree"
logged_in_x509 "sftp"

# ---- rsync, push and pull
run_tool "rsync -e: push" rsync -a -e "$TOOL_SSH" "$SRC/" "xsrv:$R/rsync/"
expect_tool_ok
expect_same_tree "rsync push" "$SRC" "$R/rsync"
logged_in_x509 "rsync push"
run_tool "rsync -e: pull" rsync -a -e "$TOOL_SSH" "xsrv:$R/rsync/" "$BACK/rsync/"
expect_tool_ok
expect_same_tree "rsync pull" "$SRC" "$BACK/rsync"

# ---- a CA store that does not hold the host's root: every tool fails, nothing is sent
sed -i "s|CACertificateFile .*|CACertificateFile $P/root.pem|" "$HOME/.x509ssh/config"
: >"$PLOG"
run_tool "scp to a host from an untrusted CA" scp -S "$TOOL_SSH" "$SRC/file.bin" "xsrv:$R/untrusted.bin"
expect_ne "scp to a host from an untrusted CA fails" 0 "$RC"
expect_stderr_matches "^x509ssh: x509: " "scp to an untrusted host: the client's x509: line reaches the user"
expect_file_not_matches "$PLOG" "^userauth" "untrusted host: no userauth request was sent"
expect_eq "untrusted host: nothing written" "absent" "$([[ -e "$R/untrusted.bin" ]] && echo present || echo absent)"

t_done
