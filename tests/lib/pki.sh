#!/usr/bin/env bash
# pki.sh: a throwaway X.509 PKI for tests and demos, built with the openssl CLI only.
#
#   pki.sh DIR COMMAND [args...]
#
# Commands (DIR is created when missing; every file lands in DIR):
#   init [--key T]                 root CA "root", intermediate "inter" (issued by root) and an
#                                  unrelated root "other"; each with an empty CRL
#   ca NAME [--issuer CA] [--key T] [--pathlen N]
#                                  another CA (default issuer: root); a self-signed root when
#                                  --issuer self
#   leaf NAME [options]            an end-entity certificate:
#        --issuer CA               root, inter (default), other, or any CA made with `ca`
#        --key T                   rsa2048, rsa1024, ec256 (default), ec384, ec521
#        --cn CN                   subject CN (default NAME)
#        --san LIST                e.g. "DNS:a.example.com,DNS:*.w.example.com,IP:10.0.0.1";
#                                  "none" (default) = no subjectAltName extension
#        --eku LIST                e.g. "1.3.6.1.5.5.7.3.22,serverAuth"; "none" (default) = no EKU
#        --ku LIST                 keyUsage, default "critical,digitalSignature"; "none" = absent
#        --days N                  validity from now (default 825)
#        --start T --end T         explicit validity, YYYYMMDDHHMMSSZ (expired / not yet valid)
#   responder NAME [--issuer CA]   delegated OCSP signer (EKU OCSPSigning) issued by CA
#   revoke NAME                    revoke certificate NAME at its CA and regenerate that CRL
#   crl CA                         (re)generate CA's CRL: DIR/CA.crl.pem (next update in 30 days)
#   ocsp NAME OUT [--signer S] [--nmin N]
#                                  DER OCSPResponse for NAME's status in its CA's index
#                                  (good, or revoked after `revoke`) into DIR/OUT; signer S is
#                                  the issuing CA (default), a responder name, or any other CA
#                                  name (a wrong signer); --nmin N: nextUpdate N minutes ahead
#                                  (default 1 day); N=1 gives a response that is stale for any
#                                  check made more than 6 minutes later; N=none: no nextUpdate
#   hashdir OUT FILE...            OUT (under DIR) = copies of the PEM certificates / CRLs named
#                                  (paths relative to DIR), with `openssl rehash` links
#   standard                       everything tests/unit/test_certstore.c uses (see below), and
#                                  DIR/born: the time it was made (seconds since the epoch).
#                                  With X509SSH_PKI_CACHE=CDIR set (and not empty) the set is
#                                  made once per content of this script and copied from
#                                  CDIR/standard-<sha256> while younger than
#                                  X509SSH_PKI_CACHE_AGE seconds (default 3600): the plain,
#                                  valgrind and ASan runs of tests/run.sh share one set
#
# Files: DIR/CA/{ca.key,ca.pem,index.txt,...} per CA, DIR/CA.pem (certificate), DIR/CA.crl.pem;
# DIR/NAME.key (PKCS#8 PEM, no passphrase), DIR/NAME.pem, DIR/NAME.der, DIR/NAME.chain.pem (leaf
# then intermediates, no root), DIR/NAME.ca (name of the issuing CA).
set -euo pipefail

die() {
	printf 'pki.sh: %s\n' "$*" >&2
	exit 1
}

[[ $# -ge 2 ]] || die "usage: pki.sh DIR COMMAND [args...] (see the top of this file)"
D="$1"
shift
mkdir -p "$D"
D="$(cd "$D" && pwd)"
export OPENSSL_CONF=/dev/null

# keyopts TYPE: the options of `openssl req` that make a new key of TYPE (key and request in
# one process; the key is written as PKCS#8 PEM without a passphrase)
keyopts() {
	case "$1" in
	rsa2048 | rsa1024 | rsa3072 | rsa4096)
		KEYOPTS=(-newkey "rsa:${1#rsa}")
		;;
	ec256 | ec384 | ec521)
		KEYOPTS=(-newkey ec -pkeyopt "ec_paramgen_curve:P-${1#ec}" -pkeyopt ec_param_enc:named_curve)
		;;
	*) die "unknown key type '$1'" ;;
	esac
}

# newreq TYPE KEYOUT REQ-ARGS...: openssl req with a new key of TYPE written to KEYOUT (RSA key
# generation prints progress on stderr: shown only when req fails)
newreq() {
	local kt="$1" keyout="$2" err="$D/.req.err"
	shift 2
	keyopts "$kt"
	openssl req "${KEYOPTS[@]}" -noenc -keyout "$keyout" "$@" 2>"$err" || {
		cat "$err" >&2
		die "openssl req failed for $keyout"
	}
	rm -f "$err"
}

