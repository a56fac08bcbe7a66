/* A minimal unit-test harness: CHECK records a failure and goes on; T_DONE prints the closing
 * "N passed, N failed" line and returns the exit status. */
#ifndef X509SSH_T_H
#define X509SSH_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h" /* t_slurp and the other fixture readers */

static int t_pass, t_fail;

/* count one check; print where and what when it failed; returns ok */
static inline int t_record(int ok, const char *file, int line, const char *what)
{
	if (ok) {
		t_pass++;
	} else {
		t_fail++;
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
	}
	return ok;
}

#define CHECK(cond) ((void)t_record((cond) ? 1 : 0, __FILE__, __LINE__, #cond))

#define CHECK_EQ_INT(a, b)                                                                         \
	do {                                                                                       \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);                            \
		if (t_a_ == t_b_) {                                                                \
			t_pass++;                                                                  \
		} else {                                                                           \
			t_fail++;                                                                  \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n",          \
			    __FILE__, __LINE__, #a, #b, t_a_, t_b_);                               \
		}                                                                                  \
	} while (0)

/* CHECK with a note (printf-style) naming the case, printed on the next line when it fails */
#define CHECK_MSG(cond, ...)                                                                       \
	do {                                                                                       \
		if (!t_record((cond) ? 1 : 0, __FILE__, __LINE__, #cond)) {                        \
			fprintf(stderr, "  ");                                                     \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)
#define CHECK_STR(a, b)    CHECK((a) != NULL && strcmp((a), (b)) == 0)

#define T_DONE()                                                                                   \
	do {                                                                                       \
		printf("%d passed, %d failed\n", t_pass, t_fail);                                  \
		return t_fail == 0 && t_pass > 0 ? 0 : 1;                                          \
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

/*
 * Sampled mutation sweeps. The exhaustive loops of the tests (every truncation length, every
 * single-bit flip, long repetitive round trips) run in FULL by default: ctest and the ASan+UBSan
 * run visit every position. When the environment variable X509SSH_SWEEP_STEP is set to a number
 * greater than 1 (tests/run.sh sets it for the valgrind pass only, where a full sweep costs
 * minutes), the loops visit every STEP-th position instead. A sampled sweep still starts at the
 * first position and always ends on the last one, and a bit-flip sweep rotates the bit index
 * from one visited byte to the next (0, 3, 6, 1, 4, 7, 2, 5, ...), so every region of the input
 * and every bit index is still exercised. Only the loops are sampled: known answers and negative
 * cases are never skipped, and what is asserted about each visited position does not change.
 *
 *   for (i = 0; i < n; i = t_sweep_next(i, n))             positions 0 .. n-1 (truncations)
 *   for (i = 0; i <= n; i = t_sweep_next(i, n + 1))        truncation lengths 0 .. n
 *   for (i = 0; i < n; i = t_sweep_next_by(i, n, 7))       a loop that already strides by 7
 *   for (i = 0; i < n * 8; i = t_sweep_next_bit(i, n * 8)) single-bit flips of n bytes
 *   for (i = 0; i < 400; i += t_sweep_step())              a repetitive loop
 */
#define T_SWEEP_STEP_MAX 4096

/* 1, or X509SSH_SWEEP_STEP when it is set and > 1 (capped at T_SWEEP_STEP_MAX); read once */
static inline size_t t_sweep_step(void)
{
	static size_t step;
	const char *s;
	char *end = NULL;
	unsigned long v;

	if (step != 0) {
		return step;
	}
	step = 1;
	s = getenv("X509SSH_SWEEP_STEP");
	if (s != NULL && *s != '\0') {
		v = strtoul(s, &end, 10);
		if (end != NULL && *end == '\0' && v > 1) {
			step = v > T_SWEEP_STEP_MAX ? T_SWEEP_STEP_MAX : (size_t)v;
			fprintf(stderr, "note: mutation sweeps sampled, X509SSH_SWEEP_STEP=%zu\n",
			    step);
		}
	}
	return step;
}

/* the position after i in a sweep over [0, end) striding by base (base * step when sampled);
 * the last position end-1 is always visited; returns >= end when the sweep is over */
static inline size_t t_sweep_next_by(size_t i, size_t end, size_t base)
{
	size_t next = i + (base == 0 ? 1 : base) * t_sweep_step();

	if (i + 1 < end && next >= end) {
		return end - 1;
	}
	return next;
}

static inline size_t t_sweep_next(size_t i, size_t end)
{
	return t_sweep_next_by(i, end, 1);
}

/* the bit after i in a single-bit-flip sweep over nbits bits (bit i is bit i % 8 of byte i / 8):
 * every bit when not sampled; otherwise every step-th byte, the last byte included, with the
 * bit index rotated by 3 from one visited byte to the next */
static inline size_t t_sweep_next_bit(size_t i, size_t nbits)
{
	size_t step = t_sweep_step(), last, byte, bit;

	if (step == 1 || nbits == 0) {
		return i + 1;
	}
	last = (nbits - 1) / 8;
	if (i / 8 >= last) {
		return nbits;
	}
	byte = i / 8 + step;
	if (byte > last) {
		byte = last;
	}
	bit = (i % 8 + 3) % 8;
	if (byte * 8 + bit >= nbits) {
		bit = (nbits - 1) % 8;
	}
	return byte * 8 + bit;
}

#endif
