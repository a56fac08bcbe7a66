#!/bin/bash
# A legacy-only peer (SHA-1 key exchanges, hmac-sha1, an ssh-rsa host key, as old routers
# have): refused by default with a message naming both lists and the option that would help;
# reached through a config file Host block that enables exactly those algorithms for that host.
. "$(dirname "$0")/../lib/common.sh"
require_client
make_keys

ssh-keygen -q -t rsa -b 2048 -N '' -C legacy -f "$T_DIR/legacy_rsa" </dev/null
start_peer legacy x509_server.py --key "$T_DIR/legacy_rsa" --host-key-algs ssh-rsa \
	--kex diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1 \
	--ciphers aes128-ctr --macs hmac-sha1 --authorized-keys "$T_DIR/authorized_keys"
KNOWN_HOSTS="$T_DIR/kh_legacy"
printf '[127.0.0.1]:%s %s\n' "$PEER_PORT" "$(cut -d' ' -f1,2 "$T_DIR/legacy_rsa.pub")" >"$KNOWN_HOSTS"
CLIENT_PORT=$PEER_PORT

# ---- refused by default, with the way out
run_client -- echo should-not-run
expect_exit 255 "default algorithms"
expect_error_line kex "default algorithms"
if is_x509ssh; then
	expect_stderr_matches "^x509ssh: kex: no matching key exchange.*diffie-hellman-group14-sha1.*-o KexAlgorithms=\+diffie-hellman-group" \
		"the message names the server's list and the KexAlgorithms hint"
	expect_stderr_matches "^x509ssh: kex: .*curve25519-sha256" "the message names our list"
fi

# conf FILE KEX MAC HOSTKEY: a config whose "Host legacy-router" block enables the given
# algorithms (an empty argument leaves that line out)
conf() {
	{
		printf 'Host legacy-router\n\tHostName 127.0.0.1\n\tPort %s\n' "$PEER_PORT"
		[[ -n "$2" ]] && printf '\tKexAlgorithms %s\n' "$2"
		[[ -n "$3" ]] && printf '\tMACs %s\n' "$3"
		[[ -n "$4" ]] && printf '\tHostKeyAlgorithms %s\n' "$4"
		printf '\nHost *\n\tUserKnownHostsFile %s\n\tGlobalKnownHostsFile /dev/null\n' "$KNOWN_HOSTS"
		printf '\tIdentityFile %s\n\tIdentitiesOnly yes\n\tBatchMode yes\n\tUser %s\n' "$CLIENT_KEY" "$(id -un)"
	} >"$1"
}
# run_cfg FILE DEST [command]: the client with only that config file
run_cfg() {
	local f=$1 dest=$2
	shift 2
	set +e
	env -u SSH_AUTH_SOCK timeout -k 5 "$CLIENT_TIMEOUT" "$X509SSH" -F "$f" -o LogLevel=ERROR "$dest" "$@" \
		</dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_sanitizer_report
}

conf "$T_DIR/cfg_ok" +diffie-hellman-group14-sha1 +hmac-sha1 +ssh-rsa
run_cfg "$T_DIR/cfg_ok" legacy-router echo legacy-ok
expect_exit 0 "Host block enabling the legacy algorithms"
expect_stdout_eq "legacy-ok" "command output over the legacy algorithms"

# -G shows them added to the defaults for that host only
run_cfg "$T_DIR/cfg_ok" legacy-router -G
ghost=$(cat "$OUT")
run_cfg "$T_DIR/cfg_ok" 127.0.0.1 -G
gother=$(cat "$OUT")
if is_x509ssh; then
	expect_eq "-G kexalgorithms for the legacy host ends with the SHA-1 group" "diffie-hellman-group14-sha1" \
		"$(sed -n 's/^kexalgorithms //p' <<<"$ghost" | tr ',' '\n' | tail -n1)"
	expect_eq "-G: defaults kept first" "mlkem768x25519-sha256" \
		"$(sed -n 's/^kexalgorithms //p' <<<"$ghost" | cut -d, -f1)"
	expect_eq "-G macs for the legacy host" "hmac-sha1" "$(sed -n 's/^macs //p' <<<"$ghost" | tr ',' '\n' | tail -n1)"
	expect_eq "-G hostkeyalgorithms for the legacy host" "ssh-rsa" \
		"$(sed -n 's/^hostkeyalgorithms //p' <<<"$ghost" | tr ',' '\n' | tail -n1)"
	printf '%s\n' "$gother" >"$T_DIR/g_other"
	expect_file_not_matches "$T_DIR/g_other" '[ ,](diffie-hellman-group14-sha1|hmac-sha1|ssh-rsa)(,|$)' \
		"-G for another host: no legacy algorithm"
fi

# the same file, another destination name for the same server: the block does not apply
run_cfg "$T_DIR/cfg_ok" 127.0.0.1 -p "$PEER_PORT" echo should-not-run
expect_exit 255 "the legacy algorithms are enabled for one host only"
expect_error_line kex "other host"

# each of the three lines is needed: without it, the message names what is missing (x509ssh
# only: OpenSSH still offers hmac-sha1 by default)
if ! is_x509ssh; then
	t_done
fi
conf "$T_DIR/cfg_nokex" "" +hmac-sha1 +ssh-rsa
run_cfg "$T_DIR/cfg_nokex" legacy-router true
expect_exit 255 "without KexAlgorithms"
expect_stderr_matches "^x509ssh: kex: .*KexAlgorithms=\+diffie-hellman-group" "hint for KexAlgorithms"

conf "$T_DIR/cfg_nomac" +diffie-hellman-group14-sha1 "" +ssh-rsa
run_cfg "$T_DIR/cfg_nomac" legacy-router true
expect_exit 255 "without MACs"
expect_stderr_matches "^x509ssh: kex: .*MACs=\+hmac-sha1" "hint for MACs"

conf "$T_DIR/cfg_nohk" +diffie-hellman-group14-sha1 +hmac-sha1 ""
run_cfg "$T_DIR/cfg_nohk" legacy-router true
expect_exit 255 "without HostKeyAlgorithms"
expect_stderr_matches "^x509ssh: kex: .*HostKeyAlgorithms=\+ssh-rsa" "hint for HostKeyAlgorithms"

# the group-exchange variant alone works too
conf "$T_DIR/cfg_gex" +diffie-hellman-group-exchange-sha1 +hmac-sha1 +ssh-rsa
run_cfg "$T_DIR/cfg_gex" legacy-router echo gex-ok
expect_exit 0 "diffie-hellman-group-exchange-sha1"
expect_stdout_eq "gex-ok" "command output over group-exchange-sha1"

t_done
