/*
 * (issue 15) The hybrid key exchange mlkem768x25519-sha256 through the kexalg API, against values
 * built here from draft-ietf-sshm-mlkem-hybrid-kex's formulas, not by kexalg.c:
 *   - with fixed keys (ML-KEM seeds d, z, m; the RFC 7748 section 6.1 X25519 pair, whose shared
 *     secret is published): Q_C = ek || X25519(a), Q_S = ct || X25519(b),
 *     K = SHA-256(K_pq || K_cl) encoded as a string, the exchange hash H over
 *     V_C, V_S, I_C, I_S, K_S, Q_C, Q_S, K (all strings) and the first derived key;
 *   - Q_S of any other length, a low-order X25519 value and the wrong hook lengths are refused;
 *     a changed ciphertext gives another K (implicit rejection), not an error;
 *   - a random key pair: our Q_C layout and a round trip with the KEM row's encaps.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "err.h"
#include "kexalg.h"
#include "mlkem.h"
#include "t.h"

#define NAME   "mlkem768x25519-sha256"
#define QC_LEN (MLKEM768_EK_BYTES + 32)
#define QS_LEN (MLKEM768_CT_BYTES + 32)

/* RFC 7748 section 6.1: Alice (a, our client), Bob (b, the server), and their shared secret */
static const char *rfc_a = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char *rfc_apub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
static const char *rfc_bpub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
static const char *rfc_k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

/* our own SSH string encoding */
static void t_str(EVP_MD_CTX *md, const void *p, size_t n)
{
	uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};

	EVP_DigestUpdate(md, len, 4);
	EVP_DigestUpdate(md, p, n);
}

static void t_sha256(const void *p, size_t n, uint8_t out[32])
{
	size_t olen = 0;

	CHECK(EVP_Q_digest(NULL, "SHA256", NULL, p, n, out, &olen) == 1 && olen == 32);
}

/* the fixed-key client: seed d || z (bytes 1.., 101..) and the RFC 7748 private key a */
static int t_client(const struct kex_alg *alg, struct kex_state **st, struct buf *qc,
    uint8_t ek[MLKEM768_EK_BYTES], uint8_t dk[MLKEM768_DK_BYTES])
{
	uint8_t priv[64 + 32];
	size_t i;

	for (i = 0; i < 64; i++) {
		priv[i] = (uint8_t)(i < 32 ? 1 + i : 69 + i);
	}
	t_unhex(rfc_a, priv + 64, 32);
	CHECK_EQ_INT(mlkem768_keygen_internal(priv, priv + 32, ek, dk), 0);
	return kex_state_new_with_private(alg, priv, sizeof(priv), st, qc);
}

