/*
 * Key-exchange primitives: the table, RFC 7748 X25519 vectors, a client/server round trip for
 * every row (the server side played here with plain EVP), RFC 4253 key derivation against vectors
 * computed with Python's hashlib, rejection of bad peer values and groups, and a mutation sweep.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "buf.h"
#include "compat.h"
#include "err.h"
#include "kexalg.h"
#include "t.h"

#define NROWS    15
#define NHYBRID  3  /* rows 0..2, the hybrids (test_kex_hybrid.c's) */
#define NCLASSIC 12 /* rows 3..14 */

/* classical row i (0..NCLASSIC-1) */
static const struct kex_alg *classic_at(size_t i)
{
	return kex_alg_at(NHYBRID + i);
}

/* ---- test-side helpers, independent of kexalg.c ---- */

/* our own SSH mpint encoding of an unsigned big-endian magnitude */
static size_t t_mpint(const uint8_t *v, size_t n, uint8_t *out)
{
	size_t pad;

	while (n > 0 && v[0] == 0) {
		v++;
		n--;
	}
	pad = (n > 0 && (v[0] & 0x80) != 0) ? 1 : 0;
	out[0] = (uint8_t)((n + pad) >> 24);
	out[1] = (uint8_t)((n + pad) >> 16);
	out[2] = (uint8_t)((n + pad) >> 8);
	out[3] = (uint8_t)(n + pad);
	if (pad) {
		out[4] = 0;
	}
	memcpy(out + 4 + pad, v, n);
	return 4 + pad + n;
}

static EVP_PKEY *t_dh_params(const char *name, const BIGNUM *p, const BIGNUM *g)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	EVP_PKEY *pk = NULL;

	if (name != NULL) {
		OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, name, 0);
	} else {
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g);
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params != NULL && EVP_PKEY_fromdata_init(ctx) > 0) {
		EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEY_PARAMETERS, params);
	}
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static BIGNUM *t_named_p(const char *name)
{
	EVP_PKEY *pk = t_dh_params(name, NULL, NULL);
	BIGNUM *p = NULL;

	if (pk != NULL) {
		EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_FFC_P, &p);
	}
	EVP_PKEY_free(pk);
	return p;
}

/*
 * RFC 2409's 1024-bit prime, derived from RFC 3526's 2048-bit one (as OpenSSL knows it): both are
 * 2^n - 2^(n-64) - 1 + 2^64 * ([2^(n-130) pi] + c), so the pi bits of one give the other.
 */
static BIGNUM *t_oakley2_p(void)
{
	BIGNUM *p2 = t_named_p("modp_2048");
	BIGNUM *t = BN_new(), *r = BN_new();

	/* t = p2 - 2^2048 + 2^1984 + 1 = 2^64 * ([2^1918 pi] + 124476) */
	BN_set_bit(t, 2048);
	BN_sub(r, p2, t);
	BN_zero(t);
	BN_set_bit(t, 1984);
	BN_add(r, r, t);
	BN_add_word(r, 1);
	BN_rshift(r, r, 64);
	BN_sub_word(r, 124476);
	BN_rshift(r, r, 1918 - 894);
	BN_add_word(r, 129093);
	BN_lshift(r, r, 64);
	BN_zero(t);
	BN_set_bit(t, 1024);
	BN_add(r, r, t);
	BN_zero(t);
	BN_set_bit(t, 960);
	BN_sub(r, r, t);
	BN_sub_word(r, 1);
	BN_free(t);
	BN_free(p2);
	return r;
}

/* The server's side of one exchange, with plain EVP. */
struct t_server {
	EVP_PKEY *key;
	uint8_t pub[1100];
	size_t publen;
	BIGNUM *p, *g; /* DH */
};

static void t_server_free(struct t_server *s)
{
	EVP_PKEY_free(s->key);
	BN_free(s->p);
	BN_free(s->g);
	memset(s, 0, sizeof(*s));
}

static const char *t_dh_name(const struct kex_alg *alg)
{
	if (strcmp(alg->group, "modp14") == 0) {
		return "modp_2048";
	}
	if (strcmp(alg->group, "modp16") == 0) {
		return "modp_4096";
	}
	if (strcmp(alg->group, "modp18") == 0) {
		return "modp_8192";
	}
	return NULL;
}

/* gp, gg: the group for GEX rows */
static int t_server_new(
    const struct kex_alg *alg, const BIGNUM *gp, const BIGNUM *gg, struct t_server *s)
{
	EVP_PKEY *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *f = NULL;
	int ok = 0;

	memset(s, 0, sizeof(*s));
	switch (alg->kind) {
	case KEX_CURVE25519:
		s->key = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
		s->publen = sizeof(s->pub);
		ok = s->key != NULL && EVP_PKEY_get_raw_public_key(s->key, s->pub, &s->publen);
		break;
	case KEX_KEM_HYBRID: /* test_kex_hybrid.c */
		break;
	case KEX_ECDH:
		s->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", alg->group);
		ok = s->key != NULL &&
		     EVP_PKEY_get_octet_string_param(
		         s->key, OSSL_PKEY_PARAM_PUB_KEY, s->pub, sizeof(s->pub), &s->publen);
		break;
	case KEX_DH:
	case KEX_DH_GEX:
		if (alg->kind == KEX_DH_GEX) {
			s->p = BN_dup(gp);
			s->g = BN_dup(gg);
		} else if (t_dh_name(alg) != NULL) {
			s->p = t_named_p(t_dh_name(alg));
			s->g = BN_new();
			BN_set_word(s->g, 2);
		} else {
			s->p = t_oakley2_p();
			s->g = BN_new();
			BN_set_word(s->g, 2);
		}
		params = t_dh_params(NULL, s->p, s->g);
		ctx = params ? EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL) : NULL;
		ok = ctx != NULL && EVP_PKEY_keygen_init(ctx) > 0 &&
		     EVP_PKEY_keygen(ctx, &s->key) > 0 &&
		     EVP_PKEY_get_bn_param(s->key, OSSL_PKEY_PARAM_PUB_KEY, &f);
		if (ok) {
			s->publen = (size_t)BN_bn2bin(f, s->pub);
		}
		break;
	}
	BN_free(f);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(params);
	return ok;
}

