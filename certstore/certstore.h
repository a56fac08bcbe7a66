/*
 * certstore: X.509 trust decisions for host certificates. Knows nothing of SSH: it gets DER
 * certificates (leaf first, as sent by the peer) and DER OCSP responses, and answers "trusted"
 * or one specific reason why not.
 *
 * A store (trust anchors, CRLs) is loaded once and may verify many chains; stores are independent
 * (each has its own X509_STORE and lookups; certstore keeps no process-wide state), so a program
 * may hold one per configuration. What a chain is checked for (host, purposes, time) is per call.
 * Functions return 0 or a negative enum certstore_err (certstore_err_str names it);
 * verification failures are not errors of the call: they come back in struct certstore_result
 * with verdict != CERTSTORE_OK.
 */
#ifndef X509SSH_CERTSTORE_H
#define X509SSH_CERTSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum certstore_err {
	CS_OK = 0,
	CS_ERR_INTERNAL = -1,  /* a bug or bad arguments */
	CS_ERR_ALLOC = -2,     /* out of memory */
	CS_ERR_FORMAT = -3,    /* a file or item that does not parse */
	CS_ERR_TOO_LARGE = -4, /* a cap was exceeded */
	CS_ERR_LIBCRYPTO = -5, /* an OpenSSL call failed (the message says OpenSSL's reason) */
	CS_ERR_SYSTEM = -6,    /* a file could not be read (errno) */
};

/* "out of memory", "libcrypto error", ... */
const char *certstore_err_str(int err);

#define CERTSTORE_REV_CHECK   0 /* use CRLs and stapled OCSP when present */
#define CERTSTORE_REV_REQUIRE 1 /* every certificate below the anchor must have a status */
#define CERTSTORE_REV_NO      2

#define CERTSTORE_PURPOSE_SSH_SERVER  1 /* id-kp-secureShellServer 1.3.6.1.5.5.7.3.22 */
#define CERTSTORE_PURPOSE_SERVER_AUTH 2 /* id-kp-serverAuth */
#define CERTSTORE_PURPOSE_ANY         4 /* anyExtendedKeyUsage */
#define CERTSTORE_PURPOSE_SSH_CLIENT  8 /* id-kp-secureShellClient (for client certs) */
#define CERTSTORE_PURPOSE_CLIENT_AUTH 16

#define CERTSTORE_MAX_PATHS 4 /* entries of each list of struct certstore_config */

struct certstore_config {
	/* trust anchors: any of these that exist are loaded; NULL entries skipped. A file that is
	 * named explicitly (explicit_ca = 1) and cannot be read is an error; defaults that do not
	 * exist are skipped. */
	const char *ca_files[CERTSTORE_MAX_PATHS];
	const char *ca_paths[CERTSTORE_MAX_PATHS]; /* hashed directories (c_rehash / openssl rehash
	                                              layout) */
	int explicit_ca;
	const char *crl_files[CERTSTORE_MAX_PATHS];
	const char *crl_paths[CERTSTORE_MAX_PATHS];
	int explicit_crl;        /* CRL files/dirs named by the user: missing ones are errors (a
	                          * typo must not switch revocation checking off silently) */
	int allow_partial_chain; /* X509AllowPartialChain */
	int max_chain;           /* X509MaxChain: cap on certificates sent and chain depth */
	int revocation;          /* CERTSTORE_REV_* */
};

struct certstore_check {
	const char *host;     /* name the leaf must carry: DNS name or IP address literal;
	                       * NULL = no name check (e.g. a client certificate) */
	int name_fallback_cn; /* check the CN only when the leaf has no subjectAltName at all */
	int purposes;         /* CERTSTORE_PURPOSE_* bits acceptable in an EKU extension;
	                       * 0 = SSH_SERVER | SERVER_AUTH | ANY */
	time_t now;           /* 0 = current time */
};

enum certstore_verdict {
	CERTSTORE_OK = 0,
	CERTSTORE_UNTRUSTED, /* no path to a trust anchor (untrusted issuer, missing intermediate)
	                      */
	CERTSTORE_EXPIRED,
	CERTSTORE_NOT_YET_VALID,
	CERTSTORE_NAME_MISMATCH,
	CERTSTORE_BAD_EKU,
	CERTSTORE_BAD_KEY_USAGE,
	CERTSTORE_REVOKED,
	CERTSTORE_NO_REVOCATION_STATUS, /* X509Revocation require, and none available */
	CERTSTORE_BAD_SIGNATURE,
	CERTSTORE_BAD_OCSP, /* stapled response wrongly signed, stale, or for another cert */
	CERTSTORE_CHAIN_TOO_LONG,
	CERTSTORE_MALFORMED,  /* a certificate or OCSP response does not parse */
	CERTSTORE_NO_ANCHORS, /* the store has no trust anchors at all */
};

struct certstore_result {
	enum certstore_verdict verdict;
	int depth;         /* certificate the verdict is about (0 = leaf), -1 if none */
	char subject[512]; /* its subject, one line (RFC 2253) */
	/* one-line specific reason, e.g. "certificate expired on 2026-01-02 10:00:00 UTC",
	 * "name mismatch: 'rtr1.example.net' is not in DNS:rtr2.example.net, IP:10.0.0.1",
	 * "untrusted issuer 'CN=Other CA'" */
	char reason[1024];
	/* for -v: the verified chain, one line per certificate: "depth N: subject=...,
	 * issuer=..., valid ... to ..., SHA256:<hex or base64>", newline-separated; malloc'd,
	 * may be NULL */
	char *chain_text;
};

struct certstore;

/* Load anchors and CRLs. On failure *err gets a one-line cause (caller's buffer). */
int certstore_new(
    const struct certstore_config *cfg, struct certstore **out, char *err, size_t errlen);
void certstore_free(struct certstore *cs);
/* number of trust anchors loaded (0 = the X.509 path cannot succeed) */
size_t certstore_anchor_count(const struct certstore *cs);

/*
 * Verify a chain as sent by a server: certs[0] is the leaf, the rest are untrusted
 * intermediates (the root may or may not be included). ocsp[i] (may be 0 long) is the stapled
 * response for certs[i]; nocsp <= ncerts. Fills res (caller frees res->chain_text with
 * certstore_result_clear). Returns 0 whenever a verdict was reached (good or bad).
 * res is overwritten without freeing: clear a previous result first.
 */
int certstore_verify(struct certstore *cs, const uint8_t *const *certs, const size_t *lens,
    size_t ncerts, const uint8_t *const *ocsp, const size_t *ocsp_lens, size_t nocsp,
    const struct certstore_check *chk, struct certstore_result *res);
void certstore_result_clear(struct certstore_result *res);

#endif
