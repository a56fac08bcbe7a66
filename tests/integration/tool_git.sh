#!/bin/bash
# git over GIT_SSH_COMMAND=x509ssh against the test sshd, with a bare repository on the
# "server" (a local directory): push into it, clone it (scp-like host:path and an ssh:// URL
# with a port, which git passes as -p only when it takes the command for OpenSSH's: it asks
# `CMD -G` first), commit and push from the clone, fetch; GIT_SSH_COMMAND with its own -F file;
# a host alias from ~/.ssh/config carrying OpenSSH-only keywords. Every check compares commit
# ids and the SHA-256 of each file, and runs git fsck on the server's copy.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tools.sh"
tools_setup

export GIT_AUTHOR_NAME=tester GIT_AUTHOR_EMAIL=tester@example.org
export GIT_COMMITTER_NAME=tester GIT_COMMITTER_EMAIL=tester@example.org
export GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
export GIT_SSH_COMMAND="$TOOL_SSH"
W="$T_DIR/work" # and tools_setup's R
mkdir -p "$W"

git init -q --bare -b main "$R/repo.git"
git init -q -b main "$W/src"
make_test_tree "$W/src/files"
rmdir "$W/src/files/empty dir" # git keeps no empty directories
make_random_file "$W/src/blob.bin" 3072
git -C "$W/src" add -A
git -C "$W/src" commit -q -m "first"
printf 'second\n' >"$W/src/second.txt"
git -C "$W/src" add -A
git -C "$W/src" commit -q -m "second"
HEAD1=$(git -C "$W/src" rev-parse HEAD)

# work_tree_matches WHAT DIR: DIR's checkout has the files of the source repository
work_tree_matches() {
	expect_same_tree "$1" "$W/src/files" "$2/files"
	expect_same_file "$1: blob.bin" "$W/src/blob.bin" "$2/blob.bin"
}

# server_has WHAT COMMIT: the bare repository's main is COMMIT and git fsck is clean
server_has() {
	expect_eq "$1: main on the server" "$2" "$(git -C "$R/repo.git" rev-parse main 2>&1)"
	if git -C "$R/repo.git" fsck --strict >"$T_DIR/fsck" 2>&1; then
		pass "$1: git fsck on the server"
	else
		fail "$1: git fsck on the server: $(head -n 3 "$T_DIR/fsck")"
	fi
}

run_tool "git push (host:path)" git -C "$W/src" push -q "tsrv:$R/repo.git" main
expect_tool_ok
server_has "git push" "$HEAD1"

run_tool "git clone (host:path)" git clone -q "tsrv:$R/repo.git" "$W/clone1"
expect_tool_ok
expect_eq "git clone: HEAD" "$HEAD1" "$(git -C "$W/clone1" rev-parse HEAD 2>&1)"
work_tree_matches "git clone" "$W/clone1"

if [[ -d "$W/clone1/.git" ]]; then
	make_random_file "$W/clone1/pushed.bin" 512
	git -C "$W/clone1" add -A
	git -C "$W/clone1" commit -q -m "from the clone"
	HEAD2=$(git -C "$W/clone1" rev-parse HEAD)
	run_tool "git push from a clone (origin)" git -C "$W/clone1" push -q origin main
	expect_tool_ok
	server_has "git push from a clone" "$HEAD2"
	run_tool "git fetch into the source repository" git -C "$W/src" fetch -q "tsrv:$R/repo.git" main
	expect_tool_ok
	expect_eq "git fetch: FETCH_HEAD" "$HEAD2" "$(git -C "$W/src" rev-parse FETCH_HEAD 2>&1)"
	git -C "$W/src" merge -q --ff-only FETCH_HEAD 2>/dev/null || true
	expect_same_file "git fetch: the pushed file" "$W/clone1/pushed.bin" "$W/src/pushed.bin"
else
	fail "git push from a clone: no clone to push from"
fi
HEAD_NOW=$(git -C "$R/repo.git" rev-parse main 2>&1 || true)

