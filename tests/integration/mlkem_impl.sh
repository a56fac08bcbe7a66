#!/bin/bash
# -Q kex lists names only; with -v a debug line says which ML-KEM-768 the build runs: OpenSSL's
# through EVP when libcrypto has it (3.5+), the built-in one otherwise (OpenSSL 3.0).
. "$(dirname "$0")/../lib/common.sh"
require_client

run_cmd "$X509SSH" -Q kex
expect_exit 0 "-Q kex"
expect_file_matches "$OUT" '^mlkem768x25519-sha256$' "-Q kex lists mlkem768x25519-sha256"
expect_file_not_matches "$OUT" 'ML-KEM|debug' "-Q kex stdout holds names only"
expect_stderr_not_matches 'ML-KEM-768' "-Q kex without -v says nothing more"

run_cmd "$X509SSH" -v -Q kex
expect_exit 0 "-v -Q kex"
expect_file_not_matches "$OUT" 'ML-KEM|debug' "-v -Q kex stdout holds names only"
if openssl list -kem-algorithms 2>/dev/null | grep -q 'ML-KEM-768'; then
	expect_stderr_matches '^debug1: ML-KEM-768: (OpenSSL EVP \(provider [^)]+\)|built-in \(FIPS 203\))$' \
		"-v -Q kex names the ML-KEM-768 implementation"
else
	expect_stderr_matches '^debug1: ML-KEM-768: built-in \(FIPS 203\)$' \
		"-v -Q kex: built-in ML-KEM-768 with $(openssl version | cut -d' ' -f1-2)"
fi

t_done