# pem2der PEM DER: the first certificate of PEM as DER (the base64 body decoded; no openssl run)
pem2der() {
	sed -n -e '/^-----BEGIN CERTIFICATE-----$/,/^-----END CERTIFICATE-----$/{/^-----END/q;/^-----/!p}' \
		"$1" | base64 -d >"$2"
}

# the openssl ca configuration of one CA (directory DIR/CA)
write_cnf() { # write_cnf CA
	local c="$D/$1"
	cat >"$c/ca.cnf" <<EOF
[ ca ]
default_ca = this_ca
[ this_ca ]
dir = $c
database = $c/index.txt
new_certs_dir = $c/newcerts
serial = $c/serial
crlnumber = $c/crlnumber
certificate = $c/ca.pem
private_key = $c/ca.key
default_md = sha256
default_days = 825
default_crl_days = 30
policy = pol_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ pol_any ]
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
EOF
}

new_ca_dir() { # new_ca_dir CA
	local c="$D/$1"
	rm -rf "$c"
	mkdir -p "$c/newcerts"
	: >"$c/index.txt"
	printf 'unique_subject = no\n' >"$c/index.txt.attr"
	printf '%04X\n' $((RANDOM % 4096 + 4096)) >"$c/serial"
	printf '01\n' >"$c/crlnumber"
	write_cnf "$1"
}

ca_of() { # the CA that issued NAME
	[[ -f "$D/$1.ca" ]] || die "no certificate '$1' (run leaf/ca first)"
	cat "$D/$1.ca"
}

# make_ca NAME ISSUER KEYTYPE PATHLEN CN
make_ca() {
	local name="$1" issuer="$2" kt="$3" pathlen="$4" cn="$5"
	local c="$D/$name"
	new_ca_dir "$name"
	local bc="critical,CA:true"
	[[ -n "$pathlen" ]] && bc="$bc,pathlen:$pathlen"
	cat >"$c/ext.cnf" <<EOF
[ ext ]
basicConstraints = $bc
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
	if [[ "$issuer" == self ]]; then
		cat "$c/ca.cnf" "$c/ext.cnf" >"$c/req.cnf"
		newreq "$kt" "$c/ca.key" -new -x509 -config "$c/req.cnf" -subj "/CN=$cn" \
		    -days 3650 -sha256 -extensions ext -out "$c/ca.pem"
		rm -f "$c/req.cnf"
		: >"$D/$name.chainonly.pem"
	else
		local ic="$D/$issuer"
		[[ -f "$ic/ca.pem" ]] || die "no CA '$issuer'"
		newreq "$kt" "$c/ca.key" -new -config "$c/ca.cnf" -subj "/CN=$cn" -out "$c/ca.csr"
		openssl ca -batch -notext -config "$ic/ca.cnf" -in "$c/ca.csr" -out "$c/ca.pem" \
		    -days 3650 -extfile "$c/ext.cnf" -extensions ext 2>/dev/null
		# intermediates above this CA (for chain files): its own cert then its issuer's chain
		cat "$c/ca.pem" "$D/$issuer.chainonly.pem" >"$D/$name.chainonly.pem"
	fi
	cp "$c/ca.pem" "$D/$name.pem"
	printf '%s\n' "$issuer" >"$D/$name.ca"
	gen_crl "$name"
}

gen_crl() { # gen_crl CA
	local c="$D/$1"
	openssl ca -batch -config "$c/ca.cnf" -gencrl -out "$D/$1.crl.pem" 2>/dev/null
}

cmd_init() {
	local kt=ec256
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--key) kt="$2"; shift 2 ;;
		*) die "init: unknown option '$1'" ;;
		esac
	done
	make_ca root self "$kt" "" "Test Root CA"
	make_ca inter root "$kt" "" "Test Intermediate CA"
	make_ca other self "$kt" "" "Other Root CA"
}

cmd_ca() {
	local name="$1" issuer=root kt=ec256 pathlen=""
	shift
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--issuer) issuer="$2"; shift 2 ;;
		--key) kt="$2"; shift 2 ;;
		--pathlen) pathlen="$2"; shift 2 ;;
		*) die "ca: unknown option '$1'" ;;
		esac
	done
	make_ca "$name" "$issuer" "$kt" "$pathlen" "Test CA $name"
}

