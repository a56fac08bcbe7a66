/*
 * Private key files: PEM (traditional or PKCS#8, maybe encrypted) through OpenSSL's decoders,
 * and OpenSSH's "openssh-key-v1" container (unencrypted only) decoded here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "keyfile.h"
#include "log.h"
#include "ssh/buf.h"
#include "ssh/err.h"
#include "ssh/sshkey.h"
#include "ssh/x509key.h"
#include "textfile.h"
#include "x509chain.h"

#define KEYFILE_MAX (1024 * 1024) /* no private key file is larger */
#define PASS_MAX    1024
#define OSSH_MAGIC  "openssh-key-v1"
#define OSSH_BEGIN  "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OSSH_END    "-----END OPENSSH PRIVATE KEY-----"
#define OSSH_BLOCK  8 /* block size of cipher "none" */

/* read a whole (small) file into a secret buffer */
static int read_file(const char *path, struct buf *out, char *errbuf, size_t errlen)
{
	struct stat st;
	uint8_t *p;
	ssize_t n;
	int fd = -1, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		errfmt(errbuf, errlen, "%s", strerror(errno));
		e = SSH_ERR_SYSTEM;
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		errfmt(errbuf, errlen, "%s", strerror(errno));
		e = SSH_ERR_SYSTEM;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errfmt(errbuf, errlen, "not a regular file");
		e = SSH_ERR_FORMAT;
		goto out;
	}
	if (st.st_size > KEYFILE_MAX) {
		errfmt(errbuf, errlen, "file too large for a private key");
		e = SSH_ERR_TOO_LARGE;
		goto out;
	}
	for (;;) {
		if (buf_len(out) >= KEYFILE_MAX) {
			errfmt(errbuf, errlen, "file too large for a private key");
			e = SSH_ERR_TOO_LARGE;
			goto out;
		}
		if ((e = buf_tail(out, 4096, &p)) != 0) {
			errfmt(errbuf, errlen, "%s", ssh_err_str(e));
			goto out;
		}
		n = read(fd, p, 4096);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			errfmt(errbuf, errlen, "%s", strerror(errno));
			e = SSH_ERR_SYSTEM;
			goto out;
		}
		if (n == 0) {
			break;
		}
		(void)buf_commit(out, (size_t)n); /* n <= 4096, the room buf_tail made */
	}
	e = 0;
out:
	if (fd >= 0) {
		close(fd);
	}
	return e;
}

/* ---- key checks ---- */

/* the key must fit at least one plain algorithm of the table */
static int check_key_usable(EVP_PKEY *pk, char *errbuf, size_t errlen)
{
	const struct hostkey_alg *alg;
	size_t i;
	int bits;

	for (i = 0; (alg = hostkey_alg_at(i)) != NULL; i++) {
		if ((alg->flags & HK_FLAG_X509) == 0 && sshkey_fits_alg(pk, alg)) {
			return 0;
		}
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pk);
		errfmt(errbuf, errlen, "RSA key of %d bits is %s (allowed: 1024 to 16384)", bits,
		    bits < 1024 ? "too small" : "too large");
		break;
	case EVP_PKEY_EC:
		errfmt(errbuf, errlen, "unsupported elliptic curve (need P-256, P-384 or P-521)");
		break;
	default:
		errfmt(errbuf, errlen, "unsupported key type %s",
		    EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "?");
		break;
	}
	return SSH_ERR_KEY_TYPE;
}

/* ---- OpenSSH format ---- */

/*
 * The base64 body of an OpenSSH key: blanks and line breaks dropped and missing '=' padding
 * restored, then textfile's one strict decoder; text and output stay in secret buffers.
 * Nothing at all decodes to nothing (as before: the container check then refuses it).
 */
static int b64_decode(const uint8_t *p, size_t n, struct buf *out)
{
	struct buf text;
	uint8_t *o;
	size_t i, len, outlen;
	int e = 0;

	buf_init_secret(&text);
	for (i = 0; i < n && e == 0; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
			e = buf_put_u8(&text, p[i]);
		}
	}
	if (e != 0 || (len = buf_len(&text)) == 0) {
		goto out;
	}
	if (buf_ptr(&text)[len - 1] != '=') {
		while (len % 4 != 0) {
			if ((e = buf_put_u8(&text, '=')) != 0) {
				goto out;
			}
			len++;
		}
	}
	if ((e = buf_tail(out, len / 4 * 3, &o)) != 0) {
		goto out;
	}
	if ((e = textfile_b64_decode_to((const char *)buf_ptr(&text), len, o, &outlen)) != 0) {
		goto out;
	}
	e = buf_commit(out, outlen);
