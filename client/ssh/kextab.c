/*
 * The key-exchange method table (kexalg.h): one row per name, in our order of preference; the
 * default KexAlgorithms list is the rows marked is_default, in this order.
 */
#include <string.h>

#include "kexalg.h"

static const struct kex_alg kex_algs[] = {
    /* the post-quantum hybrids first, as OpenSSH 10 orders them: a recorded session stays
     * confidential even against a future quantum computer */
    {.name = "mlkem768x25519-sha256", /* draft-ietf-sshm-mlkem-hybrid-kex */
        .kind = KEX_KEM_HYBRID,
        .digest = "SHA256",
        .is_default = 1,
        .k_enc = KEX_K_STRING,
        .kem = &kex_kem_mlkem768},
    {.name = "sntrup761x25519-sha512", /* draft-ietf-sshm-ntruprime-ssh */
        .kind = KEX_KEM_HYBRID,
        .digest = "SHA512",
        .is_default = 1,
        .k_enc = KEX_K_STRING,
        .kem = &kex_kem_sntrup761},
    {.name = "sntrup761x25519-sha512@openssh.com", /* the same method, OpenSSH's first name */
        .kind = KEX_KEM_HYBRID,
        .digest = "SHA512",
        .is_default = 1,
        .k_enc = KEX_K_STRING,
        .kem = &kex_kem_sntrup761},
    {.name = "curve25519-sha256", .kind = KEX_CURVE25519, .digest = "SHA256", .is_default = 1},
    {.name = "curve25519-sha256@libssh.org",
        .kind = KEX_CURVE25519,
        .digest = "SHA256",
        .is_default = 1},
    {.name = "ecdh-sha2-nistp256",
        .kind = KEX_ECDH,
        .digest = "SHA256",
        .group = "P-256",
        .is_default = 1},
    {.name = "ecdh-sha2-nistp384",
        .kind = KEX_ECDH,
        .digest = "SHA384",
        .group = "P-384",
        .is_default = 1},
    {.name = "ecdh-sha2-nistp521",
        .kind = KEX_ECDH,
        .digest = "SHA512",
        .group = "P-521",
        .is_default = 1},
    {.name = "diffie-hellman-group-exchange-sha256",
        .kind = KEX_DH_GEX,
        .digest = "SHA256",
        .is_default = 1},
    {.name = "diffie-hellman-group16-sha512",
        .kind = KEX_DH,
        .digest = "SHA512",
        .group = "modp16",
        .is_default = 1},
    {.name = "diffie-hellman-group18-sha512",
        .kind = KEX_DH,
        .digest = "SHA512",
        .group = "modp18",
        .is_default = 1},
    {.name = "diffie-hellman-group14-sha256",
        .kind = KEX_DH,
        .digest = "SHA256",
        .group = "modp14",
        .is_default = 1},
    {.name = "diffie-hellman-group14-sha1", .kind = KEX_DH, .digest = "SHA1", .group = "modp14"},
    {.name = "diffie-hellman-group-exchange-sha1", .kind = KEX_DH_GEX, .digest = "SHA1"},
    {.name = "diffie-hellman-group1-sha1", .kind = KEX_DH, .digest = "SHA1", .group = "modp2"},
};

#define KEX_NROWS (sizeof(kex_algs) / sizeof(kex_algs[0]))

const struct kex_alg *kex_alg_by_name(const char *name)
{
	size_t i;

	if (name == NULL) {
		return NULL;
	}
	for (i = 0; i < KEX_NROWS; i++) {
		if (strcmp(kex_algs[i].name, name) == 0) {
			return &kex_algs[i];
		}
	}
	return NULL;
}

const struct kex_alg *kex_alg_at(size_t i)
{
	return i < KEX_NROWS ? &kex_algs[i] : NULL;
}
