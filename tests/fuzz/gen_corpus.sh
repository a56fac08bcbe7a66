#!/bin/bash
# Regenerate the seed corpora of tests/fuzz/corpus/<target>/ (reproducibly: the same files every
# time). fuzz_session and fuzz_certstore write their own seeds (X509SSH_FUZZ_GEN=DIR mode: valid
# transcripts, and DER chains / OCSP responses from the target's fixed-key PKI); the others are
# made here from tests/unit/data and small examples.
#
#   tests/fuzz/gen_corpus.sh [FUZZ_BUILD_DIR] [target ...]     (default build-fuzz, all targets)
set -euo pipefail

SRC="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD=${1:-$SRC/build-fuzz}
shift || true
CORPUS=$SRC/tests/fuzz/corpus
DATA=$SRC/tests/unit/data
targets=("$@")
if ((${#targets[@]} == 0)); then
	targets=(fuzz_session fuzz_certstore fuzz_keyfile fuzz_config fuzz_askpass fuzz_conn fuzz_keyblob
		fuzz_known_hosts fuzz_p11uri fuzz_x509blob fuzz_socks fuzz_kex_reply)
fi

fresh() {
	rm -rf "${CORPUS:?}/$1"
	mkdir -p "$CORPUS/$1"
}

# one byte (given as an octal escape for printf) followed by a file
prefixed() {
	{
		printf "$1"
		cat "$2"
	} >"$3"
}

# the base64 body of an OpenSSH armoured key, decoded: the openssh-key-v1 blob
openssh_blob() {
	sed -e '/^-----/d' "$1" | base64 -d
}

gen_keyfile() {
	local d=$CORPUS/fuzz_keyfile f b
	fresh fuzz_keyfile
	for f in "$DATA"/key_*; do
		b=$(basename "$f")
		case "$b" in
		*.pub | *.fp) continue ;;
		esac
		if grep -q 'ENCRYPTED' "$f" || [[ "$b" == *_enc* ]]; then
			prefixed '\001' "$f" "$d/pass-$b"
		else
			prefixed '\000' "$f" "$d/clear-$b"
		fi
		if grep -q 'BEGIN OPENSSH PRIVATE KEY' "$f"; then
			{
				printf '\002'
				openssh_blob "$f"
			} >"$d/blob-$b"
		fi
	done
}

# main file NUL included file; no '/' anywhere (fuzz_config skips such inputs)
gen_config() {
	local d=$CORPUS/fuzz_config
	fresh fuzz_config
	printf 'User fileuser\nHost router1.example.net !other.example.net *.example.org\n    Port 2201\n    IdentityFile ~id_router\n    ConnectTimeout=7\nHost *.example.net\n    Ciphers "aes128-ctr,aes256-ctr"\n    SendEnv LANG LC_*\nMatch host real-*.example.net\n    Port 2203\nMatch !host other\n    NumberOfPasswordPrompts 5\nMatch all\nInclude inc.conf\nHost *\n    BatchMode yes\n    StrictHostKeyChecking accept-new\n    # a comment\n    Port 2299 # trailing comment\n\000ServerAliveInterval 30\nServerAliveCountMax 2\nKexAlgorithms -diffie-hellman-group14-sha256\nMACs ^hmac-sha2-512-etm@openssh.com\n' >"$d/host-match-include"
	printf 'HostName rtr1.example.net\nX509HostKeys require\nX509HostName rtr-dc01.example.com\nX509Revocation require\nX509MaxChain 4\nX509AllowPartialChain yes\nX509HostPurposes secureShellServer,serverAuth\nX509NameFallbackCN no\nCACertificateFile ~ca.pem\nHostKeyAlgorithms +x509v3-ssh-rsa\nPubkeyAcceptedAlgorithms x509v3-rsa2048-sha256,rsa-sha2-256\nPreferredAuthentications publickey,keyboard-interactive,password\nUserFromCertificate cn\n' >"$d/x509"
	printf 'Host router1*\nRequestTTY force\nSetEnv FOO=bar "BAZ=two words"\nRekeyLimit 1G 1h\nEscapeChar none\nAddressFamily inet6\nLogLevel DEBUG3\nConnectionAttempts 3\nIdentitiesOnly yes\nIdentityFile pkcs11:token=Fuzz%%20Token;object=user?pin-source=file:pin.txt\nUserKnownHostsFile ~known_hosts ~known_hosts2\nHostKeyAlias rtr1\n\000Ciphers chacha20-poly1305@openssh.com\n' >"$d/misc-keywords"
	printf 'Match host router1.example.net\nInclude *.conf\n\000Port 22\nUser inc-user\nMatch all\nBatchMode no\n' >"$d/include-glob"
	printf 'Port=0\nCiphers +nope\nHost\n' >"$d/errors"
}

gen_askpass() {
	local d=$CORPUS/fuzz_askpass
	fresh fuzz_askpass
	printf '\000s3cret\n' >"$d/exit0-line"
	printf '\000s3cret\r\nsecond line\n' >"$d/exit0-crlf"
	printf '\001s3cret\n' >"$d/exit1-cancelled"
	printf '\002' >"$d/signal-empty"
	printf '\010longer-than-eight-bytes' >"$d/small-buffer"
	printf '\000pass\000word\n' >"$d/nul-inside"
	printf '\003\n' >"$d/status-unknown"
}

# byte 0 the method (0 hybrid, 1 curve25519, 2 nistp256, 3 group14), byte 1 bit 0: the server's
# valid reply XORed with the rest (cut to 8 * (byte 1 >> 1) bytes when non-zero), else the rest is
# the whole reply payload; in the hybrid's reply the length of Q_S is bytes 55..58 (K_S: 55 bytes)
gen_kex_reply() {
	local d=$CORPUS/fuzz_kex_reply
	fresh fuzz_kex_reply
	printf '\000\001' >"$d/hybrid-valid"
	printf '\001\001' >"$d/curve25519-valid"
	printf '\002\001' >"$d/p256-valid"
	printf '\003\001' >"$d/dh14-valid"
	printf '\000\203' >"$d/hybrid-cut-520"
	{
		printf '\000\001'
		head -c 58 /dev/zero
		printf '\001'
	} >"$d/hybrid-qs-1121"
	printf '\000\000\000\000\000\000' >"$d/hybrid-raw-empty"
	printf '\004\001' >"$d/sntrup-valid"
	printf '\004\203' >"$d/sntrup-cut-520"
}

# the server's first bytes: version line (with text lines before it), a plaintext KEXINIT packet
gen_conn() {
	fresh fuzz_conn
	python3 - "$CORPUS/fuzz_conn" <<'PY'
import struct, sys
d = sys.argv[1]
def s(b):
    return struct.pack(">I", len(b)) + b
def packet(payload):
    pad = 16 - (len(payload) + 5) % 16
    if pad < 4:
        pad += 16
    return struct.pack(">IB", len(payload) + pad + 1, pad) + payload + bytes(pad)
def kexinit(kex, hk, cipher, mac):
    lists = [kex, hk, cipher, cipher, mac, mac, b"none", b"none", b"", b""]
    return bytes([20]) + bytes(range(16)) + b"".join(s(x) for x in lists) + bytes(5)
for name, pre, kex, hk, cipher, mac in [
    ("curve25519-gcm", b"", b"curve25519-sha256,kex-strict-s-v00@openssh.com", b"ssh-ed25519",
     b"aes128-gcm@openssh.com", b"hmac-sha2-256"),
    ("ecdh-ctr-prebanner", b"Welcome to the router\r\nauthorised use only\r\n",
     b"ecdh-sha2-nistp256", b"rsa-sha2-256", b"aes128-ctr", b"hmac-sha2-256"),
    ("gex-cisco", b"", b"diffie-hellman-group-exchange-sha256", b"rsa-sha2-256",
     b"aes128-ctr", b"hmac-sha2-256"),
]:
    version = b"SSH-1.99-Cisco-1.25\r\n" if "cisco" in name else b"SSH-2.0-OpenSSH_9.2\r\n"
    with open(f"{d}/{name}", "wb") as out:
        out.write(pre + version + packet(kexinit(kex, hk, cipher, mac)))
PY
}

# public-key blobs: the base64 field of the .pub files
gen_keyblob() {
	local f
	fresh fuzz_keyblob
	for f in "$DATA"/*.pub; do
		awk '{print $2}' "$f" | base64 -d >"$CORPUS/fuzz_keyblob/$(basename "$f" .pub)"
	done
}

gen_known_hosts() {
	local d=$CORPUS/fuzz_known_hosts
	fresh fuzz_known_hosts
	{
		echo "# comment"
		echo "host.example,192.0.2.1 $(cut -d' ' -f1-2 "$DATA/key_ed25519.pub")"
		echo "[host.example]:2222 $(cut -d' ' -f1-2 "$DATA/key_ecdsa256.pub")"
		echo "@revoked *.example $(cut -d' ' -f1-2 "$DATA/key_rsa2048.pub")"
		echo "!bad.example,*.example $(cut -d' ' -f1-2 "$DATA/key_ecdsa384.pub")"
	} >"$d/plain"
	printf '|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g= %s\n' \
		"$(cut -d' ' -f1-2 "$DATA/key_ed25519.pub")" >"$d/hashed"
	printf 'host.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n' >"$d/blob-match"
}

# host-key blobs captured from asyncssh (RFC 6187 forms and the one-certificate x509v3-sign-rsa)
gen_x509blob() {
	local f
	fresh fuzz_x509blob
	for f in "$DATA"/x509_*.bin; do
		cp "$f" "$CORPUS/fuzz_x509blob/$(basename "$f" .bin)"
	done
}

gen_p11uri() {
	local d=$CORPUS/fuzz_p11uri
	fresh fuzz_p11uri
	printf 'pkcs11:' >"$d/empty"
	printf 'pkcs11:token=My%%20Token;manufacturer=SoftHSM%%20project;serial=abc123;object=user;type=private;id=%%01%%02' >"$d/path"
	printf 'pkcs11:object=a&b;token=?pin-source=file:/run/pin?x|y' >"$d/query"
	printf 'pkcs11:type=cert?pin-value=1234&module-path=/usr/lib/softhsm/libsofthsm2.so' >"$d/pin-value"
	printf 'pkcs11:slot-id=0;library-description=p11-kit' >"$d/slot"
}

# a piece-size byte, then what curl sends for each SOCKS dialect (tests/unit/test_socks.c)
gen_socks() {
	local d=$CORPUS/fuzz_socks
	fresh fuzz_socks
	printf '\000\004\001\037\220\177\000\000\001alice\000GET / HTTP/1.1\r\n\r\n' >"$d/socks4"
	printf '\043\004\001\037\220\000\000\000\001\000router.example.net\000GET /\r\n' >"$d/socks4a"
	printf '\007\005\002\000\001\005\001\000\001\177\000\000\001\037\220GET /\r\n' >"$d/socks5-ipv4"
	printf '\037\005\001\000\005\001\000\004\040\001\015\270\000\000\000\000\000\000\000\000\000\000\000\001\000\026' >"$d/socks5-ipv6"
	printf '\140\005\003\000\001\002\005\001\000\003\022router.example.net\037\220' >"$d/socks5-name"
	printf '\001\005\001\000\005\002\000\001\177\000\000\001\000\120' >"$d/socks5-bind"
	printf '\001\005\001\002' >"$d/socks5-userpass-only"
}

for t in "${targets[@]}"; do
	case "$t" in
	fuzz_session | fuzz_certstore)
		fresh "$t"
		X509SSH_FUZZ_GEN=$CORPUS/$t "$BUILD/$t"
		;;
	fuzz_keyfile) gen_keyfile ;;
	fuzz_config) gen_config ;;
	fuzz_askpass) gen_askpass ;;
	fuzz_conn) gen_conn ;;
	fuzz_keyblob) gen_keyblob ;;
	fuzz_known_hosts) gen_known_hosts ;;
	fuzz_p11uri) gen_p11uri ;;
	fuzz_x509blob) gen_x509blob ;;
	fuzz_socks) gen_socks ;;
	fuzz_kex_reply) gen_kex_reply ;;
	*)
		echo "gen_corpus: no seeds for $t" >&2
		exit 1
		;;
	esac
	echo "$t: $(find "$CORPUS/$t" -type f | wc -l) seeds"
done
