#!/bin/bash
# x509ssh-fleet with a token (no root needed): 12 hosts (ports of one loopback sshd) all sign
# with the same SoftHSM2 key, at once (-j 12), through OpenSC's pkcs11-spy: the token is logged
# into exactly once for the run, and the signatures, queued one at a time on the shared token
# key, all succeed (one C_Sign per host).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/softhsm.sh"
FLEET="${X509SSH_FLEET:-$X509SSH_BUILD/x509ssh-fleet}"
[[ -x "$FLEET" ]] || die "no x509ssh-fleet at $FLEET"
command -v jq >/dev/null || die "jq is needed"
make_keys
softhsm_use # $P, $M, $PIN, $TOK
softhsm_spy # $SPY

ssh-keygen -i -m PKCS8 -f "$P/ec.pub.pem" >"$T_DIR/authorized_keys"
PORTS=()
for i in $(seq 1 11); do
	PORTS+=("$(free_port)")
done
extra=()
for p in "${PORTS[@]}"; do
	extra+=("Port $p")
done
start_sshd "${extra[@]}"
PORTS+=("$SSHD_PORT")
KH="$T_DIR/kh"
hosts=()
trust_ports "$KH" "${PORTS[@]}"
for p in "${PORTS[@]}"; do
	hosts+=(-H "127.0.0.1:$p")
done

count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

run_spy() { # run_spy LOG FLEET-ARGS...
	local log=$1
	shift
	rm -f "$log"
	set +e
	env -u SSH_AUTH_SOCK PKCS11SPY="$M" PKCS11SPY_OUTPUT="$log" timeout -k 5 120 "$FLEET" \
		-F /dev/null -o "UserKnownHostsFile=$KH" -o GlobalKnownHostsFile=/dev/null \
		-o BatchMode=yes -o IdentitiesOnly=yes -l "$(id -un)" "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
}

run_spy "$T_DIR/spy.1" --json -j 12 -I "$TOK;object=ec?module-path=$SPY&pin-value=$PIN" \
	"${hosts[@]}" -- 'echo signed'
expect_exit 0 "12 hosts with one token key"
expect_eq "every host ok" 12 "$(jq -r 'select(.type=="host" and .status=="ok") | .host' "$OUT" | wc -l)"
expect_eq "every host ran the command" 12 "$(jq -r 'select(.type=="host") | .stdout' "$OUT" | grep -c '^signed$')"
expect_eq "exactly one C_Login for 12 hosts" 1 "$(count "$T_DIR/spy.1" 'C_Login$')"
expect_eq "one C_Sign per host" 12 "$(count "$T_DIR/spy.1" 'C_Sign$')"

# one at a time (-j 1): the login outlives the hosts that come and go
run_spy "$T_DIR/spy.2" -j 1 -I "$TOK;object=ec?module-path=$SPY&pin-value=$PIN" \
	"${hosts[@]:0:8}" -- true
expect_exit 0 "4 hosts one after the other"
expect_eq "-j 1: still one C_Login" 1 "$(count "$T_DIR/spy.2" 'C_Login$')"

t_done
