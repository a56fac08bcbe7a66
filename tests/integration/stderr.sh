#!/bin/bash
# The remote stderr arrives on local stderr, separate from stdout.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd

run_client -- 'echo to-out; echo to-err >&2; echo more-out; echo more-err >&2'
expect_exit 0 "mixed output"
expect_eq "stdout only has stdout" "$(printf 'to-out\nmore-out')" "$(cat "$OUT")"
expect_eq "stderr only has stderr" "$(printf 'to-err\nmore-err')" "$(cat "$ERR")"

# A larger stderr stream (extended data) is complete and stdout stays empty.
run_client -- 'head -c 300000 /dev/zero | tr "\0" e >&2'
expect_exit 0 "bulk stderr"
expect_eq "bulk stderr size" 300000 "$(stat -c %s "$ERR")"
expect_eq "stdout empty while stderr is busy" 0 "$(stat -c %s "$OUT")"

# Both at once, interleaved by the remote side.
run_client -- 'for i in $(seq 1 200); do echo "o$i"; echo "e$i" >&2; done'
expect_exit 0 "interleaved output"
expect_eq "interleaved stdout" "$(seq 1 200 | sed 's/^/o/')" "$(cat "$OUT")"
expect_eq "interleaved stderr" "$(seq 1 200 | sed 's/^/e/')" "$(cat "$ERR")"

# A failing command's message goes to stderr and the status passes through.
run_client -- 'echo oops >&2; exit 3'
expect_exit 3 "failing command"
expect_eq "error text on stderr" "oops" "$(cat "$ERR")"
expect_eq "nothing on stdout" "" "$(cat "$OUT")"

t_done
