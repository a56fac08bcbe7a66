/*
 * Key-exchange primitives: the method table, ephemeral keypairs, the shared secret K and the
 * RFC 4253 section 7.2 key derivation. Curve25519 (RFC 8731), ECDH on the NIST curves
 * (RFC 5656), fixed MODP groups (RFC 4253 / 8268), group exchange (RFC 4419) and the KEM hybrids
 * (kexkem.c).
 */
#include "rand.h"
#include "kexalg.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "err.h"
#include "sshkey.h"

#define KEX_X25519_LEN   32
#define KEX_GEX_MIN_BITS 2048
#define KEX_GEX_MAX_BITS 8192
#define KEX_DH_MAX_BYTES (KEX_GEX_MAX_BITS / 8)
#define KEX_DERIVE_MAX   1024 /* cap on the bytes kex_derive_key hands out in one call */

/* how a kind's public values travel and enter the exchange hash */
static const struct {
	enum kex_kind kind;
	int pub_mpint; /* mpint (DH) rather than string */
} kex_kinds[] = {
    {KEX_CURVE25519, 0},
    {KEX_ECDH, 0},
    {KEX_DH, 1},
    {KEX_DH_GEX, 1},
    {KEX_KEM_HYBRID, 0},
};

static int put_k_string(struct buf *b, const uint8_t *k, size_t n)
{
	return buf_put_string(b, k, n);
}

/* how K is encoded, by the row's k_enc */
static int (*const kex_k_put[])(struct buf *, const uint8_t *, size_t) = {
    [KEX_K_MPINT] = buf_put_mpint_bytes,
    [KEX_K_STRING] = put_k_string,
};

/* RFC 2409 section 6.2, Oakley group 2 (SSH's "group1"): 2^1024 - 2^960 - 1 + 2^64 *
 * ([2^894 pi] + 129093), generator 2. OpenSSL 3.0 has no named group for it. */
static const char oakley2_prime_hex[] = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
                                        "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
                                        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
                                        "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
                                        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
                                        "FFFFFFFFFFFFFFFF";

/* group ids of the table to OpenSSL's named groups (NULL: explicit prime above) */
static const struct {
	const char *id;
	const char *ossl_name;
} kex_dh_groups[] = {
    {"modp14", "modp_2048"},
    {"modp16", "modp_4096"},
    {"modp18", "modp_8192"},
    {"modp2", NULL},
};

struct kex_state {
	const struct kex_alg *alg;
	EVP_PKEY *key; /* our ephemeral keypair */
	BIGNUM *p;     /* DH/GEX: the group */
	BIGNUM *g;
	size_t ec_publen; /* ECDH: length of an uncompressed point */
	char *ec_group;   /* ECDH: OpenSSL curve name */
	uint8_t *kem_sk;  /* KEX_KEM_HYBRID: the KEM secret key (alg->kem->sk_len bytes) */
};

void kex_state_free(struct kex_state *st)
{
	if (st == NULL) {
		return;
	}
	EVP_PKEY_free(st->key); /* OpenSSL clears private key material on free */
	BN_free(st->p);
	BN_free(st->g);
	OPENSSL_free(st->ec_group);
	if (st->kem_sk != NULL) {
		OPENSSL_clear_free(st->kem_sk, st->alg->kem->sk_len);
	}
	OPENSSL_cleanse(st, sizeof(*st));
	OPENSSL_free(st);
}

/*
 * Private exponent length for a MODP group of pbits bits: at least twice the group's security
 * strength (NIST SP 800-57 table), far shorter than the modulus so keygen stays fast.
 */
static int dh_priv_bits(int pbits)
{
	if (pbits <= 2048) {
		return 256;
	}
	if (pbits <= 3072) {
		return 320;
	}
	if (pbits <= 4096) {
		return 384;
	}
	if (pbits <= 6144) {
		return 448;
	}
	return 512;
}

/* the OpenSSL group name (named groups) or explicit p, g for a fixed-group row */
static int dh_fixed_group(const struct kex_alg *alg, const char **ossl_name, BIGNUM **p, BIGNUM **g)
{
	size_t i;
	BIGNUM *bp = NULL, *bg = NULL;
	int r = SSH_ERR_NO_ALGO;

	*ossl_name = NULL;
	*p = NULL;
	*g = NULL;
	if (alg->group == NULL) {
		goto out;
	}
	for (i = 0; i < sizeof(kex_dh_groups) / sizeof(kex_dh_groups[0]); i++) {
		if (strcmp(kex_dh_groups[i].id, alg->group) == 0) {
			break;
		}
	}
	if (i == sizeof(kex_dh_groups) / sizeof(kex_dh_groups[0])) {
		goto out;
	}
	if (kex_dh_groups[i].ossl_name != NULL) {
		*ossl_name = kex_dh_groups[i].ossl_name;
		r = 0;
		goto out;
	}
	r = SSH_ERR_LIBCRYPTO;
	if (BN_hex2bn(&bp, oakley2_prime_hex) == 0 || (bg = BN_new()) == NULL ||
	    !BN_set_word(bg, 2)) {
		goto out;
	}
	*p = bp;
	bp = NULL;
	*g = bg;
	bg = NULL;
	r = 0;
out:
	BN_free(bp);
	BN_free(bg);
	return r;
}

/* RFC 4419 section 3 / RFC 8270: the group the server sent must be sane before we use it */
static int gex_check_group(const BIGNUM *p, const BIGNUM *g)
{
	BIGNUM *pm1 = NULL;
	int bits, r = SSH_ERR_FORMAT;

	if (p == NULL || g == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if (BN_is_negative(p) || BN_is_negative(g)) {
		goto out;
	}
	bits = BN_num_bits(p);
	if (bits > KEX_GEX_MAX_BITS) {
		r = SSH_ERR_TOO_LARGE;
		goto out;
	}
	if (bits < KEX_GEX_MIN_BITS || !BN_is_odd(p)) {
		goto out;
	}
	if ((pm1 = BN_dup(p)) == NULL || !BN_sub_word(pm1, 1)) {
		r = SSH_ERR_LIBCRYPTO;
		goto out;
	}
	/* g in [2, p-2] */
	if (BN_cmp(g, BN_value_one()) <= 0 || BN_cmp(g, pm1) >= 0) {
		goto out;
	}
	r = 0;
out:
	BN_free(pm1);
	return r;
}

static int put_bn_magnitude(struct buf *b, const BIGNUM *bn)
{
	uint8_t *dst = NULL;
	int n, r;

	n = BN_num_bytes(bn);
	if (n <= 0) {
		return SSH_ERR_INTERNAL; /* a public value is never zero */
	}
	if ((r = buf_reserve(b, (size_t)n, &dst)) != 0) {
		return r;
	}
	if (BN_bn2bin(bn, dst) != n) {
		return SSH_ERR_LIBCRYPTO;
	}
	return 0;
}

static int dh_keygen(struct kex_state *st, const char *ossl_name, struct buf *client_pub)
{
	EVP_PKEY *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *pub = NULL;
	OSSL_PARAM set[2];
	int priv_bits;
	size_t mark = buf_mark(client_pub);
	int r;

	if ((r = kex_dh_params_pkey(ossl_name, st->p, st->g, &params)) != 0) {
		goto out;
	}
	r = SSH_ERR_LIBCRYPTO;
	if (st->p == NULL) {
		if (!EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &st->p) ||
		    !EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_G, &st->g)) {
			goto out;
		}
	}
	priv_bits = dh_priv_bits(BN_num_bits(st->p));
	set[0] = OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_DH_PRIV_LEN, &priv_bits);
	set[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_set_params(ctx, set) <= 0 ||
	    EVP_PKEY_keygen(ctx, &st->key) <= 0) {
		goto out;
	}
	if (!EVP_PKEY_get_bn_param(st->key, OSSL_PKEY_PARAM_PUB_KEY, &pub)) {
		goto out;
	}
	if ((r = put_bn_magnitude(client_pub, pub)) != 0) {
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		buf_rollback(client_pub, mark);
	}
	BN_free(pub);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(params);
	return r;
}

