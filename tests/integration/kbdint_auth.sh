#!/bin/bash
# keyboard-interactive against a scripted asyncssh peer: several rounds and prompts, the server's
# name and instruction shown, answers through SSH_ASKPASS (SSH_ASKPASS_REQUIRE=force), wrong
# answers retried NumberOfPasswordPrompts times, BatchMode never prompting.
. "$(dirname "$0")/../lib/common.sh"
require_client

ssh-keygen -q -t ed25519 -N '' -C peer -f "$T_DIR/peer_host" </dev/null
cat >"$T_DIR/rounds.json" <<'JSON'
[
 {"name": "Two-factor login", "instruction": "Answer the questions below.\nLine two of the instruction.",
  "prompts": [["Password: ", false, "s3cret"], ["Favourite colour: ", true, "blue"]]},
 {"name": "", "instruction": "Second round",
  "prompts": [["One-time code: ", false, "123456"]]},
 {"name": "Notice", "instruction": "All checks passed.", "prompts": []}
]
JSON
start_peer kbd x509_server.py --key "$T_DIR/peer_host" --kbdint "$T_DIR/rounds.json" \
	--log "$T_DIR/peer.log"
KNOWN_HOSTS="$T_DIR/kh_peer"
printf '[127.0.0.1]:%s %s\n' "$PEER_PORT" "$(cut -d' ' -f1,2 "$T_DIR/peer_host.pub")" >"$KNOWN_HOSTS"
export CLIENT_PORT=$PEER_PORT # read by client_argv

# The askpass program answers by prompt text (a tab-separated table) and logs every prompt.
cat >"$T_DIR/askpass" <<'SH'
#!/bin/bash
printf '%s\n' "$1" >>"$ASKPASS_LOG"
q=${1#"($ASKPASS_WHO) "}
while IFS=$'\t' read -r p a; do
	if [[ "$p" == "$q" ]]; then
		printf '%s\n' "$a"
		exit 0
	fi
done <"$ASKPASS_ANSWERS"
exit 1
SH
chmod 755 "$T_DIR/askpass"
export SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force ASKPASS_LOG="$T_DIR/askpass.log"
ASKPASS_WHO="$(id -un)@127.0.0.1"
export ASKPASS_ANSWERS="$T_DIR/answers" ASKPASS_WHO
unset DISPLAY WAYLAND_DISPLAY

answers() {
	printf 'Password: \t%s\nFavourite colour: \tblue\nOne-time code: \t%s\n' "$1" "$2" >"$ASKPASS_ANSWERS"
	: >"$ASKPASS_LOG"
	: >"$T_DIR/peer.log"
}
count() {
	grep -c -x -F -- "$1" "$2" || true
}
kbd_opts=(-o BatchMode=no -o LogLevel=INFO -o PreferredAuthentications=keyboard-interactive)

# ---- every round answered: authenticated, the command runs
answers s3cret 123456
run_client "${kbd_opts[@]}" -- echo kbdint-ok
expect_exit 0 "three rounds answered"
expect_stdout_eq "kbdint-ok" "command output after keyboard-interactive"
# each prompt says who asks, as OpenSSH's do: "(user@host) Password: "
w="($ASKPASS_WHO) "
expect_eq "prompts asked, in order" "${w}Password: |${w}Favourite colour: |${w}One-time code: |" \
	"$(tr '\n' '|' <"$ASKPASS_LOG")"
expect_eq "rounds accepted by the server" "kbdint-round 1 ok|kbdint-round 2 ok|kbdint-round 3 ok|" \
	"$(grep '^kbdint-round' "$T_DIR/peer.log" | tr '\n' '|')"
expect_file_matches "$T_DIR/peer.log" '^auth-ok' "the server authenticated the user"
expect_stderr_matches '^Two-factor login[[:space:]]*$' "the round's name is shown"
expect_stderr_matches '^Answer the questions below\.[[:space:]]*$' "the instruction is shown"
expect_stderr_matches '^Line two of the instruction\.[[:space:]]*$' "the instruction's second line is shown"
expect_stderr_matches '^Second round[[:space:]]*$' "the second round's instruction is shown"
expect_stderr_matches '^All checks passed\.[[:space:]]*$' "a round without prompts shows its text"
expect_stderr_not_matches 's3cret|123456' "no answer appears on stderr"

# LogLevel QUIET shows no server text
answers s3cret 123456
run_client -o LogLevel=QUIET -o BatchMode=no -o PreferredAuthentications=keyboard-interactive -- true
expect_exit 0 "quiet keyboard-interactive"
expect_eq "nothing on stderr with LogLevel QUIET" "" "$(cat "$ERR")"

# ---- a wrong one-time code: the whole exchange is retried NumberOfPasswordPrompts times
answers s3cret 000000
run_client "${kbd_opts[@]}" -o NumberOfPasswordPrompts=2 -- echo should-not-run
expect_exit 255 "wrong answer"
expect_error_line auth "wrong answer"
expect_eq "no output" "" "$(cat "$OUT")"
expect_eq "keyboard-interactive attempts" 2 "$(count 'userauth keyboard-interactive '"$(id -un)"' -' "$T_DIR/peer.log")"
expect_eq "round 2 refused twice" 2 "$(count 'kbdint-round 2 fail' "$T_DIR/peer.log")"
expect_eq "code asked twice" 2 "$(count "${w}One-time code: " "$ASKPASS_LOG")"

answers s3cret 000000
run_client "${kbd_opts[@]}" -- true
expect_exit 255 "wrong answer, default NumberOfPasswordPrompts"
expect_eq "three attempts by default" 3 "$(count 'kbdint-round 2 fail' "$T_DIR/peer.log")"

# ---- the askpass program refuses (cancel): one attempt, then auth fails
answers s3cret 123456
printf 'nothing\tnothing\n' >"$ASKPASS_ANSWERS"
run_client "${kbd_opts[@]}" -- true
expect_exit 255 "askpass cancelled"
expect_error_line auth "askpass cancelled"
if is_x509ssh; then
	# (OpenSSH sends empty answers and asks again)
	expect_eq "one prompt only after a cancel" 1 "$(wc -l <"$ASKPASS_LOG")"
	expect_stderr_matches '^x509ssh: auth: .*cancelled' "the auth line says the prompt was cancelled"
fi

# ---- BatchMode: no prompt at all, no keyboard-interactive request
answers s3cret 123456
run_client -o BatchMode=yes -o LogLevel=INFO -o PreferredAuthentications=keyboard-interactive -- true
expect_exit 255 "BatchMode"
expect_error_line auth "BatchMode"
if is_x509ssh; then
	expect_stderr_matches '^x509ssh: auth: .*BatchMode' "the auth line names BatchMode"
fi
expect_eq "askpass never run in BatchMode" 0 "$(wc -l <"$ASKPASS_LOG")"
expect_file_not_matches "$T_DIR/peer.log" 'userauth keyboard-interactive' "no keyboard-interactive request in BatchMode"

# ---- PreferredAuthentications without keyboard-interactive: never tried
answers s3cret 123456
run_client -o BatchMode=no -o PreferredAuthentications=publickey,password -- true
expect_exit 255 "keyboard-interactive not preferred"
expect_file_not_matches "$T_DIR/peer.log" 'userauth keyboard-interactive' "keyboard-interactive not in PreferredAuthentications"
expect_eq "askpass not run" 0 "$(wc -l <"$ASKPASS_LOG")"

t_done
