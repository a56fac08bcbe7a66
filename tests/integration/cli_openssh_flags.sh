#!/bin/bash
# The OpenSSH command-line surface: the exact flag sets scp, sftp, sshfs, Ansible and
# ssh-copy-id pass (with -s replaced by a plain command: subsystems are tested elsewhere), the
# short flags, the errors for an unknown flag, a missing argument and a keyword that is not
# supported yet, where such a keyword does not matter (a Host block that does not apply,
# ClearAllForwardings), -O without a master, -V, -Q, -G to a full disk, BindAddress; the
# forwarding and jump flags and keywords in -G against OpenSSH's ssh -G.
. "$(dirname "$0")/../lib/common.sh"
require_client
start_sshd
ME=$(id -un)

# run_cfg CONFIG [option ...] -- [command ...]: run_client with -F CONFIG instead of /dev/null
run_cfg() {
	local cfg=$1
	shift
	client_argv "$@"
	for i in "${!CLIENT_ARGV[@]}"; do
		if [[ "${CLIENT_ARGV[$i]}" == -F ]]; then
			CLIENT_ARGV[i + 1]="$cfg"
		fi
	done
	set +e
	timeout -k 5 "$CLIENT_TIMEOUT" "${CLIENT_ARGV[@]}" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
}

# run_bare ARG...: the client with exactly these arguments (no standard options)
run_bare() {
	set +e
	timeout -k 5 "$CLIENT_TIMEOUT" "$X509SSH" "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	set -e
}

# expect_err_exact LINE DESCRIPTION: stderr's first line is exactly LINE
expect_err_exact() {
	expect_eq "$2" "$1" "$(head -n 1 "$ERR")"
}

# ---- the tools' flag sets, against the real server, byte-exact

# scp (OpenSSH 9, SFTP mode and -O legacy mode)
run_client -x -oPermitLocalCommand=no -oClearAllForwardings=yes -oRemoteCommand=none \
	-oRequestTTY=no -oForwardAgent=no -- echo scp
expect_exit 0 "scp's flags"
expect_stdout_eq "scp" "scp's flags: output"
expect_eq "scp's flags: stderr" "" "$(cat "$ERR")"

# sftp: space-separated values in one argument, lower-case keyword
run_client '-oForwardX11 no' '-oPermitLocalCommand no' '-oClearAllForwardings yes' \
	'-oForwardAgent no' '-obatchmode yes' -- echo sftp
expect_exit 0 "sftp's flags"
expect_stdout_eq "sftp" "sftp's flags: output"

# sshfs
run_client -x -a -oClearAllForwardings=yes -oCompression=yes -2 -- echo sshfs
expect_exit 0 "sshfs's flags"
expect_stdout_eq "sshfs" "sshfs's flags: output"

# Ansible's ssh connection plugin (-tt: a pty, so CR LF); OpenSSH would start a master here
if is_x509ssh; then
run_client -C -o ControlMaster=auto -o ControlPersist=60s \
	-o KbdInteractiveAuthentication=no \
	-o PreferredAuthentications=gssapi-with-mic,gssapi-keyex,hostbased,publickey \
	-o PasswordAuthentication=no -o "User=\"$ME\"" -o ConnectTimeout=10 \
	-o "ControlPath=\"$T_DIR/cp/a b\"" -tt -- "/bin/sh -c 'echo ansible && sleep 0'"
expect_exit 0 "Ansible's flags"
expect_eq "Ansible's flags: output through the pty" "$(printf 'ansible\r\n' | od -c)" \
	"$(od -c <"$OUT")"
fi

# Ansible's reset: -O check with its ControlPath; no master runs
run_bare -C -o ControlMaster=auto -o ControlPersist=60s -o "ControlPath=\"$T_DIR/cp/a b\"" \
	-O check -F /dev/null 127.0.0.1
expect_exit 255 "-O check without a master"
if is_x509ssh; then
	expect_err_exact "x509ssh: connect: Control socket connect($T_DIR/cp/a b): No such file or directory" \
		"-O check: the connect error for the socket"
	expect_error_line connect "-O check"
