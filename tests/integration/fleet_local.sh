#!/bin/bash
# x509ssh-fleet without the fleet bed (no root needed): hosts are ports of one loopback sshd (and
# an asyncssh RFC 6187 peer), told apart by $SSH_CONNECTION's server port. Checks every JSON
# status (ok, exit, signal, refused, hostkey, trust, auth, timeout), the exit-status rules,
# known_hosts written once per new host with accept-new and read once per run, -b grouping, --outdir byte-exact for a
# 1 MiB output, --stdin byte-exact to every host, the default status lines, and the error
# lines of the fleet's own option parsing.
. "$(dirname "$0")/../lib/common.sh"
FLEET="${X509SSH_FLEET:-$X509SSH_BUILD/x509ssh-fleet}"
[[ -x "$FLEET" ]] || die "no x509ssh-fleet at $FLEET"
command -v jq >/dev/null || die "jq is needed"
command -v strace >/dev/null || die "strace is needed"
make_keys

P_OK=$(free_port)
P_EXIT=$(free_port)
P_KILL=$(free_port)
P_CHANGED=$(free_port)
# one sshd on five ports (ListenAddress without a port listens on each Port line)
start_sshd "Port $P_OK" "Port $P_EXIT" "Port $P_KILL" "Port $P_CHANGED"
P_MAIN=$SSHD_PORT
P_DEAD=$(free_port)
KH="$T_DIR/kh"
trust_ports "$KH" "$P_OK" "$P_EXIT" "$P_KILL" "$P_MAIN"
# the changed host key: another key under this host's name
for t in ed25519 ecdsa rsa; do
	printf '[127.0.0.1]:%s %s\n' "$P_CHANGED" "$(cut -d' ' -f1,2 "$T_DIR/keys/id_ed25519.pub")" >>"$KH"
done

# the command: what it does depends on the server port it reached
CMD='set -- $SSH_CONNECTION; case $4 in '"$P_EXIT"') echo three; exit 3;; '"$P_KILL"') kill -9 $$;; esac; echo ok $4'

fleet() { run_fleet 120 "$@"; }

# status HOST: the JSON status of HOST
status_of() {
	jq -r --arg h "$1" 'select(.type=="host" and .host==$h) | .status' "$OUT"
}

# ---- the fleet's own error lines name it, the connection flags' included (x509ssh's own stay
# "x509ssh:"); one line each, exit 255, nothing connected
for bad in "-p abc|config: bad port 'abc'" "-o Bogus=1|config: unknown option 'Bogus'" \
	"-o Port=abc|config: bad value 'abc' for Port" "-j 0|config: -j 0: a number of hosts from 1 to 100000"; do
	read -r -a flags <<<"${bad%%|*}"
	fleet "${flags[@]}" -H "127.0.0.1:$P_OK" -- true
	expect_exit 255 "${bad%%|*}"
	expect_eq "${bad%%|*}: the error line" "x509ssh-fleet: ${bad#*|}" "$(cat "$ERR")"
done
run_cmd "$X509SSH" -F /dev/null -p abc 127.0.0.1 true
expect_eq "x509ssh -p abc: its own name" "x509ssh: config: bad port 'abc'" "$(cat "$ERR")"

# ---- every status in one run, JSON
fleet --json -H "127.0.0.1:$P_OK" -H "127.0.0.1:$P_EXIT" -H "127.0.0.1:$P_KILL" \
	-H "127.0.0.1:$P_CHANGED" -H "127.0.0.1:$P_DEAD" -H "nosuchuser@127.0.0.1:$P_MAIN" -- "$CMD"
expect_exit 255 "a refused host makes the run 255"
expect_eq "JSON lines: 6 hosts + summary" 7 "$(jq -c . "$OUT" | wc -l)"
expect_eq "ok" ok "$(status_of "127.0.0.1:$P_OK")"
expect_eq "ok: stdout" "ok $P_OK" "$(jq -r --arg h "127.0.0.1:$P_OK" 'select(.host==$h) | .stdout' "$OUT" | head -1)"
expect_eq "ok: auth method" publickey "$(jq -r --arg h "127.0.0.1:$P_OK" 'select(.host==$h) | .auth_method' "$OUT")"
expect_eq "ok: host key fingerprint" "$(ssh-keygen -lf "$T_DIR/keys/host_ed25519.pub" | cut -d' ' -f2)" \
	"$(jq -r --arg h "127.0.0.1:$P_OK" 'select(.host==$h) | .hostkey.fingerprint' "$OUT")"
