#!/bin/bash
# scp -S x509ssh against the test sshd, in OpenSSH 9's default SFTP mode (scp runs the client
# with `-s -- host sftp`) and in the legacy -O mode (`scp -t` / `scp -f` as the remote command):
# a file and a tree each way, by host alias from the client's configuration and by address
# with -P; each compared by SHA-256. scp runs /usr/bin/ssh by absolute path, so only -S puts
# the client under test in place.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tools.sh"
tools_setup # SRC, R

make_random_file "$SRC/file.bin" 4096
make_test_tree "$SRC/tree"

# scp_case MODE_NAME [scp option ...]: upload and download a file and a tree with those options
scp_case() {
	local mode=$1
	shift
	local r="$R/$mode" back="$T_DIR/back.$mode"
	mkdir -p "$r" "$back"
	run_tool "scp $mode: upload a file" scp -S "$TOOL_SSH" "$@" "$SRC/file.bin" "tsrv:$r/file.bin"
	expect_tool_ok
	expect_same_file "scp $mode: uploaded file" "$SRC/file.bin" "$r/file.bin"
	run_tool "scp $mode: download a file" scp -S "$TOOL_SSH" "$@" "tsrv:$r/file.bin" "$back/file.bin"
	expect_tool_ok
	expect_same_file "scp $mode: downloaded file" "$SRC/file.bin" "$back/file.bin"
	# -r copies symlinks as the files they point to: compare against a dereferenced copy
	run_tool "scp $mode: upload a tree (-r)" scp -S "$TOOL_SSH" "$@" -r "$SRC/tree" "tsrv:$r/"
	expect_tool_ok
	run_tool "scp $mode: download the tree (-r)" scp -S "$TOOL_SSH" "$@" -r "tsrv:$r/tree" "$back/"
	expect_tool_ok
	expect_same_tree "scp $mode: tree there and back" "$T_DIR/tree.deref" "$back/tree"
	expect_same_tree "scp $mode: tree on the server" "$T_DIR/tree.deref" "$r/tree"
	# by address and port (-P), the options scp forwards with -o
	run_tool "scp $mode: -P and -o" scp -S "$TOOL_SSH" "$@" -P "$SSHD_PORT" -o ConnectTimeout=20 \
		"$SRC/file.bin" "127.0.0.1:$r/by-address.bin"
	expect_tool_ok
	expect_same_file "scp $mode: uploaded by address" "$SRC/file.bin" "$r/by-address.bin"
	# a remote file that does not exist: scp fails and says so
	run_tool "scp $mode: a missing remote file" scp -S "$TOOL_SSH" "$@" "tsrv:$r/missing" "$back/missing"
	expect_ne "scp $mode: a missing remote file fails" 0 "$RC"
	expect_stderr_matches "No such file" "scp $mode: a missing remote file is named"
}

cp -rL "$SRC/tree" "$T_DIR/tree.deref"
scp_case sftp
scp_case legacy -O

t_done
