#!/bin/bash
# Two X.509 hosts of one run with two CA stores: a bastion and a router, both RFC 6187 asyncssh
# peers, the router reached through the bastion with ProxyJump (a direct-tcpip channel of the
# bastion: x509_server.py --allow-direct-tcpip). Their certificates come from unrelated CAs and
# each Host block names its own CACertificateFile. Each host must be checked against its own
# store. When the run kept one store, loaded from the first hop's options, the first case
# failed: the router was checked against the bastion's CA and refused with
#   x509ssh: x509: 127.0.0.1 host certificate refused: untrusted issuer 'CN=Test Root CA'
#   (neither sent nor in the CA store) (certificate 'CN=Test Intermediate CA', depth 1)
# The same two lines swapped refuse the bastion, named as the jump host, before the router is
# reached; two hosts whose stores are the same share one, loaded once (-vv: "x509: CA store
# loaded").
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys

PKI="$T_DIR/pki"
PKISH="$X509SSH_SRC/tests/lib/pki.sh"
"$PKISH" "$PKI" init >/dev/null # root -> inter, and the unrelated root "other"
"$PKISH" "$PKI" leaf bastion --key ec256 --issuer other --san "IP:127.0.0.1" >/dev/null
"$PKISH" "$PKI" leaf router --key ec256 --san "IP:127.0.0.1" >/dev/null
cat "$PKI/other.pem" "$PKI/root.pem" >"$PKI/both.pem"
: >"$KNOWN_HOSTS"

ALG=x509v3-ecdsa-sha2-nistp256
: >"$T_DIR/bastion.log"
start_peer bastion x509_server.py --key "$PKI/bastion.key" --chain "$PKI/bastion.chain.pem" \
	--host-key-algs "$ALG" --authorized-keys "$T_DIR/authorized_keys" --log "$T_DIR/bastion.log" \
	--allow-direct-tcpip
BASTION_PORT=$PEER_PORT
: >"$T_DIR/router.log"
start_peer router x509_server.py --key "$PKI/router.key" --chain "$PKI/router.chain.pem" \
	--host-key-algs "$ALG" --authorized-keys "$T_DIR/authorized_keys" --log "$T_DIR/router.log"
ROUTER_PORT=$PEER_PORT

# config FILE BASTION_CA ROUTER_CA: the bastion's and the router's Host blocks, each its own store
config() {
	cat >"$1" <<EOC
Host bastion
    HostName 127.0.0.1
    Port $BASTION_PORT
    CACertificateFile $2
Host router
    HostName 127.0.0.1
    Port $ROUTER_PORT
    ProxyJump bastion
    CACertificateFile $3
Host *
    User tester
    IdentityFile $CLIENT_KEY
    IdentitiesOnly yes
    X509HostKeys require
    HostKeyAlgorithms $ALG
    StrictHostKeyChecking yes
    UserKnownHostsFile $KNOWN_HOSTS
    GlobalKnownHostsFile /dev/null
    BatchMode yes
EOC
}

# jrun CONFIG [option ...] -- [command ...]: x509ssh -F CONFIG ... router command
jrun() {
	local cfg=$1
	shift
	local -a opts=()
	while [[ $# -gt 0 && "$1" != -- ]]; do
		opts+=("$1")
		shift
	done
	shift
	: >"$T_DIR/bastion.log"
	: >"$T_DIR/router.log"
	set +e
	env -u SSH_AUTH_SOCK timeout -k 5 "$CLIENT_TIMEOUT" "$X509SSH" -F "$cfg" "${opts[@]}" router \
		"$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_sanitizer_report
}
count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

# each Host block its own CA: both hosts verified, each against its own store
config "$T_DIR/config.own" "$PKI/other.pem" "$PKI/root.pem"
jrun "$T_DIR/config.own" -vv -- 'echo "router $((6 * 7))"'
expect_exit 0 "two hosts, two CA stores: the router through the bastion"
expect_stdout_eq "router 42" "the command ran on the router"
expect_file_matches "$T_DIR/bastion.log" "^direct-tcpip 127\\.0\\.0\\.1 $ROUTER_PORT\$" \
	"the bastion carried the router's connection"
expect_eq "both host certificates verified" "2" \
	"$(count "$ERR" "x509: host certificate for 127\\.0\\.0\\.1 verified \\($ALG")"
expect_file_matches "$ERR" "depth 1: subject=CN=Other Root CA" "the bastion chained to its own CA"
expect_file_matches "$ERR" "depth 2: subject=CN=Test Root CA" "the router chained to its own CA"
expect_eq "two stores, two loads" "2" "$(count "$ERR" "x509: CA store loaded")"
expect_eq "known_hosts untouched" "0" "$(wc -c <"$KNOWN_HOSTS")"

# one store for both (a bundle of the two CAs): loaded once for the two hosts
config "$T_DIR/config.same" "$PKI/both.pem" "$PKI/both.pem"
jrun "$T_DIR/config.same" -vv -- 'echo shared'
expect_exit 0 "one CA store for both hosts"
expect_stdout_eq "shared" "one store: the command ran"
expect_eq "one store: both verified" "2" "$(count "$ERR" "x509: host certificate for .* verified")"
expect_eq "one store: loaded once" "1" "$(count "$ERR" "x509: CA store loaded")"

# the two CACertificateFile lines swapped: the bastion is refused first, named as the jump host,
# and the router is never reached
config "$T_DIR/config.swapped" "$PKI/root.pem" "$PKI/other.pem"
jrun "$T_DIR/config.swapped" -- 'echo should-not-run'
expect_exit 255 "swapped CA stores"
expect_error_line x509 "swapped CA stores: one error line"
expect_stderr_matches "^x509ssh: x509: jump host bastion: 127\\.0\\.0\\.1 host certificate refused: untrusted issuer 'CN=Other Root CA'" \
	"swapped: the jump host named, with its issuer"
expect_eq "swapped: nothing ran" "" "$(cat "$OUT")"
expect_file_not_matches "$T_DIR/bastion.log" "userauth" "swapped: nothing sent to the bastion"
expect_file_not_matches "$T_DIR/bastion.log" "direct-tcpip" "swapped: the router not reached"

# the bastion's store for both: the router is refused against it (what one store per run did to
# the first case), as the destination and not as the jump host
config "$T_DIR/config.first" "$PKI/other.pem" "$PKI/other.pem"
jrun "$T_DIR/config.first" -- 'echo should-not-run'
expect_exit 255 "the router against the bastion's CA"
expect_error_line x509 "the router against the bastion's CA: one error line"
expect_stderr_matches "^x509ssh: x509: 127\\.0\\.0\\.1 host certificate refused: untrusted issuer 'CN=Test Root CA'" \
	"the router refused, with the issuer its store lacks"
expect_stderr_not_matches "jump host" "the router's failure does not blame the jump host"
expect_file_matches "$T_DIR/bastion.log" "^direct-tcpip" "the bastion passed, the router was reached"
expect_file_not_matches "$T_DIR/router.log" "userauth" "nothing sent to the refused router"

t_done
