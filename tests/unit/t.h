/* A minimal unit-test harness: CHECK records a failure and goes on; T_DONE prints the closing
 * "N passed, N failed" line and returns the exit status. */
#ifndef X509SSH_T_H
#define X509SSH_T_H

#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (cond) {                                                            \
			t_pass++;                                                      \
		} else {                                                               \
			t_fail++;                                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                      \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                             \
	do {                                                                           \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);                \
		if (t_a_ == t_b_) {                                                    \
			t_pass++;                                                      \
		} else {                                                               \
			t_fail++;                                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", \
			    __FILE__, __LINE__, #a, #b, t_a_, t_b_);                   \
		}                                                                      \
	} while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)
#define CHECK_STR(a, b) CHECK((a) != NULL && strcmp((a), (b)) == 0)

#define T_DONE()                                                                       \
	do {                                                                           \
		printf("%d passed, %d failed\n", t_pass, t_fail);                      \
		return t_fail == 0 && t_pass > 0 ? 0 : 1;                              \
	} while (0)

/* hex string ("0a1b...") to bytes; returns byte count */
static inline size_t t_unhex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = 0;
	while (hex[0] && hex[1] && n < max) {
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1) {
			break;
		}
		out[n++] = (unsigned char)v;
		hex += 2;
	}
	return n;
}

#endif
