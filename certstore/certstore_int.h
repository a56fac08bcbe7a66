/*
 * certstore internals shared by certstore.c (store, chain), policy.c (leaf rules, names, text)
 * and ocsp.c (stapled responses). Not installed, not for the client.
 */
#ifndef X509SSH_CERTSTORE_INT_H
#define X509SSH_CERTSTORE_INT_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "certstore.h"
#include "x509_limits.h"

/* OpenSSL's reason for the oldest error in its queue (a decoder's generic error gives way to the
 * one after it), or "no detail from OpenSSL"; the queue is cleared. Returns buf. */
const char *cs_ossl_reason(char *buf, size_t len);

#define CS_OCSP_SKEW         300   /* seconds of clock skew allowed on thisUpdate / nextUpdate */
#define CS_OCSP_MAX_AGE      86400 /* a response without nextUpdate holds for a day at most */

struct certstore {
	X509_STORE *store;
	size_t anchors; /* certificates in CA files plus hashed entries in CA dirs */
	size_t crls;    /* CRLs in files plus hashed CRL entries in dirs */
	int allow_partial_chain;
	int max_chain;
	int revocation;
};

/* policy.c */
void cs_verdict(struct certstore_result *res, enum certstore_verdict v, int depth, const X509 *cert,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void cs_name_line(const X509_NAME *name, char *buf, size_t len);
void cs_time_str(const ASN1_TIME *t, char *buf, size_t len);
/* leaf rules: each returns 0 (res->verdict tells) or a negative error */
int cs_check_key_usage(X509 *leaf, struct certstore_result *res);
int cs_check_eku(X509 *leaf, int purposes, struct certstore_result *res);
int cs_check_name(X509 *leaf, const char *host, int fallback_cn, struct certstore_result *res);
/* "depth N: subject=..., issuer=..., valid A to B, SHA256:..." lines; *out malloc'd */
int cs_chain_text(STACK_OF(X509) * chain, char **out);

/* ocsp.c: one stapled response for cert (issued by issuer) at depth. Sets *good when the
 * status is good and everything checks out; otherwise sets the verdict (REVOKED, BAD_OCSP,
 * MALFORMED). Returns 0 or a negative error. */
int cs_ocsp_check(const unsigned char *der, size_t len, X509 *cert, X509 *issuer, time_t now,
    int depth, struct certstore_result *res, int *good);

#endif