static void test_known_answer(void)
{
	static const char v_c[] = "SSH-2.0-x509ssh_test", v_s[] = "SSH-2.0-TestServer_1";
	static const uint8_t i_c[] = {20, 1, 2, 3}, i_s[] = {20, 4, 5, 6},
	                     k_s[] = {0, 0, 0, 1, 'x'};
	const struct kex_alg *alg = kex_alg_by_name(NAME);
	struct kex_state *st = NULL;
	struct buf qc, sh, h;
	uint8_t ek[MLKEM768_EK_BYTES], dk[MLKEM768_DK_BYTES], m[32], qs[QS_LEN], kpq[32], xpub[32];
	uint8_t sec[64], k[32], kstr[36], hh[32], h_engine[EVP_MAX_MD_SIZE], k1[32], key[32];
	size_t hlen = 0;
	unsigned int dl = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	buf_init(&qc);
	buf_init_secret(&sh);
	buf_init_secret(&h);
	CHECK(alg != NULL && alg->kind == KEX_KEM_HYBRID && alg->k_enc == KEX_K_STRING);
	CHECK(alg != NULL && alg->kem == &kex_kem_mlkem768 && strcmp(alg->digest, "SHA256") == 0);
	CHECK(alg != NULL && alg->is_default);
	CHECK_EQ_INT(t_client(alg, &st, &qc, ek, dk), 0);
	/* Q_C = ek || X25519 public key */
	t_unhex(rfc_apub, xpub, 32);
	CHECK_EQ_INT(buf_len(&qc), QC_LEN);
	CHECK(buf_len(&qc) == QC_LEN && memcmp(buf_ptr(&qc), ek, sizeof(ek)) == 0 &&
	      memcmp(buf_ptr(&qc) + sizeof(ek), xpub, 32) == 0);
	/* the server: ct, K_pq = Encaps_internal(ek, m); Q_S = ct || Bob's public key */
	memset(m, 0x5a, sizeof(m));
	CHECK_EQ_INT(mlkem768_encaps_internal(ek, m, qs, kpq), 0);
	t_unhex(rfc_bpub, qs + MLKEM768_CT_BYTES, 32);
	/* K = SHA-256(K_pq || K_cl), K_cl the raw X25519 result, as a string */
	memcpy(sec, kpq, 32);
	t_unhex(rfc_k, sec + 32, 32);
	t_sha256(sec, sizeof(sec), k);
	kstr[0] = kstr[1] = kstr[2] = 0;
	kstr[3] = 32;
	memcpy(kstr + 4, k, 32);
	CHECK_EQ_INT(kex_derive_shared(st, qs, sizeof(qs), &sh), 0);
	CHECK(buf_len(&sh) == sizeof(kstr) && memcmp(buf_ptr(&sh), kstr, sizeof(kstr)) == 0);
	/* H = SHA-256(V_C, V_S, I_C, I_S, K_S, Q_C, Q_S, K), every field a string */
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	t_str(md, v_c, strlen(v_c));
	t_str(md, v_s, strlen(v_s));
	t_str(md, i_c, sizeof(i_c));
	t_str(md, i_s, sizeof(i_s));
	t_str(md, k_s, sizeof(k_s));
	t_str(md, buf_ptr(&qc), buf_len(&qc));
	t_str(md, qs, sizeof(qs));
	t_str(md, k, sizeof(k));
	EVP_DigestFinal_ex(md, hh, &dl);
	/* the same from the engine's pieces, in kex.c's order */
	buf_put_cstring(&h, v_c);
	buf_put_cstring(&h, v_s);
	buf_put_string(&h, i_c, sizeof(i_c));
	buf_put_string(&h, i_s, sizeof(i_s));
	buf_put_string(&h, k_s, sizeof(k_s));
	CHECK_EQ_INT(kex_put_pub(alg, &h, buf_ptr(&qc), buf_len(&qc)), 0);
	CHECK_EQ_INT(kex_put_pub(alg, &h, qs, sizeof(qs)), 0);
	buf_put(&h, buf_ptr(&sh), buf_len(&sh));
	CHECK_EQ_INT(kex_hash(alg, buf_ptr(&h), buf_len(&h), h_engine, &hlen), 0);
	CHECK(hlen == 32 && memcmp(h_engine, hh, 32) == 0);
	/* key 'C' = SHA-256(string K || H || 'C' || session_id), session_id = H */
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	t_str(md, k, sizeof(k));
	EVP_DigestUpdate(md, hh, 32);
	EVP_DigestUpdate(md, "C", 1);
	EVP_DigestUpdate(md, hh, 32);
	EVP_DigestFinal_ex(md, k1, &dl);
	CHECK_EQ_INT(kex_derive_key(alg, &sh, hh, 32, 'C', hh, 32, key, sizeof(key)), 0);
	CHECK_MEM(key, k1, 32);
	/* a changed ciphertext: implicit rejection gives another K, no error */
	qs[100] ^= 1;
	buf_reset(&sh);
	CHECK_EQ_INT(kex_derive_shared(st, qs, sizeof(qs), &sh), 0);
	CHECK(buf_len(&sh) == 36 && memcmp(buf_ptr(&sh), kstr, 36) != 0);
	kex_state_free(st);
	EVP_MD_CTX_free(md);
	buf_free(&qc);
	buf_free(&sh);
	buf_free(&h);
}