fi
# %C and the other tokens of ControlPath are expanded as OpenSSH expands them
if is_x509ssh && [[ -x /usr/bin/ssh ]]; then
	run_bare -F /dev/null -S "$T_DIR/cm-%C-%h-%p-%r-%%" -O check -l someone -p 2222 h.example
	expect_exit 255 "-O check with ControlPath tokens"
	expect_eq "-O check: the socket path OpenSSH would use" \
		"x509ssh: connect: $(/usr/bin/ssh -F /dev/null -S "$T_DIR/cm-%C-%h-%p-%r-%%" -O check \
			-l someone -p 2222 h.example 2>&1 | tr -d '\r')" "$(cat "$ERR")"
fi
run_bare -F /dev/null -O exit 127.0.0.1
expect_exit 255 "-O exit without a ControlPath"
if is_x509ssh; then
	expect_err_exact 'x509ssh: config: No ControlPath specified for "-O" command' \
		"-O exit without a ControlPath"
fi

# ssh-copy-id: -a -x, an empty PreferredAuthentications: no method is tried
run_client -a -x -o PreferredAuthentications=, -o ControlPath=none -- true
expect_exit 255 "ssh-copy-id's empty PreferredAuthentications"
expect_error_line auth "empty PreferredAuthentications"
# ... and with publickey, its key test works; it reads the server's version from -v
run_client -a -x -v -o PreferredAuthentications=publickey -o ControlPath=none -- echo copy
expect_exit 0 "ssh-copy-id's key test"
expect_stdout_eq "copy" "ssh-copy-id's key test: output"
expect_stderr_matches 'remote software version OpenSSH' "-v shows the remote software version"

# ---- short flags mapped onto keywords
run_client -c aes256-ctr -m hmac-sha2-512 -e none -b 127.0.0.1 -y -n -- echo short
expect_exit 0 "-c -m -e -b -y -n"
expect_stdout_eq "short" "-c -m -e -b -y -n: output"
run_client -c aes256-ctr -v -- true
expect_stderr_matches 'aes256-ctr' "-c picks the cipher"

# BindAddress / BindInterface: the server sees the address we bound
if is_x509ssh; then
	run_client -b 127.0.0.2 -- 'echo "${SSH_CLIENT%% *}"'
	expect_exit 0 "-b 127.0.0.2"
	expect_stdout_eq "127.0.0.2" "-b: the server sees the bound address"
	run_client -o BindAddress=127.0.0.3 -- 'echo "${SSH_CLIENT%% *}"'
	expect_stdout_eq "127.0.0.3" "BindAddress: the server sees the bound address"
	run_client -B lo -- 'echo "${SSH_CLIENT%% *}"'
	expect_exit 0 "-B lo"
	expect_stdout_eq "127.0.0.1" "-B lo: the loopback address"
	run_client -B no-such-if0 -- true
	expect_exit 255 "-B with an interface that does not exist"
	expect_error_line connect "-B no-such-if0"
fi

# RemoteCommand: used without a command; with one, an error
run_client -o 'RemoteCommand=printf "%%s|%h:%r\n" "r c"' --
expect_exit 0 "RemoteCommand"
expect_stdout_eq "r c|127.0.0.1:$ME" "RemoteCommand runs, as written, %-tokens expanded"
run_client -o 'RemoteCommand=true' -- true
expect_exit 255 "RemoteCommand and a command"
expect_error_line config "RemoteCommand and a command"

# PubkeyAuthentication no leaves (under BatchMode) no method
run_client -o PubkeyAuthentication=no -- true
expect_exit 255 "PubkeyAuthentication no"
expect_error_line auth "PubkeyAuthentication no"

# the no-effect keywords: a -v line each, a warning for ForwardX11 yes (ForwardAgent is
# implemented: agent_forward.sh)
if is_x509ssh; then
	run_client -v -X -o Compression=yes -- true
	expect_exit 0 "-X -v"
	expect_stderr_matches '^Warning: ForwardX11 yes has no effect in x509ssh' "-X warns"
	expect_stderr_matches '^debug1: Keyword Compression has no effect in x509ssh' "-v notes Compression"
	run_client -o ForwardX11=yes -- true
	expect_stderr_not_matches 'ForwardX11' "LogLevel ERROR hides the warning"
fi

# ---- errors
run_bare -Z 127.0.0.1
expect_exit 255 "unknown flag"
if is_x509ssh; then
	expect_err_exact "x509ssh: config: unknown option -Z" "unknown flag named"
	expect_stderr_matches '^usage: x509ssh' "unknown flag: the usage follows"
