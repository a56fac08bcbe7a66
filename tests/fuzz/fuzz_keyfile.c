/*
 * libFuzzer target: private key files (client/keyfile.h). The first byte chooses the parser:
 *   0  keyfile_from_bytes without a passphrase (PEM traditional / PKCS#8, OpenSSH armour)
 *   1  keyfile_from_bytes with the passphrase "test pass" (the one of tests/unit/data)
 *   2  keyfile_from_openssh_blob (the binary openssh-key-v1 container)
 *   3  all three
 * the rest is the file (or blob). Checked: success gives a key, failure none and a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "keyfile.h"

#define PASSPHRASE "test pass"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int r, EVP_PKEY *pk, const char *err)
{
	if ((r == 0) != (pk != NULL) || (r != 0 && err[0] == '\0')) {
		abort();
	}
	EVP_PKEY_free(pk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EVP_PKEY *pk = NULL;
	char err[512];
	uint8_t mode;
	int r;

	if (size < 1) {
		return 0;
	}
	mode = data[0] & 3;
	data++;
	size--;
	if (mode == 0 || mode == 3) {
		err[0] = '\0';
		r = keyfile_from_bytes(data, size, NULL, &pk, err, sizeof(err));
		check(r, pk, err);
		pk = NULL;
	}
	if (mode == 1 || mode == 3) {
		err[0] = '\0';
		r = keyfile_from_bytes(data, size, PASSPHRASE, &pk, err, sizeof(err));
		check(r, pk, err);
		pk = NULL;
	}
	if (mode == 2 || mode == 3) {
		err[0] = '\0';
		r = keyfile_from_openssh_blob(data, size, &pk, err, sizeof(err));
		check(r, pk, err);
	}
	return 0;
}
