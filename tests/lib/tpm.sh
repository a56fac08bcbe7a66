# shellcheck shell=bash
# tpm.sh: a TPM-backed PKCS#11 token for the integration tests (sourced after common.sh, never
# run): a software TPM (swtpm) with a fresh state in the temp dir, tpm2-abrmd as its resource
# manager on a private D-Bus, and a tpm2-pkcs11 store in the temp dir. Nothing outside $T_DIR is
# used (no /dev/tpm*, no system bus, no ~/.tpm2_pkcs11); every daemon is a t_track_pid child, so
# the EXIT trap of common.sh stops them. A wrong PIN counts against the TPM's dictionary-attack
# lockout (3 failures lock it for 1000 s): each test script starts its own TPM.
#
#   tpm_require            exit 77 (skip) when swtpm, tpm2-abrmd, dbus-daemon, tpm2_ptool or the
#                          module are not installed (tests/lib/install.sh installs them)
#   tpm_start              start the bed in $TPM_DIR=$T_DIR/tpm; exports DBUS_SESSION_BUS_ADDRESS,
#                          TPM2_PKCS11_TCTI, TPM2TOOLS_TCTI and TPM2_PKCS11_STORE (the module
#                          and tpm2_ptool find the TPM through them); dies on failure
#   tpm_token LABEL        a token with user PIN $TPM_PIN and SO PIN $TPM_SOPIN (the store's
#                          primary object is made by the first call)
#   tpm_key TOKEN LABEL ID ALG [--always-auth]
#                          a key pair made in the TPM (ALG as tpm2_ptool: ecc256, rsa2048, ...)
#                          with CKA_ID the text ID; its public key as PEM in $TPM_DIR/LABEL.pub.pem
#   tpm_cert TOKEN LABEL CERT.pem
#                          a certificate object for key LABEL (same CKA_ID)
#   tpm_uri TOKEN LABEL    the pkcs11: URI of the key with module-path=$TPM_MODULE (no PIN)
#
# Variables: TPM_MODULE (the tpm2-pkcs11 module), TPM_PIN, TPM_SOPIN, TPM_DIR.

TPM_MODULE=${TPM_MODULE:-/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so}
TPM_PIN=246810
TPM_SOPIN=13579135
TPM_DIR=
TPM_PRIMARY=0

tpm_require() {
	local c
	for c in swtpm tpm2-abrmd dbus-daemon dbus-send tpm2_ptool pkcs11-tool; do
		if ! command -v "$c" >/dev/null 2>&1; then
			printf '%s: skipped: %s is not installed (tests/lib/install.sh)\n' "$T_NAME" "$c"
			T_DONE_CALLED=1
			exit 77
		fi
	done
	if [[ ! -r "$TPM_MODULE" ]]; then
		printf '%s: skipped: %s is not installed (libtpm2-pkcs11-1)\n' "$T_NAME" "$TPM_MODULE"
		T_DONE_CALLED=1
		exit 77
	fi
}