/* the server's K as an mpint (our own encoding) from the client's raw public value */
static size_t t_server_shared(const struct kex_alg *alg, struct t_server *s, const uint8_t *cpub,
    size_t clen, uint8_t *out, int *lead_zero)
{
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL, *pctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *e = NULL;
	uint8_t raw[1100];
	size_t rawlen = sizeof(raw), n = 0;

	if (alg->kind == KEX_CURVE25519) {
		peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, cpub, clen);
	} else {
		bld = OSSL_PARAM_BLD_new();
		pctx = EVP_PKEY_CTX_new_from_name(NULL, alg->kind == KEX_ECDH ? "EC" : "DH", NULL);
		if (alg->kind == KEX_ECDH) {
			OSSL_PARAM_BLD_push_utf8_string(
			    bld, OSSL_PKEY_PARAM_GROUP_NAME, alg->group, 0);
			OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, cpub, clen);
		} else {
			e = BN_bin2bn(cpub, (int)clen, NULL);
			OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, s->p);
			OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, s->g);
			OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, e);
		}
		params = OSSL_PARAM_BLD_to_param(bld);
		if (EVP_PKEY_fromdata_init(pctx) > 0) {
			EVP_PKEY_fromdata(pctx, &peer, EVP_PKEY_PUBLIC_KEY, params);
		}
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, s->key, NULL);
	if (peer != NULL && ctx != NULL && EVP_PKEY_derive_init(ctx) > 0 &&
	    EVP_PKEY_derive_set_peer(ctx, peer) > 0 && EVP_PKEY_derive(ctx, raw, &rawlen) > 0) {
		n = t_mpint(raw, rawlen, out);
		/* DH (unpadded) drops leading zeros itself; the curves' output has a fixed size */
		if (alg->kind == KEX_DH || alg->kind == KEX_DH_GEX) {
			*lead_zero = rawlen < (size_t)BN_num_bytes(s->p);
		} else {
			*lead_zero = raw[0] == 0;
		}
	}
	BN_free(e);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return n;
}

/* ---- tests ---- */

static void test_table(void)
{
	static const char *names[NROWS] = {"mlkem768x25519-sha256", "sntrup761x25519-sha512",
	    "sntrup761x25519-sha512@openssh.com", "curve25519-sha256",
	    "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
	    "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256",
	    "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
	    "diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1",
	    "diffie-hellman-group-exchange-sha1", "diffie-hellman-group1-sha1"};
	size_t i;

	for (i = 0; i < NROWS; i++) {
		const struct kex_alg *a = kex_alg_at(i);
		CHECK(a != NULL);
		if (a == NULL) {
			continue;
		}
		CHECK_STR(a->name, names[i]);
		CHECK(kex_alg_by_name(names[i]) == a);
		/* the defaults: the hybrids (OpenSSH 10's order), then the classical ones */
		CHECK_EQ_INT(a->is_default, i < NHYBRID + 9);
		EVP_MD *md = EVP_MD_fetch(NULL, a->digest, NULL);
		CHECK(md != NULL);
		EVP_MD_free(md);
	}
	CHECK(kex_alg_at(NROWS) == NULL);
	CHECK(kex_alg_by_name("curve25519-sha256@libssh.orgX") == NULL);
	CHECK(kex_alg_by_name("diffie-hellman-group1") == NULL);
	CHECK(kex_alg_by_name("") == NULL);
	CHECK(kex_alg_by_name(NULL) == NULL);
	CHECK_EQ_INT(kex_alg_by_name("ecdh-sha2-nistp384")->kind, KEX_ECDH);
	CHECK_STR(kex_alg_by_name("ecdh-sha2-nistp521")->digest, "SHA512");
	CHECK_EQ_INT(kex_alg_by_name("diffie-hellman-group-exchange-sha1")->kind, KEX_DH_GEX);
	/* both sntrup761 names are one method: sntrup761 with SHA-512 */
	CHECK(kex_alg_by_name("sntrup761x25519-sha512")->kem == &kex_kem_sntrup761);
	CHECK(kex_alg_by_name("sntrup761x25519-sha512@openssh.com")->kem == &kex_kem_sntrup761);
	CHECK_STR(kex_alg_by_name("sntrup761x25519-sha512")->digest, "SHA512");
	CHECK_STR(kex_alg_by_name("sntrup761x25519-sha512@openssh.com")->digest, "SHA512");
	/* K is a string for the hybrids, an mpint for every classical row */
	for (i = 0; i < NROWS; i++) {
		CHECK_EQ_INT(kex_alg_at(i)->k_enc, i < NHYBRID ? KEX_K_STRING : KEX_K_MPINT);
		CHECK_EQ_INT(kex_alg_at(i)->kind == KEX_KEM_HYBRID, kex_alg_at(i)->kem != NULL);
	}
}

/* RFC 2409 group 2 in kexalg.c must be the prime derived from RFC 3526 group 14 above, and a
 * safe prime */
static void test_oakley2(void)
{
	BIGNUM *p = t_oakley2_p(), *q = BN_dup(p);
	BN_CTX *bnctx = BN_CTX_new();

	CHECK_EQ_INT(BN_num_bits(p), 1024);
	BN_sub_word(q, 1);
	BN_rshift1(q, q);
	CHECK_EQ_INT(BN_check_prime(p, bnctx, NULL), 1);
	CHECK_EQ_INT(BN_check_prime(q, bnctx, NULL), 1);
	BN_free(p);
	BN_free(q);
	BN_CTX_free(bnctx);
}

/* one side of an X25519 exchange with a fixed private key: its public value has 32 bytes, is
 * want_pub when given, and the shared secret with peer is the mpint kmp[0..kn) */
