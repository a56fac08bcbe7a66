#!/bin/bash
# rsync -e x509ssh against the test sshd: push and pull a tree holding a large random file
# (TOOLS_BIG_MB MiB, 200 by default; made once per run, no holes), then a delta transfer after
# 1 MiB in the middle of the server's copy changed (rsync's rolling checksums: data flows both
# ways at once), and -e with arguments (-p PORT to an address). Compared by SHA-256 of every
# file; a failing rsync is shown with its stderr.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tools.sh"
tools_setup # SRC, R, BACK

make_test_tree "$SRC"
make_random_file "$SRC/big.bin" $((TOOLS_BIG_MB * 1024))

run_tool "rsync -e: push" rsync -a -e "$TOOL_SSH" "$SRC/" "tsrv:$R/tree/"
expect_tool_ok
expect_same_tree "rsync push (${TOOLS_BIG_MB} MiB file)" "$SRC" "$R/tree"

run_tool "rsync -e: pull" rsync -a -e "$TOOL_SSH" "tsrv:$R/tree/" "$BACK/tree/"
expect_tool_ok
expect_same_tree "rsync pull (${TOOLS_BIG_MB} MiB file)" "$SRC" "$BACK/tree"

# change 1 MiB in the middle of the server's copy (same size, same mtime: --checksum finds it)
make_random_file "$T_DIR/patch" 1024
dd if="$T_DIR/patch" of="$R/tree/big.bin" bs=1M seek=$((TOOLS_BIG_MB / 2)) conv=notrunc status=none
cp "$R/tree/big.bin" "$T_DIR/expected-big.bin"
run_tool "rsync -e: delta pull" rsync -a --checksum --no-whole-file --stats -e "$TOOL_SSH" \
	"tsrv:$R/tree/" "$BACK/tree/"
expect_tool_ok
expect_same_file "rsync delta pull of the changed file" "$T_DIR/expected-big.bin" "$BACK/tree/big.bin"
# the delta transfer moved far less than the file (the rest matched by checksum)
lit=$(sed -n 's/^Literal data: \([0-9,]*\) bytes.*/\1/p' "$OUT" | tr -d ,)
if [[ -n "$lit" ]] && ((lit < TOOLS_BIG_MB * 1024 * 1024 / 4)); then
	pass "rsync delta pull: $lit literal bytes, not the whole file"
else
	fail "rsync delta pull: literal data '${lit:-?}' (expected a delta, not the whole file)"
	tool_show_output
fi

# -e with arguments: the port on the command line, a plain address, and an -o option
run_tool "rsync -e 'client -p PORT -o ...': push by address" rsync -a \
	-e "$TOOL_SSH -p $SSHD_PORT -o ConnectTimeout=20" "$SRC/sub/" "127.0.0.1:$R/by-address/"
expect_tool_ok
expect_same_tree "rsync push by address" "$SRC/sub" "$R/by-address"

# a remote path that does not exist: rsync fails and says so
run_tool "rsync -e: missing remote path" rsync -a -e "$TOOL_SSH" "tsrv:$R/does-not-exist/" "$BACK/none/"
expect_ne "rsync: pulling a missing path fails" 0 "$RC"
expect_stderr_matches "No such file" "rsync: the missing path is named"

t_done