static void test_refusals(void)
{
	const struct kex_alg *alg = kex_alg_by_name(NAME);
	struct kex_state *st = NULL;
	struct buf qc, sh;
	uint8_t ek[MLKEM768_EK_BYTES], dk[MLKEM768_DK_BYTES], qs[QS_LEN + 1], kpq[32];
	uint8_t priv[96] = {0};
	size_t lens[] = {0, 1, 32, MLKEM768_CT_BYTES, QS_LEN - 1, QS_LEN + 1};
	size_t i;

	buf_init(&qc);
	buf_init_secret(&sh);
	CHECK_EQ_INT(t_client(alg, &st, &qc, ek, dk), 0);
	memset(qs, 0x77, sizeof(qs));
	CHECK_EQ_INT(mlkem768_encaps(ek, qs, kpq), 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		CHECK_EQ_INT(kex_derive_shared(st, qs, lens[i], &sh), SSH_ERR_FORMAT);
		CHECK_EQ_INT(buf_len(&sh), 0);
	}
	/* low-order X25519 values (0, 1): an all-zero K_cl */
	memset(qs + MLKEM768_CT_BYTES, 0, 32);
	CHECK_EQ_INT(kex_derive_shared(st, qs, QS_LEN, &sh), SSH_ERR_FORMAT);
	qs[MLKEM768_CT_BYTES] = 1;
	CHECK_EQ_INT(kex_derive_shared(st, qs, QS_LEN, &sh), SSH_ERR_FORMAT);
	CHECK_EQ_INT(buf_len(&sh), 0);
	/* a usable one still works after the refusals */
	t_unhex(rfc_bpub, qs + MLKEM768_CT_BYTES, 32);
	CHECK_EQ_INT(kex_derive_shared(st, qs, QS_LEN, &sh), 0);
	CHECK_EQ_INT(buf_len(&sh), 36);
	kex_state_free(st);
	st = NULL;
	/* the hook wants the KEM seed (64) and the X25519 key (32) */
	buf_reset(&qc);
	CHECK_EQ_INT(kex_state_new_with_private(alg, priv, 95, &st, &qc), SSH_ERR_FORMAT);
	CHECK_EQ_INT(kex_state_new_with_private(alg, priv, 32, &st, &qc), SSH_ERR_FORMAT);
	CHECK(st == NULL && buf_len(&qc) == 0);
	buf_free(&qc);
	buf_free(&sh);
}

/* fresh keys: the row's encaps (the server's side) and our decaps agree */
static void test_random_round_trip(void)
{
	const struct kex_alg *alg = kex_alg_by_name(NAME);
	const struct kex_kem *kem = alg->kem;
	struct kex_state *st = NULL;
	struct buf qc, sh;
	uint8_t qs[QS_LEN], kpq[32], sec[64], k[32];
	size_t xl = 32, i;
	EVP_PKEY *srv = EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;

	buf_init(&qc);
	buf_init_secret(&sh);
	for (i = 0; i < 3; i++) {
		buf_reset(&qc);
		buf_reset(&sh);
		CHECK_EQ_INT(kex_state_new(alg, NULL, NULL, &st, &qc), 0);
		CHECK_EQ_INT(buf_len(&qc), QC_LEN);
		CHECK_EQ_INT(kem->encaps(buf_ptr(&qc), qs, kpq), 0);
		CHECK(EVP_PKEY_get_raw_public_key(srv, qs + MLKEM768_CT_BYTES, &xl) == 1);
		peer = EVP_PKEY_new_raw_public_key_ex(
		    NULL, "X25519", NULL, buf_ptr(&qc) + MLKEM768_EK_BYTES, 32);
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, srv, NULL);
		xl = 32;
		CHECK(ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
		      EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
		      EVP_PKEY_derive(ctx, sec + 32, &xl) == 1 && xl == 32);
		memcpy(sec, kpq, 32);
		t_sha256(sec, 64, k);
		CHECK_EQ_INT(kex_derive_shared(st, qs, QS_LEN, &sh), 0);
		CHECK(buf_len(&sh) == 36 && memcmp(buf_ptr(&sh) + 4, k, 32) == 0);
		EVP_PKEY_CTX_free(ctx);
		EVP_PKEY_free(peer);
		kex_state_free(st);
		st = NULL;
	}
	EVP_PKEY_free(srv);
	buf_free(&qc);
	buf_free(&sh);
}

int main(void)
{
	test_known_answer();
	test_refusals();
	test_random_round_trip();
	T_DONE();
}
