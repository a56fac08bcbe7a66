#!/bin/bash
# Ansible (Debian's ansible-core, ssh connection plugin) with x509ssh as its ssh against the test
# sshd. The inventory names the client (ansible_ssh_executable), the address, port, user and
# identity, and gives scp and sftp `-S x509ssh` through scp_extra_args / sftp_extra_args (both run
# /usr/bin/ssh otherwise). Ansible passes its defaults untouched: -C, ControlMaster=auto,
# ControlPersist, ControlPath, quoted User="...", PreferredAuthentications, ConnectTimeout, ...
#
# For every ssh_transfer_method (sftp, scp, piped, smart), with pipelining off and on, an
# inventory host of its own (each on its own sshd port, so Ansible's log tells them apart), all
# in one ansible-playbook run (forks in parallel): ping, command (with arguments, with stdin),
# copy of a binary file and of inline content, stat with SHA-256, fetch; the playbook asserts
# the results and the test compares what reached the server and what came back by SHA-256.
# TOOLS_ANSIBLE_METHODS limits the methods (default: all four). Ad-hoc `ansible` (ping,
# command, copy) runs with the client named in an ansible.cfg instead. With -vvv, Ansible's log
# proves which program ran each step: the client (never a bare `ssh`), and scp / sftp only with
# -S pointing at it.
. "$(dirname "$0")/../lib/common.sh"
TOOL_TIMEOUT=${TOOL_TIMEOUT:-300} # one playbook run does everything (the sanitizer build is slower)
. "$(dirname "$0")/../lib/tools.sh"
COMBOS=()
for method in ${TOOLS_ANSIBLE_METHODS:-sftp scp piped smart}; do
	COMBOS+=("$method-False" "$method-True")
done
declare -A CPORT=()
PORT_LINES=()
for c in "${COMBOS[@]}"; do
	CPORT[$c]=$(free_port)
	PORT_LINES+=("Port ${CPORT[$c]}")
done
tools_setup "${PORT_LINES[@]}"
for c in "${COMBOS[@]}"; do
	for t in ed25519 ecdsa rsa; do
		known_hosts_line "$T_DIR/keys/host_$t.pub" "${CPORT[$c]}" >>"$KNOWN_HOSTS"
	done
done

A="$T_DIR/ansible"
SRC="$A/src" # and tools_setup's R
mkdir -p "$SRC" "$A/local-tmp"
make_random_file "$SRC/random.bin" 1536
TEXT=$'tab\there "quotes" \'single\' $dollar {braces} ünïcode\nsecond line without newline'
printf '%s' "$TEXT" >"$A/content.expected"

export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_LOCAL_TEMP="$A/local-tmp" ANSIBLE_HOME="$A/home"
export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_DEPRECATION_WARNINGS=0
export ANSIBLE_CONFIG="$A/empty.cfg"
: >"$ANSIBLE_CONFIG"

USER_NAME=$(id -un)
{
	printf '[servers]\n'
	for c in "${COMBOS[@]}"; do
		printf '%s ansible_port=%s ansible_ssh_transfer_method=%s ansible_pipelining=%s\n' \
			"$c" "${CPORT[$c]}" "${c%-*}" "${c#*-}"
	done
	printf '[servers:vars]\n'
	printf 'ansible_host=127.0.0.1\nansible_user=%s\nansible_ssh_private_key_file=%s\n' "$USER_NAME" "$CLIENT_KEY"
	printf 'ansible_ssh_executable=%s\n' "$TOOL_SSH"
	printf 'ansible_scp_extra_args="-S %s"\nansible_sftp_extra_args="-S %s"\n' "$TOOL_SSH" "$TOOL_SSH"
	printf 'ansible_remote_tmp=%s\n' "$R/ansible-tmp"
	printf 'dest=%s/{{ inventory_hostname }}\nfetched=%s/fetched-{{ inventory_hostname }}.bin\n' "$R" "$A"
} >"$A/inventory.ini"

cat >"$A/playbook.yml" <<'EOP'
- hosts: servers
  gather_facts: false
  tasks:
    - name: ping
      ping:
    - name: command with arguments
      command: printf '%s|' "{{ word }}" b
      register: cmd
    - assert:
        that: cmd.stdout == word + '|b|'
    - name: command with stdin
      command: sha256sum
      args:
        stdin: "{{ text }}"
        stdin_add_newline: false
      register: stdin_sum
    - assert:
        that: stdin_sum.stdout.split()[0] == text | hash('sha256')
    - name: a directory for the copies
      file:
        path: "{{ dest }}"
        state: directory
    - name: copy a binary file
      copy:
        src: "{{ src }}/random.bin"
        dest: "{{ dest }}/random.bin"
    - name: copy inline content
      copy:
        content: "{{ text }}"
        dest: "{{ dest }}/content.txt"
    - name: stat the binary file
      stat:
        path: "{{ dest }}/random.bin"
        checksum_algorithm: sha256
      register: st
    - assert:
        that: st.stat.checksum == random_sha
    - name: fetch the binary file
      fetch:
        src: "{{ dest }}/random.bin"
        dest: "{{ fetched }}"
        flat: true
