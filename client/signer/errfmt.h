/*
 * The one formatter of "cause" texts into a caller's buffer (err, errlen), shared by the rooms
 * that report that way: the program (client/) and the token code (pkcs11/), which both have this
 * folder on their include path. Truncates to fit; does nothing when err is NULL or errlen 0.
 * Header-only, so that neither room links the other.
 */
#ifndef X509SSH_ERRFMT_H
#define X509SSH_ERRFMT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline void errfmt(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void errfmt(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif
