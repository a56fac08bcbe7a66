#!/bin/bash
# A token's PIN and a key file's passphrase do not stop the poll loop: through a jump host (a
# plain key), the destination's PIN or passphrase goes to an SSH_ASKPASS program that answers
# only once the client's log shows two more keepalives of the jump host than when it was started
# (ServerAliveCountMax 1: the second is only sent when the reply to the first was read, so the
# jump host's connection was served while the question was open). A client that blocks on the
# question never logs them: the program gives up after 20 s and the question goes unanswered.
# Then the PIN of a token both hops use is asked once, with one C_Login (pkcs11-spy), also
# when the hops name the token by different URIs.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/softhsm.sh"
require_client
if ! is_x509ssh; then
	t_log "skip: the log lines checked are x509ssh's"
	t_done
fi
make_keys
softhsm_use # $P, $M, $PIN, $TOK
softhsm_spy # $SPY

K="$T_DIR/enc"
make_encrypted_key "$K"
{
	cat "$K/key.pub"
	ssh-keygen -i -m PKCS8 -f "$P/ec.pub.pem"
} >>"$T_DIR/authorized_keys"
start_sshd
P1=$SSHD_PORT
start_sshd
P2=$SSHD_PORT
KH="$T_DIR/kh"
trust_host_keys "$KH" "$P1"
trust_host_keys "$KH.2" "$P2"
cat "$KH.2" >>"$KH"

CFG="$T_DIR/config"
cat >"$CFG" <<EOC
Host bastion
    Port $P1
    IdentityFile $CLIENT_KEY
    ServerAliveInterval 1
    ServerAliveCountMax 1
Host tokbastion
    Port $P1
    IdentityFile "$TOK;object=ec?module-path=$SPY"
Host tokbastion2
    Port $P1
    IdentityFile "pkcs11:token=x509ssh-test;id=%02?module-path=$SPY"
Host tok encpub encnopub
    ProxyJump bastion
Host both
    ProxyJump tokbastion
Host both2
    ProxyJump tokbastion2
Host tok both both2
    Port $P2
    IdentityFile "$TOK;object=ec?module-path=$SPY"
Host encpub
    Port $P2
    IdentityFile $K/key
Host encnopub
    Port $P2
    IdentityFile $K/nopub
Host *
    HostName 127.0.0.1
    User $(id -un)
    IdentitiesOnly yes
    UserKnownHostsFile $KH
    GlobalKnownHostsFile /dev/null
    BatchMode no
EOC

# the askpass program: with ASKPASS_WAIT=1 the answer once the log has two keepalives more than
# when it started, else (after 20 s: the loop is not running) it cancels; without, at once
cat >"$T_DIR/askpass" <<'SH'
#!/bin/bash
printf '%s\n' "$1" | head -n 1 >>"$ASKPASS_LOG"
case "$1" in
"Enter PIN for token"*) a=$ASKPASS_PIN ;;
"Enter passphrase for key"*) a=sekrit ;;
*) exit 1 ;;
esac
keepalives() { grep -c 'keepalive 1 of 1' "$CLIENT_LOG" 2>/dev/null || true; }
if [ "${ASKPASS_WAIT:-0}" = 1 ]; then
	first=$(keepalives)
	for _ in $(seq 200); do
		if [ "$(keepalives)" -ge $((first + 2)) ]; then
			printf '%s\n' "$a"
			exit 0
		fi
		sleep 0.1
	done
	echo "gave up waiting for keepalives" >>"$ASKPASS_LOG"
	exit 1
fi
printf '%s\n' "$a"
SH
chmod 755 "$T_DIR/askpass"

# run WAIT HOST: the client, fresh client, askpass and pkcs11-spy logs
run() {
	LOG="$T_DIR/client.$2.log"
	ALOG="$T_DIR/askpass.$2.log"
	SPYLOG="$T_DIR/spy.$2.log"
	: >"$ALOG"
	rm -f "$SPYLOG"
	set +e
	env -u SSH_AUTH_SOCK -u DISPLAY -u WAYLAND_DISPLAY SSH_ASKPASS="$T_DIR/askpass" \
		SSH_ASKPASS_REQUIRE=force ASKPASS_LOG="$ALOG" CLIENT_LOG="$LOG" ASKPASS_WAIT="$1" \
		ASKPASS_PIN="$PIN" PKCS11SPY="$M" PKCS11SPY_OUTPUT="$SPYLOG" \
		setsid -w timeout -k 5 "$CLIENT_TIMEOUT" "$X509SSH" -F "$CFG" -v -E "$LOG" "$2" \
		'echo served' </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_sanitizer_report
}
count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

# ---- the destination's token PIN, asked while the jump host is served
run 1 tok
expect_exit 0 "the PIN answered while the jump host was served"
expect_stdout_eq "served" "the command ran with the token key"
expect_eq "the PIN asked once, naming the token" "Enter PIN for token 'x509ssh-test': " "$(cat "$ALOG")"
expect_file_not_matches "$ALOG" 'gave up' "the keepalives came during the PIN question"
expect_eq "one C_Login" "1" "$(count "$SPYLOG" 'C_Login$')"

# ---- a key file's passphrase: with FILE.pub (asked once the server accepts the key) ...
run 1 encpub
expect_exit 0 "the passphrase (key with .pub) answered while the jump host was served"
expect_stdout_eq "served" "the command ran with the decrypted key (.pub)"
expect_eq "the passphrase asked once (.pub)" "Enter passphrase for key '$K/key': " "$(cat "$ALOG")"
expect_file_not_matches "$ALOG" 'gave up' "the keepalives came during the passphrase question (.pub)"

# ... and without (asked before the key is offered)
run 1 encnopub
expect_exit 0 "the passphrase (key without .pub) answered while the jump host was served"
expect_stdout_eq "served" "the command ran with the decrypted key (no .pub)"
expect_eq "the passphrase asked once (no .pub)" "Enter passphrase for key '$K/nopub': " "$(cat "$ALOG")"
expect_file_not_matches "$ALOG" 'gave up' "the keepalives came during the passphrase question (no .pub)"

# ---- one token for both hops: the PIN asked once, one login
run 0 both
expect_exit 0 "the token key on both hops"
expect_stdout_eq "served" "both hops: the command ran"
expect_eq "both hops: the PIN asked once" "1" "$(count "$ALOG" '^Enter PIN')"
expect_eq "both hops: one C_Login" "1" "$(count "$SPYLOG" 'C_Login$')"
expect_eq "both hops: one signature each" "2" "$(count "$SPYLOG" 'C_Sign$')"

# the hops name the token by different URIs (two loads of it): still one question, one login
run 0 both2
expect_exit 0 "the token named by two URIs"
expect_stdout_eq "served" "two URIs: the command ran"
expect_eq "two URIs: the PIN asked once" "1" "$(count "$ALOG" '^Enter PIN')"
expect_eq "two URIs: one C_Login" "1" "$(count "$SPYLOG" 'C_Login$')"
t_done