out:
	buf_free(&text);
	return e;
}

/* an mpint into a BIGNUM allocated in secure memory (wiped on BN_clear_free) */
static int rd_secret_bn(struct rd *r, BIGNUM **out)
{
	const uint8_t *p;
	size_t n;
	BIGNUM *bn = NULL;
	int e;

	*out = NULL;
	if ((e = rd_mpint_bytes(r, &p, &n)) != 0) {
		return e;
	}
	if ((bn = BN_secure_new()) == NULL) {
		return SSH_ERR_ALLOC;
	}
	if (BN_bin2bn(p, (int)n, bn) == NULL) {
		BN_clear_free(bn);
		return SSH_ERR_LIBCRYPTO;
	}
	*out = bn;
	return 0;
}

static int ossh_ed25519(struct rd *r, EVP_PKEY **out)
{
	const uint8_t *pub, *sk;
	size_t publen, sklen, rawlen = 32;
	uint8_t raw[32];
	EVP_PKEY *pk = NULL;
	int e;

	if ((e = rd_string(r, &pub, &publen)) != 0 || (e = rd_string(r, &sk, &sklen)) != 0) {
		return e;
	}
	/* sk is seed || public key */
	if (publen != 32 || sklen != 64 || CRYPTO_memcmp(sk + 32, pub, 32) != 0) {
		return SSH_ERR_FORMAT;
	}
	if ((pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32)) == NULL) {
		return SSH_ERR_LIBCRYPTO;
	}
	if (!EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) || rawlen != 32 ||
	    memcmp(raw, pub, 32) != 0) {
		EVP_PKEY_free(pk);
		return SSH_ERR_FORMAT;
	}
	*out = pk;
	return 0;
}

static int ossh_ecdsa(const struct hostkey_alg *alg, struct rd *r, EVP_PKEY **out)
{
	const uint8_t *curve, *q;
	size_t curvelen, qlen;
	BIGNUM *d = NULL;
	int e;

	if ((e = rd_string(r, &curve, &curvelen)) != 0 || (e = rd_string(r, &q, &qlen)) != 0 ||
	    (e = rd_secret_bn(r, &d)) != 0) {
		goto out;
	}
	if (!str_eq(curve, curvelen, alg->ssh_curve) || qlen == 0 || qlen > 1 + 2 * 66 ||
	    q[0] != 0x04 || BN_is_zero(d)) {
		e = SSH_ERR_FORMAT;
		goto out;
	}
	/* point on the curve, scalar in range, d * G == Q */
	e = sshkey_ec_from_point(alg, q, qlen, d, out);
out:
	BN_clear_free(d);
	return e;
}

