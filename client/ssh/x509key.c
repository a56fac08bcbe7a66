/*
 * RFC 6187 section 3 public-key blobs (and the pre-RFC x509v3-sign-rsa form): parse into a
 * borrowed view, build for userauth, extract the leaf's key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "err.h"
#include "x509key.h"

#define DESCRIBE_MAX 1024 /* characters of a description line */

static int is_sign_rsa(const struct hostkey_alg *alg)
{
	return (alg->flags & HK_FLAG_SINGLE_CERT) != 0;
}

/* exactly one DER SEQUENCE with a definite, minimally encoded length that fills p[0..n) */
static int der_one_sequence(const uint8_t *p, size_t n)
{
	size_t hdr, body = 0, nlen, i;

	if (n < 2 || p[0] != 0x30) {
		return SSH_ERR_FORMAT;
	}
	if (p[1] < 0x80) {
		hdr = 2;
		body = p[1];
	} else {
		nlen = p[1] & 0x7f;
		/* 0x80 is BER's indefinite length; more than 4 length bytes is absurd here */
		if (nlen == 0 || nlen > 4 || n < 2 + nlen || p[2] == 0) {
			return SSH_ERR_FORMAT;
		}
		for (i = 0; i < nlen; i++) {
			body = (body << 8) | p[2 + i];
		}
		if (body < 0x80) {
			return SSH_ERR_FORMAT; /* DER: the short form was required */
		}
		hdr = 2 + nlen;
	}
	if (body != n - hdr) {
		return SSH_ERR_FORMAT;
	}
	return 0;
}

static int check_cert(const uint8_t *p, size_t n)
{
	if (n == 0) {
		return SSH_ERR_FORMAT;
	}
	if (n > X509_BLOB_ITEM_MAX) {
		return SSH_ERR_TOO_LARGE;
	}
	return der_one_sequence(p, n);
}

static int cap_hit(
    struct x509_blob *b, enum x509_blob_cap cap, size_t index, size_t value, size_t limit)
{
	b->cap = cap;
	b->cap_index = index;
	b->cap_value = value;
	b->cap_limit = limit;
	return cap == X509_CAP_OCSP_COUNT ? SSH_ERR_FORMAT : SSH_ERR_TOO_LARGE;
}

static int parse_rfc6187(
    const struct hostkey_alg *alg, struct rd *r, size_t cap, struct x509_blob *b)
{
	const uint8_t *name;
	size_t namelen, i;
	uint32_t count;
	int e;

	if ((e = rd_string(r, &name, &namelen)) != 0) {
		return e;
	}
	if (!str_eq(name, namelen, alg->name)) {
		return SSH_ERR_KEY_TYPE;
	}
	if ((e = rd_u32(r, &count)) != 0) {
		return e;
	}
	if (count == 0) {
		return SSH_ERR_FORMAT;
	}
	if (count > cap) {
		return cap_hit(b, X509_CAP_CERTS, 0, count, cap);
	}
	for (i = 0; i < count; i++) {
		if ((e = rd_string(r, &b->cert[i], &b->cert_len[i])) != 0) {
			return e;
		}
		if (b->cert_len[i] > X509_BLOB_ITEM_MAX) {
			return cap_hit(
			    b, X509_CAP_CERT_SIZE, i, b->cert_len[i], X509_BLOB_ITEM_MAX);
		}
		if ((e = check_cert(b->cert[i], b->cert_len[i])) != 0) {
			return e;
		}
	}
	b->ncerts = count;
	if ((e = rd_u32(r, &count)) != 0) {
		return e;
	}
	if (count > b->ncerts) {
		return cap_hit(b, X509_CAP_OCSP_COUNT, 0, count, b->ncerts);
	}
	for (i = 0; i < count; i++) {
		if ((e = rd_string(r, &b->ocsp[i], &b->ocsp_len[i])) != 0) {
			return e;
		}
		if (b->ocsp_len[i] > X509_BLOB_ITEM_MAX) {
			return cap_hit(
			    b, X509_CAP_OCSP_SIZE, i, b->ocsp_len[i], X509_BLOB_ITEM_MAX);
		}
	}
	b->nocsp = count;
	return rd_end(r);
}

const struct hostkey_alg *x509blob_row_of(const uint8_t *blob, size_t len)
{
	const struct hostkey_alg *row = NULL;
	struct rd r = rd_make(blob, len);
	const uint8_t *name;
	size_t n, i;
	char type[64];

	if (blob != NULL && der_one_sequence(blob, len) == 0) {
		for (i = 0; (row = hostkey_alg_at(i)) != NULL && !is_sign_rsa(row); i++) {
		}
		return row;
	}
	if (blob == NULL || rd_string(&r, &name, &n) != 0 || n == 0 || n >= sizeof(type) ||
	    memchr(name, '\0', n) != NULL) {
		return NULL;
	}
	memcpy(type, name, n);
	type[n] = '\0';
	row = hostkey_alg_by_name(type);
	return row != NULL && (row->flags & HK_FLAG_X509) != 0 && !is_sign_rsa(row) ? row : NULL;
}

