/*
 * libFuzzer target: a local SOCKS client's bytes through the SOCKS4/4a/5 server codec.
 * Input: one byte choosing the piece size (1..32) and the answer to a request, then the bytes
 * the client sends. Besides the sanitizers, the codec's promises are checked (abort on a
 * breach): never more taken than given, SOCKS_MORE takes everything, a request's host is
 * printable text, the reply queue stays within its size, errors are sticky and one line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socks.h"

static void check(int ok)
{
	if (!ok) {
		abort();
	}
}

static void drain(struct socks *s)
{
	size_t n;
	const uint8_t *o = socks_out(s, &n);

	check(n <= SOCKS_OUT_MAX);
	check(n == 0 || o != NULL);
	/* send it in two pieces, as a short write would */
	socks_out_consumed(s, n / 2);
	socks_out(s, &n);
	socks_out_consumed(s, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct socks s;
	size_t off = 1, piece, n, used, i;
	int r = SOCKS_MORE;
	const char *host;

	if (size < 1) {
		return 0;
	}
	piece = (size_t)(data[0] & 0x1f) + 1;
	socks_init(&s);
	while (off < size) {
		n = size - off < piece ? size - off : piece;
		r = socks_feed(&s, data + off, n, &used);
		check(used <= n);
		check(r != SOCKS_MORE || used == n);
		off += used;
		drain(&s);
		if (r != SOCKS_MORE && r != SOCKS_REPLY_PENDING) {
			break;
		}
	}
	if (r == SOCKS_REQUEST) {
		host = socks_host(&s);
		n = strlen(host);
		check(n >= 1 && n <= SOCKS_HOST_MAX);
		for (i = 0; i < n; i++) {
			check(host[i] > 0x20 && host[i] < 0x7f);
		}
		check(socks_version(&s) == 4 || socks_version(&s) == 5);
		check(socks_feed(&s, data, size, &used) == SOCKS_REQUEST && used == 0);
		check(socks_reply(&s, data[0] & 0x20, (enum socks_rep)(data[0] >> 6)) == 0);
		check(socks_reply(&s, 1, SOCKS_REP_OK) == SOCKS_ERR_STATE);
		drain(&s);
	} else if (r < 0) {
		check(r >= SOCKS_ERR_STATE);
		check(socks_error(&s)[0] != '\0' && strchr(socks_error(&s), '\n') == NULL);
		check(socks_feed(&s, data, size, &used) == r && used == 0);
		check(socks_reply(&s, 1, SOCKS_REP_OK) == SOCKS_ERR_STATE);
		drain(&s);
	}
	return 0;
}