fi
run_bare 127.0.0.1 -p
expect_exit 255 "missing argument"
if is_x509ssh; then
	expect_err_exact "x509ssh: config: option -p needs an argument" "missing argument named"
fi
run_bare -1 127.0.0.1
expect_exit 255 "-1"
if is_x509ssh; then
	run_client -J jump.invalid -- true
	expect_exit 255 "-J to a jump host that does not resolve"
	expect_stderr_matches '^x509ssh: connect: jump host jump.invalid: ' "-J: the hop is named"
	run_client -o RefuseConnection=yes -- true
	expect_exit 255 "RefuseConnection yes"
	expect_stderr_matches '^x509ssh: config: RefuseConnection' "RefuseConnection named"
fi
# ClearAllForwardings=yes cancels -L and a config LocalForward
run_client -L 8080:localhost:80 -oClearAllForwardings=yes -- echo cleared
expect_exit 0 "-L cancelled by ClearAllForwardings"
expect_stdout_eq "cleared" "-L cancelled: output"

cat >"$T_DIR/cfg_fwd" <<CFG
Host elsewhere.example
	LocalForward 8080 localhost:80
	ProxyJump jump.example
	GSSAPIAuthentication yes
Host 127.0.0.1
	DynamicForward 1080
	ForwardAgent no
	AddKeysToAgent yes
	ControlMaster auto
	ControlPath ~/.ssh/cm-%r@%h:%p
	ControlPersist 10m
	HashKnownHosts no
	IdentityAgent none
	Compression yes
	UseKeychain yes
Host *
	IgnoreUnknown UseKeychain
CFG
if is_x509ssh; then # (OpenSSH would forward and share)
# IgnoreUnknown must come first: the UseKeychain line fails without it
run_cfg "$T_DIR/cfg_fwd" -- true
expect_exit 255 "an unknown keyword in a config file"
sed -i '1i IgnoreUnknown UseKeychain' "$T_DIR/cfg_fwd"
run_cfg "$T_DIR/cfg_fwd" -- echo dynamic
expect_exit 0 "a DynamicForward that applies: the session runs with it"
expect_stdout_eq "dynamic" "DynamicForward: output"
run_cfg "$T_DIR/cfg_fwd" -oClearAllForwardings=yes -- echo config
expect_exit 0 "ClearAllForwardings cancels a config DynamicForward"
expect_stdout_eq "config" "ClearAllForwardings: output"
sed -i 's/^Host 127.0.0.1$/Host 127.0.0.9/' "$T_DIR/cfg_fwd"
run_cfg "$T_DIR/cfg_fwd" -- echo elsewhere
expect_exit 0 "forwardings in Host blocks that do not apply"
expect_stdout_eq "elsewhere" "Host blocks that do not apply: output"
fi

# ---- -V, -Q, -G
run_bare -V
expect_exit 0 "-V"
if is_x509ssh; then
	expect_stderr_matches '^x509ssh [0-9.]+, OpenSSL [0-9]' "-V: version line"
fi
expect_eq "-V: nothing on stdout" "" "$(cat "$OUT")"
for q in cipher cipher-auth mac kex key key-plain key-sig sig protocol-version help; do
	run_bare -Q "$q"
	expect_exit 0 "-Q $q"
	expect_ne "-Q $q: a list" "" "$(cat "$OUT")"
done
run_bare -Q protocol-version
expect_stdout_eq "2" "-Q protocol-version"

if is_x509ssh; then
	run_bare -F /dev/null -G -o 'User="root"' -o 'ControlPath="/tmp/a b"' -o PubkeyAuthentication=no \
		-b 127.0.0.1 -o RemoteCommand='echo  "a  b" %h:%p' h.example
	expect_exit 0 "-G"
	expect_file_matches "$OUT" '^user root$' "-G: a quoted User value"
	expect_file_matches "$OUT" '^bindaddress 127.0.0.1$' "-G: bindaddress"
	expect_file_matches "$OUT" '^controlpath "/tmp/a b"$' "-G: a quoted ControlPath value"
	# as OpenSSH's -G: the tokens expanded, the line as written (no quoting added)
	expect_file_matches "$OUT" '^remotecommand echo  "a  b" h.example:22$' "-G: remotecommand"
	expect_file_matches "$OUT" '^preferredauthentications keyboard-interactive,password$' \
		"-G: PubkeyAuthentication no filters the methods"
	run_bare -F /dev/null -G h.example
	cp "$OUT" "$T_DIR/g.out"
	set +e
	"$X509SSH" -F /dev/null -G h.example >/dev/full 2>"$ERR"
	RC=$?
	set -e
	expect_exit 255 "-G to a full disk"
	expect_err_exact "x509ssh: config: cannot write the configuration: No space left on device" \
		"-G to a full disk: the error line"
