#!/bin/bash
# The remote command's exit status is the client's exit status.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

for st in 0 1 7 42 254; do
	run_client -- "exit $st"
	expect_exit "$st" "remote 'exit $st'"
done

run_client -- false
expect_exit 1 "remote false"

# A command that does not exist: the remote shell's 127.
run_client -- /nonexistent/command
expect_exit 127 "missing remote command"

t_done