int x509blob_parse(const struct hostkey_alg *alg, const uint8_t *blob, size_t len, size_t max_chain,
    struct x509_blob *out)
{
	struct x509_blob b;
	struct rd r = rd_make(blob, len);
	size_t cap = max_chain == 0 || max_chain > X509_BLOB_MAX ? X509_BLOB_MAX : max_chain;
	int e;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	if (alg == NULL || (alg->flags & HK_FLAG_X509) == 0) {
		return SSH_ERR_KEY_TYPE;
	}
	if (blob == NULL && len != 0) {
		return SSH_ERR_INTERNAL;
	}
	b.alg = alg;
	if (len > X509_BLOB_TOTAL_MAX) {
		e = cap_hit(&b, X509_CAP_TOTAL, 0, len, X509_BLOB_TOTAL_MAX);
		goto fail;
	}
	if (is_sign_rsa(alg)) {
		if (len > X509_BLOB_ITEM_MAX) {
			e = cap_hit(&b, X509_CAP_CERT_SIZE, 0, len, X509_BLOB_ITEM_MAX);
			goto fail;
		}
		if ((e = check_cert(blob, len)) != 0) {
			return e;
		}
		b.ncerts = 1;
		b.cert[0] = blob;
		b.cert_len[0] = len;
	} else if ((e = parse_rfc6187(alg, &r, cap, &b)) != 0) {
		goto fail;
	}
	*out = b;
	return 0;
fail:
	/* nothing parsed is handed out: only which cap was hit */
	out->cap = b.cap;
	out->cap_index = b.cap_index;
	out->cap_value = b.cap_value;
	out->cap_limit = b.cap_limit;
	return e;
}

void x509blob_rebase(struct x509_blob *b, const uint8_t *from, const uint8_t *to)
{
	size_t i;

	for (i = 0; i < b->ncerts; i++) {
		b->cert[i] = to + (b->cert[i] - from);
	}
	for (i = 0; i < b->nocsp; i++) {
		b->ocsp[i] = to + (b->ocsp[i] - from);
	}
}

int x509blob_same_certs(const struct x509_blob *a, const struct x509_blob *b)
{
	size_t i;

	if (a->ncerts != b->ncerts) {
		return 0;
	}
	for (i = 0; i < a->ncerts; i++) {
		if (a->cert_len[i] != b->cert_len[i] ||
		    memcmp(a->cert[i], b->cert[i], a->cert_len[i]) != 0) {
			return 0;
		}
	}
	return 1;
}

void x509blob_error_str(const struct x509_blob *b, int err, char *s, size_t n)
{
	switch (b->cap) {
	case X509_CAP_CERTS:
		snprintf(s, n, "%zu certificates, more than X509MaxChain %zu", b->cap_value,
		    b->cap_limit);
		break;
	case X509_CAP_CERT_SIZE:
		snprintf(s, n, "certificate %zu is %zu bytes (the cap is %zu bytes)", b->cap_index,
		    b->cap_value, b->cap_limit);
		break;
	case X509_CAP_OCSP_COUNT:
		snprintf(s, n, "%zu OCSP responses for %zu certificate%s", b->cap_value,
		    b->cap_limit, b->cap_limit == 1 ? "" : "s");
		break;
	case X509_CAP_OCSP_SIZE:
		snprintf(s, n, "OCSP response %zu is %zu bytes (the cap is %zu bytes)",
		    b->cap_index, b->cap_value, b->cap_limit);
		break;
	case X509_CAP_TOTAL:
		snprintf(s, n, "the key blob is %zu bytes (the cap is %zu bytes)", b->cap_value,
		    b->cap_limit);
		break;
	default:
		snprintf(s, n, "%s", ssh_err_str(err));
		break;
	}
}

int x509blob_leaf_cert(const struct x509_blob *b, X509 **out)
{
	const unsigned char *p;
	X509 *x = NULL;
	int e = SSH_ERR_FORMAT;

	*out = NULL;
	if (b == NULL || b->ncerts == 0 || b->cert[0] == NULL ||
	    b->cert_len[0] > X509_BLOB_ITEM_MAX) {
		return SSH_ERR_INTERNAL;
	}
	p = b->cert[0];
	if ((x = d2i_X509(NULL, &p, (long)b->cert_len[0])) == NULL ||
	    p != b->cert[0] + b->cert_len[0]) {
		goto out;
	}
	*out = x;
	x = NULL;
	e = 0;
out:
	if (e != 0) {
		ERR_clear_error();
	}
	X509_free(x);
	return e;
}