/* consistency of n, e, d, p, q, iqmp; computes dmp1, dmq1 */
static int rsa_check_crt(const BIGNUM *n, const BIGNUM *e, const BIGNUM *d, const BIGNUM *p,
    const BIGNUM *q, const BIGNUM *iqmp, BIGNUM *dmp1, BIGNUM *dmq1)
{
	BN_CTX *ctx = NULL;
	BIGNUM *t = NULL, *pm1 = NULL, *qm1 = NULL;
	int r = SSH_ERR_LIBCRYPTO;

	if ((ctx = BN_CTX_secure_new()) == NULL) {
		goto out;
	}
	BN_CTX_start(ctx);
	if ((t = BN_CTX_get(ctx)) == NULL || (pm1 = BN_CTX_get(ctx)) == NULL ||
	    (qm1 = BN_CTX_get(ctx)) == NULL) {
		goto out;
	}
	if (BN_num_bits(n) < 1024 || BN_num_bits(n) > 16384 || !BN_is_odd(e) || BN_is_one(e) ||
	    BN_cmp(e, n) >= 0 || BN_is_zero(d) || BN_cmp(d, n) >= 0 ||
	    BN_cmp(p, BN_value_one()) <= 0 || BN_cmp(q, BN_value_one()) <= 0 ||
	    BN_cmp(iqmp, p) >= 0) {
		r = BN_num_bits(n) < 1024 || BN_num_bits(n) > 16384 ? SSH_ERR_KEY_TYPE
		                                                    : SSH_ERR_FORMAT;
		goto out;
	}
	r = SSH_ERR_LIBCRYPTO;
	if (!BN_mul(t, p, q, ctx)) {
		goto out;
	}
	if (BN_cmp(t, n) != 0) {
		r = SSH_ERR_FORMAT;
		goto out;
	}
	if (!BN_sub(pm1, p, BN_value_one()) || !BN_sub(qm1, q, BN_value_one()) ||
	    !BN_mod(dmp1, d, pm1, ctx) || !BN_mod(dmq1, d, qm1, ctx)) {
		goto out;
	}
	/* e * d == 1 mod (p - 1) and mod (q - 1); iqmp * q == 1 mod p */
	const struct {
		const BIGNUM *a, *b, *m;
	} inverses[] = {
	    {.a = e, .b = dmp1, .m = pm1},
	    {.a = e, .b = dmq1, .m = qm1},
	    {.a = iqmp, .b = q, .m = p},
	};
	for (size_t i = 0; i < sizeof(inverses) / sizeof(inverses[0]); i++) {
		if (!BN_mod_mul(t, inverses[i].a, inverses[i].b, inverses[i].m, ctx)) {
			goto out;
		}
		if (!BN_is_one(t)) {
			r = SSH_ERR_FORMAT;
			goto out;
		}
	}
	r = 0;
out:
	if (ctx != NULL) {
		BN_CTX_end(ctx);
	}
	BN_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

static int ossh_rsa(struct rd *r, EVP_PKEY **out)
{
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *iqmp = NULL, *p = NULL, *q = NULL;
	BIGNUM *dmp1 = NULL, *dmq1 = NULL;
	int err;

	if ((err = rd_bignum(r, &n)) != 0 || (err = rd_bignum(r, &e)) != 0 ||
	    (err = rd_secret_bn(r, &d)) != 0 || (err = rd_secret_bn(r, &iqmp)) != 0 ||
	    (err = rd_secret_bn(r, &p)) != 0 || (err = rd_secret_bn(r, &q)) != 0) {
		goto out;
	}
	if ((dmp1 = BN_secure_new()) == NULL || (dmq1 = BN_secure_new()) == NULL) {
		err = SSH_ERR_ALLOC;
		goto out;
	}
	if ((err = rsa_check_crt(n, e, d, p, q, iqmp, dmp1, dmq1)) != 0) {
		goto out;
	}
	err = sshkey_rsa_from_parts(
	    &(struct sshkey_rsa_parts){
	        .n = n, .e = e, .d = d, .p = p, .q = q, .dmp1 = dmp1, .dmq1 = dmq1, .iqmp = iqmp},
	    out);
out:
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(iqmp);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(dmp1);
	BN_clear_free(dmq1);
	return err;
}

/* the private section: checkints, one key, comment, padding 1, 2, 3, ... */
static int ossh_private(struct rd *r, const uint8_t *pubblob, size_t publen, EVP_PKEY **out,
    char *errbuf, size_t errlen)
{
	const struct hostkey_alg *alg;
	const uint8_t *type, *pad;
	size_t typelen, padlen, i;
	uint32_t c1, c2;
	EVP_PKEY *pk = NULL;
	struct buf blob;
	int e;

	buf_init(&blob);
	if ((e = rd_u32(r, &c1)) != 0 || (e = rd_u32(r, &c2)) != 0 ||
	    (e = rd_string(r, &type, &typelen)) != 0) {
		goto bad;
	}
	if (c1 != c2) {
		e = SSH_ERR_FORMAT;
		goto bad;
	}
	if ((alg = hostkey_alg_by_blob_name(type, typelen)) == NULL) {
		errfmt(errbuf, errlen, "unsupported key type in OpenSSH key file");
		e = SSH_ERR_KEY_TYPE;
		goto out;
	}
	switch (alg->pkey_type) {
	case EVP_PKEY_ED25519:
		e = ossh_ed25519(r, &pk);
		break;
	case EVP_PKEY_EC:
		e = ossh_ecdsa(alg, r, &pk);
		break;
	case EVP_PKEY_RSA:
		e = ossh_rsa(r, &pk);
		break;
	default:
		e = SSH_ERR_INTERNAL;
		break;
	}
	if (e == SSH_ERR_KEY_TYPE) {
		errfmt(errbuf, errlen, "RSA key size outside 1024 to 16384 bits");
		goto out;
	}
	if (e != 0 || (e = rd_skip_string(r)) != 0) { /* comment */
		goto bad;
	}
	/* whatever remains is padding 1, 2, 3, ... */
	padlen = r->len;
	if ((e = rd_bytes(r, padlen, &pad)) != 0) {
		goto bad;
	}
	for (i = 0; i < padlen; i++) {
		if (pad[i] != (uint8_t)(i + 1)) {
			e = SSH_ERR_FORMAT;
			goto bad;
		}
	}
	if ((e = rd_end(r)) != 0) {
		goto bad;
	}
	/* the clear public key must be the same key */
	if ((e = sshkey_to_blob(pk, alg, &blob)) != 0) {
		goto bad;
	}
	if (buf_len(&blob) != publen || memcmp(buf_ptr(&blob), pubblob, publen) != 0) {
		errfmt(errbuf, errlen, "public and private parts of the key file do not match");
		e = SSH_ERR_FORMAT;
		goto out;
	}
	*out = pk;
	pk = NULL;
	e = 0;
	goto out;
bad:
	errfmt(errbuf, errlen, "invalid OpenSSH private key");
	if (e == 0 || e == SSH_ERR_INCOMPLETE) {
		e = SSH_ERR_FORMAT;
	}
out:
	ERR_clear_error();
	buf_free(&blob);
	EVP_PKEY_free(pk);
	return e;
}

int keyfile_from_openssh_blob(
    const uint8_t *blob, size_t len, EVP_PKEY **out, char *errbuf, size_t errlen)
{
	struct rd r = rd_make(blob, len), priv;
	const uint8_t *magic, *cipher, *kdf, *kdfopt, *pub;
	size_t cipherlen, kdflen, kdfoptlen, publen;
	uint32_t nkeys;
	int e;

	*out = NULL;
	if ((e = rd_bytes(&r, sizeof(OSSH_MAGIC), &magic)) != 0 ||
	    memcmp(magic, OSSH_MAGIC, sizeof(OSSH_MAGIC)) != 0) {
		errfmt(errbuf, errlen, "not an OpenSSH private key");
		return SSH_ERR_FORMAT;
	}
	if ((e = rd_string(&r, &cipher, &cipherlen)) != 0 ||
	    (e = rd_string(&r, &kdf, &kdflen)) != 0 ||
	    (e = rd_string(&r, &kdfopt, &kdfoptlen)) != 0) {
		errfmt(errbuf, errlen, "invalid OpenSSH private key");
		return SSH_ERR_FORMAT;
	}
	if (!str_eq(cipher, cipherlen, "none")) {
		errfmt(errbuf, errlen,
		    "encrypted OpenSSH-format key: convert it once with "
		    "'ssh-keygen -p -m PEM -f FILE' (or -m PKCS8)");
		return SSH_ERR_UNSUPPORTED;
	}
	if (!str_eq(kdf, kdflen, "none") || kdfoptlen != 0) {
		errfmt(errbuf, errlen, "invalid OpenSSH private key (kdf without cipher)");
		return SSH_ERR_FORMAT;
	}
	if ((e = rd_u32(&r, &nkeys)) != 0) {
		errfmt(errbuf, errlen, "invalid OpenSSH private key");
		return SSH_ERR_FORMAT;
	}
	if (nkeys != 1) {
		errfmt(errbuf, errlen, "OpenSSH key file holds %u keys (only one is supported)",
		    (unsigned)nkeys);
		return SSH_ERR_UNSUPPORTED;
	}
	if ((e = rd_string(&r, &pub, &publen)) != 0 || (e = rd_string_rd(&r, &priv)) != 0 ||
	    (e = rd_end(&r)) != 0 || priv.len == 0 || priv.len % OSSH_BLOCK != 0) {
		errfmt(errbuf, errlen, "invalid OpenSSH private key");
		return SSH_ERR_FORMAT;
	}
	return ossh_private(&priv, pub, publen, out, errbuf, errlen);
}

static const uint8_t *find(const uint8_t *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s));
}

