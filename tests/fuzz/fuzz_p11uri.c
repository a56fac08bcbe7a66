/* libFuzzer target: RFC 7512 pkcs11: URI text through our strict parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p11uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p11uri *u = NULL;
	char err[256];
	char *text = malloc(size + 1);

	if (text == NULL) {
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	if (p11uri_parse(text, &u, err, sizeof(err)) == 0) {
		p11uri_free(u);
	}
	free(text);
	return 0;
}