static void x25519_side(const struct kex_alg *alg, const uint8_t *priv, const uint8_t *want_pub,
    const uint8_t *peer, const uint8_t *kmp, size_t kn)
{
	struct kex_state *st = NULL;
	struct buf pub, sh;

	buf_init(&pub);
	buf_init_secret(&sh);
	CHECK_EQ_INT(kex_state_new_with_private(alg, priv, 32, &st, &pub), 0);
	CHECK(
	    buf_len(&pub) == 32 && (want_pub == NULL || memcmp(buf_ptr(&pub), want_pub, 32) == 0));
	CHECK_EQ_INT(kex_derive_shared(st, peer, 32, &sh), 0);
	CHECK(buf_len(&sh) == kn && memcmp(buf_ptr(&sh), kmp, kn) == 0);
	kex_state_free(st);
	buf_free(&pub);
	buf_free(&sh);
}

static void test_x25519_vectors(void)
{
	const struct kex_alg *alg = kex_alg_by_name("curve25519-sha256");
	uint8_t a[32], apub[32], b[32], bpub[32], k[32], kmp[40], sc[32], u[32], out[32];
	struct kex_state *st = NULL;
	struct buf pub;
	size_t kn;

	buf_init(&pub);
	/* RFC 7748 section 6.1 */
	t_unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a, 32);
	t_unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", apub, 32);
	t_unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b, 32);
	t_unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", bpub, 32);
	t_unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", k, 32);
	kn = t_mpint(k, 32, kmp);
	CHECK_EQ_INT(kn, 36);

	x25519_side(alg, a, apub, bpub, kmp, kn);
	x25519_side(alg, b, bpub, apub, kmp, kn);

	/* RFC 7748 section 5.2, first vector (a non-clamped scalar, u with bits to mask) */
	t_unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", sc, 32);
	t_unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", u, 32);
	t_unhex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552", out, 32);
	kn = t_mpint(out, 32, kmp);
	x25519_side(alg, sc, NULL, u, kmp, kn);

	/* the hook is for curve25519 only, with a 32-byte key */
	CHECK_EQ_INT(kex_state_new_with_private(alg, sc, 31, &st, &pub), SSH_ERR_FORMAT);
	CHECK(st == NULL);
	CHECK_EQ_INT(
	    kex_state_new_with_private(kex_alg_by_name("ecdh-sha2-nistp256"), sc, 32, &st, &pub),
	    SSH_ERR_UNSUPPORTED);
	CHECK(st == NULL);
	buf_free(&pub);
}

/* group for GEX round trips: i = 0: modp_2048 p with g = 5 (no named group matches);
 * 1: modp_3072 with g = 2; 2: modp_8192 (the largest allowed) with g = 2 */
static void t_gex_group(int i, BIGNUM **p, BIGNUM **g)
{
	*p = t_named_p(i == 0 ? "modp_2048" : i == 1 ? "modp_3072" : "modp_8192");
	*g = BN_new();
	BN_set_word(*g, i == 0 ? 5 : 2);
}

/* One full exchange; returns 1 if both sides agree and every check passed. */
static int t_round_trip(
    const struct kex_alg *alg, const BIGNUM *gp, const BIGNUM *gg, int *lead_zero)
{
	struct kex_state *st = NULL;
	struct t_server srv;
	struct buf cpub, sh, h;
	uint8_t skmp[1100], enc[1200];
	size_t sn, en;
	int ok = 1, r, lz = 0;

	buf_init(&cpub);
	buf_init_secret(&sh);
	buf_init(&h);
	if ((r = kex_state_new(alg, gp, gg, &st, &cpub)) != 0) {
		fprintf(stderr, "%s: kex_state_new: %d\n", alg->name, r);
		ok = 0;
		goto out;
	}
	if (!t_server_new(alg, gp, gg, &srv)) {
		fprintf(stderr, "%s: server keygen failed\n", alg->name);
		ok = 0;
		goto out;
	}
	switch (alg->kind) {
	case KEX_CURVE25519:
		ok &= buf_len(&cpub) == 32;
		break;
	case KEX_ECDH:
		ok &= buf_len(&cpub) == srv.publen && buf_ptr(&cpub)[0] == 0x04;
		break;
	default: {
		/* e in [2, p-2], minimal magnitude */
		BIGNUM *e = BN_bin2bn(buf_ptr(&cpub), (int)buf_len(&cpub), NULL);
		BIGNUM *pm1 = BN_dup(srv.p);
		BN_sub_word(pm1, 1);
		ok &= buf_ptr(&cpub)[0] != 0 && BN_cmp(e, BN_value_one()) > 0 && BN_cmp(e, pm1) < 0;
		BN_free(e);
		BN_free(pm1);
	}
	}
	sn = t_server_shared(alg, &srv, buf_ptr(&cpub), buf_len(&cpub), skmp, &lz);
	r = kex_derive_shared(st, srv.pub, srv.publen, &sh);
	if (r != 0 || sn == 0 || buf_len(&sh) != sn || memcmp(buf_ptr(&sh), skmp, sn) != 0) {
		fprintf(stderr, "%s: shared secrets differ (r=%d, sn=%zu)\n", alg->name, r, sn);
		ok = 0;
	}
	if (lead_zero != NULL) {
		*lead_zero = lz;
	}
	/* kex_put_pub: string for curves, mpint for DH */
	ok &= kex_put_pub(alg, &h, buf_ptr(&cpub), buf_len(&cpub)) == 0;
	if (alg->kind == KEX_CURVE25519 || alg->kind == KEX_ECDH) {
		poke_u32(enc, (uint32_t)buf_len(&cpub));
		memcpy(enc + 4, buf_ptr(&cpub), buf_len(&cpub));
		en = 4 + buf_len(&cpub);
	} else {
		en = t_mpint(buf_ptr(&cpub), buf_len(&cpub), enc);
	}
	ok &= buf_len(&h) == en && memcmp(buf_ptr(&h), enc, en) == 0;
	/* the state can derive again: same result */
	buf_reset(&h);
	ok &= kex_derive_shared(st, srv.pub, srv.publen, &h) == 0 && buf_len(&h) == sn &&
	      memcmp(buf_ptr(&h), skmp, sn) == 0;
	t_server_free(&srv);
out:
	kex_state_free(st);
	buf_free(&cpub);
	buf_free(&sh);
	buf_free(&h);
	return ok;
}