static int ec_keygen(struct kex_state *st, struct buf *client_pub)
{
	uint8_t pub[1 + 2 * 66];
	size_t publen = 0;
	int r = SSH_ERR_LIBCRYPTO;

	if ((st->ec_group = OPENSSL_strdup(st->alg->group)) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	if ((st->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", st->alg->group)) == NULL) {
		goto out;
	}
	if (!EVP_PKEY_get_octet_string_param(
	        st->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, sizeof(pub), &publen)) {
		goto out;
	}
	if (publen < 3 || (publen & 1) == 0 || pub[0] != 0x04) {
		r = SSH_ERR_INTERNAL; /* not an uncompressed point */
		goto out;
	}
	st->ec_publen = publen;
	if ((r = buf_put(client_pub, pub, publen)) != 0) {
		goto out;
	}
	r = 0;
out:
	return r;
}

static int x25519_from_key(struct kex_state *st, struct buf *client_pub)
{
	uint8_t pub[KEX_X25519_LEN];
	size_t publen = sizeof(pub);

	if (!EVP_PKEY_get_raw_public_key(st->key, pub, &publen) || publen != sizeof(pub)) {
		return SSH_ERR_LIBCRYPTO;
	}
	return buf_put(client_pub, pub, publen);
}

int kex_state_new(const struct kex_alg *alg, const BIGNUM *p, const BIGNUM *g,
    struct kex_state **out, struct buf *client_pub)
{
	struct kex_state *st = NULL;
	const char *ossl_name = NULL;
	int r = SSH_ERR_INTERNAL;

	if (out != NULL) {
		*out = NULL;
	}
	if (alg == NULL || out == NULL || client_pub == NULL) {
		goto out;
	}
	if ((alg->kind == KEX_DH_GEX) != (p != NULL && g != NULL) || (p == NULL) != (g == NULL)) {
		goto out;
	}
	if ((st = OPENSSL_zalloc(sizeof(*st))) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	st->alg = alg;
	switch (alg->kind) {
	case KEX_CURVE25519:
		r = SSH_ERR_LIBCRYPTO;
		if ((st->key = ssh_rand_x25519()) == NULL) {
			goto out;
		}
		r = x25519_from_key(st, client_pub);
		break;
	case KEX_ECDH:
		r = ec_keygen(st, client_pub);
		break;
	case KEX_DH:
		if ((r = dh_fixed_group(alg, &ossl_name, &st->p, &st->g)) != 0) {
			goto out;
		}
		r = dh_keygen(st, ossl_name, client_pub);
		break;
	case KEX_DH_GEX:
		if ((r = gex_check_group(p, g)) != 0) {
			goto out;
		}
		if ((st->p = BN_dup(p)) == NULL || (st->g = BN_dup(g)) == NULL) {
			r = SSH_ERR_ALLOC;
			goto out;
		}
		r = dh_keygen(st, NULL, client_pub);
		break;
	case KEX_KEM_HYBRID:
		r = kex_hybrid_keygen(alg->kem, NULL, NULL, &st->kem_sk, &st->key, client_pub);
		break;
	default:
		r = SSH_ERR_NO_ALGO;
		break;
	}
	if (r != 0) {
		goto out;
	}
	*out = st;
	st = NULL;
out:
	kex_state_free(st);
	return r;
}

int kex_state_new_with_private(const struct kex_alg *alg, const uint8_t *priv, size_t privlen,
    struct kex_state **out, struct buf *client_pub)
{
	struct kex_state *st = NULL;
	int r = SSH_ERR_INTERNAL;

	if (out != NULL) {
		*out = NULL;
	}
	if (alg == NULL || priv == NULL || out == NULL || client_pub == NULL) {
		goto out;
	}
	if (alg->kind != KEX_CURVE25519 && alg->kind != KEX_KEM_HYBRID) {
		r = SSH_ERR_UNSUPPORTED;
		goto out;
	}
	if (privlen != KEX_X25519_LEN + (alg->kem != NULL ? alg->kem->seed_len : 0)) {
		r = SSH_ERR_FORMAT;
		goto out;
	}
	if ((st = OPENSSL_zalloc(sizeof(*st))) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	st->alg = alg;
	if (alg->kem != NULL) {
		/* the KEM's seed, then the X25519 private key */
		r = kex_hybrid_keygen(
		    alg->kem, priv, priv + alg->kem->seed_len, &st->kem_sk, &st->key, client_pub);
	} else if ((st->key = EVP_PKEY_new_raw_private_key_ex(
	                NULL, "X25519", NULL, priv, privlen)) == NULL) {
		r = SSH_ERR_LIBCRYPTO;
	} else {
		r = x25519_from_key(st, client_pub);
	}
	if (r != 0) {
		goto out;
	}
	*out = st;
	st = NULL;
out:
	kex_state_free(st);
	return r;
}

/* The server's public value as an EVP_PKEY, validated; SSH_ERR_FORMAT when it is bad. */
static int peer_x25519(const uint8_t *pub, size_t len, EVP_PKEY **out)
{
	*out = NULL;
	if (len != KEX_X25519_LEN) {
		return SSH_ERR_FORMAT;
	}
	if ((*out = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, pub, len)) == NULL) {
		return SSH_ERR_FORMAT;
	}
	return 0;
}

static int peer_ec(const struct kex_state *st, const uint8_t *pub, size_t len, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	int r = SSH_ERR_FORMAT;

	*out = NULL;
	/* uncompressed only: 0x04 || x || y, each coordinate the field's size */
	if (len != st->ec_publen || pub[0] != 0x04) {
		goto out;
	}
	r = SSH_ERR_LIBCRYPTO;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, st->ec_group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, len)) {
		goto out;
	}
	/* decoding the point checks it lies on the curve (SSH_ERR_FORMAT when not) */
	r = sshkey_from_params("EC", EVP_PKEY_PUBLIC_KEY, bld, out);
out:
	OSSL_PARAM_BLD_free(bld);
	return r;
}

static int peer_dh(const struct kex_state *st, const uint8_t *pub, size_t len, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *f = NULL, *pm1 = NULL;
	int r = SSH_ERR_FORMAT;

	*out = NULL;
	while (len > 0 && pub[0] == 0) {
		pub++;
		len--;
	}
	if (len == 0 || len > (size_t)BN_num_bytes(st->p)) {
		goto out;
	}
	r = SSH_ERR_LIBCRYPTO;
	if ((f = BN_bin2bn(pub, (int)len, NULL)) == NULL || (pm1 = BN_dup(st->p)) == NULL ||
	    !BN_sub_word(pm1, 1)) {
		goto out;
	}
	/* RFC 4253 section 8: f in [1, p-1]; RFC 8268 section 4 tightens it to [2, p-2] */
	if (BN_cmp(f, BN_value_one()) <= 0 || BN_cmp(f, pm1) >= 0) {
		r = SSH_ERR_FORMAT;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, st->p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, st->g) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, f)) {
		goto out;
	}
	r = sshkey_from_params("DH", EVP_PKEY_PUBLIC_KEY, bld, out);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(f);
	BN_free(pm1);
	return r;
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		acc |= p[i];
	}
	return acc == 0;
}

