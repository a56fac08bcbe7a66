/*
 * libFuzzer target: the parsing of an askpass program's output (prompt_askpass_answer). The
 * first byte chooses the wait status (exit 0, exit 1, a signal, -1) and the buffer size (tiny to
 * PROMPT_MAX + 1); the rest is what the program wrote. Checked: the answer is a prefix of the
 * output without CR, LF or NUL and within the buffer, and a refused answer leaves the whole
 * buffer wiped.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prompt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[4] = {0, 1 << 8, 9, -1};
	static const size_t sizes[4] = {PROMPT_MAX + 1, 1, 8, 257};
	size_t bufsz, n, i, len;
	char *buf;
	int r, status;

	if (size < 1) {
		return 0;
	}
	status = statuses[data[0] & 3];
	bufsz = sizes[(data[0] >> 2) & 3];
	data++;
	size--;
	if ((buf = malloc(bufsz)) == NULL) {
		return 0;
	}
	/* as askpass_prompt: at most bufsz - 1 bytes are kept */
	n = size < bufsz - 1 ? size : bufsz - 1;
	memcpy(buf, data, n);
	r = prompt_askpass_answer(buf, n, bufsz, status);
	len = strlen(buf);
	if (r == 0) {
		if (status != 0 || len > n || memcmp(buf, data, len) != 0 ||
		    strcspn(buf, "\r\n") != len ||
		    (len < n && data[len] != '\r' && data[len] != '\n' && data[len] != '\0')) {
			abort();
		}
	} else {
		for (i = 0; i < bufsz; i++) {
			if (buf[i] != '\0') {
				abort();
			}
		}
	}
	free(buf);
	return 0;
}
