#!/bin/bash
# -W host:port: stdin and stdout are a direct-tcpip channel (Debian's sshd on loopback). Bytes
# arrive exactly both ways, the end of the forwarded connection is ours (exit 0), a destination
# the server cannot reach is one error line and 255, and OpenSSH's ssh can use x509ssh -W as its
# ProxyCommand.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/forward.sh"
forward_setup 20

CLIENT_STDIN="$T_DIR/big" run_client -W "127.0.0.1:$ECHO_PORT" --
expect_exit 0 "-W to the echo service"
expect_eq "-W: 20 MiB byte-exact both ways" "$(sha256_of "$T_DIR/big")" "$(sha256_of "$OUT")"
expect_eq "-W: nothing on stderr" "" "$(cat "$ERR")"

: >"$T_DIR/empty"
CLIENT_STDIN="$T_DIR/empty" run_client -W "127.0.0.1:$ECHO_PORT" --
expect_exit 0 "-W with empty input"
expect_eq "-W with empty input: empty output" "0" "$(stat -c %s "$OUT")"

DEAD=$(free_port)
run_client -W "127.0.0.1:$DEAD" --
expect_exit 255 "-W to a closed port"
expect_error_line "channel" "-W to a closed port: one error line"
if is_x509ssh; then
	expect_stderr_matches "stdio forwarding to 127.0.0.1 port $DEAD failed" "the line names the destination"
fi

# OpenSSH's ssh through x509ssh -W (as a bastion's ProxyCommand); both use the same keys
client_argv -W '%h:%p' --
proxy=$(printf '%q ' "${CLIENT_ARGV[@]}")
set +e
timeout -k 5 60 /usr/bin/ssh -F /dev/null -o "UserKnownHostsFile=$KNOWN_HOSTS" \
	-o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR \
	-i "$CLIENT_KEY" -l "$(id -un)" -p "$SSHD_PORT" -o "ProxyCommand=$proxy" \
	127.0.0.1 'cat' <"$T_DIR/big" >"$T_DIR/ossh.out" 2>"$T_DIR/ossh.err"
orc=$?
set -e
expect_eq "OpenSSH with ProxyCommand 'x509ssh -W %h:%p': exit 0" "0" "$orc"
expect_eq "OpenSSH through x509ssh -W: 20 MiB byte-exact" "$(sha256_of "$T_DIR/big")" "$(sha256_of "$T_DIR/ossh.out")"
[[ "$orc" == 0 ]] || t_log "ssh stderr: $(cat "$T_DIR/ossh.err")"

t_done
