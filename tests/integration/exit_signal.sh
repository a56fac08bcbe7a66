#!/bin/bash
# A remote command killed by a signal: the client exits 255 (and x509ssh names the signal).
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

run_client -- 'echo before; kill -TERM $$; echo after'
expect_exit 255 "remote killed by SIGTERM"
expect_stdout_eq before "output before the signal"
if is_x509ssh; then
	expect_stderr_matches 'TERM' "the signal is named on stderr"
fi

run_client -- 'kill -KILL $$'
expect_exit 255 "remote killed by SIGKILL"
if is_x509ssh; then
	expect_stderr_matches 'KILL' "SIGKILL is named on stderr"
fi

# Control: the same shell exiting normally is not a signal.
run_client -- 'exit 0'
expect_exit 0 "control: normal exit"

t_done