/* K of a classical method (ECDH, curve25519, DH) raw into secret (*slen: its room, then size) */
static int derive_classic(
    struct kex_state *st, const uint8_t *server_pub, size_t len, uint8_t *secret, size_t *slen)
{
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t room = *slen;
	unsigned int pad = 1;
	OSSL_PARAM set[2];
	int validate, r = SSH_ERR_INTERNAL;

	*slen = 0;
	switch (st->alg->kind) {
	case KEX_CURVE25519:
		r = peer_x25519(server_pub, len, &peer);
		validate = 1;
		break;
	case KEX_ECDH:
		r = peer_ec(st, server_pub, len, &peer);
		validate = 1; /* full public-key check: on curve, not infinity, right order */
		break;
	case KEX_DH:
	case KEX_DH_GEX:
		r = peer_dh(st, server_pub, len, &peer);
		validate = 0; /* range checked above; a subgroup check is a full-size modexp */
		break;
	default:
		r = SSH_ERR_INTERNAL;
		validate = 0;
		break;
	}
	if (r != 0) {
		goto out;
	}
	r = SSH_ERR_LIBCRYPTO;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, st->key, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) <= 0) {
		goto out;
	}
	if (st->alg->kind == KEX_DH || st->alg->kind == KEX_DH_GEX) {
		set[0] = OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad);
		set[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(ctx, set) <= 0) {
			goto out;
		}
	}
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer, validate) <= 0) {
		r = SSH_ERR_FORMAT; /* the peer's key failed validation */
		goto out;
	}
	*slen = room;
	if (EVP_PKEY_derive(ctx, NULL, slen) <= 0 || *slen > room) {
		goto out;
	}
	*slen = room;
	if (EVP_PKEY_derive(ctx, secret, slen) <= 0) {
		/* X25519 refuses a low-order point (all-zero result) in derive itself */
		r = st->alg->kind == KEX_CURVE25519 ? SSH_ERR_FORMAT : SSH_ERR_LIBCRYPTO;
		goto out;
	}
	if (all_zero(secret, *slen)) {
		r = SSH_ERR_FORMAT; /* RFC 8731 section 3: abort on an all-zero shared secret */
		goto out;
	}
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return r;
}

