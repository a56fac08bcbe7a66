#!/bin/bash
# x509ssh-fleet --shell (no root needed): a pty shell on each host gets the command line and
# `exit` as its input. The echo and the prompts are the shell's, so only these are checked: the
# command's output appears, it ran on a pty, its exit status is reported, a host whose sshd
# refuses the pty (PermitTTY no) gets status "channel" with "the server refused a pty" (and the
# command never runs there), a ForceCommand host reports its forced command's output and exit,
# no host says its stdin is not a terminal, and --shell with --stdin is refused up front.
. "$(dirname "$0")/../lib/common.sh"
FLEET="${X509SSH_FLEET:-$X509SSH_BUILD/x509ssh-fleet}"
[[ -x "$FLEET" ]] || die "no x509ssh-fleet at $FLEET"
command -v jq >/dev/null || die "jq is needed"
make_keys

P_EXIT=$(free_port)
start_sshd "Port $P_EXIT"
P_OK=$SSHD_PORT
start_sshd "PermitTTY no"
P_NOTTY=$SSHD_PORT
start_sshd "ForceCommand echo no shell here; exit 7"
P_FORCED=$SSHD_PORT
KH="$T_DIR/kh"
trust_ports "$KH" "$P_OK" "$P_EXIT" "$P_NOTTY" "$P_FORCED"
MARK="$T_DIR/ran"

fleet() { run_fleet 60 "$@"; }
field() { # HOST JQ-EXPR
	jq -r --arg h "127.0.0.1:$1" "select(.type==\"host\" and .host==\$h) | $2" "$OUT"
}

# the output is computed (the echoed command line shows $((6*7)), not 42; a line may start with
# the shell's terminal codes, so the lines are matched at their end); the port decides
# the exit; each run leaves a mark named after its port
CMD='set -- $SSH_CONNECTION; touch '"$MARK"'.$4; tty -s && echo on-a-pty-$((1+1)); echo hello-$((6*7)); [ $4 != '"$P_EXIT"' ] || exit 3'
fleet --json --shell -H "127.0.0.1:$P_OK" -H "127.0.0.1:$P_EXIT" -H "127.0.0.1:$P_NOTTY" \
	-H "127.0.0.1:$P_FORCED" -- "$CMD"
expect_exit 255 "a host without a pty makes the run 255"
expect_eq "shell: ok" "ok 0" "$(field "$P_OK" '"\(.status) \(.exit_status)"')"
expect_eq "shell: the command's output" 1 "$(field "$P_OK" .stdout | tr -d '\r' | grep -c 'hello-42$')"
expect_eq "shell: on a pty" 1 "$(field "$P_OK" .stdout | tr -d '\r' | grep -c 'on-a-pty-2$')"
expect_eq "shell: the exit status reported" "exit 3" "$(field "$P_EXIT" '"\(.status) \(.exit_status)"')"
expect_eq "shell: output before the exit" 1 "$(field "$P_EXIT" .stdout | tr -d '\r' | grep -c 'hello-42$')"
expect_eq "PermitTTY no: status" "channel" "$(field "$P_NOTTY" .status)"
expect_eq "PermitTTY no: the cause" "channel: the server refused a pty" "$(field "$P_NOTTY" .error.line)"
if [[ -e "$MARK.$P_NOTTY" ]]; then
	fail "PermitTTY no: the command ran without a pty"
else
	pass "PermitTTY no: the command did not run"
fi
expect_eq "ForceCommand: its exit" "exit 7" "$(field "$P_FORCED" '"\(.status) \(.exit_status)"')"
expect_eq "ForceCommand: its output" 1 "$(field "$P_FORCED" .stdout | tr -d '\r' | grep -cx 'no shell here')"
expect_stderr_not_matches 'Pseudo-terminal' "no host says its stdin is not a terminal"

# the status lines: the refused pty is named
fleet --shell -H "127.0.0.1:$P_NOTTY" -- true
expect_exit 255 "status lines: no pty"
expect_file_matches "$OUT" "127\\.0\\.0\\.1:$P_NOTTY \\(channel: the server refused a pty, " \
	"status line names the refused pty"

# --shell sends the command as the shell's input: --stdin cannot go with it
fleet --shell --stdin /dev/null -H "127.0.0.1:$P_OK" -- true
expect_exit 255 "--shell with --stdin"
expect_eq "--shell with --stdin: one error line" \
	"x509ssh-fleet: config: --shell sends the command line as the shell's input: no --stdin with it" \
	"$(cat "$ERR")"

t_done
