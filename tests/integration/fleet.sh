#!/bin/bash
# x509ssh-fleet on the fleet test bed (tests/lib/fleetbed.sh: 25 addresses of a namespace, one
# sshd, 25 ms each way): every host runs `uname -n` from one process; each JSON object is its own
# host's (address = the host); accept-new writes each new host's key once; a bed address on a
# port where nothing listens is refused and makes the run 255 while the others stay ok. (The
# memory per open connection is measured by tests/bench/fleet.sh.) Skipped (77) when not root or
# without `ip netns`.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/fleetbed.sh"
FLEET="${X509SSH_FLEET:-$X509SSH_BUILD/x509ssh-fleet}"
fleetbed_require
[[ -x "$FLEET" ]] || die "no x509ssh-fleet at $FLEET"
command -v jq >/dev/null || die "jq is needed"
N=25
fleetbed_up "$N" 25

KH="$T_DIR/kh_bed"
: >"$KH"
fleet() {
	set +e
	env -u SSH_AUTH_SOCK timeout -k 5 120 "$FLEET" -F /dev/null -o "UserKnownHostsFile=$KH" \
		-o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o StrictHostKeyChecking=accept-new \
		-o IdentitiesOnly=yes -i "$CLIENT_KEY" -l "$(id -un)" "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
}
hosts=()
for a in "${FLEETBED_ADDRS[@]}"; do
	hosts+=(-H "$a")
done

want=$(uname -n)
fleet --json -j 32 "${hosts[@]}" -- uname -n
expect_exit 0 "$N hosts, uname -n"
expect_eq "every host ok" "$N" "$(jq -r 'select(.type=="host" and .status=="ok") | .host' "$OUT" | sort -u | wc -l)"
expect_eq "every host printed the name" "$N" "$(jq -j 'select(.type=="host") | .stdout' "$OUT" | grep -cx "$want")"
expect_eq "each object's address is its host" "$N" "$(jq -r 'select(.type=="host" and .address==.host) | .host' "$OUT" | wc -l)"
expect_eq "accept-new: one line per new host" "$N" "$(wc -l <"$KH")"
expect_eq "accept-new: each host once" "$N" "$(cut -d' ' -f1 "$KH" | sort -u | wc -l)"

# again: the keys are known now, nothing is added
fleet -j 8 --rate 50 "${hosts[@]}" -- true
expect_exit 0 "second run (-j 8, --rate 50)"
expect_eq "second run: status lines" "$N" "$(grep -c ' OK ' "$OUT")"
expect_eq "second run: known_hosts unchanged" "$N" "$(wc -l <"$KH")"

# a bed address with nothing listening on the port: refused, and the run is 255
fleet --json "${hosts[@]:0:10}" -H "${FLEETBED_ADDRS[0]}:2299" -- true
expect_exit 255 "a refused host: 255"
expect_eq "refused host" refused "$(jq -r --arg h "${FLEETBED_ADDRS[0]}:2299" 'select(.host==$h) | .status' "$OUT")"
expect_eq "the others ok" 5 "$(jq -r 'select(.type=="summary") | .ok' "$OUT")"

t_done