fi

# ---- forwardings and jump hosts: -G prints them as OpenSSH's ssh -G (the same flags given to
# both; only their keywords compared)
FWD_KW='^(localforward|remoteforward|dynamicforward|gatewayports|exitonforwardfailure|permitremoteopen|proxyjump|clearallforwardings|sessiontype) '
# g_same DESCRIPTION FLAG...: x509ssh -G and ssh -G agree on those keywords
g_same() {
	local what=$1
	shift
	run_bare -F /dev/null -G "$@" h.example
	expect_exit 0 "-G $what"
	grep -E "$FWD_KW" "$OUT" | sort >"$T_DIR/g.ours"
	set +e
	/usr/bin/ssh -F /dev/null -G "$@" h.example 2>"$T_DIR/g.err" </dev/null |
		grep -E "$FWD_KW" | sort >"$T_DIR/g.openssh"
	set -e
	expect_eq "-G $what: as OpenSSH's ssh -G" "$(cat "$T_DIR/g.openssh")" "$(cat "$T_DIR/g.ours")"
}
if is_x509ssh && [[ -x /usr/bin/ssh ]]; then
	g_same "-L -R -D -g -J" -L 8080:db.example:5432 -L '[::1]:8443:[2001:db8::5]:443' \
		-L ':8081:h:81' -R 9090:localhost:22 -R 0:h:80 -R 8000 -R '*:8001' -D 1080 \
		-D '[::1]:1081' -L 8082:h:ssh -g -J 'u@bastion:2222,ssh://v@b2:22/' \
		-o ExitOnForwardFailure=yes -o 'PermitRemoteOpen=rtr1:22 [2001:db8::1]:*'
	g_same "LocalForward's two-value form" -o 'LocalForward=5 a:6' \
		-o 'RemoteForward=[::1]:7 [::2]:8' -o 'DynamicForward=*:9'
	g_same "duplicates" -L 1:h:2 -L 1:h:2 -o 'LocalForward 1 h:2'
	g_same "ClearAllForwardings" -o ClearAllForwardings=yes -L 1:h:2 -D 3 -R 4
	g_same "-W" -W rtr1:22 -L 1:h:2
	g_same "-W after ClearAllForwardings no" -o ClearAllForwardings=no \
		-o ExitOnForwardFailure=no -W '[2001:db8::1]:830' -L 1:h:2
	g_same "-J none" -J none -o ProxyJump=b
	g_same "-J IPv6" -J 'u@[2001:db8::7]:2222'
	g_same "defaults"

	run_bare -F /dev/null -L 8080:localhost:80 -G h.example
	expect_exit 0 "-G shows a LocalForward"
	run_bare -F /dev/null -L /tmp/sock:localhost:80 h.example true
	expect_exit 255 "-L with a Unix-domain socket"
	expect_err_exact "x509ssh: config: -L: bad LocalForward spec '/tmp/sock:localhost:80': Unix-domain socket forwarding is not supported" \
		"-L with a Unix-domain socket: named"
	printf 'Host *\n\tRemoteForward 9090 localhost\n' >"$T_DIR/cfg_badfwd"
	run_bare -F "$T_DIR/cfg_badfwd" -G h.example
	expect_exit 255 "a bad RemoteForward in a file"
	expect_err_exact "x509ssh: config: $T_DIR/cfg_badfwd:2: bad RemoteForward spec '9090 localhost': expected [bind_address:]port[:host:hostport]" \
		"a bad RemoteForward in a file: file, line, spec and cause"
	run_bare -F /dev/null -J a -J b h.example true
	expect_exit 255 "two -J"
	expect_err_exact "x509ssh: config: only a single -J option is permitted (use commas to separate multiple jump hops)" \
		"two -J: named"
fi

t_done
