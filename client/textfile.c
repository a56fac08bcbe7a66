#include "textfile.h"

#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "ssh/err.h"

int textfile_read_line(FILE *fp, char *buf, size_t cap, int *bad)
{
	size_t n = 0;
	int c, any = 0;

	*bad = 0;
	while ((c = getc(fp)) != EOF) {
		any = 1;
		if (c == '\n') {
			break;
		}
		if (c == '\0' || n + 1 >= cap) {
			*bad = 1;
			continue;
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return any;
}

int textfile_b64_decode(const char *s, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *d = NULL;
	size_t pad = 0, i;
	int n, r = SSH_ERR_FORMAT;

	*out = NULL;
	*outlen = 0;
	if (len == 0 || len % 4 != 0 || len > TEXTFILE_B64_MAX) {
		goto out;
	}
	if (s[len - 1] == '=') {
		pad++;
		if (s[len - 2] == '=') {
			pad++;
		}
	}
	for (i = 0; i < len - pad; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '+' || c == '/')) {
			goto out;
		}
	}
	if ((d = malloc(len / 4 * 3)) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	n = EVP_DecodeBlock(d, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n != len / 4 * 3 || (size_t)n < pad) {
		goto out;
	}
	*outlen = (size_t)n - pad;
	*out = d;
	d = NULL;
	r = 0;
out:
	free(d);
	return r;
}

char *textfile_b64_encode(const uint8_t *p, size_t n)
{
	char *s = NULL;

	if (n > TEXTFILE_B64_MAX / 4 * 3 || (s = malloc((n + 2) / 3 * 4 + 1)) == NULL) {
		return NULL;
	}
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}
