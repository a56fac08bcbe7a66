#!/bin/bash
# Fleet mode benchmark (not a test; needs root for the fleet bed): N hosts of the bed at DELAY ms
# each way run CMD; client CPU (user+sys of every client process) and wall time for
# x509ssh-fleet vs `xargs -P 32 ssh` vs `xargs -P 32 x509ssh` (and parallel-ssh when installed),
# the same key exchange pinned everywhere (curve25519-sha256); ratios against xargs + ssh. Then
# the memory per open connection: x509ssh-fleet's peak VmRSS with N sessions held open by
# `sleep $HOLD` (-j N; HOLD defaults to 5 s, long enough for all N to be open at once), minus
# its peak with one, divided by N - 1; then the same with each session first streaming 2 MB. FLEET_BENCH=rss measures only the memory.
#
#   sudo tests/bench/fleet.sh [N [DELAY_MS [CMD]]]      (default 100 25 true)
#   sudo FLEET_BENCH=rss tests/bench/fleet.sh 200
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/fleetbed.sh"
FLEET="${X509SSH_FLEET:-$X509SSH_BUILD/x509ssh-fleet}"
N=${1:-100}
DELAY=${2:-25}
CMD=${3:-true}
HOLD=${HOLD:-5}
KEX=curve25519-sha256
fleetbed_require
fleetbed_up "$N" "$DELAY"
HF="$T_DIR/hosts"
printf '%s\n' "${FLEETBED_ADDRS[@]}" >"$HF"
COMMON=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$CLIENT_KEY" -o "KexAlgorithms=$KEX"
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null
	-o LogLevel=ERROR)
export COMMON_STR="${COMMON[*]}"

# measure NAME CMD...: wall, user+sys of the command and all its children
declare -A WALL CPU
measure() {
	local name=$1 t
	shift
	TIMEFORMAT='%R %U %S'
	t=$({ time "$@" >"$T_DIR/$name.out" 2>"$T_DIR/$name.err" </dev/null; } 2>&1 | tail -n 1)
	read -r w u s <<<"$t"
	WALL[$name]=$w
	CPU[$name]=$(echo "$u + $s" | bc -l)
}
run_xargs() { # run_xargs CLIENT
	xargs -P 32 -I{} "$1" "${COMMON[@]}" {} "$CMD" <"$HF"
}

if [[ "${FLEET_BENCH:-all}" != rss ]]; then
measure fleet env -u SSH_AUTH_SOCK "$FLEET" "${COMMON[@]}" -j 64 -h "$HF" -- "$CMD"
measure xargs_ssh env -u SSH_AUTH_SOCK bash -c "$(declare -f run_xargs); $(declare -p COMMON HF CMD); run_xargs ssh"
measure xargs_x509ssh env -u SSH_AUTH_SOCK bash -c "$(declare -f run_xargs); $(declare -p COMMON HF CMD); run_xargs $X509SSH"
names=(fleet xargs_ssh xargs_x509ssh)
if command -v parallel-ssh >/dev/null; then
	measure pssh parallel-ssh -p 32 -h "$HF" -x "-i $CLIENT_KEY -o KexAlgorithms=$KEX -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null" "$CMD"
	names+=(pssh)
fi
ok=$(grep -c ' OK ' "$T_DIR/fleet.out" || true)
printf '%d hosts, %d ms each way, `%s` (fleet: %d OK)\n' "$N" "$DELAY" "$CMD" "$ok"
printf '%-16s %10s %10s %12s %12s\n' client "cpu s" "wall s" "cpu ratio" "wall ratio"
for n in "${names[@]}"; do
	printf '%-16s %10.3f %10.3f %12.3f %12.3f\n' "$n" "${CPU[$n]}" "${WALL[$n]}" \
		"$(echo "${CPU[$n]} / ${CPU[xargs_ssh]}" | bc -l)" "$(echo "${WALL[$n]} / ${WALL[xargs_ssh]}" | bc -l)"
done
fi

# peak VmRSS (kB) of x509ssh-fleet with -j J on the first J hosts, each running REMOTE (nothing
# kept: --max-output 0)
peak_rss() {
	local j=$1 remote=$2 pid peak=0 r
	head -n "$j" "$HF" >"$T_DIR/hosts.$j"
	env -u SSH_AUTH_SOCK "$FLEET" "${COMMON[@]}" -q -j "$j" --max-output 0 -h "$T_DIR/hosts.$j" \
		-- "$remote" </dev/null >"$T_DIR/rss.$j.out" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		r=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
		if [[ -n "$r" && "$r" -gt "$peak" ]]; then
			peak=$r
		fi
		sleep 0.05
	done
	wait "$pid" || true
	echo "$peak"
}
# quiet sessions, then sessions that stream 2 MB each as fast as they can before holding
for remote in "sleep $HOLD" "head -c 2000000 /dev/zero; sleep $HOLD"; do
	one=$(peak_rss 1 "$remote")
	all=$(peak_rss "$N" "$remote")
	printf 'VmRSS peak, `%s`: 1 session %d KiB, %d sessions %d KiB: %.1f KiB per open connection (%d OK)\n' \
		"$remote" "$one" "$N" "$all" "$(echo "($all - $one) / ($N - 1)" | bc -l)" \
		"$(grep -c ' OK ' "$T_DIR/rss.$N.out" || true)"
done
T_DONE_CALLED=1
