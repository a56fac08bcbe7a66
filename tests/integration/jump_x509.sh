#!/bin/bash
# A router behind a bastion with a smartcard: the bastion is Debian's sshd (the token's P-256 key
# in authorized_keys, its host key in known_hosts), the router an RFC 6187 asyncssh peer with an
# X.509 host certificate verified against the CA store, reached through -J / ProxyJump over a
# direct-tcpip channel of the bastion. Both hops sign with the same SoftHSM2 key through OpenSC's
# pkcs11-spy: the token is logged into exactly once for the whole run.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/softhsm.sh"
require_client
make_keys
softhsm_use # $P, $M, $PIN, $TOK
softhsm_spy # $SPY

ssh-keygen -i -m PKCS8 -f "$P/ec.pub.pem" >"$T_DIR/authorized_keys"
start_sshd

PKI="$T_DIR/pki"
"$X509SSH_SRC/tests/lib/pki.sh" "$PKI" init >/dev/null
"$X509SSH_SRC/tests/lib/pki.sh" "$PKI" leaf rtr --key ec256 --san "IP:127.0.0.1" --eku serverAuth >/dev/null
ROOT_B64=$(openssl x509 -in "$P/root.pem" -outform DER | base64 -w0)
printf 'cert-authority x509v3-ssh-rsa %s\n' "$ROOT_B64" >"$T_DIR/router_ak"
start_peer rtr x509_server.py --key "$PKI/rtr.key" --chain "$PKI/rtr.chain.pem" \
	--client-ca "$P/root.pem" --authorized-keys "$T_DIR/router_ak" --log "$T_DIR/router.log" \
	--log-connections
ROUTER_PORT=$PEER_PORT

URI="$TOK;object=ec?module-path=$SPY&pin-value=$PIN"
CFG="$T_DIR/config"
cat >"$CFG" <<EOC
Host bastion
    HostName 127.0.0.1
    Port $SSHD_PORT
    User $(id -un)
    UserKnownHostsFile $KNOWN_HOSTS
Host router
    ProxyJump bastion
Host router direct
    HostName 127.0.0.1
    Port $ROUTER_PORT
    User "ec user"
    CACertificateFile $PKI/root.pem
    StrictHostKeyChecking yes
    UserKnownHostsFile $T_DIR/router_known_hosts
Host *
    IdentityFile "$URI"
    IdentitiesOnly yes
    GlobalKnownHostsFile /dev/null
    BatchMode yes
    LogLevel ERROR
EOC
: >"$T_DIR/router_known_hosts"

spy() { # spy LOG OPT... -- CMD
	local log=$1
	shift
	rm -f "$log"
	local -a opts=()
	while [[ $# -gt 0 && "$1" != -- ]]; do opts+=("$1"); shift; done
	shift
	set +e
	env -u SSH_AUTH_SOCK PKCS11SPY="$M" PKCS11SPY_OUTPUT="$log" timeout -k 5 "$CLIENT_TIMEOUT" \
		"$X509SSH" -F "$CFG" "${opts[@]}" "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_sanitizer_report
}
count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

spy "$T_DIR/spy.1" router -- 'echo "router $((6 * 7))"'
expect_exit 0 "router through the bastion (ProxyJump), token key on both hops"
expect_stdout_eq "router 42" "the command ran on the router"
expect_eq "one C_Login for both hops" "1" "$(count "$T_DIR/spy.1" 'C_Login$')"
expect_eq "one signature per hop" "2" "$(count "$T_DIR/spy.1" 'C_Sign$')"
expect_file_matches "$T_DIR/router.log" "^x509-chain ec user certs=2 result=ok" "the router accepted the token's chain"
expect_eq "the router's certificate verified: nothing written to known_hosts" "0" "$(stat -c %s "$T_DIR/router_known_hosts")"

# the same from the command line, with -J
spy "$T_DIR/spy.2" -J bastion direct -- 'echo via -J'
expect_exit 0 "-J on the command line"
expect_stdout_eq "via -J" "-J: the command ran"
expect_eq "-J: one C_Login" "1" "$(count "$T_DIR/spy.2" 'C_Login$')"

# the router's chain from another CA is refused, and the jump is named nowhere (the router is)
"$X509SSH_SRC/tests/lib/pki.sh" "$PKI" leaf foreign --key ec256 --issuer other --san "IP:127.0.0.1" >/dev/null
stop_peer
start_peer rtr2 x509_server.py --key "$PKI/foreign.key" --chain "$PKI/foreign.chain.pem" \
	--client-ca "$P/root.pem" --authorized-keys "$T_DIR/router_ak" --log "$T_DIR/router2.log"
sed -i "s/Port $ROUTER_PORT/Port $PEER_PORT/" "$CFG"
spy "$T_DIR/spy.3" router -- true
expect_exit 255 "a router chain from another CA behind the bastion"
expect_error_line "x509|hostkey" "untrusted router chain: one error line"
expect_stderr_not_matches "jump host" "the destination's own failure does not blame the jump host"
expect_eq "no signature was made for the untrusted router" "1" "$(count "$T_DIR/spy.3" 'C_Sign$')"

t_done
