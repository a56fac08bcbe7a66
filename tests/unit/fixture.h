/*
 * Reading test inputs: the fixtures under tests/unit/data (the tests run there), files a test or
 * a helper script wrote. Header-only (static inline, included by t.h) so every unit test has the
 * one loader without a build change; it reports nothing itself: callers CHECK what they get.
 *
 *   size_t n; uint8_t *b = t_slurp("data/kh_plain", &n);       bytes, NUL-terminated, free()
 *   uint8_t blob[2048]; size_t n = t_pub_blob("data/ed.pub", blob, sizeof(blob));
 */
#ifndef X509SSH_FIXTURE_H
#define X509SSH_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* the largest file t_slurp reads: fixtures are a few KiB */
#define T_FILE_MAX (1024u * 1024u)

/*
 * The whole of the file at path, malloc'd, with a NUL after the last byte that *len does not
 * count (text fixtures can be used as C strings). Reads until end of file, so pipes and
 * /proc/self/fd/N work too. NULL (and *len = 0) when the file cannot be opened or read, or is
 * over T_FILE_MAX bytes. len may be NULL.
 */
static inline uint8_t *t_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL, *q;
	size_t n = 0, cap = 0, got;

	if (len != NULL) {
		*len = 0;
	}
	if (f == NULL) {
		return NULL;
	}
	for (;;) {
		if (cap - n < 2) {
			cap = cap == 0 ? 8192 : cap * 2;
			if (cap > T_FILE_MAX + 1 || (q = (uint8_t *)realloc(p, cap)) == NULL) {
				goto fail;
			}
			p = q;
		}
		got = fread(p + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			break;
		}
	}
	if (ferror(f)) {
		goto fail;
	}
	fclose(f);
	p[n] = '\0';
	if (len != NULL) {
		*len = n;
	}
	return p;
fail:
	fclose(f);
	free(p);
	return NULL;
}

/* t_slurp for text: the file as a C string (malloc'd), NULL when it cannot be read */
static inline char *t_slurp_text(const char *path)
{
	return (char *)t_slurp(path, NULL);
}

/* 1 when the file at path can be read and contains needle, else 0 */
static inline int t_file_contains(const char *path, const char *needle)
{
	char *s = t_slurp_text(path);
	int found = s != NULL && strstr(s, needle) != NULL;

	free(s);
	return found;
}

/*
 * Base64 (len characters of b64; CR and LF are skipped, '=' padding removed) into out: the
 * number of bytes, 0 when it does not decode or would not fit in max.
 */
static inline size_t t_b64_decode(const char *b64, size_t len, uint8_t *out, size_t max)
{
	char *clean = (char *)malloc(len + 1);
	size_t l = 0, pad = 0, i;
	int n = -1;

	if (clean == NULL) {
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (b64[i] != '\n' && b64[i] != '\r') {
			clean[l++] = b64[i];
		}
	}
	clean[l] = '\0';
	while (l > pad && clean[l - 1 - pad] == '=') {
		pad++;
	}
	if (l % 4 == 0 && l / 4 * 3 <= max && l <= 0x7fffffff) {
		n = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)l);
	}
	free(clean);
	return n < 0 || (size_t)n < pad ? 0 : (size_t)n - pad;
}

/* The key blob of an OpenSSH public-key file ("type base64 [comment]", first line): its
 * length, 0 when the file cannot be read or the blob does not decode or fit in max. */
static inline size_t t_pub_blob(const char *path, uint8_t *out, size_t max)
{
	char *s = t_slurp_text(path), *b, *e;
	size_t n = 0;

	if (s == NULL) {
		return 0;
	}
	if ((b = strchr(s, ' ')) != NULL) {
		b++;
		e = b + strcspn(b, " \r\n");
		n = t_b64_decode(b, (size_t)(e - b), out, max);
	}
	free(s);
	return n;
}

#endif