static void test_round_trips(void)
{
	size_t i;
	int j;
	BIGNUM *p = NULL, *g = NULL;

	for (i = 0; i < NCLASSIC; i++) {
		const struct kex_alg *alg = classic_at(i);
		if (alg->kind != KEX_DH_GEX) {
			CHECK(t_round_trip(alg, NULL, NULL, NULL));
			continue;
		}
		for (j = 0; j < 3; j++) {
			t_gex_group(j, &p, &g);
			CHECK(t_round_trip(alg, p, g, NULL));
			BN_free(p);
			BN_free(g);
		}
	}
}

/*
 * K with a leading zero byte (about one exchange in 256) must come out as a minimal mpint that
 * matches the server's own encoding: run exchanges until one such K has been seen per row.
 */
static void test_leading_zero(void)
{
	static const char *rows[] = {
	    "curve25519-sha256", "ecdh-sha2-nistp256", "diffie-hellman-group1-sha1"};
	size_t i;
	int n, lz, ok;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		lz = 0;
		ok = 1;
		for (n = 0; n < 8000 && !lz && ok; n++) {
			ok = t_round_trip(kex_alg_by_name(rows[i]), NULL, NULL, &lz);
		}
		CHECK(ok);
		CHECK(lz);
	}
}

static void test_derive_key(void)
{
	struct {
		const char *alg;
		char letter;
		size_t hlen, need;
		const char *hex;
	} v[] = {
	    {"curve25519-sha256", 'A', 32, 16, "e852aa9a770914135394e4d51fcc30a5"},
	    {"curve25519-sha256", 'C', 32, 64,
	        "27d3f1f126e06171f379624b6373e026181590fab22e0d05268e05dede0d450a"
	        "a9df5d31091dd2dbaefe9bf71a2ad9cbaad187a45bddbb0d90ec5f02dbb15227"},
	    {"diffie-hellman-group-exchange-sha256", 'E', 32, 80,
	        "85deba164c564b5f1aa91372b10594cdb44aeb07d87264973ced6ade6e44f052"
	        "51447e9fe0a64bfa716cc0ff7d373cb8af8983a5b2bd16cef866245c5d8fa899"
	        "0ab500632c7af2182d946b65937a18b0"},
	    {"diffie-hellman-group14-sha1", 'B', 20, 32,
	        "58ae37408d70661a44ef06ef0cc017d1ed3cea98ee9c6a90e4debf38b052ece5"},
	    {"diffie-hellman-group16-sha512", 'F', 64, 64,
	        "f62fc2b7ac944f171e844e70670187c87c7f6e5640713944dc6a0bfad99ffaa3"
	        "acb9c8579920a3e74059d666e41805755e5752755f388248d6963a931d70c8a3"},
	    {"diffie-hellman-group18-sha512", 'F', 64, 100,
	        "f62fc2b7ac944f171e844e70670187c87c7f6e5640713944dc6a0bfad99ffaa3"
	        "acb9c8579920a3e74059d666e41805755e5752755f388248d6963a931d70c8a3"
	        "29382706b7462c7b4b14893d5de9fe29ca2a933a334e16be4454e610b0e7c6b4"
	        "d0562357"},
	    {"ecdh-sha2-nistp384", 'D', 48, 48,
	        "fc9e457df2c60aa7af68e46e0c228697acf1a63d75bb5fddf94ef86afabc71ec"
	        "4cbcff8fadf77324b36ca48b122356af"},
	    {"ecdh-sha2-nistp384", 'D', 48, 49,
	        "fc9e457df2c60aa7af68e46e0c228697acf1a63d75bb5fddf94ef86afabc71ec"
	        "4cbcff8fadf77324b36ca48b122356af76"},
	};
	struct buf k;
	uint8_t kb[64], h[64], sid[64], want[128], out[128];
	size_t i, kn, j;

	/* K = mpint(0x9f, 0x0b, ...), H = 00 01 02 ..., session id = 100 101 ... (as in the
	 * Python that computed the vectors with hashlib) */
	kn = t_unhex("00000021009f0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf217"
	             "3c61",
	    kb, sizeof(kb));
	CHECK_EQ_INT(kn, 37);
	buf_init_secret(&k);
	CHECK_EQ_INT(buf_put(&k, kb, kn), 0);
	for (j = 0; j < 64; j++) {
		h[j] = (uint8_t)j;
		sid[j] = (uint8_t)(100 + j);
	}
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const struct kex_alg *alg = kex_alg_by_name(v[i].alg);
		memset(out, 0xa5, sizeof(out));
		CHECK_EQ_INT(t_unhex(v[i].hex, want, sizeof(want)), v[i].need);
		CHECK_EQ_INT(kex_derive_key(alg, &k, h, v[i].hlen, v[i].letter, sid, v[i].hlen, out,
		                 v[i].need),
		    0);
		CHECK_MEM(out, want, v[i].need);
		CHECK_EQ_INT(out[v[i].need], 0xa5); /* nothing written past `need` */
	}
	/* bad arguments */
	CHECK_EQ_INT(
	    kex_derive_key(classic_at(0), &k, h, 32, 'G', sid, 32, out, 16), SSH_ERR_INTERNAL);
	CHECK_EQ_INT(
	    kex_derive_key(classic_at(0), &k, h, 32, '@', sid, 32, out, 16), SSH_ERR_INTERNAL);
	CHECK_EQ_INT(
	    kex_derive_key(classic_at(0), &k, h, 32, 'A', sid, 32, out, 100000), SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(kex_derive_key(classic_at(0), &k, h, 32, 'A', sid, 32, out, 0), 0);
	buf_free(&k);
}

