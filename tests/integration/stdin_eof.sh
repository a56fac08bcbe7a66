#!/bin/bash
# Local stdin reaches the remote command, and its end reaches it too (channel EOF).
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

# `cat` only terminates when it sees EOF.
printf 'hello\nworld\n' >"$T_DIR/in.txt"
CLIENT_STDIN="$T_DIR/in.txt" run_client -- cat
expect_exit 0 "cat with stdin from a file"
expect_eq "cat echoes stdin" "$(printf 'hello\nworld')" "$(cat "$OUT")"

# Exact byte counts, including no bytes at all and sizes around window/packet boundaries.
for n in 0 1 32767 32768 32769 100000 2097153; do
	head -c "$n" /dev/urandom >"$T_DIR/in.bin"
	CLIENT_STDIN="$T_DIR/in.bin" run_client -- wc -c
	expect_exit 0 "wc -c of $n bytes"
	expect_eq "wc -c counts $n bytes" "$n" "$(tr -d ' ' <"$OUT")"
done

# /dev/null as stdin: immediate EOF.
run_client -- cat
expect_exit 0 "cat with /dev/null"
expect_eq "cat of nothing" 0 "$(stat -c %s "$OUT")"

# Stdin from a pipe whose writer finishes late: EOF is still delivered.
client_argv -- wc -c
set +e
(printf 'abc'; sleep 1; printf 'def') | env -u SSH_AUTH_SOCK timeout -k 5 "$CLIENT_TIMEOUT" "${CLIENT_ARGV[@]}" >"$OUT" 2>"$ERR"
RC=$?
check_sanitizer_report
set -e
expect_exit 0 "stdin from a slow pipe"
expect_eq "pipe bytes counted" 6 "$(tr -d ' ' <"$OUT")"

# The remote side stops reading early (head): the client must still finish.
head -c 5000000 /dev/zero >"$T_DIR/in.big"
CLIENT_STDIN="$T_DIR/in.big" run_client -- 'head -c 10 >/dev/null; echo done'
expect_no_crash "remote closes its stdin early"
expect_eq "remote finished" "done" "$(cat "$OUT")"

t_done