cmd_leaf() {
	local name="$1" issuer=inter kt=ec256 cn="" san=none eku=none
	local ku="critical,digitalSignature" days=825 start="" end=""
	shift
	while [[ $# -gt 0 ]]; do
		[[ $# -ge 2 ]] || die "leaf: option '$1' needs a value"
		case "$1" in
		--issuer) issuer="$2" ;;
		--key) kt="$2" ;;
		--cn) cn="$2" ;;
		--san) san="$2" ;;
		--eku) eku="$2" ;;
		--ku) ku="$2" ;;
		--days) days="$2" ;;
		--start) start="$2" ;;
		--end) end="$2" ;;
		*) die "leaf: unknown option '$1'" ;;
		esac
		shift 2
	done
	[[ -n "$cn" ]] || cn="$name"
	local ic="$D/$issuer"
	[[ -f "$ic/ca.pem" ]] || die "no CA '$issuer'"
	{
		printf '[ ext ]\nbasicConstraints = critical,CA:false\n'
		printf 'subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n'
		[[ "$ku" == none ]] || printf 'keyUsage = %s\n' "$ku"
		[[ "$eku" == none ]] || printf 'extendedKeyUsage = %s\n' "$eku"
		[[ "$san" == none ]] || printf 'subjectAltName = %s\n' "$san"
	} >"$D/$name.ext.cnf"
	local validity=(-days "$days")
	if [[ -n "$start" || -n "$end" ]]; then
		[[ -n "$start" && -n "$end" ]] || die "leaf: --start and --end go together"
		validity=(-startdate "$start" -enddate "$end")
	fi
	newreq "$kt" "$D/$name.key" -new -config "$ic/ca.cnf" -subj "/CN=$cn" -out "$D/$name.csr"
	openssl ca -batch -notext -config "$ic/ca.cnf" -in "$D/$name.csr" -out "$D/$name.pem" \
	    "${validity[@]}" -extfile "$D/$name.ext.cnf" -extensions ext 2>/dev/null ||
		die "leaf: openssl ca failed for '$name'"
	rm -f "$D/$name.csr" "$D/$name.ext.cnf"
	pem2der "$D/$name.pem" "$D/$name.der"
	cat "$D/$name.pem" "$D/$issuer.chainonly.pem" >"$D/$name.chain.pem"
	printf '%s\n' "$issuer" >"$D/$name.ca"
}

cmd_responder() {
	local name="$1" issuer=inter
	shift
	[[ "${1:-}" == --issuer ]] && issuer="$2"
	cmd_leaf "$name" --issuer "$issuer" --eku OCSPSigning --ku "critical,digitalSignature" \
	    --cn "OCSP Responder $name"
}

cmd_revoke() {
	local name="$1" ca
	ca="$(ca_of "$name")"
	openssl ca -batch -config "$D/$ca/ca.cnf" -revoke "$D/$name.pem" \
	    -crl_reason keyCompromise 2>/dev/null
	gen_crl "$ca"
}

cmd_ocsp() {
	local name="$1" out="$2" signer="" nmin="" ca
	shift 2
	ca="$(ca_of "$name")"
	signer="$ca"
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--signer) signer="$2"; shift 2 ;;
		--nmin) nmin="$2"; shift 2 ;;
		*) die "ocsp: unknown option '$1'" ;;
		esac
	done
	local rcert rkey
	if [[ -d "$D/$signer" && -f "$D/$signer/ca.pem" ]]; then
		rcert="$D/$signer/ca.pem"
		rkey="$D/$signer/ca.key"
	else
		rcert="$D/$signer.pem"
		rkey="$D/$signer.key"
	fi
	[[ -f "$rcert" && -f "$rkey" ]] || die "ocsp: no signer '$signer'"
	local next=(-ndays 1)
	if [[ "$nmin" == none ]]; then
		next=() # no nextUpdate at all
	elif [[ -n "$nmin" ]]; then
		next=(-nmin "$nmin")
	fi
	openssl ocsp -index "$D/$ca/index.txt" -CA "$D/$ca/ca.pem" -rsigner "$rcert" -rkey "$rkey" \
	    -issuer "$D/$ca/ca.pem" -cert "$D/$name.pem" -no_nonce "${next[@]}" \
	    -respout "$D/$out" >/dev/null
}

cmd_hashdir() {
	local out="$D/$1" f
	shift
	rm -rf "$out"
	mkdir -p "$out"
	for f in "$@"; do
		cp "$D/$f" "$out/"
	done
	openssl rehash "$out" 2>/dev/null
}

