#!/bin/bash
# Basic remote command execution: output, argument joining, the remote shell.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

run_client -- echo hello
expect_exit 0 "echo"
expect_stdout_eq "hello" "echo output"

# Several arguments are joined with spaces into one command line, as ssh(1) does.
run_client -- echo a b "c"
expect_exit 0 "multi-argument command"
expect_stdout_eq "a b c" "arguments joined with spaces"

# The command is interpreted by the remote shell.
run_client -- 'printf "%s|" "x y" z; echo'
expect_exit 0 "shell syntax"
expect_stdout_eq "x y|z|" "remote shell quoting"

# Output without a trailing newline, and several lines, arrive byte for byte.
run_client -- 'printf "one\ntwo\nthree"'
expect_eq "multi-line output" "$(printf 'one\ntwo\nthree' | sha256sum)" "$(sha256sum <"$OUT")"

# The remote user is the one we asked for.
run_client -- id -un
expect_stdout_eq "$(id -un)" "remote user"

# A successful command writes nothing to stderr (LogLevel=ERROR).
run_client -- true
expect_exit 0 "true"
expect_eq "stderr of a quiet command" "" "$(cat "$ERR")"

t_done