static void test_hash(void)
{
	static const struct {
		const char *alg;
		const char *hex;
	} v[] = {
	    {"diffie-hellman-group1-sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"},
	    {"curve25519-sha256",
	        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	    {"ecdh-sha2-nistp384", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5b"
	                           "ed8086072ba1e7cc2358baeca134c825a7"},
	    {"diffie-hellman-group16-sha512",
	        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
	};
	uint8_t out[EVP_MAX_MD_SIZE], want[64];
	size_t i, n, wn;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		wn = t_unhex(v[i].hex, want, sizeof(want));
		CHECK_EQ_INT(
		    kex_hash(kex_alg_by_name(v[i].alg), (const uint8_t *)"abc", 3, out, &n), 0);
		CHECK_EQ_INT(n, wn);
		CHECK_MEM(out, want, wn);
	}
}

/* expect SSH_ERR_FORMAT and an untouched output buffer */
static int t_reject(struct kex_state *st, const uint8_t *v, size_t n)
{
	struct buf sh;
	int r, ok;

	buf_init_secret(&sh);
	buf_put_u8(&sh, 0x42);
	r = kex_derive_shared(st, v, n, &sh);
	ok = r == SSH_ERR_FORMAT && buf_len(&sh) == 1 && buf_ptr(&sh)[0] == 0x42 &&
	     ERR_peek_error() == 0;
	if (!ok) {
		fprintf(stderr, "reject: r=%d len=%zu\n", r, buf_len(&sh));
	}
	buf_free(&sh);
	return ok;
}

static void test_bad_x25519(void)
{
	/* u-coordinates of small order (and their non-canonical forms): the result is zero */
	static const char *low[] = {
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "0100000000000000000000000000000000000000000000000000000000000000",
	    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "0000000000000000000000000000000000000000000000000000000000000080",
	};
	struct kex_state *st = NULL;
	struct buf pub;
	uint8_t u[33];
	size_t i;

	buf_init(&pub);
	CHECK_EQ_INT(kex_state_new(classic_at(1), NULL, NULL, &st, &pub), 0);
	for (i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		t_unhex(low[i], u, 32);
		CHECK(t_reject(st, u, 32));
	}
	memset(u, 9, sizeof(u));
	CHECK(t_reject(st, u, 31));
	CHECK(t_reject(st, u, 33));
	CHECK(t_reject(st, u, 0));
	kex_state_free(st);
	buf_free(&pub);
}

static void test_bad_ecdh(void)
{
	size_t i;

	for (i = 2; i <= 4; i++) {
		const struct kex_alg *alg = classic_at(i);
		struct kex_state *st = NULL;
		struct t_server srv;
		struct buf pub;
		uint8_t v[200];
		size_t n;

		buf_init(&pub);
		CHECK_EQ_INT(kex_state_new(alg, NULL, NULL, &st, &pub), 0);
		CHECK(t_server_new(alg, NULL, NULL, &srv));
		n = srv.publen;
		CHECK_EQ_INT(n, i == 2 ? 65 : i == 3 ? 97 : 133);
		memcpy(v, srv.pub, n);
		v[n - 1] ^= 1; /* off the curve */
		CHECK(t_reject(st, v, n));
		memcpy(v, srv.pub, n);
		v[n / 2] ^= 0x10; /* x changed: off the curve */
		CHECK(t_reject(st, v, n));
		memcpy(v, srv.pub, n);
		CHECK(t_reject(st, v, n - 1)); /* wrong lengths */
		v[n] = 0;
		CHECK(t_reject(st, v, n + 1));
		v[0] = (uint8_t)(0x02 | (srv.pub[n - 1] & 1)); /* compressed */
		CHECK(t_reject(st, v, 1 + (n - 1) / 2));
		CHECK(t_reject(st, v, n));
		v[0] = (uint8_t)(0x06 | (srv.pub[n - 1] & 1)); /* hybrid */
		CHECK(t_reject(st, v, n));
		v[0] = 0x00; /* the point at infinity */
		CHECK(t_reject(st, v, 1));
		memset(v + 1, 0, n - 1);
		v[0] = 0x04; /* (0, 0) */
		CHECK(t_reject(st, v, n));
		memset(v + 1, 0xff, n - 1); /* coordinates >= p */
		CHECK(t_reject(st, v, n));
		/* the real point still works afterwards */
		memcpy(v, srv.pub, n);
		buf_reset(&pub);
		CHECK_EQ_INT(kex_derive_shared(st, v, n, &pub), 0);
		t_server_free(&srv);
		kex_state_free(st);
		buf_free(&pub);
	}
}

static void t_bn_bytes(const BIGNUM *bn, uint8_t *out, size_t *n)
{
	*n = (size_t)BN_bn2bin(bn, out);
}

static void test_bad_dh(void)
{
	static const char *rows[] = {"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha256"};
	size_t i, n;
	uint8_t v[300];

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct kex_alg *alg = kex_alg_by_name(rows[i]);
		struct kex_state *st = NULL;
		struct t_server srv;
		struct buf pub;
		BIGNUM *x = BN_new();

		buf_init(&pub);
		CHECK_EQ_INT(kex_state_new(alg, NULL, NULL, &st, &pub), 0);
		CHECK(t_server_new(alg, NULL, NULL, &srv));
		v[0] = 0;
		CHECK(t_reject(st, v, 1)); /* f = 0 */
		CHECK(t_reject(st, v, 0)); /* empty */
		v[0] = 1;
		CHECK(t_reject(st, v, 1)); /* f = 1 */
		v[0] = 0;
		v[1] = 1;
		CHECK(t_reject(st, v, 2)); /* f = 1 with a leading zero */
		BN_copy(x, srv.p);
		t_bn_bytes(x, v, &n);
		CHECK(t_reject(st, v, n)); /* f = p */
		BN_sub_word(x, 1);
		t_bn_bytes(x, v, &n);
		CHECK(t_reject(st, v, n)); /* f = p - 1 */
		BN_add_word(x, 2);
		t_bn_bytes(x, v, &n);
		CHECK(t_reject(st, v, n)); /* f = p + 1 */
		memset(v, 0xff, n + 1);
		CHECK(t_reject(st, v, n));     /* f > p, same length */
		CHECK(t_reject(st, v, n + 1)); /* f > p, longer */
		/* the edges of the valid range are accepted */
		v[0] = 2;
		buf_reset(&pub);
		CHECK_EQ_INT(kex_derive_shared(st, v, 1, &pub), 0);
		BN_copy(x, srv.p);
		BN_sub_word(x, 2);
		t_bn_bytes(x, v, &n);
		buf_reset(&pub);
		CHECK_EQ_INT(kex_derive_shared(st, v, n, &pub), 0);
		BN_free(x);
		t_server_free(&srv);
		kex_state_free(st);
		buf_free(&pub);
	}
}

