#!/bin/sh
# Regenerates the X.509 fixtures of tests/unit/test_x509key.c (run from anywhere; writes next to
# this script). Needs the openssl CLI and Debian's /usr/bin/python3 with asyncssh + pyOpenSSL.
#
#   x509_root.pem           self-signed RSA-2048 root CA
#   x509_inter.pem, .der    EC P-256 intermediate CA signed by the root
#   x509_<k>.key.pem        server private keys (rsa2048, rsa1024, ec256, ec384, ec521)
#   x509_<k>.pem            server certificates signed by the intermediate (EKU
#                           secureShellServer + serverAuth, keyUsage digitalSignature)
#   x509_<k>.der            the same certificates in DER
#   x509_<k>.chain.pem      leaf + intermediate (what a server sends, root omitted)
#   x509_<alg>.bin, .sig    host-key blobs and signatures captured by x509_capture.py
#                           (asyncssh's own encoder, checked against a live asyncssh server)
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/ext.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.22, serverAuth
subjectAltName = DNS:$ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

days=36500
SAN=unused
export SAN
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/root.key" 2>/dev/null
openssl req -new -x509 -key "$tmp/root.key" -subj "/O=x509ssh tests/CN=x509ssh test root" \
    -days $days -set_serial 1 -sha256 -config "$tmp/ext.cnf" -extensions ca -out x509_root.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/inter.key"
openssl req -new -key "$tmp/inter.key" -subj "/O=x509ssh tests/CN=x509ssh test intermediate" \
    -config "$tmp/ext.cnf" -out "$tmp/inter.csr"
openssl x509 -req -in "$tmp/inter.csr" -CA x509_root.pem -CAkey "$tmp/root.key" -set_serial 2 \
    -days $days -sha256 -extfile "$tmp/ext.cnf" -extensions inter -out x509_inter.pem 2>/dev/null
openssl x509 -in x509_inter.pem -outform DER -out x509_inter.der

serial=10
for k in rsa2048 rsa1024 ec256 ec384 ec521; do
	case $k in
	rsa*) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:${k#rsa} \
	          -out x509_$k.key.pem 2>/dev/null ;;
	ec*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-${k#ec} \
	         -out x509_$k.key.pem ;;
	esac
	SAN=$k.x509ssh.test
	export SAN
	openssl req -new -key x509_$k.key.pem -subj "/O=x509ssh tests/CN=$SAN" \
	    -config "$tmp/ext.cnf" -out "$tmp/$k.csr"
	openssl x509 -req -in "$tmp/$k.csr" -CA x509_inter.pem -CAkey "$tmp/inter.key" \
	    -set_serial $serial -days $days -sha256 -extfile "$tmp/ext.cnf" -extensions server \
	    -out x509_$k.pem 2>/dev/null
	openssl x509 -in x509_$k.pem -outform DER -out x509_$k.der
	cat x509_$k.pem x509_inter.pem >x509_$k.chain.pem
	serial=$((serial + 1))
done

/usr/bin/python3 -W ignore x509_capture.py