static int load_openssh(
    const uint8_t *data, size_t len, EVP_PKEY **out, char *errbuf, size_t errlen)
{
	const uint8_t *b, *end;
	struct buf bin;
	int e;

	buf_init_secret(&bin);
	b = find(data, len, OSSH_BEGIN) + strlen(OSSH_BEGIN);
	if ((end = find(b, len - (size_t)(b - data), OSSH_END)) == NULL) {
		errfmt(errbuf, errlen, "OpenSSH private key without end line");
		e = SSH_ERR_FORMAT;
		goto out;
	}
	if ((e = b64_decode(b, (size_t)(end - b), &bin)) != 0) {
		errfmt(errbuf, errlen, "invalid base64 in OpenSSH private key");
		goto out;
	}
	e = keyfile_from_openssh_blob(buf_ptr(&bin), buf_len(&bin), out, errbuf, errlen);
out:
	buf_free(&bin);
	return e;
}

/* ---- PEM through OpenSSL ---- */

struct pw_state {
	const char *pass;
	int asked;
};

static int pw_cb(char *out, int size, int rwflag, void *u)
{
	struct pw_state *st = u;
	size_t n;

	(void)rwflag;
	st->asked = 1;
	if (st->pass == NULL || size <= 0) {
		return -1;
	}
	n = strlen(st->pass);
	if (n > (size_t)size || n > PASS_MAX) {
		return -1;
	}
	memcpy(out, st->pass, n);
	return (int)n;
}