int kex_derive_shared(
    struct kex_state *st, const uint8_t *server_pub, size_t len, struct buf *shared_mpint)
{
	uint8_t secret[KEX_DH_MAX_BYTES];
	size_t slen = sizeof(secret);
	size_t mark;
	int r = SSH_ERR_INTERNAL;

	if (st == NULL || st->key == NULL || server_pub == NULL || shared_mpint == NULL ||
	    (size_t)st->alg->k_enc >= sizeof(kex_k_put) / sizeof(kex_k_put[0])) {
		return SSH_ERR_INTERNAL;
	}
	mark = buf_mark(shared_mpint);
	if (len == 0) {
		return SSH_ERR_FORMAT;
	}
	ERR_set_mark();
	if (st->alg->kind == KEX_KEM_HYBRID) {
		r = kex_hybrid_shared(st->alg, st->kem_sk, st->key, server_pub, len, secret, &slen);
	} else {
		r = derive_classic(st, server_pub, len, secret, &slen);
	}
	if (r != 0) {
		goto out;
	}
	if ((r = kex_k_put[st->alg->k_enc](shared_mpint, secret, slen)) != 0) {
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		buf_rollback(shared_mpint, mark);
	}
	if (r == SSH_ERR_FORMAT) {
		ERR_pop_to_mark(); /* a rejected peer value is not an OpenSSL failure */
	} else {
		ERR_clear_last_mark();
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	return r;
}

/* 1: mpint, 0: string, <0: a kind the table lacks */
static int pub_is_mpint(const struct kex_alg *alg)
{
	size_t i;

	for (i = 0; i < sizeof(kex_kinds) / sizeof(kex_kinds[0]); i++) {
		if (kex_kinds[i].kind == alg->kind) {
			return kex_kinds[i].pub_mpint;
		}
	}
	return SSH_ERR_INTERNAL;
}

int kex_put_pub(const struct kex_alg *alg, struct buf *h, const uint8_t *pub, size_t len)
{
	int m;

	if (alg == NULL || h == NULL || (pub == NULL && len > 0)) {
		return SSH_ERR_INTERNAL;
	}
	if ((m = pub_is_mpint(alg)) < 0) {
		return m;
	}
	return m ? buf_put_mpint_bytes(h, pub, len) : buf_put_string(h, pub, len);
}

int kex_read_pub(const struct kex_alg *alg, struct rd *msg, const uint8_t **pub, size_t *len)
{
	int m;

	if (alg == NULL || msg == NULL || pub == NULL || len == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if ((m = pub_is_mpint(alg)) < 0) {
		return m;
	}
	return m ? rd_mpint_bytes(msg, pub, len) : rd_string(msg, pub, len);
}

int kex_hash(
    const struct kex_alg *alg, const uint8_t *data, size_t len, uint8_t *out, size_t *outlen)
{
	if (outlen != NULL) {
		*outlen = 0;
	}
	if (alg == NULL || (data == NULL && len > 0) || out == NULL || outlen == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if (!EVP_Q_digest(NULL, alg->digest, NULL, data, len, out, outlen)) {
		*outlen = 0;
		return SSH_ERR_LIBCRYPTO;
	}
	return 0;
}

int kex_derive_key(const struct kex_alg *alg, const struct buf *shared_mpint, const uint8_t *h,
    size_t hlen, char letter, const uint8_t *session_id, size_t sidlen, uint8_t *out, size_t need)
{
	EVP_MD *md = NULL;
	EVP_MD_CTX *ctx = NULL;
	uint8_t acc[KEX_DERIVE_MAX + EVP_MAX_MD_SIZE];
	uint8_t c = (uint8_t)letter;
	size_t have = 0;
	unsigned int dlen = 0;
	int mdsize, r = SSH_ERR_INTERNAL;

	if (alg == NULL || shared_mpint == NULL || h == NULL || session_id == NULL ||
	    (out == NULL && need > 0) || letter < 'A' || letter > 'F') {
		return SSH_ERR_INTERNAL;
	}
	if (need > KEX_DERIVE_MAX) {
		return SSH_ERR_TOO_LARGE;
	}
	if (need == 0) {
		return 0;
	}
	r = SSH_ERR_LIBCRYPTO;
	if ((md = EVP_MD_fetch(NULL, alg->digest, NULL)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL) {
		goto out;
	}
	if ((mdsize = EVP_MD_get_size(md)) <= 0 || (size_t)mdsize > EVP_MAX_MD_SIZE) {
		goto out;
	}
	/* K1 = HASH(K || H || letter || session_id) */
	if (!EVP_DigestInit_ex(ctx, md, NULL) ||
	    !EVP_DigestUpdate(ctx, buf_ptr(shared_mpint), buf_len(shared_mpint)) ||
	    !EVP_DigestUpdate(ctx, h, hlen) || !EVP_DigestUpdate(ctx, &c, 1) ||
	    !EVP_DigestUpdate(ctx, session_id, sidlen) || !EVP_DigestFinal_ex(ctx, acc, &dlen) ||
	    dlen != (unsigned int)mdsize) {
		goto out;
	}
	have = dlen;
	/* Kn = HASH(K || H || K1 || ... || Kn-1) */
	while (have < need) {
		if (!EVP_DigestInit_ex(ctx, md, NULL) ||
		    !EVP_DigestUpdate(ctx, buf_ptr(shared_mpint), buf_len(shared_mpint)) ||
		    !EVP_DigestUpdate(ctx, h, hlen) || !EVP_DigestUpdate(ctx, acc, have) ||
		    !EVP_DigestFinal_ex(ctx, acc + have, &dlen) || dlen != (unsigned int)mdsize) {
			goto out;
		}
		have += dlen;
	}
	memcpy(out, acc, need);
	r = 0;
out:
	OPENSSL_cleanse(acc, sizeof(acc));
	EVP_MD_CTX_free(ctx); /* EVP_MD_CTX_free cleanses the digest state */
	EVP_MD_free(md);
	return r;
}