# tpm_wait WHAT SECONDS PID CMD...: poll CMD every 50 ms until it succeeds; die when PID exits
# or after SECONDS
tpm_wait() {
	local what=$1 limit=$2 pid=$3 i
	shift 3
	for ((i = 0; i < limit * 20; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	die "tpm: $what did not start: $(tail -n 3 "$TPM_DIR/$what.log" 2>/dev/null | tr '\n' ' ')"
}

tpm_start() {
	local d pid root=()
	TPM_DIR=$T_DIR/tpm
	d=$TPM_DIR
	mkdir -p "$d/state" "$d/store"
	# the TPM on Unix sockets in the temp dir (no port to race for); TPM2_Startup is done by
	# swtpm itself
	swtpm socket --tpm2 --tpmstate "dir=$d/state" --server "type=unixio,path=$d/tpm.sock" \
		--ctrl "type=unixio,path=$d/tpm.sock.ctrl" --flags not-need-init,startup-clear \
		</dev/null >"$d/swtpm.log" 2>&1 &
	pid=$!
	t_track_pid "$pid"
	tpm_wait swtpm 10 "$pid" test -S "$d/tpm.sock.ctrl"
	tpm_wait swtpm 10 "$pid" test -S "$d/tpm.sock"

	# a private session bus: its address is the only way to reach this tpm2-abrmd
	cat >"$d/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$d/bus</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
	dbus-daemon --config-file="$d/bus.conf" --nofork --nopidfile </dev/null >"$d/dbus.log" 2>&1 &
	pid=$!
	t_track_pid "$pid"
	tpm_wait dbus 10 "$pid" test -S "$d/bus"
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$d/bus"

	if [[ "$(id -u)" == 0 ]]; then
		root=(--allow-root)
	fi
	tpm2-abrmd --session "${root[@]}" --logger=stdout --tcti="swtpm:path=$d/tpm.sock" \
		</dev/null >"$d/abrmd.log" 2>&1 &
	pid=$!
	t_track_pid "$pid"
	tpm_wait abrmd 20 "$pid" tpm_abrmd_up
	export TPM2_PKCS11_TCTI="tabrmd:bus_type=session"
	export TPM2TOOLS_TCTI=$TPM2_PKCS11_TCTI # tpm2_ptool runs tpm2-tools
	export TPM2_PKCS11_STORE="$d/store"
	TPM_PRIMARY=0
}

# tpm_abrmd_up: true once tpm2-abrmd owns its name on the private bus
tpm_abrmd_up() {
	dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:com.intel.tss2.Tabrmd | grep -q 'boolean true'
}

# tpm_ptool ARG...: tpm2_ptool on the store, its output in $TPM_DIR/ptool.log; dies on failure
tpm_ptool() {
	if ! tpm2_ptool "$@" --path "$TPM2_PKCS11_STORE" >>"$TPM_DIR/ptool.log" 2>&1; then
		die "tpm: tpm2_ptool $1 failed: $(tail -n 2 "$TPM_DIR/ptool.log" | tr '\n' ' ')"
	fi
}

tpm_token() { # tpm_token LABEL
	if [[ "$TPM_PRIMARY" == 0 ]]; then
		tpm_ptool init
		TPM_PRIMARY=1
	fi
	tpm_ptool addtoken --pid=1 --sopin="$TPM_SOPIN" --userpin="$TPM_PIN" --label="$1"
}

tpm_key() { # tpm_key TOKEN LABEL ID ALG [--always-auth]
	local tok=$1 label=$2 id=$3 alg=$4 aa=()
	if [[ "${5:-}" == --always-auth ]]; then
		aa=(--attr-always-authenticate)
	fi
	tpm_ptool addkey --label="$tok" --key-label="$label" --id="$id" --algorithm="$alg" \
		--userpin="$TPM_PIN" "${aa[@]}"
	tpm_pub "$tok" "$label"
}

# tpm_pub TOKEN LABEL: $TPM_DIR/LABEL.pub.pem, the key's public key object read with OpenSC's
# pkcs11-tool (not with the client under test)
tpm_pub() {
	if ! pkcs11-tool --module "$TPM_MODULE" --token-label "$1" --read-object --type pubkey \
		--label "$2" -o "$TPM_DIR/$2.pub.der" >"$TPM_DIR/pub.log" 2>&1 ||
		! openssl pkey -pubin -inform DER -in "$TPM_DIR/$2.pub.der" -out "$TPM_DIR/$2.pub.pem" \
			>>"$TPM_DIR/pub.log" 2>&1; then
		die "tpm: cannot read the public key of $2 on $1: $(tail -n 2 "$TPM_DIR/pub.log" | tr '\n' ' ')"
	fi
}

tpm_cert() { # tpm_cert TOKEN LABEL CERT.pem
	tpm_ptool addcert --label="$1" --key-label="$2" "$3"
}

tpm_uri() { # tpm_uri TOKEN LABEL
	printf 'pkcs11:token=%s;object=%s;type=private?module-path=%s' "$1" "$2" "$TPM_MODULE"
}
