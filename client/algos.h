/*
 * Algorithm lists for the configuration: the default and supported lists of each category
 * (from the engine's tables) and the one routine that resolves a KexAlgorithms, Ciphers, MACs,
 * HostKeyAlgorithms or PubkeyAcceptedAlgorithms specification against them.
 */
#ifndef X509SSH_ALGOS_H
#define X509SSH_ALGOS_H

#include <stddef.h>

/*
 * Resolve an algorithm list specification against a default list and the full list of supported
 * names (both comma-separated): +name appends, -name removes (patterns allowed), ^name
 * prepends, a plain list replaces; NULL is the defaults. Returns a malloc'd comma list, or NULL
 * with err set (unknown name, empty name, empty result).
 */
char *algo_list_resolve(
    const char *spec, const char *defaults, const char *supported, char *err, size_t errlen);

/* The default and supported comma-separated lists for a category: "kex", "cipher", "mac",
 * "key" (host key), "pubkey" (userauth); NULL for another name. x509 = include x509v3 rows in
 * the defaults (first). malloc'd. */
char *algo_default_list(const char *category, int x509);
char *algo_supported_list(const char *category);

/* algo_list_resolve of spec for a category, with "CAUSE in KEYWORD" in err. */
char *algo_resolve_category(const char *spec, const char *category, int x509, const char *keyword,
    char *err, size_t errlen);

#endif