EOP

# the extra variables as JSON (keeps the awkward text off the command line)
"$PYTHON" -c 'import json, sys
print(json.dumps({"src": sys.argv[1], "text": open(sys.argv[2], encoding="utf-8").read(),
                  "word": "a b\tc", "random_sha": sys.argv[3]}))' \
	"$SRC" "$A/content.expected" "$(sha256_of "$SRC/random.bin")" >"$A/vars.json"

# used_client WHAT METHOD [PORT]: Ansible's -vvv log shows the client ran (for PORT), no bare
# ssh ran, and the transfer went through METHOD (sftp / scp with -S the client, or piped
# through the client to dd; "none" when nothing was transferred)
used_client() {
	local what=$1 method=$2 q p=".*"
	if [[ -n "${3:-}" ]]; then
		p=" .*-o Port=$3 .*"
	fi
	q=$(printf '%s' "$TOOL_SSH" | sed 's/[][\.*^$/]/\\&/g')
	expect_file_matches "$OUT" "SSH: EXEC $q$p" "$what: Ansible ran the client ($TOOL_SSH)"
	expect_file_not_matches "$OUT" "SSH: EXEC ssh " "$what: Ansible never ran a bare ssh"
	case "$method" in
	sftp | smart)
		expect_file_matches "$OUT" "SSH: EXEC sftp$p-S $q " "$what: files went through sftp -S the client" ;;
	scp)
		expect_file_matches "$OUT" "SSH: EXEC scp$p-S $q " "$what: files went through scp -S the client" ;;
	piped)
		expect_file_matches "$OUT" "SSH: EXEC $q$p.*dd of=" "$what: files went through the client to dd" ;;
	esac
}

run_tool "ansible-playbook (${#COMBOS[@]} transfer method/pipelining hosts)" \
	ansible-playbook -vvv --forks "${#COMBOS[@]}" -i "$A/inventory.ini" -e "@$A/vars.json" "$A/playbook.yml"
expect_tool_ok
for c in "${COMBOS[@]}"; do
	what="playbook, transfer ${c%-*}, pipelining ${c#*-}"
	d="$R/$c"
	expect_file_matches "$OUT" "^$c +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0" \
		"$what: recap: nothing failed or unreachable"
	used_client "$what" "${c%-*}" "${CPORT[$c]}"
	expect_same_file "$what: copied binary file on the server" "$SRC/random.bin" "$d/random.bin"
	expect_same_file "$what: copied content on the server" "$A/content.expected" "$d/content.txt"
	expect_same_file "$what: fetched file" "$SRC/random.bin" "$A/fetched-$c.bin"
done

# ad-hoc ansible, the client named in ansible.cfg ([ssh_connection]), a plain inventory
cat >"$A/ansible.cfg" <<EOC
[defaults]
inventory = $A/plain.ini
remote_tmp = $R/ansible-tmp
[ssh_connection]
ssh_executable = $TOOL_SSH
scp_extra_args = -S $TOOL_SSH
sftp_extra_args = -S $TOOL_SSH
EOC
cat >"$A/plain.ini" <<EOI
testsrv ansible_host=127.0.0.1 ansible_port=$SSHD_PORT ansible_user=$USER_NAME ansible_ssh_private_key_file=$CLIENT_KEY
EOI
export ANSIBLE_CONFIG="$A/ansible.cfg"
run_tool "ansible -m ping" ansible -vvv testsrv -m ping
expect_tool_ok
expect_file_matches "$OUT" '"ping": "pong"' "ansible -m ping: pong"
used_client "ansible -m ping" none
run_tool "ansible -m command" ansible testsrv -m command -a "sha256sum $SRC/random.bin"
expect_tool_ok
expect_file_matches "$OUT" "^$(sha256_of "$SRC/random.bin")  " "ansible -m command: its output"
run_tool "ansible -m copy" ansible -vvv testsrv -m copy -a "src=$SRC/random.bin dest=$R/adhoc.bin"
expect_tool_ok
used_client "ansible -m copy" smart
expect_same_file "ansible -m copy" "$SRC/random.bin" "$R/adhoc.bin"

# a user the server does not have: Ansible reports the host unreachable (so a client that
# fails cannot pass)
cat >"$A/bad.ini" <<EOI
testsrv ansible_host=127.0.0.1 ansible_port=$SSHD_PORT ansible_user=no-such-user-x509ssh ansible_ssh_private_key_file=$CLIENT_KEY
EOI
run_tool "ansible as a user the server refuses" ansible -i "$A/bad.ini" testsrv -m ping
expect_ne "ansible as a refused user fails" 0 "$RC"
expect_file_matches "$OUT" "UNREACHABLE" "ansible as a refused user: the host is unreachable"

if ! is_x509ssh; then
	# OpenSSH's ControlPersist masters: stop them
	for s in "$A"/home/cp/* "$HOME"/.ansible/cp/*; do
		if [[ -S "$s" ]]; then
			"$TOOL_SSH" -O exit -o "ControlPath=$s" testsrv >/dev/null 2>&1 || true
		fi
	done
fi

t_done