# ssh://host:port/path: git runs `CMD -G` to learn whether CMD takes OpenSSH's -p, then -p PORT
run_tool "git clone ssh://127.0.0.1:PORT/path" git clone -q "ssh://127.0.0.1:$SSHD_PORT$R/repo.git" "$W/clone2"
expect_tool_ok
expect_eq "git clone by URL with a port: HEAD" "$HEAD_NOW" "$(git -C "$W/clone2" rev-parse HEAD 2>&1)"
work_tree_matches "git clone by URL with a port" "$W/clone2"

# GIT_SSH_COMMAND carrying arguments: its own configuration file with -F
cat >"$T_DIR/git_config" <<EOC
Host gitsrv
    HostName 127.0.0.1
    Port $SSHD_PORT
$(tools_config_body | sed -n '/^Host \*/,$p' | tail -n +2)
EOC
GIT_SSH_COMMAND="$TOOL_SSH -F $T_DIR/git_config" run_tool "git clone, GIT_SSH_COMMAND with -F" \
	git clone -q "gitsrv:$R/repo.git" "$W/clone3"
expect_tool_ok
expect_eq "git clone with -F: HEAD" "$HEAD_NOW" "$(git -C "$W/clone3" rev-parse HEAD 2>&1)"

# a host alias defined only in ~/.ssh/config, among OpenSSH-only keywords (x509ssh reads
# ~/.x509ssh/config, then ~/.ssh/config; OpenSSH gets the same file through -F)
mkdir -p "$HOME/.ssh/sockets"
cat >"$HOME/.ssh/config" <<EOC
IgnoreUnknown UseKeychain
Host *.unused.example
    LocalForward 8080 127.0.0.1:80
    ProxyJump bastion.unused.example
Host dotssh
    HostName 127.0.0.1
    Port $SSHD_PORT
    ForwardAgent no
    ForwardX11 no
    AddKeysToAgent yes
    HashKnownHosts yes
    ControlMaster auto
    ControlPath $HOME/.ssh/sockets/%r@%h-%p
    ControlPersist 60
    Compression yes
    GSSAPIAuthentication no
    TCPKeepAlive yes
    ServerAliveInterval 30
    IdentityAgent none
    VisualHostKey no
    UpdateHostKeys no
    CheckHostIP no
    IPQoS lowdelay throughput
    UseKeychain yes
$(tools_config_body | sed -n '/^Host \*/,$p')
EOC
chmod 600 "$HOME/.ssh/config"
if is_x509ssh; then
	DOTSSH_SSH="$TOOL_SSH"
else
	DOTSSH_SSH="$TOOL_BIN/openssh-dotssh"
	printf '#!/bin/sh\nexec %q -F %q "$@"\n' "$X509SSH" "$HOME/.ssh/config" >"$DOTSSH_SSH"
	chmod 755 "$DOTSSH_SSH"
fi
GIT_SSH_COMMAND="$DOTSSH_SSH" run_tool "git clone, alias from ~/.ssh/config" \
	git clone -q "dotssh:$R/repo.git" "$W/clone4"
expect_tool_ok
expect_eq "git clone by a ~/.ssh/config alias: HEAD" "$HEAD_NOW" "$(git -C "$W/clone4" rev-parse HEAD 2>&1)"
work_tree_matches "git clone by a ~/.ssh/config alias" "$W/clone4"
if ! is_x509ssh; then
	# OpenSSH left a master running (ControlPersist): stop it
	"$DOTSSH_SSH" -O exit dotssh >/dev/null 2>&1 || true
fi

# a repository that does not exist: the clone fails and git says why
run_tool "git clone of a missing repository" git clone -q "tsrv:$R/missing.git" "$W/clone5"
expect_ne "git clone of a missing repository fails" 0 "$RC"
expect_stderr_matches "does not appear to be a git repository|not a git repository|No such file" \
	"git clone of a missing repository: git names the cause"

t_done