int x509_der_stack(const uint8_t *const *der, const size_t *len, size_t n, STACK_OF(X509) * *out)
{
	STACK_OF(X509) *st = sk_X509_new_null();
	const unsigned char *p;
	X509 *x;

	*out = NULL;
	if (st == NULL) {
		return SSH_ERR_ALLOC;
	}
	for (size_t i = 0; i < n; i++) {
		p = der[i];
		if ((x = d2i_X509(NULL, &p, (long)len[i])) == NULL || p != der[i] + len[i]) {
			X509_free(x);
			sk_X509_pop_free(st, X509_free);
			ERR_clear_error();
			return SSH_ERR_FORMAT;
		}
		if (sk_X509_push(st, x) <= 0) {
			X509_free(x);
			sk_X509_pop_free(st, X509_free);
			return SSH_ERR_ALLOC;
		}
	}
	*out = st;
	return 0;
}

int x509blob_leaf_key(const struct x509_blob *b, EVP_PKEY **out)
{
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	int e;

	*out = NULL;
	if ((e = x509blob_leaf_cert(b, &x)) != 0) {
		goto out;
	}
	if ((pk = X509_get_pubkey(x)) == NULL) {
		ERR_clear_error();
		e = SSH_ERR_FORMAT;
		goto out;
	}
	if (b->alg == NULL || !sshkey_fits_alg(pk, b->alg)) {
		e = SSH_ERR_KEY_TYPE;
		goto out;
	}
	*out = pk;
	pk = NULL;
	e = 0;
out:
	EVP_PKEY_free(pk);
	X509_free(x);
	return e;
}

int x509blob_build(const struct hostkey_alg *alg, const uint8_t *const *certs, const size_t *lens,
    size_t n, struct buf *out)
{
	size_t mark = buf_mark(out), i;
	int e;

	if (alg == NULL || (alg->flags & HK_FLAG_X509) == 0) {
		return SSH_ERR_KEY_TYPE;
	}
	if (n == 0 || certs == NULL || lens == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if (n > X509_BLOB_MAX) {
		return SSH_ERR_TOO_LARGE;
	}
	for (i = 0; i < n; i++) {
		if (certs[i] == NULL) {
			return SSH_ERR_INTERNAL;
		}
		if ((e = check_cert(certs[i], lens[i])) != 0) {
			return e;
		}
	}
	if (is_sign_rsa(alg)) {
		return buf_put(out, certs[0], lens[0]);
	}
	if ((e = buf_put_cstring(out, alg->name)) != 0 ||
	    (e = buf_put_u32(out, (uint32_t)n)) != 0) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((e = buf_put_string(out, certs[i], lens[i])) != 0) {
			goto out;
		}
	}
	e = buf_put_u32(out, 0);
out:
	if (e != 0) {
		buf_rollback(out, mark);
	}
	return e;
}

/* the leaf's subject, one line (RFC 2253), into s (NUL-terminated, possibly cut) */
static void leaf_subject(const struct x509_blob *b, char *s, size_t max)
{
	X509 *x = NULL;
	BIO *bio = NULL;
	int n;

	snprintf(s, max, "(undecodable)");
	if (x509blob_leaf_cert(b, &x) != 0 || (bio = BIO_new(BIO_s_mem())) == NULL) {
		goto out;
	}
	if (X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) < 0) {
		goto out;
	}
	if ((n = BIO_read(bio, s, (int)max - 1)) < 0) {
		n = 0;
	}
	s[n] = '\0';
out:
	ERR_clear_error();
	BIO_free(bio);
	X509_free(x);
}

int x509blob_describe(const struct x509_blob *b, char **out)
{
	char subj[DESCRIBE_MAX / 2];
	char *s = NULL;
	int e = SSH_ERR_INTERNAL;

	*out = NULL;
	if (b == NULL || b->alg == NULL) {
		goto out;
	}
	leaf_subject(b, subj, sizeof(subj));
	if ((s = malloc(DESCRIBE_MAX)) == NULL) {
		e = SSH_ERR_ALLOC;
		goto out;
	}
	snprintf(s, DESCRIBE_MAX, "%s, %zu certificate%s, %zu OCSP, leaf subject %s", b->alg->name,
	    b->ncerts, b->ncerts == 1 ? "" : "s", b->nocsp, subj);
	*out = s;
	s = NULL;
	e = 0;
out:
	free(s);
	return e;
}
