/*
 * SSH2_AGENTC_ADD_IDENTITY / ADD_ID_CONSTRAINED (draft-ietf-sshm-ssh-agent section 3.2, as
 * OpenSSH's ssh-agent reads it): the private key in the agent's wire form, the comment, then the
 * lifetime and confirm constraints (agent.h).
 *   ssh-ed25519:          string "ssh-ed25519", string ENC(A), string k || ENC(A)
 *   ecdsa-sha2-nistpN:    string name, string "nistpN", string Q (uncompressed), mpint d
 *   ssh-rsa:              string "ssh-rsa", mpint n, e, d, iqmp, p, q
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "agent.h"
#include "ssh/err.h"

#define AGENT_CONSTRAIN_LIFETIME 1
#define AGENT_CONSTRAIN_CONFIRM  2

static int put_ed25519(struct buf *b, const EVP_PKEY *k)
{
	uint8_t pub[32], both[64];
	size_t pl = sizeof(pub), sl = 32;
	int r;

	if (EVP_PKEY_get_raw_public_key(k, pub, &pl) != 1 || pl != 32 ||
	    EVP_PKEY_get_raw_private_key(k, both, &sl) != 1 || sl != 32) {
		return SSH_ERR_LIBCRYPTO;
	}
	memcpy(both + 32, pub, 32);
	if ((r = buf_put_cstring(b, "ssh-ed25519")) == 0 &&
	    (r = buf_put_string(b, pub, sizeof(pub))) == 0) {
		r = buf_put_string(b, both, sizeof(both));
	}
	OPENSSL_cleanse(both, sizeof(both));
	return r;
}

/* OpenSSL's curve names and ours */
static const struct {
	const char *group, *curve;
} curves[] = {
    {"prime256v1", "nistp256"},
    {"secp384r1", "nistp384"},
    {"secp521r1", "nistp521"},
};

static int put_ecdsa(struct buf *b, const EVP_PKEY *k)
{
	char group[64], name[64];
	uint8_t q[256];
	size_t ql = 0, i;
	BIGNUM *d = NULL;
	int r = SSH_ERR_KEY_TYPE;

	if (EVP_PKEY_get_utf8_string_param(
	        k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) != 1) {
		return SSH_ERR_LIBCRYPTO;
	}
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (strcmp(curves[i].group, group) == 0) {
			break;
		}
	}
	if (i == sizeof(curves) / sizeof(curves[0])) {
		return SSH_ERR_KEY_TYPE;
	}
	snprintf(name, sizeof(name), "ecdsa-sha2-%s", curves[i].curve);
	if (EVP_PKEY_get_octet_string_param(
	        k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, q, sizeof(q), &ql) != 1 ||
	    ql == 0 || q[0] != 0x04 ||
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) {
		r = SSH_ERR_LIBCRYPTO;
		goto out;
	}
	if ((r = buf_put_cstring(b, name)) == 0 && (r = buf_put_cstring(b, curves[i].curve)) == 0 &&
	    (r = buf_put_string(b, q, ql)) == 0) {
		r = buf_put_bignum(b, d);
	}
out:
	BN_clear_free(d);
	return r;
}

static int put_rsa(struct buf *b, const EVP_PKEY *k)
{
	static const char *const names[] = {OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
	    OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, OSSL_PKEY_PARAM_RSA_FACTOR1,
	    OSSL_PKEY_PARAM_RSA_FACTOR2};
	BIGNUM *v = NULL;
	size_t i;
	int r;

	if ((r = buf_put_cstring(b, "ssh-rsa")) != 0) {
		return r;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (EVP_PKEY_get_bn_param(k, names[i], &v) != 1) {
			return SSH_ERR_LIBCRYPTO;
		}
		r = buf_put_bignum(b, v);
		BN_clear_free(v);
		v = NULL;
		if (r != 0) {
			return r;
		}
	}
	return 0;
}

static const struct {
	int id;
	int (*put)(struct buf *b, const EVP_PKEY *k);
} kinds[] = {
    {EVP_PKEY_ED25519, put_ed25519},
    {EVP_PKEY_EC, put_ecdsa},
    {EVP_PKEY_RSA, put_rsa},
};

int agent_enc_add_identity(
    struct buf *out, const EVP_PKEY *priv, const char *comment, uint32_t lifetime, int confirm)
{
	struct buf body;
	size_t i;
	int r = SSH_ERR_KEY_TYPE, constrained = lifetime > 0 || confirm;

	buf_init_secret(&body); /* the private key: wiped wherever it grew */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (EVP_PKEY_get_base_id(priv) == kinds[i].id) {
			break;
		}
	}
	if (i == sizeof(kinds) / sizeof(kinds[0])) {
		goto out;
	}
	if ((r = buf_put_u8(
	         &body, constrained ? AGENTC_ADD_ID_CONSTRAINED : AGENTC_ADD_IDENTITY)) != 0 ||
	    (r = kinds[i].put(&body, priv)) != 0 ||
	    (r = buf_put_cstring(&body, comment != NULL ? comment : "")) != 0) {
		goto out;
	}
	if (lifetime > 0 && ((r = buf_put_u8(&body, AGENT_CONSTRAIN_LIFETIME)) != 0 ||
	                        (r = buf_put_u32(&body, lifetime)) != 0)) {
		goto out;
	}
	if (confirm && (r = buf_put_u8(&body, AGENT_CONSTRAIN_CONFIRM)) != 0) {
		goto out;
	}
	if (buf_len(&body) > AGENT_MSG_MAX) {
		r = SSH_ERR_TOO_LARGE;
		goto out;
	}
	if ((r = buf_put_u32(out, (uint32_t)buf_len(&body))) == 0) {
		r = buf_put(out, buf_ptr(&body), buf_len(&body));
	}
out:
	buf_free(&body);
	return r;
}

int agent_dec_status(const uint8_t *msg, size_t len)
{
	if (len == 1 && msg[0] == AGENT_SUCCESS) {
		return 0;
	}
	if (len >= 1 && msg[0] == AGENT_FAILURE) {
		return AGENT_ERR_REFUSED;
	}
	return SSH_ERR_PROTOCOL;
}
