#!/bin/bash
# sftp -S x509ssh in batch mode against the test sshd (internal-sftp): put, get, mkdir, rename,
# ls and a recursive put/get, then the files compared by SHA-256; a failing batch command makes
# sftp fail. sftp runs /usr/bin/ssh by absolute path, so only -S puts the client under test in
# place; sftp passes space-separated, lower-case -o options (-oForwardX11 no, -obatchmode yes).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tools.sh"
tools_setup # SRC, R, BACK

make_random_file "$SRC/file.bin" 4096
make_random_file "$SRC/second.bin" 65
: >"$SRC/empty"
make_test_tree "$SRC/tree"
rm "$SRC/tree/link" # sftp put -R refuses to follow symlinks by default: keep the tree plain

cat >"$T_DIR/put.batch" <<EOB
cd $R
put $SRC/file.bin
put $SRC/second.bin renamed-later.bin
rename renamed-later.bin second.bin
put $SRC/empty
mkdir sub
put $SRC/file.bin sub/copy.bin
put -R $SRC/tree
ls -l
EOB
run_tool "sftp -b: put" sftp -S "$TOOL_SSH" -b "$T_DIR/put.batch" tsrv
expect_tool_ok
expect_same_file "sftp put" "$SRC/file.bin" "$R/file.bin"
expect_same_file "sftp put + rename" "$SRC/second.bin" "$R/second.bin"
expect_same_file "sftp put of an empty file" "$SRC/empty" "$R/empty"
expect_same_file "sftp put into a new directory" "$SRC/file.bin" "$R/sub/copy.bin"
expect_same_tree "sftp put -R" "$SRC/tree" "$R/tree"
expect_file_matches "$OUT" "second\\.bin" "sftp ls lists what was put"

cat >"$T_DIR/get.batch" <<EOB
cd $R
lcd $BACK
get file.bin
get second.bin
get sub/copy.bin
get -R tree
EOB
run_tool "sftp -b: get" sftp -S "$TOOL_SSH" -b "$T_DIR/get.batch" tsrv
expect_tool_ok
expect_same_file "sftp get" "$SRC/file.bin" "$BACK/file.bin"
expect_same_file "sftp get (second)" "$SRC/second.bin" "$BACK/second.bin"
expect_same_file "sftp get from a subdirectory" "$SRC/file.bin" "$BACK/copy.bin"
expect_same_tree "sftp get -R" "$SRC/tree" "$BACK/tree"

# by address with -P and an -o option sftp forwards; the batch read from stdin
printf 'get %s %s\n' "$R/second.bin" "$BACK/by-address.bin" >"$T_DIR/addr.batch"
TOOL_STDIN="$T_DIR/addr.batch" run_tool "sftp -b - by address, -P, -o" \
	sftp -S "$TOOL_SSH" -P "$SSHD_PORT" -o ConnectTimeout=20 -b - 127.0.0.1
expect_tool_ok
expect_same_file "sftp get by address" "$SRC/second.bin" "$BACK/by-address.bin"

# a batch command that fails makes sftp fail (so a broken transfer cannot pass)
printf 'get %s/does-not-exist %s/x\n' "$R" "$BACK" >"$T_DIR/bad.batch"
run_tool "sftp -b: get of a missing file" sftp -S "$TOOL_SSH" -b "$T_DIR/bad.batch" tsrv
expect_ne "sftp: a failing batch command fails" 0 "$RC"
expect_stderr_matches "not found|No such file" "sftp: the missing file is named"

t_done
