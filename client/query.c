/* -Q: the lists of what this build supports, by OpenSSH's query names. */
#include "cmdline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "algos.h"
#include "log.h"
#include "ssh/mlkem_evp.h"
#include "ssh/namelist.h"
#include "ssh/sshkey.h"

enum query_kind { Q_LIST = 1, Q_AEAD, Q_KEYS, Q_FIXED, Q_HELP };

/* OpenSSH's query names (and the keyword forms it accepts), what we support for each */
static const struct query {
	const char *name;
	enum query_kind kind;
	const char *arg; /* Q_LIST / Q_AEAD: algos category; Q_FIXED: the lines */
	int keys;        /* Q_KEYS: 0 all key types, 1 plain, 2 certificate (x509v3) */
	int keyword;     /* a keyword form (not listed by -Q help) */
} queries[] = {
    {.name = "cipher", .kind = Q_LIST, .arg = "cipher"},
    {.name = "ciphers", .kind = Q_LIST, .arg = "cipher", .keyword = 1},
    {.name = "cipher-auth", .kind = Q_AEAD, .arg = "cipher"},
    {.name = "mac", .kind = Q_LIST, .arg = "mac"},
    {.name = "macs", .kind = Q_LIST, .arg = "mac", .keyword = 1},
    {.name = "kex", .kind = Q_LIST, .arg = "kex"},
    {.name = "kexalgorithms", .kind = Q_LIST, .arg = "kex", .keyword = 1},
    {.name = "kex-gss", .kind = Q_FIXED, .arg = ""},
    {.name = "key", .kind = Q_KEYS, .keys = 0},
    {.name = "key-plain", .kind = Q_KEYS, .keys = 1},
    {.name = "key-cert", .kind = Q_KEYS, .keys = 2},
    {.name = "key-sig", .kind = Q_LIST, .arg = "key"},
    {.name = "sig", .kind = Q_LIST, .arg = "key"},
    {.name = "hostkeyalgorithms", .kind = Q_LIST, .arg = "key", .keyword = 1},
    {.name = "pubkeyacceptedalgorithms", .kind = Q_LIST, .arg = "pubkey", .keyword = 1},
    {.name = "pubkeyacceptedkeytypes", .kind = Q_LIST, .arg = "pubkey", .keyword = 1},
    {.name = "key-ca-sign", .kind = Q_FIXED, .arg = ""},
    {.name = "casignaturealgorithms", .kind = Q_FIXED, .arg = "", .keyword = 1},
    {.name = "compression", .kind = Q_FIXED, .arg = "none\n"},
    {.name = "protocol-version", .kind = Q_FIXED, .arg = "2\n"},
    {.name = "help", .kind = Q_HELP},
};

static void print_keys(int which)
{
	const struct hostkey_alg *k;

	for (size_t i = 0; (k = hostkey_alg_at(i)) != NULL; i++) {
		int x509 = (k->flags & HK_FLAG_X509) != 0, seen = 0;
		if ((which == 1 && x509) || (which == 2 && !x509)) {
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			seen |= strcmp(hostkey_alg_at(j)->blob_name, k->blob_name) == 0;
		}
		if (!seen) {
			printf("%s\n", k->blob_name);
		}
	}
}

int cmdline_query(const char *what)
{
	const struct query *q = NULL;
	struct namelist_iter it;
	const char *el;
	char *list;
	size_t n;

	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		if (strcasecmp(queries[i].name, what) == 0) {
			q = &queries[i];
		}
	}
	if (q == NULL) {
		fatal_error(
		    "config", "unsupported query \"%s\" (x509ssh -Q help lists them)", what);
		return -1;
	}
	switch (q->kind) {
	case Q_HELP:
		for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
			if (!queries[i].keyword) {
				printf("%s\n", queries[i].name);
			}
		}
		return 0;
	case Q_FIXED:
		fputs(q->arg, stdout);
		return 0;
	case Q_KEYS:
		print_keys(q->keys);
		return 0;
	case Q_LIST:
	case Q_AEAD:
		break;
	}
	if ((list = algo_supported_list(q->arg)) == NULL) {
		fatal_error("config", "out of memory");
		return -1;
	}
	namelist_begin(&it, list);
	while (namelist_next(&it, &el, &n)) {
		/* AEAD ciphers: the MAC is the cipher's own */
		if (q->kind == Q_AEAD && memmem(el, n, "gcm", 3) == NULL &&
		    memmem(el, n, "poly1305", 8) == NULL) {
			continue;
		}
		printf("%.*s\n", (int)n, el);
	}
	free(list);
	if (strcmp(q->arg, "kex") == 0) { /* -v: which ML-KEM-768 this build runs */
		log_debug1("ML-KEM-768: %s", mlkem768_impl_name());
	}
	return 0;
}
