#!/bin/bash
# parallel-ssh, parallel-scp and ssh-copy-id with x509ssh against the test sshd.
# parallel-ssh and ssh-copy-id run `ssh` from PATH (ssh-copy-id with `-a -x`, `-o
# PreferredAuthentications=,` style options and a `-v` probe), so they get a directory whose
# `ssh` is the client first in PATH; parallel-scp runs scp, which runs /usr/bin/ssh by absolute
# path, so it gets `-x "-S x509ssh"`. ssh-copy-id installs a new key (the login with the old
# one), then a login with only the new key works. Outputs compared by SHA-256.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tools.sh"
# ssh-copy-id appends to the remote ~/.ssh/authorized_keys (the sessions' HOME): sshd reads it too
tools_setup "AuthorizedKeysFile $T_DIR/authorized_keys $T_DIR/remote-home/.ssh/authorized_keys"
AK="$T_DIR/remote-home/.ssh/authorized_keys"

mkdir -p "$T_DIR/pssh-out" "$T_DIR/pssh-err" # and tools_setup's SRC, R
make_random_file "$SRC/file.bin" 2048
printf 'tsrv\ntsrv\n127.0.0.1:%s\n' "$SSHD_PORT" >"$T_DIR/hosts"

# ---- parallel-ssh: the client is the `ssh` in PATH
run_tool "parallel-ssh" env PATH="$TOOL_BIN:$PATH" parallel-ssh -i -h "$T_DIR/hosts" -t 60 \
	-o "$T_DIR/pssh-out" -e "$T_DIR/pssh-err" "sha256sum $SRC/file.bin"
expect_tool_ok
n=$(grep -c '\[SUCCESS\]' "$OUT" || true)
expect_eq "parallel-ssh: every host succeeded" 3 "$n"
for f in "$T_DIR/pssh-out"/*; do
	expect_eq "parallel-ssh: output of $(basename "$f")" "$(sha256_of "$SRC/file.bin")  $SRC/file.bin" "$(cat "$f")"
done
if [[ "$RC" != 0 ]]; then
	head -n 5 "$T_DIR/pssh-err"/* 2>/dev/null | sed 's/^/     | /'
fi
# a remote command that fails: parallel-ssh reports it
run_tool "parallel-ssh, a failing command" env PATH="$TOOL_BIN:$PATH" parallel-ssh -i -H tsrv -t 60 "exit 3"
expect_ne "parallel-ssh: a failing command fails" 0 "$RC"
expect_file_matches "$OUT" "FAILURE.*Exited with error code 3" "parallel-ssh: the remote exit status 3 is reported"

# ---- parallel-scp: scp -S the client, given through -x
run_tool "parallel-scp -x '-S client'" parallel-scp -h "$T_DIR/hosts" -t 60 -x "-S $TOOL_SSH" \
	-e "$T_DIR/pssh-err" "$SRC/file.bin" "$R/pscp.bin"
expect_tool_ok
if [[ "$RC" != 0 ]]; then
	head -n 5 "$T_DIR/pssh-err"/* 2>/dev/null | sed 's/^/     | /'
fi
expect_same_file "parallel-scp: the copied file" "$SRC/file.bin" "$R/pscp.bin"

# ---- ssh-copy-id: the client is the `ssh` in PATH; it logs in with the configured key and
# appends a new key to the server's authorized_keys
ssh-keygen -q -t ed25519 -N '' -C new-key -f "$T_DIR/keys/id_new" </dev/null
# -f: no probe login first (the probe would log in with the configured key and skip the new one)
run_tool "ssh-copy-id" env PATH="$TOOL_BIN:$PATH" ssh-copy-id -f -i "$T_DIR/keys/id_new.pub" tsrv
expect_tool_ok
expect_eq "ssh-copy-id: the new key is installed, once" 1 \
	"$(grep -c "$(cut -d' ' -f2 "$T_DIR/keys/id_new.pub")" "$AK" 2>/dev/null || true)"
# a login with only the new key (the configured key is not offered: its own config file)
cat >"$T_DIR/newkey_config" <<EOC
Host *
    IdentityFile $T_DIR/keys/id_new
$(tools_config_body | sed -n '/^Host \*/,$p' | grep -v IdentityFile | tail -n +2)
EOC
run_tool "login with the installed key" "$X509SSH" -F "$T_DIR/newkey_config" -p "$SSHD_PORT" 127.0.0.1 echo new-key-works
expect_tool_ok
expect_stdout_eq "new-key-works" "login with the key ssh-copy-id installed"
# the same login fails when the key is not installed (the check above can fail)
rm -f "$AK"
run_tool "login with the key removed again" "$X509SSH" -F "$T_DIR/newkey_config" -p "$SSHD_PORT" 127.0.0.1 echo new-key-works
expect_ne "login with the key removed again fails" 0 "$RC"

t_done
