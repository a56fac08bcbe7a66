/* The server-version quirk table. */
#include <stddef.h>
#include <string.h>

#include "compat.h"

struct compat_row {
	const char *contains; /* a row applies when the identification line holds this text */
	unsigned flags;
};

static const struct compat_row compat_rows[] = {
    /* IOS refuses group-exchange requests above 4096 bits, accepts x509v3-ssh-rsa for RSA
     * certificates and counts every refused userauth algorithm against its few retries */
    {.contains = "Cisco-", .flags = COMPAT_GEX_MAX_4096 | COMPAT_X509_RSA_FIRST},
};

unsigned compat_flags(const char *server_version)
{
	unsigned flags = 0;
	size_t i;

	if (server_version == NULL) {
		return 0;
	}
	for (i = 0; i < sizeof(compat_rows) / sizeof(compat_rows[0]); i++) {
		if (strstr(server_version, compat_rows[i].contains) != NULL) {
			flags |= compat_rows[i].flags;
		}
	}
	return flags;
}
