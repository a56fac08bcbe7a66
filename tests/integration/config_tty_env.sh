#!/bin/bash
# RequestTTY (-t, -tt, -T, config yes/no/force/auto) and SetEnv / SendEnv, without a terminal:
# what the remote side sees.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd "AcceptEnv X509T_*"

# stdin is /dev/null here: "yes" and "auto" cannot give a pty, "force" and -tt do
run_client -tt -- 'tty >/dev/null && echo pty || echo nopty'
expect_exit 0 "-tt"
expect_eq "-tt: a pty even without a local terminal" "pty" "$(tr -d '\r' <"$OUT")"

run_client -o RequestTTY=force -- 'tty >/dev/null && echo pty || echo nopty'
expect_eq "RequestTTY force: a pty" "pty" "$(tr -d '\r' <"$OUT")"

run_client -o RequestTTY=force -T -- 'tty >/dev/null && echo pty || echo nopty'
expect_eq "-T wins over RequestTTY force" "nopty" "$(cat "$OUT")"

run_client -o RequestTTY=no -tt -- 'tty >/dev/null && echo pty || echo nopty'
expect_eq "-tt wins over RequestTTY no" "pty" "$(tr -d '\r' <"$OUT")"

run_client -t -o LogLevel=INFO -- 'tty >/dev/null && echo pty || echo nopty'
expect_eq "-t without a local terminal: no pty" "nopty" "$(cat "$OUT")"
expect_stderr_matches 'Pseudo-terminal will not be allocated because stdin is not a terminal' "-t without a terminal says why"

run_client -o RequestTTY=yes -o LogLevel=INFO -- 'tty >/dev/null && echo pty || echo nopty'
expect_eq "RequestTTY yes without a local terminal: no pty" "nopty" "$(cat "$OUT")"

run_client -o LogLevel=INFO -- 'tty >/dev/null && echo pty || echo nopty'
expect_eq "a command, auto: no pty" "nopty" "$(cat "$OUT")"
expect_stderr_not_matches 'Pseudo-terminal' "a command under auto does not mention the pty"

# the pty's size and TERM without a terminal: the defaults (80x24) and our TERM
# (OpenSSH sends 0x0 there)
TERM=vt220 run_client -tt -- 'echo "$(stty size) $TERM"'
if is_x509ssh; then
	expect_eq "pty size and TERM without a terminal" "24 80 vt220" "$(tr -d '\r' <"$OUT")"
fi

# binary data through -tt is still carried (with the remote pty's line discipline)
run_client -tt -- 'echo a; echo b'
expect_eq "pty output lines end in CR LF" "$(printf 'a\r\nb\r\n' | od -c)" "$(od -c <"$OUT")"

# ---- SetEnv and SendEnv
X509T_SEND=sent X509T_OTHER=other X509T_NOT=no run_client -o SetEnv=X509T_SET=set-value \
	-o SendEnv='X509T_SEND X509T_OTH*' -- 'echo "${X509T_SET:-unset}|${X509T_SEND:-unset}|${X509T_OTHER:-unset}|${X509T_NOT:-unset}"'
expect_exit 0 "SetEnv and SendEnv"
expect_eq "remote environment" "set-value|sent|other|unset" "$(cat "$OUT")"

cat >"$T_DIR/cfg_env" <<CFG
Host 127.0.0.1
	SetEnv X509T_SET="with space" X509T_TWO=2
	SendEnv X509T_SEND
CFG
client_argv -- 'echo "${X509T_SET:-unset}|${X509T_TWO:-unset}|${X509T_SEND:-unset}"'
for i in "${!CLIENT_ARGV[@]}"; do
	if [[ "${CLIENT_ARGV[$i]}" == -F ]]; then
		CLIENT_ARGV[i + 1]="$T_DIR/cfg_env"
	fi
done
set +e
X509T_SEND=from-config "${CLIENT_ARGV[@]}" </dev/null >"$OUT" 2>"$ERR"
RC=$?
set -e
expect_exit 0 "SetEnv from a config file"
expect_eq "remote environment from a config file" "with space|2|from-config" "$(cat "$OUT")"

# ---- a server that refuses the pty: said once, and the session goes on without one (as OpenSSH)
start_sshd "PermitTTY no"
run_client -tt -o LogLevel=INFO -- 'tty >/dev/null && echo pty || echo nopty'
expect_exit 0 "-tt, pty refused"
expect_eq "pty refused: the command ran without one" "nopty" "$(tr -d '\r' <"$OUT")"
expect_eq "pty refused: said once" 1 "$(grep -c '^PTY allocation request failed on channel 0$' "$ERR" || true)"

t_done