expect_eq "exit 3" "exit 3" "$(jq -r --arg h "127.0.0.1:$P_EXIT" 'select(.host==$h) | "\(.status) \(.exit_status)"' "$OUT")"
expect_eq "killed" "signal KILL" "$(jq -r --arg h "127.0.0.1:$P_KILL" 'select(.host==$h) | "\(.status) \(.signal)"' "$OUT")"
expect_eq "changed host key" "hostkey hostkey" "$(jq -r --arg h "127.0.0.1:$P_CHANGED" 'select(.host==$h) | "\(.status) \(.error.category)"' "$OUT")"
expect_eq "refused" refused "$(status_of "127.0.0.1:$P_DEAD")"
expect_eq "bad user" auth "$(status_of "nosuchuser@127.0.0.1:$P_MAIN")"
expect_eq "summary" "1 1 1 1 1 1 255" "$(jq -r 'select(.type=="summary") | "\(.ok) \(.exit) \(.signal) \(.hostkey) \(.refused) \(.auth) \(.exit_code)"' "$OUT")"
expect_eq "nothing but JSON on stdout" 0 "$(grep -vc '^{' "$OUT" || true)"

# ---- exit-status rules: all ok 0; a non-zero exit 4; a signal 3
fleet -H "127.0.0.1:$P_OK" -H "127.0.0.1:$P_MAIN" -- "$CMD"
expect_exit 0 "every host ok: 0"
expect_eq "status lines" 2 "$(grep -Ec '^\[[12]/2\] [0-9:]{8} OK 127.0.0.1:' "$OUT")"
fleet -H "127.0.0.1:$P_OK" -H "127.0.0.1:$P_EXIT" -- "$CMD"
expect_exit 4 "a command exited non-zero: 4"
expect_file_matches "$OUT" "EXIT 127.0.0.1:$P_EXIT \\(exit 3, " "status line EXIT"
fleet -H "127.0.0.1:$P_EXIT" -H "127.0.0.1:$P_KILL" -- "$CMD"
expect_exit 3 "a command killed by a signal: 3"
fleet --inline -H "127.0.0.1:$P_EXIT" -- "$CMD"
expect_file_matches "$OUT" "^three$" "--inline shows the output"

# ---- -t: the whole exchange per host
fleet --json -t 1 -H "127.0.0.1:$P_OK" -- 'sleep 30'
expect_exit 255 "-t ran out: 255"
expect_eq "-t: timeout" timeout "$(status_of "127.0.0.1:$P_OK")"

# ---- accept-new: each new host written once, then read back; the file is read once per run
# (strace: its read-only opens), not once or twice per host. LeakSanitizer cannot run under
# ptrace: leaks are checked by the other runs.
KH2="$T_DIR/kh_new"
: >"$KH2"
for run in 1 2; do
	set +e
	env -u SSH_AUTH_SOCK ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout 120 strace -f -qq -e trace=open,openat -o "$T_DIR/strace.$run" \
		"$FLEET" -F /dev/null -o "UserKnownHostsFile=$KH2" \
		-o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o StrictHostKeyChecking=accept-new \
		-o IdentitiesOnly=yes -i "$CLIENT_KEY" -j 3 -H "127.0.0.1:$P_OK" -H "127.0.0.1:$P_EXIT" \
		-H "127.0.0.1:$P_MAIN" -- true </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	expect_exit 0 "accept-new run $run"
	expect_eq "accept-new run $run: one line per host" 3 "$(wc -l <"$KH2")"
	expect_eq "accept-new run $run: known_hosts read once" 1 \
		"$(grep -c "\"$KH2\", O_RDONLY" "$T_DIR/strace.$run" || true)"
done
for p in "$P_OK" "$P_EXIT" "$P_MAIN"; do
	expect_eq "accept-new: [127.0.0.1]:$p once" 1 "$(grep -c "^\[127.0.0.1\]:$p " "$KH2")"
done

