/* ADD_IDENTITY / ADD_ID_CONSTRAINED (client/agent_addkey.c): the exact bytes OpenSSH's
 * ssh-agent reads for Ed25519 (RFC 8032's first test key), ECDSA P-256 (d = 1, Q = G) and a toy
 * RSA key (p = 61, q = 53), the lifetime and confirm constraints, the status answers. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "agent.h"
#include "ssh/err.h"
#include "t.h"

static void check_hex(const struct buf *b, const char *hex)
{
	static unsigned char want[1024];
	size_t n = t_unhex(hex, want, sizeof(want));

	CHECK_EQ_INT(buf_len(b), n);
	if (buf_len(b) == n) {
		CHECK_MEM(buf_ptr(b), want, n);
		if (memcmp(buf_ptr(b), want, n) != 0) {
			for (size_t i = 0; i < n; i++) {
				fprintf(stderr, "%02x", buf_ptr(b)[i]);
			}
			fprintf(stderr, "\n");
		}
	}
}

#define ED_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define ED_PUB  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

static void test_ed25519(void)
{
	unsigned char seed[32];
	EVP_PKEY *k;
	struct buf b;

	t_unhex(ED_SEED, seed, sizeof(seed));
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	CHECK(k != NULL);
	buf_init(&b);
	CHECK_EQ_INT(agent_enc_add_identity(&b, k, "cmt", 0, 0), 0);
	check_hex(&b, "0000007f"
	              "11"
	              "0000000b"
	              "7373682d65643235353139"
	              "00000020" ED_PUB "00000040" ED_SEED ED_PUB "00000003"
	              "636d74");
	buf_reset(&b);
	/* lifetime 600 s and confirm: ADD_ID_CONSTRAINED, then 01 u32 and 02 */
	CHECK_EQ_INT(agent_enc_add_identity(&b, k, "cmt", 600, 1), 0);
	check_hex(&b, "00000085"
	              "19"
	              "0000000b"
	              "7373682d65643235353139"
	              "00000020" ED_PUB "00000040" ED_SEED ED_PUB "00000003"
	              "636d74"
	              "0100000258"
	              "02");
	buf_reset(&b);
	/* confirm alone */
	CHECK_EQ_INT(agent_enc_add_identity(&b, k, "", 0, 1), 0);
	CHECK_EQ_INT(buf_len(&b), 4 + 1 + 15 + 36 + 68 + 4 + 1);
	CHECK_EQ_INT(buf_ptr(&b)[4], 25);
	CHECK_EQ_INT(buf_ptr(&b)[buf_len(&b) - 1], 2);
	buf_free(&b);
	EVP_PKEY_free(k);
}

#define P256_GX "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
#define P256_GY "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *p = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *k = NULL;

	if (p == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, p) != 1) {
		k = NULL;
	}
	OSSL_PARAM_free(p);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static void test_ecdsa(void)
{
	unsigned char q[65];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *one = BN_new();
	EVP_PKEY *k;
	struct buf b;

	q[0] = 4;
	t_unhex(P256_GX P256_GY, q + 1, 64);
	BN_set_word(one, 1);
	OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, sizeof(q));
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, one);
	k = from_params("EC", bld);
	CHECK(k != NULL);
	buf_init(&b);
	CHECK_EQ_INT(agent_enc_add_identity(&b, k, "e", 0, 0), 0);
	check_hex(&b, "00000073"
	              "11"
	              "00000013"
	              "65636473612d736861322d6e69737470323536"
	              "00000008"
	              "6e69737470323536"
	              "00000041"
	              "04" P256_GX P256_GY "00000001"
	              "01"
	              "00000001"
	              "65");
	buf_free(&b);
	EVP_PKEY_free(k);
	BN_free(one);
	OSSL_PARAM_BLD_free(bld);
}

static void test_rsa(void)
{
	static const struct {
		const char *name;
		unsigned long v;
	} parts[] = {
	    {OSSL_PKEY_PARAM_RSA_N, 3233},
	    {OSSL_PKEY_PARAM_RSA_E, 17},
	    {OSSL_PKEY_PARAM_RSA_D, 2753},
	    {OSSL_PKEY_PARAM_RSA_FACTOR1, 61},
	    {OSSL_PKEY_PARAM_RSA_FACTOR2, 53},
	    {OSSL_PKEY_PARAM_RSA_EXPONENT1, 53},
	    {OSSL_PKEY_PARAM_RSA_EXPONENT2, 49},
	    {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 38},
	};
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *v[8];
	EVP_PKEY *k;
	struct buf b;
	size_t i;

	for (i = 0; i < 8; i++) {
		v[i] = BN_new();
		BN_set_word(v[i], parts[i].v);
		OSSL_PARAM_BLD_push_BN(bld, parts[i].name, v[i]);
	}
	k = from_params("RSA", bld);
	CHECK(k != NULL);
	buf_init(&b);
	/* string "ssh-rsa", mpint n, e, d, iqmp, p, q (OpenSSH's order), comment */
	CHECK_EQ_INT(agent_enc_add_identity(&b, k, "r", 0, 0), 0);
	check_hex(&b, "00000031"
	              "11"
	              "00000007"
	              "7373682d727361"
	              "00000002"
	              "0ca1"
	              "00000001"
	              "11"
	              "00000002"
	              "0ac1"
	              "00000001"
	              "26"
	              "00000001"
	              "3d"
	              "00000001"
	              "35"
	              "00000001"
	              "72");
	buf_free(&b);
	EVP_PKEY_free(k);
	for (i = 0; i < 8; i++) {
		BN_free(v[i]);
	}
	OSSL_PARAM_BLD_free(bld);
}

static void test_other(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	struct buf b;

	buf_init(&b);
	CHECK(k != NULL);
	CHECK_EQ_INT(agent_enc_add_identity(&b, k, "x", 0, 0), SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(buf_len(&b), 0);
	buf_free(&b);
	EVP_PKEY_free(k);
}

static void test_status(void)
{
	static const uint8_t ok[] = {6}, no[] = {5}, other[] = {12, 0}, okx[] = {6, 0};

	CHECK_EQ_INT(agent_dec_status(ok, sizeof(ok)), 0);
	CHECK_EQ_INT(agent_dec_status(no, sizeof(no)), AGENT_ERR_REFUSED);
	CHECK_EQ_INT(agent_dec_status(other, sizeof(other)), SSH_ERR_PROTOCOL);
	CHECK_EQ_INT(agent_dec_status(okx, sizeof(okx)), SSH_ERR_PROTOCOL);
	CHECK_EQ_INT(agent_dec_status(ok, 0), SSH_ERR_PROTOCOL);
}

int main(void)
{
	test_ed25519();
	test_ecdsa();
	test_rsa();
	test_other();
	test_status();
	T_DONE();
}
