#!/bin/bash
# password authentication against an asyncssh peer: the prompt through SSH_ASKPASS, wrong
# passwords retried NumberOfPasswordPrompts times, BatchMode never prompting, and the order of
# PreferredAuthentications between password and keyboard-interactive.
. "$(dirname "$0")/../lib/common.sh"
require_client

ssh-keygen -q -t ed25519 -N '' -C peer -f "$T_DIR/peer_host" </dev/null
cat >"$T_DIR/askpass" <<'SH'
#!/bin/bash
printf '%s\n' "$1" >>"$ASKPASS_LOG"
cat "$ASKPASS_ANSWER" 2>/dev/null || exit 1
SH
chmod 755 "$T_DIR/askpass"
export SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force ASKPASS_LOG="$T_DIR/askpass.log"
export ASKPASS_ANSWER="$T_DIR/answer"
unset DISPLAY WAYLAND_DISPLAY
me=$(id -un)

# peer NAME [x509_server.py option ...]: start a peer with the password "Corr3ct horse"
peer() {
	local name=$1
	shift
	start_peer "$name" x509_server.py --key "$T_DIR/peer_host" --password 'Corr3ct horse' \
		--log "$T_DIR/peer.$name.userauth" "$@"
	PLOG="$T_DIR/peer.$name.userauth"
	KNOWN_HOSTS="$T_DIR/kh_$name"
	printf '[127.0.0.1]:%s %s\n' "$PEER_PORT" "$(cut -d' ' -f1,2 "$T_DIR/peer_host.pub")" >"$KNOWN_HOSTS"
	export CLIENT_PORT=$PEER_PORT # read by client_argv
}
answer() {
	printf '%s\n' "$1" >"$ASKPASS_ANSWER"
	: >"$ASKPASS_LOG"
	: >"$PLOG"
}
count() {
	grep -c -x -F -- "$1" "$2" || true
}
pw_opts=(-o BatchMode=no -o PreferredAuthentications=password)

# ---- password only (no keyboard-interactive)
peer pw --no-kbdint

answer 'Corr3ct horse'
run_client "${pw_opts[@]}" -- echo password-ok
expect_exit 0 "right password"
expect_stdout_eq "password-ok" "command output after password"
expect_eq "the prompt" "$me@127.0.0.1's password: " "$(cat "$ASKPASS_LOG")"
expect_eq "one password request" 1 "$(count "userauth password $me -" "$PLOG")"
expect_file_matches "$PLOG" '^auth-ok' "the server authenticated the user"
expect_stderr_not_matches 'Corr3ct' "the password never appears on stderr"

answer 'wrong'
run_client "${pw_opts[@]}" -o NumberOfPasswordPrompts=2 -- echo should-not-run
expect_exit 255 "wrong password"
expect_error_line auth "wrong password"
expect_eq "no output" "" "$(cat "$OUT")"
expect_eq "asked NumberOfPasswordPrompts=2 times" 2 "$(wc -l <"$ASKPASS_LOG")"
expect_eq "two password requests" 2 "$(count "userauth password $me -" "$PLOG")"
expect_stderr_matches '^Permission denied, please try again\.' "the retry is announced"

answer 'wrong'
run_client "${pw_opts[@]}" -- true
expect_exit 255 "wrong password, default prompts"
expect_eq "asked 3 times by default" 3 "$(wc -l <"$ASKPASS_LOG")"

answer 'wrong'
run_client "${pw_opts[@]}" -o NumberOfPasswordPrompts=0 -- true
expect_exit 255 "NumberOfPasswordPrompts=0"
expect_error_line auth "NumberOfPasswordPrompts=0"
expect_eq "never asked with NumberOfPasswordPrompts=0" 0 "$(wc -l <"$ASKPASS_LOG")"

answer 'Corr3ct horse'
run_client -o BatchMode=yes -o PreferredAuthentications=password -- true
expect_exit 255 "BatchMode"
expect_error_line auth "BatchMode"
expect_eq "askpass never run in BatchMode" 0 "$(wc -l <"$ASKPASS_LOG")"
expect_file_not_matches "$PLOG" 'userauth password' "no password request in BatchMode"

# no askpass program and no terminal: fails at once, says why
answer 'Corr3ct horse'
client_argv "${pw_opts[@]}" -- true
set +e
SSH_ASKPASS='' SSH_ASKPASS_REQUIRE='' setsid -w timeout 30 "${CLIENT_ARGV[@]}" </dev/null >"$OUT" 2>"$ERR"
RC=$?
set -e
expect_exit 255 "no way to prompt"
expect_error_line auth "no way to prompt"
if is_x509ssh; then
	expect_stderr_matches '^x509ssh: auth: .*no terminal' "the auth line says there is nothing to prompt with"
fi
stop_peer

# ---- both methods offered (asyncssh also carries the password over keyboard-interactive):
# the order of PreferredAuthentications decides which is tried first
peer both
answer 'Corr3ct horse'
run_client -o BatchMode=no -o PreferredAuthentications=password,keyboard-interactive -- true
expect_exit 0 "password first"
expect_eq "first method tried" "password" "$(grep -v ' none ' "$PLOG" | head -n1 | cut -d' ' -f2)"

answer 'Corr3ct horse'
run_client -o BatchMode=no -o PreferredAuthentications=keyboard-interactive,password -- true
expect_exit 0 "keyboard-interactive first"
expect_eq "first method tried" "keyboard-interactive" "$(grep -v ' none ' "$PLOG" | head -n1 | cut -d' ' -f2)"
expect_eq "the keyboard-interactive prompt" "($me@127.0.0.1) Password:" "$(cat "$ASKPASS_LOG")"

# a wrong password: keyboard-interactive is used up first, then password, each 2 times
answer 'wrong'
run_client -o BatchMode=no -o NumberOfPasswordPrompts=2 \
	-o PreferredAuthentications=keyboard-interactive,password -- true
expect_exit 255 "wrong password over both methods"
expect_error_line auth "wrong password over both methods"
expect_eq "method order" "keyboard-interactive|keyboard-interactive|password|password|" \
	"$(grep -v ' none ' "$PLOG" | cut -d' ' -f2 | tr '\n' '|')"
t_done