static void test_bad_gex(void)
{
	const struct kex_alg *gex = kex_alg_by_name("diffie-hellman-group-exchange-sha256");
	struct kex_state *st = NULL;
	struct buf pub;
	BIGNUM *p = t_named_p("modp_2048"), *g = BN_new(), *x = BN_new();
	BIGNUM *small = t_oakley2_p();

	buf_init(&pub);
	BN_set_word(g, 2);
	/* p too small */
	CHECK_EQ_INT(kex_state_new(gex, small, g, &st, &pub), SSH_ERR_FORMAT);
	CHECK(st == NULL);
	/* p even */
	BN_copy(x, p);
	BN_sub_word(x, 1);
	CHECK_EQ_INT(kex_state_new(gex, x, g, &st, &pub), SSH_ERR_FORMAT);
	/* p too large: 2^8192 + 1 (8193 bits) */
	BN_zero(x);
	BN_set_bit(x, 8192);
	BN_add_word(x, 1);
	CHECK_EQ_INT(kex_state_new(gex, x, g, &st, &pub), SSH_ERR_TOO_LARGE);
	/* g out of [2, p-2] */
	BN_zero(x);
	CHECK_EQ_INT(kex_state_new(gex, p, x, &st, &pub), SSH_ERR_FORMAT);
	BN_one(x);
	CHECK_EQ_INT(kex_state_new(gex, p, x, &st, &pub), SSH_ERR_FORMAT);
	BN_copy(x, p);
	BN_sub_word(x, 1);
	CHECK_EQ_INT(kex_state_new(gex, p, x, &st, &pub), SSH_ERR_FORMAT);
	BN_add_word(x, 1);
	CHECK_EQ_INT(kex_state_new(gex, p, x, &st, &pub), SSH_ERR_FORMAT);
	BN_add_word(x, 7);
	CHECK_EQ_INT(kex_state_new(gex, p, x, &st, &pub), SSH_ERR_FORMAT);
	BN_set_negative(x, 1);
	CHECK_EQ_INT(kex_state_new(gex, p, x, &st, &pub), SSH_ERR_FORMAT);
	CHECK(st == NULL);
	CHECK_EQ_INT(buf_len(&pub), 0);
	/* g = p - 2 is the edge that is allowed */
	BN_copy(x, p);
	BN_sub_word(x, 2);
	CHECK_EQ_INT(kex_state_new(gex, p, x, &st, &pub), 0);
	CHECK(buf_len(&pub) > 0 && buf_len(&pub) <= 256);
	kex_state_free(st);
	st = NULL;
	buf_reset(&pub);
	/* group arguments must match the kind */
	CHECK_EQ_INT(kex_state_new(gex, NULL, NULL, &st, &pub), SSH_ERR_INTERNAL);
	CHECK_EQ_INT(kex_state_new(gex, p, NULL, &st, &pub), SSH_ERR_INTERNAL);
	CHECK_EQ_INT(kex_state_new(classic_at(0), p, g, &st, &pub), SSH_ERR_INTERNAL);
	CHECK_EQ_INT(kex_state_new(kex_alg_by_name("diffie-hellman-group14-sha1"), p, g, &st, &pub),
	    SSH_ERR_INTERNAL);
	CHECK(st == NULL);
	CHECK_EQ_INT(buf_len(&pub), 0);
	BN_free(p);
	BN_free(g);
	BN_free(x);
	BN_free(small);
	buf_free(&pub);
}

/* a 2048-bit safe prime (generator 2) from OpenSSH's moduli file: in no RFC */
static const char gex_safe_2048[] =
    "E98F2A209BA9F4C8C1FFB02490E599A99FBE28F6A053E240A4BD5FEDE80B23FE"
    "A8A1476E9EF6605A4B4B41CC74CB945C7E168A91DB112424480A85CBF5853234"
    "B9B1F60F030D38F678BA80AE1461F716C463D7396151EB5F037CC88690FEEF8D"
    "16A1B67F56C11874DB5AA3D541BEFF390077C79C86434EDBC2B46821D2AE5D2F"
    "A4FFF1B086B07669B09498EA11B0FE26C773F79ACA044E085E0BA43BBE1EBE95"
    "4AA1EC7A465A3232699E54958B1760AB7A04D9627EC1810970706C96B58BF849"
    "99EBED8846D8B384CB945BF782141B1BE2B7C0E04D531A2334DB41BBFD1BEA42"
    "8C5FD22F50BABDBDFCC5B848F64CBA8D039636311F8D844DFFFBD77A429A9923";

/* a 2048-bit prime p whose (p-1)/2 is the product of two large primes (no small factor): only
 * Miller-Rabin on (p-1)/2 catches it */