static int load_pem(
    const uint8_t *data, size_t len, const char *pass, EVP_PKEY **out, char *errbuf, size_t errlen)
{
	struct pw_state st = {pass, 0};
	BIO *bio = NULL;
	EVP_PKEY *pk = NULL;
	char why[256];
	int e;

	if (len > KEYFILE_MAX) {
		return SSH_ERR_TOO_LARGE;
	}
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		e = SSH_ERR_LIBCRYPTO;
		goto out;
	}
	if ((pk = PEM_read_bio_PrivateKey(bio, NULL, pw_cb, &st)) == NULL) {
		(void)ssh_ossl_reason(why, sizeof(why)); /* OpenSSL's word: "bad decrypt", ... */
		if (st.asked && pass == NULL) {
			errfmt(errbuf, errlen, "key is encrypted: passphrase required");
			e = SSH_ERR_PASSPHRASE;
		} else if (st.asked) {
			errfmt(errbuf, errlen, "incorrect passphrase (%s)", why);
			e = SSH_ERR_PASSPHRASE;
		} else {
			errfmt(errbuf, errlen, "not a private key we can read: %s", why);
			e = SSH_ERR_FORMAT;
		}
		goto out;
	}
	*out = pk;
	pk = NULL;
	e = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return e;
}

int keyfile_from_bytes(const uint8_t *data, size_t len, const char *passphrase, EVP_PKEY **out,
    char *errbuf, size_t errlen)
{
	EVP_PKEY *pk = NULL;
	int e;

	*out = NULL;
	if (find(data, len, OSSH_BEGIN) != NULL) {
		e = load_openssh(data, len, &pk, errbuf, errlen);
	} else {
		e = load_pem(data, len, passphrase, &pk, errbuf, errlen);
	}
	if (e != 0) {
		goto out;
	}
	if ((e = check_key_usable(pk, errbuf, errlen)) != 0) {
		goto out;
	}
	*out = pk;
	pk = NULL;
out:
	EVP_PKEY_free(pk);
	return e;
}

int keyfile_load(
    const char *path, const char *passphrase, EVP_PKEY **out, char *errbuf, size_t errlen)
{
	struct buf data;
	int e;

	*out = NULL;
	buf_init_secret(&data);
	if (path == NULL) {
		errfmt(errbuf, errlen, "no key file given");
		e = SSH_ERR_INTERNAL;
		goto out;
	}
	if ((e = read_file(path, &data, errbuf, errlen)) != 0) {
		goto out;
	}
	e = keyfile_from_bytes(buf_ptr(&data), buf_len(&data), passphrase, out, errbuf, errlen);
out:
	buf_free(&data);
	return e;
}

int keyfile_exists(const char *path)
{
	struct buf data;
	int r = 0;

	buf_init_secret(&data);
	if (path == NULL || read_file(path, &data, NULL, 0) != 0 || buf_len(&data) == 0) {
		goto out;
	}
	r = find(buf_ptr(&data), buf_len(&data), "-----BEGIN ") != NULL &&
	    find(buf_ptr(&data), buf_len(&data), "PRIVATE KEY-----") != NULL;
out:
	buf_free(&data);
	return r;
}

int keyfile_certs(
    const char *path, size_t max, STACK_OF(X509) * pool, size_t *added, char *errbuf, size_t errlen)
{
	struct buf data;
	int e;

	if (added != NULL) {
		*added = 0;
	}
	buf_init_secret(&data);
	if (path == NULL || pool == NULL) {
		errfmt(errbuf, errlen, "no file given");
		e = SSH_ERR_INTERNAL;
		goto out;
	}
	if ((e = read_file(path, &data, errbuf, errlen)) != 0) {
		goto out;
	}
	if ((e = x509_pem_certs(buf_ptr(&data), buf_len(&data), max, pool, added)) != 0) {
		errfmt(errbuf, errlen, "%s",
		    e == SSH_ERR_TOO_LARGE ? "too many certificates"
		                           : "a PEM certificate in the file does not decode");
		goto out;
	}
out:
	buf_free(&data);
	return e;
}
