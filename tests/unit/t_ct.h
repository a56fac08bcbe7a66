/*
 * Constant-time checks of decapsulation under valgrind's memcheck (as in ctgrind): the test marks
 * the secret parts of a key undefined, decapsulates a valid and a modified ciphertext, and any
 * branch or table index that depends on the secret is a memcheck error of the run. Without the
 * valgrind headers (or outside valgrind) the marks do nothing and only the results are checked.
 * Include after t.h.
 */
#ifndef X509SSH_T_CT_H
#define X509SSH_T_CT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_MEMCHECK 1
#endif
#endif
#ifndef HAVE_MEMCHECK
#define RUNNING_ON_VALGRIND               0
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#define VALGRIND_MAKE_MEM_DEFINED(p, n)   ((void)(p), (void)(n))
#define VALGRIND_COUNT_ERRORS             0
#endif

/*
 * The verdict once both decapsulations ran (before: VALGRIND_COUNT_ERRORS before the secrets
 * were marked): no memcheck error since, k2 (from the valid ciphertext) equals the encapsulated
 * k1, k3 (implicit rejection) differs; k2, k3 and the key sk[0..sklen) are defined again.
 */
static inline void t_ct_verdict(unsigned long before, const uint8_t *k1, uint8_t *k2, uint8_t *k3,
    size_t ss, uint8_t *sk, size_t sklen)
{
	unsigned long after;

	VALGRIND_MAKE_MEM_DEFINED(k2, ss);
	VALGRIND_MAKE_MEM_DEFINED(k3, ss);
	VALGRIND_MAKE_MEM_DEFINED(sk, sklen);
	after = (unsigned long)VALGRIND_COUNT_ERRORS;
	CHECK_MSG(after == before, "memcheck saw %lu secret-dependent branches or indexes",
	    after - before);
	CHECK_MEM(k1, k2, ss);
	CHECK(memcmp(k1, k3, ss) != 0);
	if (RUNNING_ON_VALGRIND) {
		fprintf(stderr, "note: decapsulation checked constant-time under memcheck\n");
	}
}

#endif
