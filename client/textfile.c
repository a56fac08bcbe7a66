#include "textfile.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

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

int textfile_b64_decode_to(const char *s, size_t len, uint8_t *out, size_t *outlen)
{
	size_t pad = 0, i;
	int n;

	*outlen = 0;
	if (len == 0 || len % 4 != 0 || len > INT_MAX) {
		return SSH_ERR_FORMAT;
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
			return SSH_ERR_FORMAT;
		}
	}
	n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n != len / 4 * 3 || (size_t)n < pad) {
		return SSH_ERR_FORMAT;
	}
	*outlen = (size_t)n - pad;
	return 0;
}

int textfile_b64_decode(const char *s, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *d = NULL;
	int r = SSH_ERR_FORMAT;

	*out = NULL;
	*outlen = 0;
	if (len == 0 || len % 4 != 0 || len > TEXTFILE_B64_MAX) {
		goto out;
	}
	if ((d = malloc(len / 4 * 3)) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	if ((r = textfile_b64_decode_to(s, len, d, outlen)) != 0) {
		goto out;
	}
	*out = d;
	d = NULL;
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

int textfile_read_fd(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;

	*out = NULL;
	*len = 0;
	for (;;) {
		if (n == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if (n >= max + 1 ||
			    (nb = realloc(buf, cap < max + 1 ? cap : max + 1)) == NULL) {
				errno = n >= max + 1 ? EFBIG : ENOMEM;
				free(buf);
				return -1;
			}
			buf = nb;
			cap = cap < max + 1 ? cap : max + 1;
		}
		if ((r = read(fd, buf + n, cap - n)) < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			free(buf);
			return -1;
		}
		if (r == 0) {
			break;
		}
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}
