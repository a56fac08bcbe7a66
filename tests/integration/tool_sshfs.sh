#!/bin/bash
# sshfs -o ssh_command=x509ssh against the test sshd: mount a remote directory (sshfs runs the
# client with `-x -a -oClearAllForwardings=yes -2 -s -- host sftp`), write a file and a tree
# through the mount, read them back, rename and remove through it, unmount with fusermount3 -u;
# everything compared by SHA-256 on both sides. A second mount goes by address with -p.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tools.sh"
tools_setup
[[ -c /dev/fuse ]] || die "no /dev/fuse: sshfs cannot mount here"

MNT="$T_DIR/mnt" # and tools_setup's SRC, R
mkdir -p "$MNT"
make_random_file "$SRC/file.bin" 8192
make_test_tree "$SRC/tree"
make_random_file "$R/on-server.bin" 2048

SSHFS_PID=
# mount WHAT SSHFS_ARGUMENT...: sshfs in the foreground (-f) in the background, so the test
# owns the process; waits until the mount point is a FUSE mount or sshfs has exited.
mount_sshfs() {
	local what=$1 i
	shift
	SSHFS_ERR="$T_DIR/sshfs.$RANDOM.err"
	timeout -k 5 "$TOOL_TIMEOUT" sshfs -f -o ssh_command="$TOOL_SSH" "$@" "$MNT" </dev/null >"$SSHFS_ERR" 2>&1 &
	SSHFS_PID=$!
	t_track_pid "$SSHFS_PID"
	for ((i = 0; i < 400; i++)); do
		if mountpoint -q "$MNT"; then
			pass "$what: mounted"
			return 0
		fi
		kill -0 "$SSHFS_PID" 2>/dev/null || break
		sleep 0.05
	done
	local ERR=$SSHFS_ERR # fail() shows sshfs's stderr
	if kill -0 "$SSHFS_PID" 2>/dev/null; then
		fail "$what: no mount at $MNT after 20 s (sshfs still running)"
	else
		fail "$what: sshfs exited without mounting $MNT"
	fi
	return 1
}

# unmount WHAT: fusermount3 -u, then sshfs must exit 0
unmount_sshfs() {
	local what=$1 rc
	run_tool "$what: fusermount3 -u" fusermount3 -u "$MNT"
	expect_tool_ok
	set +e
	wait "$SSHFS_PID"
	rc=$?
	set -e
	# shellcheck disable=SC2034 # read by fail() and check_sanitizer_report
	local ERR=$SSHFS_ERR # fail() and the sanitizer check read sshfs's stderr
	expect_eq "$what: sshfs exit status after unmount" 0 "$rc"
	check_sanitizer_report
	SSHFS_PID=
}

if mount_sshfs "sshfs by host alias" "tsrv:$R"; then
	expect_same_file "read through the mount" "$R/on-server.bin" "$MNT/on-server.bin"
	cp "$SRC/file.bin" "$MNT/file.bin"
	# sshfs changes a symlink's owner through its target (SFTP has no lchown): copy the
	# link's target first, or cp -a fails whenever readdir lists `link` before `sub`.
	mkdir "$MNT/tree"
	cp -a "$SRC/tree/sub" "$MNT/tree/sub"
	cp -a "$SRC/tree/." "$MNT/tree/"
	sync
	expect_same_file "written through the mount, on the server" "$SRC/file.bin" "$R/file.bin"
	expect_same_file "written through the mount, read back" "$SRC/file.bin" "$MNT/file.bin"
	expect_same_tree "a tree written through the mount (cp -a), on the server" "$SRC/tree" "$R/tree"
	expect_same_tree "the tree read back through the mount" "$SRC/tree" "$MNT/tree"
	mv "$MNT/file.bin" "$MNT/renamed.bin"
	rm "$MNT/tree/random.bin"
	expect_same_file "renamed through the mount" "$SRC/file.bin" "$R/renamed.bin"
	expect_eq "removed through the mount" "gone" "$([[ -e "$R/tree/random.bin" || -e "$R/file.bin" ]] && echo present || echo gone)"
	unmount_sshfs "sshfs by host alias"
	expect_eq "the mount point is empty again" "" "$(ls -A "$MNT")"
fi

if mount_sshfs "sshfs by address, -p" -p "$SSHD_PORT" "127.0.0.1:$R"; then
	expect_same_file "read by address" "$SRC/file.bin" "$MNT/renamed.bin"
	unmount_sshfs "sshfs by address, -p"
fi

t_done
