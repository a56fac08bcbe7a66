# shellcheck shell=bash
# Helpers for the tests that drive real tools (scp, sftp, sshfs, rsync, git, Ansible, pssh,
# ssh-copy-id) with x509ssh in place of ssh (sourced after common.sh, never run).
#
# Each tool gets the client through its own mechanism (scp -S, sftp -S, sshfs -o ssh_command=,
# rsync -e, GIT_SSH_COMMAND, ansible_ssh_executable); only the tools that hard-code `ssh` from
# PATH (parallel-ssh, ssh-copy-id) get a directory with an `ssh` that is the client. The tools
# pass no -F, so the client's settings come from an isolated HOME: $HOME/.x509ssh/config holds
# the port, user, identity, known_hosts and BatchMode for the hosts below.
#
# Validating the tests themselves: with X509SSH=/usr/bin/ssh, TOOL_SSH is a small wrapper that
# runs OpenSSH's ssh with -F on the same settings (OpenSSH takes ~/.ssh/config from the password
# database, not from $HOME), so every case must pass against OpenSSH first.
#
#   tools_setup                 # sshd, HOME, config, TOOL_SSH, TOOL_BIN (the `ssh` shim dir),
#                               # and tools_dirs
#   tools_dirs                  # SRC, R, BACK: the local files, the server's side, the way back
#   tools_home_enter            # HOME=$TOOL_HOME, no agent, no askpass
#   run_tool WHAT CMD...        # stdout to $OUT, stderr to $ERR, $RC; a hang is a failure
#   expect_tool_ok WHAT         # exit 0, else the tool's stderr (and stdout) are shown
#   expect_same_file WHAT A B   # byte-exact (SHA-256)
#   expect_same_tree WHAT A B   # every file's SHA-256 and the list of paths

TOOL_TIMEOUT="${TOOL_TIMEOUT:-120}"
# The large file of the rsync tests, in MiB (200 by default; the ASan run may make it smaller).
TOOLS_BIG_MB="${TOOLS_BIG_MB:-200}"

# tools_config_body: the client settings for every host (first value wins: host blocks first).
tools_config_body() {
	cat <<EOF
Host tsrv
    HostName 127.0.0.1
    Port $SSHD_PORT
Host *
    User $(id -un)
    IdentityFile $CLIENT_KEY
    IdentitiesOnly yes
    UserKnownHostsFile $KNOWN_HOSTS
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    LogLevel ERROR
EOF
}

# tools_setup [sshd_config line ...]: start the test sshd, make the isolated HOME with the
# client's configuration, TOOL_SSH (the program given to the tools) and TOOL_BIN (a directory
# whose `ssh` is TOOL_SSH, for the tools that run `ssh` from PATH). The sshd's sessions get
# HOME=$T_DIR/remote-home: the remote commands (rsync, git-upload-pack, Ansible's python) then
# run without the login user's own ~/.bashrc, which bash sources for every command sshd starts
# and which costs most of a second on a machine with pyenv or the like.
tools_setup() {
	require_client
	mkdir -p "$T_DIR/remote-home"
	start_sshd "SetEnv HOME=$T_DIR/remote-home" "$@"
	TOOL_HOME="$T_DIR/home"
	mkdir -p "$TOOL_HOME/.x509ssh" "$TOOL_HOME/.ssh"
	chmod 700 "$TOOL_HOME" "$TOOL_HOME/.x509ssh" "$TOOL_HOME/.ssh"
	TOOL_CONFIG="$TOOL_HOME/.x509ssh/config"
	tools_config_body >"$TOOL_CONFIG"
	chmod 600 "$TOOL_CONFIG"
	TOOL_BIN="$T_DIR/bin"
	mkdir -p "$TOOL_BIN"
	if is_x509ssh; then
		TOOL_SSH="$X509SSH"
	else
		# OpenSSH (validating the harness): the same settings through -F
		TOOL_SSH="$TOOL_BIN/openssh-with-config"
		printf '#!/bin/sh\nexec %q -F %q "$@"\n' "$X509SSH" "$TOOL_CONFIG" >"$TOOL_SSH"
		chmod 755 "$TOOL_SSH"
	fi
	ln -sf "$TOOL_SSH" "$TOOL_BIN/ssh"
	tools_home_enter
	tools_dirs
}

