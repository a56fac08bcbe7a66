/* The mock PKCS#11 module (tests/unit/p11mock.c) for the token unit tests: p11mock.so is built
 * into the build directory, next to the test programs. */
#ifndef X509SSH_T_P11MOCK_H
#define X509SSH_T_P11MOCK_H

#include <limits.h>
#include <string.h>
#include <unistd.h>

/* The module's path into out[len] (beside /proc/self/exe); 0 when it is there and readable. */
static inline int t_find_mock(char *out, size_t len)
{
	static const char name[] = "/p11mock.so";
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0) {
		return -1;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL) {
		return -1;
	}
	*slash = '\0';
	if (strlen(self) + sizeof(name) > len) {
		return -1;
	}
	memcpy(out, self, strlen(self));
	memcpy(out + strlen(self), name, sizeof(name));
	return access(out, R_OK);
}

#endif