static const char gex_p_prime_q_composite[] =
    "E97119B6A981215F8FC10AB5258C7499A66D0EBF83C384A3E000900C3B0A61FF"
    "2F6C7E3B53B137C68BCFECA43A66AF1128700F497F3D0D5487F004B83E0AEF41"
    "0CD55A7EFA2A8F73C50EA12229097E52F6FCEECD9948E38BB016D108801DB763"
    "9200D32F70A0100CA6C7268116643D833F78D190DF8B0B0EB03DE78A7415FB6C"
    "7857A914DAE158DB2261F7F0D1A2044A6A25B0EBAA4171E99548005FF86BFF92"
    "6AF15114D5C0775D3480A05D32BE9544CDF41CF3979185E45996CF66F8252950"
    "725D8A2BFAF3E1FA4AF841FD2863FE833ABB0A49E2E45814E3797A32BDBC440D"
    "1BE077890FDA4345F87C9F095380C2F7CA3D1F868A4BB9FE9C30DE6EE2454E57";

static int t_gex_check(const BIGNUM *p, const BIGNUM *g, int *known, int *bad_g, char *why)
{
	return kex_gex_check_safe_prime(p, g, known, bad_g, why, 128);
}

/* the safe-prime checks of a group-exchange group (issue 8 #8) */
/* the product of two 1024-bit primes (openssl prime -generate), chosen so that neither it nor
 * (it-1)/2 has an odd factor under 2100 */
static const char gex_p_two_primes[] =
    "A423D40EDCB01BEF084DC9A7D154EF63C73682226FB66F60A84E96C3B82FB768"
    "B1652F8A22C2E7FF37D8EE22071E84240616591F8788813C9A2EC922AC8D1B16"
    "098DF11992E5F45D53A64361B350237132F0936575A5C2272302B526198E6FC6"
    "A48186AFB7617F94E7620B8F9CA7D0CC1E84490CDF983645DF0C246865A75E15"
    "2EF1A624F574E1920C3B4533F02E1EED3414F59337B554B64502B4FDDB71794F"
    "97D7AC0A57FCCB18D371B0422F4C72134A03E69D9AA72A301755BC0FCB0484CF"
    "7421A6D7A28388D488EAAB1958B91D8AE451405DC4112527C66E5E717DB7A520"
    "4F3A5E81D39A2931709490F40E2EEFE3AD27EFD7060E8F9963287F056403976F";

static void test_gex_safe_prime(void)
{
	static const char *const names[] = {
	    "modp_2048", "modp_4096", "modp_8192", "ffdhe2048", "ffdhe3072", "ffdhe8192"};
	BIGNUM *p = NULL, *q = NULL, *g = BN_new(), *x = BN_new();
	char why[128];
	int known = -1, bad_g = -1;
	size_t i;

	BN_set_word(g, 2);
	/* a real safe prime passes the full test */
	CHECK(BN_hex2bn(&p, gex_safe_2048) > 0);
	CHECK_EQ_INT(t_gex_check(p, g, &known, &bad_g, why), 0);
	CHECK_EQ_INT(known, 0);
	CHECK_EQ_INT(bad_g, 0);
	/* an odd number of the same size divisible by 3 */
	BN_copy(x, p);
	while (BN_add_word(x, 2) && BN_mod_word(x, 3) != 0) {
	}
	CHECK_EQ_INT(t_gex_check(x, g, &known, &bad_g, why), SSH_ERR_FORMAT);
	CHECK_STR(why, "p is divisible by 3");
	CHECK_EQ_INT(bad_g, 0);
	/* p prime, (p-1)/2 composite without small factors: only Miller-Rabin on q finds it */
	CHECK(
	    BN_hex2bn(&q, gex_p_prime_q_composite) > 0); /* its primality was proven when chosen */
	CHECK_EQ_INT(t_gex_check(q, g, &known, &bad_g, why), SSH_ERR_FORMAT);
	CHECK_STR(why, "(p-1)/2 is composite");
	/* p composite without small factors (the product of two 1024-bit primes; neither it nor
	 * (p-1)/2 has an odd factor under 2100): Miller-Rabin on p finds it */
	CHECK(BN_hex2bn(&x, gex_p_two_primes) > 0);
	CHECK_EQ_INT(t_gex_check(x, g, &known, &bad_g, why), SSH_ERR_FORMAT);
	CHECK_STR(why, "p is composite");
	/* p even */
	BN_copy(x, p);
	BN_add_word(x, 1);
	CHECK_EQ_INT(t_gex_check(x, g, &known, &bad_g, why), SSH_ERR_FORMAT);
	CHECK_STR(why, "p is even");
	/* g = 1, 0, p - 1, p: the generator, not the modulus, is blamed */
	BN_one(x);
	CHECK_EQ_INT(t_gex_check(p, x, &known, &bad_g, why), SSH_ERR_FORMAT);
	CHECK_EQ_INT(bad_g, 1);
	BN_zero(x);
	CHECK_EQ_INT(t_gex_check(p, x, &known, &bad_g, why), SSH_ERR_FORMAT);
	CHECK_EQ_INT(bad_g, 1);
	BN_copy(x, p);
	BN_sub_word(x, 1);
	CHECK_EQ_INT(t_gex_check(p, x, &known, &bad_g, why), SSH_ERR_FORMAT);
	CHECK_EQ_INT(bad_g, 1);
	BN_add_word(x, 1);
	CHECK_EQ_INT(t_gex_check(p, x, &known, &bad_g, why), SSH_ERR_FORMAT);
	CHECK_EQ_INT(bad_g, 1);
	BN_sub_word(x, 2); /* p - 2 is allowed */
	CHECK_EQ_INT(t_gex_check(p, x, &known, &bad_g, why), 0);
	CHECK_EQ_INT(bad_g, 0);
	/* the RFC 3526 / RFC 7919 groups are known: no primality test */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		BIGNUM *kp = t_named_p(names[i]);

		known = 0;
		CHECK(kp != NULL);
		CHECK_EQ_INT(t_gex_check(kp, g, &known, &bad_g, why), 0);
		CHECK_EQ_INT(known, 1);
		BN_free(kp);
	}
	BN_free(p);
	BN_free(q);
	BN_free(g);
	BN_free(x);
}