# tools_home_enter: the tools run with HOME=$TOOL_HOME (the client reads its configuration
# there), with no agent and no askpass: everything comes from the configuration.
tools_home_enter() {
	export HOME="$TOOL_HOME"
	unset SSH_AUTH_SOCK SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY
}

# tools_dirs: the working directories every tool test uses, made empty: SRC (the local files
# to send), R (the server's side: the tools' remote paths), BACK (where the files come back).
tools_dirs() {
	SRC="$T_DIR/src"
	R="$T_DIR/remote"
	BACK="$T_DIR/back"
	mkdir -p "$SRC" "$R" "$BACK"
}

# run_tool WHAT COMMAND...: run a tool (stdin from /dev/null unless TOOL_STDIN names a file),
# stdout to $OUT, stderr to $ERR, exit status in $RC. A run longer than TOOL_TIMEOUT is killed
# and is a failure.
run_tool() {
	local what=$1
	shift
	local in=${TOOL_STDIN:-/dev/null}
	set +e
	timeout -k 5 "$TOOL_TIMEOUT" "$@" <"$in" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	TOOL_WHAT=$what
	if [[ "$RC" == 124 || "$RC" == 137 ]]; then
		fail "$what: hung (killed after ${TOOL_TIMEOUT}s): $*"
	fi
	check_sanitizer_report
	return 0
}

# tool_show_output: the last lines of the tool's stdout (Ansible reports its errors there).
tool_show_output() {
	if [[ -s "$OUT" ]]; then
		printf '     tool stdout (last 15 lines):\n'
		tail -n 15 "$OUT" | cut -c1-400 | sed 's/^/     | /'
	fi
}

# expect_tool_ok [WHAT]: the last run_tool exited 0 (on failure: its stderr and stdout).
expect_tool_ok() {
	local what=${1:-$TOOL_WHAT}
	if [[ "$RC" == 0 ]]; then
		pass "$what: exit 0"
	else
		fail "$what: exit status $RC, expected 0"
		tool_show_output
	fi
}

# expect_same_file WHAT EXPECTED ACTUAL: ACTUAL exists and has the same SHA-256 as EXPECTED.
expect_same_file() {
	local what=$1 a=$2 b=$3
	if [[ ! -f "$b" ]]; then
		fail "$what: $b does not exist"
	elif [[ "$(sha256_of "$a")" == "$(sha256_of "$b")" ]]; then
		pass "$what: same SHA-256"
	else
		fail "$what: checksum mismatch: $a $(sha256_of "$a") ($(stat -c %s "$a") bytes) vs $b $(sha256_of "$b") ($(stat -c %s "$b") bytes)"
	fi
}

# tree_sums DIR: "sha256  relative/path" for every regular file under DIR, sorted; then every
# directory and symlink path (so empty directories and links count too).
tree_sums() {
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum &&
		find . -mindepth 1 \( -type d -o -type l \) -printf '%y %p\n' | sort)
}

# expect_same_tree WHAT EXPECTED_DIR ACTUAL_DIR
expect_same_tree() {
	local what=$1 a=$2 b=$3
	if [[ ! -d "$b" ]]; then
		fail "$what: $b is not a directory"
		return 0
	fi
	if diff <(tree_sums "$a") <(tree_sums "$b") >"$T_DIR/tree.diff" 2>&1; then
		pass "$what: same tree, same SHA-256 of every file"
	else
		fail "$what: trees differ: $(head -n 6 "$T_DIR/tree.diff" | tr '\n' ' ' | cut -c1-400)"
	fi
}

# make_random_file PATH KIB: KIB KiB of random data (no holes).
make_random_file() {
	head -c "$(($2 * 1024))" /dev/urandom >"$1"
}

# make_test_tree DIR: a small tree of files with awkward names and contents: empty, binary, a
# name with spaces, a subdirectory, a symlink, a file with no trailing newline.
make_test_tree() {
	local d=$1
	mkdir -p "$d/sub/deeper" "$d/empty dir"
	: >"$d/empty"
	make_random_file "$d/random.bin" 300
	make_random_file "$d/sub/with space.bin" 17
	printf 'no newline at the end' >"$d/sub/deeper/text"
	printf 'line 1\nline 2\n' >"$d/sub/lines.txt"
	ln -s sub/lines.txt "$d/link"
}