# ---- -b: identical output gathered
fleet -b -H "127.0.0.1:$P_OK" -H "127.0.0.1:$P_MAIN" -H "127.0.0.1:$P_EXIT" -- 'echo same'
expect_exit 0 "-b run"
expect_eq "-b: one block of 3 hosts" 1 "$(grep -c '(3)$' "$OUT")"
expect_eq "-b: the output once" 1 "$(grep -c '^same$' "$OUT")"

# ---- --outdir / --errdir: byte-exact files, 1 MiB from one host
head -c 1048576 /dev/urandom >"$T_DIR/big"
mkdir -p "$T_DIR/o" "$T_DIR/e"
fleet --outdir "$T_DIR/o" --errdir "$T_DIR/e" --max-output 100 -H "127.0.0.1:$P_OK" \
	-H "127.0.0.1:$P_MAIN" -- "cat $T_DIR/big; echo to-stderr >&2"
expect_exit 0 "--outdir run"
for p in "$P_OK" "$P_MAIN"; do
	if cmp -s "$T_DIR/big" "$T_DIR/o/127.0.0.1:$p"; then
		pass "--outdir: 1 MiB byte-exact for port $p"
	else
		fail "--outdir: 127.0.0.1:$p differs ($(stat -c %s "$T_DIR/o/127.0.0.1:$p" 2>/dev/null) bytes)"
	fi
	expect_eq "--errdir for port $p" to-stderr "$(cat "$T_DIR/e/127.0.0.1:$p")"
done

# ---- --stdin: the same bytes to every host, then EOF
head -c 300000 /dev/urandom >"$T_DIR/in"
want=$(sha256sum <"$T_DIR/in" | cut -d' ' -f1)
fleet --json --stdin "$T_DIR/in" -H "127.0.0.1:$P_OK" -H "127.0.0.1:$P_MAIN" -H "127.0.0.1:$P_EXIT" \
	-- 'sha256sum | cut -d" " -f1'
expect_exit 0 "--stdin run"
expect_eq "--stdin: every host got the same bytes" "$want $want $want" \
	"$(jq -j 'select(.type=="host") | .stdout' "$OUT" | tr '\n' ' ' | sed 's/ $//')"

# ---- untrusted X.509: the RFC 6187 peer with a certificate from another CA
PKI="$T_DIR/pki"
PKISH="$X509SSH_SRC/tests/lib/pki.sh"
"$PKISH" "$PKI" init >/dev/null
"$PKISH" "$PKI" leaf good --key ec256 --san "IP:127.0.0.1" --eku serverAuth >/dev/null
"$PKISH" "$PKI" leaf foreign --key ec256 --issuer other --san "IP:127.0.0.1" >/dev/null
start_peer good x509_server.py --key "$PKI/good.key" --chain "$PKI/good.chain.pem" \
	--host-key-algs x509v3-ecdsa-sha2-nistp256 --authorized-keys "$T_DIR/authorized_keys" \
	--log "$T_DIR/auth.good.log"
P_GOOD=$PEER_PORT
start_peer foreign x509_server.py --key "$PKI/foreign.key" --chain "$PKI/foreign.chain.pem" \
	--host-key-algs x509v3-ecdsa-sha2-nistp256 --authorized-keys "$T_DIR/authorized_keys" \
	--log "$T_DIR/auth.foreign.log"
P_FOREIGN=$PEER_PORT
fleet --json -o "CACertificateFile=$PKI/root.pem" -H "127.0.0.1:$P_GOOD" -H "127.0.0.1:$P_FOREIGN" \
	-H "127.0.0.1:$P_OK" -- 'echo x'
expect_exit 255 "untrusted certificate: 255"
expect_eq "X.509 trusted" "ok trusted" "$(jq -r --arg h "127.0.0.1:$P_GOOD" 'select(.host==$h) | "\(.status) \(.x509.verdict)"' "$OUT")"
expect_ne "X.509 subject" "null" "$(jq -r --arg h "127.0.0.1:$P_GOOD" 'select(.host==$h) | .x509.subject' "$OUT")"
expect_eq "X.509 untrusted" "trust x509" "$(jq -r --arg h "127.0.0.1:$P_FOREIGN" 'select(.host==$h) | "\(.status) \(.error.category)"' "$OUT")"
expect_eq "plain host beside them" ok "$(status_of "127.0.0.1:$P_OK")"

t_done
