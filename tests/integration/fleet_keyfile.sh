#!/bin/bash
# x509ssh-fleet with an encrypted key file (no root needed): its passphrase is asked once per run,
# not once per host (an askpass program counts the calls), with FILE.pub beside it and without;
# a wrong passphrase is asked three times in all, then no host uses the key (status auth);
# hosts with different keys have both asked before the first connection; BatchMode never asks.
. "$(dirname "$0")/../lib/common.sh"
FLEET="${X509SSH_FLEET:-$X509SSH_BUILD/x509ssh-fleet}"
[[ -x "$FLEET" ]] || die "no x509ssh-fleet at $FLEET"
make_keys

P2=$(free_port)
P3=$(free_port)
start_sshd "Port $P2" "Port $P3"
P1=$SSHD_PORT
KH="$T_DIR/kh"
trust_ports "$KH" "$P1" "$P2" "$P3"

K="$T_DIR/enc"
make_encrypted_key "$K"
cat "$K/key.pub" >>"$T_DIR/authorized_keys"
ASKLOG="$T_DIR/asklog"
printf '#!/bin/sh\necho "$1" >>"%s"\necho "${ASK_ANSWER:-sekrit}"\n' "$ASKLOG" >"$K/ask.sh"
chmod +x "$K/ask.sh"
calls() { if [[ -f "$ASKLOG" ]]; then wc -l <"$ASKLOG"; else echo 0; fi; }

# fleet KEY ANSWER [option ...]: the three hosts with KEY only, askpass answering ANSWER
fleet() {
	local key=$1 answer=$2
	shift 2
	rm -f "$ASKLOG"
	set +e
	env -u SSH_AUTH_SOCK -u DISPLAY SSH_ASKPASS="$K/ask.sh" SSH_ASKPASS_REQUIRE=force \
		ASK_ANSWER="$answer" setsid -w timeout -k 5 60 "$FLEET" -F /dev/null \
		-o "UserKnownHostsFile=$KH" -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes \
		-i "$K/$key" -l "$(id -un)" "$@" -H "127.0.0.1:$P1" -H "127.0.0.1:$P2" \
		-H "127.0.0.1:$P3" -- echo in </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
}

for key in key nopub; do
	fleet "$key" sekrit
	expect_exit 0 "$key: 3 hosts"
	expect_eq "$key: every host ran the command" 3 "$(grep -c ' OK ' "$OUT")"
	expect_eq "$key: one passphrase prompt for the run" 1 "$(calls)"
	expect_file_matches "$ASKLOG" "passphrase for key '$K/$key'" "$key: the prompt names the key"
done

fleet key wrong
expect_exit 255 "wrong passphrase"
expect_eq "wrong passphrase: asked three times in all" 3 "$(calls)"
expect_eq "wrong passphrase: no host logged in" 3 "$(grep -c ' AUTH ' "$OUT")"

# two hosts with a key file each, one host at a time (-j 1): both passphrases are asked before
# the first connection (the askpass notes how many logins sshd has accepted when it runs), so
# no prompt stops the loop while other hosts are connected
K2="$T_DIR/enc2"
make_encrypted_key "$K2"
cat "$K2/key.pub" >>"$T_DIR/authorized_keys"
printf '#!/bin/sh\necho "$1 accepted=$(grep -c "Accepted publickey" "%s")" >>"%s"\necho sekrit\n' \
	"$SSHD_LOG" "$ASKLOG" >"$K/ask_seen.sh"
chmod +x "$K/ask_seen.sh"
cat >"$T_DIR/two_keys.conf" <<EOF
Host h1
	HostName 127.0.0.1
	Port $P1
	IdentityFile $K/key
Host h2
	HostName 127.0.0.1
	Port $P2
	IdentityFile $K2/key
Host *
	IdentitiesOnly yes
	UserKnownHostsFile $KH
	GlobalKnownHostsFile /dev/null
EOF
rm -f "$ASKLOG"
before=$(grep -c "Accepted publickey" "$SSHD_LOG" || true)
set +e
env -u SSH_AUTH_SOCK -u DISPLAY SSH_ASKPASS="$K/ask_seen.sh" SSH_ASKPASS_REQUIRE=force \
	setsid -w timeout -k 5 60 "$FLEET" -F "$T_DIR/two_keys.conf" -l "$(id -un)" -j 1 \
	-H h1 -H h2 -- echo in </dev/null >"$OUT" 2>"$ERR"
RC=$?
set -e
expect_exit 0 "two keys: both hosts"
expect_eq "two keys: both ran the command" 2 "$(grep -c ' OK ' "$OUT")"
expect_eq "two keys: one prompt per key" 2 "$(calls)"
expect_file_matches "$ASKLOG" "'$K2/key'" "two keys: the second key was asked for"
expect_eq "two keys: both asked before any login" "0" "$(grep -vc "accepted=$before\$" "$ASKLOG" || true)"

fleet key sekrit -o BatchMode=yes
expect_exit 255 "BatchMode"
expect_eq "BatchMode: never asked" 0 "$(calls)"

t_done