/* print-only, and only with X509SSH_BENCH=1 (timings stay out of the test runs, and an 8192-bit
 * Miller-Rabin round under valgrind takes seconds): what the check costs for moduli of OpenSSH's
 * moduli file (when installed) */
static void bench_gex_safe_prime(void)
{
	static const int sizes[] = {2047, 3071, 4095, 8191};
	static char line[8192], hex[4200];
	char why[128];
	FILE *f = fopen("/etc/ssh/moduli", "r");
	BIGNUM *p = NULL, *g = BN_new();
	size_t i;

	if (getenv("X509SSH_BENCH") == NULL || strcmp(getenv("X509SSH_BENCH"), "1") != 0) {
		goto out;
	}
	if (f == NULL || g == NULL) {
		printf("gex safe-prime check: /etc/ssh/moduli not found, not measured\n");
		goto out;
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct timespec t0, t1;
		unsigned long gen = 0;
		int size = 0, n, bad = 0, known, bad_g;
		double ms;

		rewind(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "%*s %*s %*s %*s %d %lu %4199s", &size, &gen, hex) == 3 &&
			    size == sizes[i]) {
				break;
			}
			size = 0;
		}
		if (size == 0 || BN_hex2bn(&p, hex) <= 0 || !BN_set_word(g, gen)) {
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (n = 0; n < 3; n++) {
			bad |= t_gex_check(p, g, &known, &bad_g, why) != 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		         (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) /
		     n;
		CHECK_EQ_INT(bad, 0);
		printf("gex safe-prime check, %d-bit modulus: %.1f ms\n", size + 1, ms);
	}
out:
	if (f != NULL) {
		fclose(f);
	}
	BN_free(p);
	BN_free(g);
}

/* a well-formed result: one minimal, non-negative, non-zero mpint */
static int t_mpint_ok(const struct buf *b)
{
	struct rd r = buf_rd(b);
	const uint8_t *m;
	size_t n;

	return rd_mpint_bytes(&r, &m, &n) == 0 && rd_end(&r) == 0 && n > 0 && m[0] != 0;
}

/* one mutated server value: never a crash; an error leaves the output alone */
static void t_mutant(struct kex_state *st, const uint8_t *v, size_t n, int *bad)
{
	struct buf sh;
	int r;

	buf_init_secret(&sh);
	r = kex_derive_shared(st, v, n, &sh);
	if (r > 0 || (r == 0 && !t_mpint_ok(&sh)) || (r < 0 && buf_len(&sh) != 0)) {
		(*bad)++;
	}
	buf_free(&sh);
}

/*
 * Every truncation and every single-bit flip of the server's value, for each row. The large DH
 * groups (fixed, and group exchange with its 2048-bit group) run the same code as group1, so for
 * them the sweep samples the truncations and flips only the first and last 2 bytes' bits to keep
 * the run short (under valgrind too).
 */
static void test_mutation_sweep(void)
{
	size_t i, j, n;
	int bad = 0, full;
	uint8_t v[1100];
	BIGNUM *p = NULL, *g = NULL;

	for (i = 0; i < NCLASSIC; i++) {
		const struct kex_alg *alg = classic_at(i);
		struct kex_state *st = NULL;
		struct t_server srv;
		struct buf pub;

		buf_init(&pub);
		if (alg->kind == KEX_DH_GEX) {
			t_gex_group(0, &p, &g);
		}
		CHECK_EQ_INT(kex_state_new(alg, p, g, &st, &pub), 0);
		CHECK(t_server_new(alg, p, g, &srv));
		n = srv.publen;
		full = alg->kind == KEX_CURVE25519 || alg->kind == KEX_ECDH ||
		       (alg->kind == KEX_DH && strcmp(alg->group, "modp2") == 0);
		for (j = 0; j < n; j = full ? t_sweep_next(j, n) : j + 1) {
			if (full || j < 3 || j == n / 2 || j + 1 == n) {
				t_mutant(st, srv.pub, j, &bad);
			}
		}
		for (j = 0; j < n * 8; j = full ? t_sweep_next_bit(j, n * 8) : j + 1) {
			if (!full && j >= 16 && j < n * 8 - 16) {
				continue;
			}
			memcpy(v, srv.pub, n);
			v[j / 8] ^= (uint8_t)(0x80 >> (j % 8));
			t_mutant(st, v, n, &bad);
		}
		/* unchanged value still works */
		CHECK_EQ_INT(kex_derive_shared(st, srv.pub, n, &pub), 0);
		t_server_free(&srv);
		kex_state_free(st);
		buf_free(&pub);
		BN_free(p);
		BN_free(g);
		p = NULL;
		g = NULL;
	}
	CHECK_EQ_INT(bad, 0);
	ERR_clear_error();
}

/* the server-version quirk table: flags by identification line */
static void test_compat(void)
{
	const unsigned cisco = COMPAT_GEX_MAX_4096 | COMPAT_X509_RSA_FIRST;

	CHECK(compat_flags(NULL) == 0);
	CHECK(compat_flags("SSH-2.0-OpenSSH_9.2p1 Debian-2") == 0);
	CHECK(compat_flags("SSH-2.0-Cisco-1.25") == cisco);
	CHECK(compat_flags("SSH-1.99-Cisco-2.0") == cisco);
	CHECK(compat_flags("SSH-2.0-Ciscoish_1.0") == 0);
	CHECK(compat_flags("SSH-2.0-cisco-1.25") == 0);
}

int main(void)
{
	test_table();
	test_compat();
	test_oakley2();
	test_x25519_vectors();
	test_round_trips();
	test_leading_zero();
	test_derive_key();
	test_hash();
	test_bad_x25519();
	test_bad_ecdh();
	test_bad_dh();
	test_bad_gex();
	test_gex_safe_prime();
	bench_gex_safe_prime();
	test_mutation_sweep();
	T_DONE();
}
