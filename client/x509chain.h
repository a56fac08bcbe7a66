/*
 * The certificate chains the program sends for its keys (file keys and token keys): the issuer
 * walk through a pool of certificates and the certificates of PEM text. The engine never reads
 * certificates from files: a signer hands it its chain as DER (signer.h).
 */
#ifndef X509SSH_X509CHAIN_H
#define X509SSH_X509CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "x509_limits.h" /* X509_BLOB_MAX */

#define X509CHAIN_SEND_MAX 10  /* certificates in a chain we send */
#define X509CHAIN_POOL_MAX 256 /* certificates read from the X509CertificateFile files */

/*
 * The certificates to send for leaf: leaf first, then its issuers, each found in pool (the
 * first certificate there that issued the previous one, X509_check_issued). The walk stops at a
 * self-signed certificate (included only when send_root), when no issuer is in the pool, on a
 * loop, or at max certificates (0 or more than X509_BLOB_MAX mean X509_BLOB_MAX). pool may be
 * NULL. *out holds new references (sk_X509_pop_free it).
 */
int x509chain_build(
    X509 *leaf, STACK_OF(X509) * pool, int send_root, size_t max, STACK_OF(X509) * *out);

/*
 * Append every "-----BEGIN CERTIFICATE-----" block of PEM text to pool, in file order; other
 * blocks (a private key before them in a PKIX-SSH identity file, "TRUSTED CERTIFICATE") are
 * skipped without being decoded. *added (may be NULL) gets the number appended, 0 when the text
 * holds no certificate. A block without its END line or that does not decode is SSH_ERR_FORMAT;
 * more than max certificates in pool is SSH_ERR_TOO_LARGE. On error, pool is left as it was.
 */
int x509_pem_certs(
    const uint8_t *pem, size_t len, size_t max, STACK_OF(X509) * pool, size_t *added);

/* Where a token key's issuers come from besides the token (p11_opts.build_chain) */
struct x509chain_src {
	STACK_OF(X509) * extra; /* the X509CertificateFile certificates, or NULL (borrowed) */
	int send_root;          /* X509SendRoot */
};

/* p11_opts.build_chain: x509chain_build over the token's certificates and src->extra, at most
 * X509CHAIN_SEND_MAX certificates; arg is a struct x509chain_src (NULL: the token's only). */
int x509chain_token(void *arg, X509 *leaf, STACK_OF(X509) * token_certs, STACK_OF(X509) * *out);

#endif
