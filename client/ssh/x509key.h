/*
 * RFC 6187 X.509v3 public-key blobs (the server's K_S and the userauth key blob):
 *
 *   string  algorithm              equal to the negotiated name ("x509v3-ssh-rsa", ...)
 *   uint32  certificate-count      >= 1; [0] is the sender's own certificate
 *   string  certificate[count]     DER
 *   uint32  ocsp-response-count    <= certificate-count
 *   string  ocsp-response[n]       DER OCSPResponse (may be empty: no response for that one)
 *
 * and the pre-RFC x509v3-sign-rsa blob, which is one bare DER certificate. The parsed view
 * borrows pointers into the caller's blob: keep the blob alive while using it. Signatures for
 * the x509v3 rows are made and checked by sshsig_sign / sshsig_verify (sshkey.h) with the
 * leaf's public key. Certificate policy (trust, names, EKU, revocation) is certstore's.
 */
#ifndef X509SSH_X509KEY_H
#define X509SSH_X509KEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "sshkey.h"
#include "x509_limits.h" /* X509_BLOB_MAX, X509_BLOB_ITEM_MAX, ... */

/* the cap x509blob_parse stopped at, for a message that names it */
enum x509_blob_cap {
	X509_CAP_NONE = 0,
	X509_CAP_CERTS,      /* more certificates than max_chain: cap_value of cap_limit */
	X509_CAP_CERT_SIZE,  /* certificate cap_index is cap_value bytes, over cap_limit */
	X509_CAP_OCSP_COUNT, /* cap_value OCSP responses for cap_limit certificates */
	X509_CAP_OCSP_SIZE,  /* OCSP response cap_index is cap_value bytes, over cap_limit */
	X509_CAP_TOTAL,      /* the blob is cap_value bytes, over cap_limit */
};

struct x509_blob {
	const struct hostkey_alg *alg; /* the row the blob was parsed for */
	size_t ncerts;                 /* 1 .. X509_BLOB_MAX */
	const uint8_t *cert[X509_BLOB_MAX];
	size_t cert_len[X509_BLOB_MAX];
	size_t nocsp; /* 0 .. ncerts; ocsp[i] belongs to cert[i] */
	const uint8_t *ocsp[X509_BLOB_MAX];
	size_t ocsp_len[X509_BLOB_MAX];
	/* on failure: which cap was hit (X509_CAP_NONE for other errors) */
	enum x509_blob_cap cap;
	size_t cap_index, cap_value, cap_limit;
};

/*
 * Parse a blob for algorithm row alg (an HK_FLAG_X509 row, else SSH_ERR_KEY_TYPE). The name
 * inside must equal alg->name (SSH_ERR_KEY_TYPE); more than max_chain certificates (0 or more
 * than X509_BLOB_MAX mean X509_BLOB_MAX), an oversized item or a blob over X509_BLOB_TOTAL_MAX
 * is SSH_ERR_TOO_LARGE (out->cap says which, also for too many OCSP responses); a count of
 * 0, an empty certificate, something that is not exactly one DER SEQUENCE, more OCSP responses
 * than certificates, or trailing bytes is SSH_ERR_FORMAT (short input: SSH_ERR_INCOMPLETE).
 * The certificates are not decoded here beyond their outer DER header.
 */
int x509blob_parse(const struct hostkey_alg *alg, const uint8_t *blob, size_t len, size_t max_chain,
    struct x509_blob *out);
/*
 * The row of a key blob met without a negotiated name to hold it to (an agent's key list): the
 * x509v3 row its name string gives for an RFC 6187 blob, x509v3-sign-rsa's when the blob is one
 * bare DER certificate (PKIX-SSH's pre-RFC form); NULL for any other blob. Parse it with
 * x509blob_parse and that row.
 */
const struct hostkey_alg *x509blob_row_of(const uint8_t *blob, size_t len);
/* Move a parsed view to a copy of its blob: every pointer into from[] then points at the same
 * offset of to[] (the copy must be byte-for-byte the blob the view was parsed from). */
void x509blob_rebase(struct x509_blob *b, const uint8_t *from, const uint8_t *to);
/* 1 when a and b carry the same certificates (count, order and DER bytes), OCSP aside */
int x509blob_same_certs(const struct x509_blob *a, const struct x509_blob *b);

/* What went wrong in x509blob_parse (err and the cap fields of b) as a phrase: "certificate 1 is
 * 70000 bytes (the cap is 65536 bytes)", "11 certificates, more than X509MaxChain 10", ... */
void x509blob_error_str(const struct x509_blob *b, int err, char *s, size_t n);

/* The leaf certificate decoded (caller frees): SSH_ERR_FORMAT when it does not decode or has
 * bytes after the certificate. */
int x509blob_leaf_cert(const struct x509_blob *b, X509 **out);

/* The certificates der[0..n) decoded, in order, into a new stack (caller frees):
 * SSH_ERR_FORMAT when one does not decode or has bytes after it, SSH_ERR_ALLOC. */
int x509_der_stack(const uint8_t *const *der, const size_t *len, size_t n, STACK_OF(X509) * *out);

/* The leaf certificate's public key (caller frees); SSH_ERR_KEY_TYPE when it does not fit the
 * row (wrong type or curve, RSA under 1024 bits, under 2048 bits for x509v3-rsa2048-sha256). */
int x509blob_leaf_key(const struct x509_blob *b, EVP_PKEY **out);

/*
 * Append the blob of alg for certs[0..n) (leaf first, DER, each exactly one SEQUENCE) with no
 * OCSP responses; x509v3-sign-rsa writes the leaf only. n must be 1 .. X509_BLOB_MAX. On error
 * out is left as it was.
 */
int x509blob_build(const struct hostkey_alg *alg, const uint8_t *const *certs, const size_t *lens,
    size_t n, struct buf *out);

/* One line for logs, malloc'd: "x509v3-ssh-rsa, 2 certificates, 0 OCSP, leaf subject
 * CN=...,O=..." (RFC 2253 order); the subject part says "(undecodable)" when the leaf does not
 * decode. */
int x509blob_describe(const struct x509_blob *b, char **out);

#endif