# The set used by tests/unit/test_certstore.c. Names say what each one is.
cmd_standard() {
	local past_s=20200101000000Z past_e=20250101000000Z
	local fut_s=20490101000000Z fut_e=20500101000000Z
	local ssh=1.3.6.1.5.5.7.3.22
	printf '%(%s)T\n' -1 >"$D/born"
	cmd_init
	cmd_leaf good --san "DNS:good.example.com,IP:10.0.0.1" --eku "$ssh"
	cmd_leaf rsa --key rsa2048 --san "DNS:rsa.example.com" --eku "$ssh,serverAuth"
	cmd_leaf ec384 --key ec384 --san "DNS:ec384.example.com"
	cmd_leaf onroot --issuer root --key ec521 --san "DNS:onroot.example.com"
	cmd_leaf untrusted --issuer other --san "DNS:untrusted.example.com"
	cmd_leaf expired --san "DNS:expired.example.com" --start "$past_s" --end "$past_e"
	cmd_leaf future --san "DNS:future.example.com" --start "$fut_s" --end "$fut_e"
	cmd_leaf wild --san "DNS:*.wild.example.com"
	cmd_leaf partwild --san "DNS:f*o.example.com"
	cmd_leaf ipv6 --san "IP:2001:db8::1,DNS:v6.example.com"
	cmd_leaf iponly --cn "iponly.example.com" --san "IP:10.0.0.2"
	cmd_leaf cnonly --cn "RTR-DC01.example.com"
	cmd_leaf clienteku --san "DNS:client.example.com" --eku "1.3.6.1.5.5.7.3.21,clientAuth"
	cmd_leaf tlseku --san "DNS:tls.example.com" --eku serverAuth
	cmd_leaf anyeku --san "DNS:any.example.com" --eku anyExtendedKeyUsage
	cmd_leaf nodigsig --san "DNS:nodigsig.example.com" --ku "critical,keyEncipherment"
	cmd_leaf noku --san "DNS:noku.example.com" --ku none
	cmd_leaf revoked --san "DNS:revoked.example.com"
	cmd_leaf weak --key rsa1024 --san "DNS:weak.example.com"
	cmd_revoke revoked
	cmd_responder responder
	cmd_ocsp good good.ocsp.der
	cmd_ocsp good good.ocsp-resp.der --signer responder
	cmd_ocsp revoked revoked.ocsp.der
	cmd_ocsp good good.ocsp-stale.der --nmin 1
	cmd_ocsp good good.ocsp-nonext.der --nmin none
	cmd_ocsp good good.ocsp-wrong.der --signer other
	cmd_ocsp good good.ocsp-leafsig.der --signer tlseku
	# a deep chain: root -> inter -> inter2 -> inter3 -> deep
	cmd_ca inter2 --issuer inter
	cmd_ca inter3 --issuer inter2
	cmd_leaf deep --issuer inter3 --san "DNS:deep.example.com"
	cmd_hashdir cadir root.pem inter.pem
	cmd_hashdir interdir inter.pem
	cmd_hashdir crldir root.crl.pem inter.crl.pem
	cat "$D/root.pem" "$D/inter.pem" >"$D/bundle.pem"
	cat "$D/root.crl.pem" "$D/inter.crl.pem" >"$D/crls.pem"
}

# standard through the cache X509SSH_PKI_CACHE (see the top): a copy of a set younger than
# X509SSH_PKI_CACHE_AGE made by this same script, or a new set that is then stored for the next
# run. A copy gets its CAs' openssl configurations rewritten for DIR, so later commands (revoke,
# ocsp, ...) work on it as on a new set.
cmd_standard_cached() {
	local cache=${X509SSH_PKI_CACHE:-} max=${X509SSH_PKI_CACHE_AGE:-3600}
	local key entry born now tmp c
	if [[ -z "$cache" ]]; then
		cmd_standard
		return
	fi
	key=$(sha256sum "${BASH_SOURCE[0]}")
	entry="$cache/standard-${key%% *}"
	now=$(printf '%(%s)T' -1)
	if [[ -r "$entry/born" ]] && read -r born <"$entry/born" && ((born <= now && now - born < max)); then
		cp -a "$entry/." "$D/"
		for c in "$D"/*/ca.cnf; do
			c=${c%/ca.cnf}
			write_cnf "${c##*/}"
		done
		return
	fi
	cmd_standard
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.new.XXXXXX")
	cp -a "$D/." "$tmp/"
	# replace an older set; a run that stored one meanwhile wins (its copy is as good)
	rm -rf "$entry.old.$$"
	[[ ! -d "$entry" ]] || mv -T "$entry" "$entry.old.$$" 2>/dev/null || true
	mv -T "$tmp" "$entry" 2>/dev/null || rm -rf "$tmp"
	rm -rf "$entry.old.$$"
}

cmd="$1"
shift
case "$cmd" in
init) cmd_init "$@" ;;
ca) cmd_ca "$@" ;;
leaf) cmd_leaf "$@" ;;
responder) cmd_responder "$@" ;;
revoke) cmd_revoke "$@" ;;
crl) gen_crl "$1" ;;
ocsp) cmd_ocsp "$@" ;;
hashdir) cmd_hashdir "$@" ;;
standard) cmd_standard_cached "$@" ;;
*) die "unknown command '$cmd'" ;;
esac
