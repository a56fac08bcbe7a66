/*
 * The public-key algorithm table (sshkey.h): one row per negotiated name, its blob, signature
 * and message names, key type, curve and digest as columns.
 */
#include <string.h>

#include <openssl/evp.h>

#include "sshkey.h"

static const struct hostkey_alg hostkey_algs[] = {
    {.name = "ssh-ed25519",
        .blob_name = "ssh-ed25519",
        .sig_name = "ssh-ed25519",
        .pkey_type = EVP_PKEY_ED25519,
        .label = "ED25519",
        .flags = HK_FLAG_DEFAULT},
    {.name = "ecdsa-sha2-nistp256",
        .blob_name = "ecdsa-sha2-nistp256",
        .sig_name = "ecdsa-sha2-nistp256",
        .pkey_type = EVP_PKEY_EC,
        .label = "ECDSA",
        .curve = "P-256",
        .ssh_curve = "nistp256",
        .field_len = 32,
        .digest = "SHA256",
        .flags = HK_FLAG_DEFAULT},
    {.name = "ecdsa-sha2-nistp384",
        .blob_name = "ecdsa-sha2-nistp384",
        .sig_name = "ecdsa-sha2-nistp384",
        .pkey_type = EVP_PKEY_EC,
        .label = "ECDSA",
        .curve = "P-384",
        .ssh_curve = "nistp384",
        .field_len = 48,
        .digest = "SHA384",
        .flags = HK_FLAG_DEFAULT},
    {.name = "ecdsa-sha2-nistp521",
        .blob_name = "ecdsa-sha2-nistp521",
        .sig_name = "ecdsa-sha2-nistp521",
        .pkey_type = EVP_PKEY_EC,
        .label = "ECDSA",
        .curve = "P-521",
        .ssh_curve = "nistp521",
        .field_len = 66,
        .digest = "SHA512",
        .flags = HK_FLAG_DEFAULT},
    {.name = "rsa-sha2-512",
        .blob_name = "ssh-rsa",
        .sig_name = "rsa-sha2-512",
        .pkey_type = EVP_PKEY_RSA,
        .label = "RSA",
        .digest = "SHA512",
        .flags = HK_FLAG_DEFAULT},
    {.name = "rsa-sha2-256",
        .blob_name = "ssh-rsa",
        .sig_name = "rsa-sha2-256",
        .pkey_type = EVP_PKEY_RSA,
        .label = "RSA",
        .digest = "SHA256",
        .flags = HK_FLAG_DEFAULT},
    {.name = "ssh-rsa",
        .blob_name = "ssh-rsa",
        .sig_name = "ssh-rsa",
        .pkey_type = EVP_PKEY_RSA,
        .label = "RSA",
        .digest = "SHA1",
        .flags = HK_FLAG_LEGACY},
    /* RFC 6187 rows after the plain ones: the default lists take them in a separate pass */
    {.name = "x509v3-ecdsa-sha2-nistp256",
        .blob_name = "x509v3-ecdsa-sha2-nistp256",
        .sig_name = "ecdsa-sha2-nistp256",
        .pkey_type = EVP_PKEY_EC,
        .label = "ECDSA",
        .curve = "P-256",
        .ssh_curve = "nistp256",
        .field_len = 32,
        .digest = "SHA256",
        .flags = HK_FLAG_DEFAULT | HK_FLAG_X509},
    {.name = "x509v3-ecdsa-sha2-nistp384",
        .blob_name = "x509v3-ecdsa-sha2-nistp384",
        .sig_name = "ecdsa-sha2-nistp384",
        .pkey_type = EVP_PKEY_EC,
        .label = "ECDSA",
        .curve = "P-384",
        .ssh_curve = "nistp384",
        .field_len = 48,
        .digest = "SHA384",
        .flags = HK_FLAG_DEFAULT | HK_FLAG_X509},
    {.name = "x509v3-ecdsa-sha2-nistp521",
        .blob_name = "x509v3-ecdsa-sha2-nistp521",
        .sig_name = "ecdsa-sha2-nistp521",
        .pkey_type = EVP_PKEY_EC,
        .label = "ECDSA",
        .curve = "P-521",
        .ssh_curve = "nistp521",
        .field_len = 66,
        .digest = "SHA512",
        .flags = HK_FLAG_DEFAULT | HK_FLAG_X509},
    {.name = "x509v3-rsa2048-sha256",
        .blob_name = "x509v3-rsa2048-sha256",
        .sig_name = "rsa2048-sha256",
        .pkey_type = EVP_PKEY_RSA,
        .label = "RSA",
        .digest = "SHA256",
        .flags = HK_FLAG_DEFAULT | HK_FLAG_X509,
        .min_bits = 2048},
    {.name = "x509v3-ssh-rsa",
        .blob_name = "x509v3-ssh-rsa",
        .sig_name = "ssh-rsa",
        .pkey_type = EVP_PKEY_RSA,
        .label = "RSA",
        .digest = "SHA1",
        .flags = HK_FLAG_DEFAULT | HK_FLAG_X509},
    /* pre-RFC (PKIX-SSH, Tectia): the key blob is one bare DER certificate */
    {.name = "x509v3-sign-rsa",
        .blob_name = "x509v3-sign-rsa",
        .sig_name = "x509v3-sign-rsa",
        .pkey_type = EVP_PKEY_RSA,
        .label = "RSA",
        .digest = "SHA1",
        .flags = HK_FLAG_DEFAULT | HK_FLAG_X509 | HK_FLAG_SINGLE_CERT},
};

#define N_ALGS (sizeof(hostkey_algs) / sizeof(hostkey_algs[0]))

const struct hostkey_alg *hostkey_alg_at(size_t i)
{
	if (i >= N_ALGS) {
		return NULL;
	}
	return &hostkey_algs[i];
}

const struct hostkey_alg *hostkey_alg_by_name(const char *name)
{
	size_t i;

	if (name == NULL) {
		return NULL;
	}
	for (i = 0; i < N_ALGS; i++) {
		if (strcmp(hostkey_algs[i].name, name) == 0) {
			return &hostkey_algs[i];
		}
	}
	return NULL;
}
