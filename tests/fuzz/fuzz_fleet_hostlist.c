/* libFuzzer target: fleet host-list text (client/fleet/hostlist.c) through the file parser
 * under a small host cap, then two properties of what it accepted: each destination's text,
 * added again as -H, gives the same user, host and port (a duplicate of itself); and the
 * hosts folded back into ranges (fold.c) expand to as many distinct host names again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "hostlist.h"
#include "sbuf.h"

static void check_fold(const struct fleet_hostlist *hl)
{
	struct fleet_hostlist back;
	struct fleet_sb sb = FLEET_SB_INIT;
	const char **names;
	char err[512], *item, *p;
	size_t i, depth = 0;
	int skip = 0;

	names = malloc((hl->n + 1) * sizeof(*names));
	if (names == NULL) {
		return;
	}
	for (i = 0; i < hl->n; i++) {
		names[i] = hl->dest[i].host;
		/* an IPv6 address folds to text that must be bracketed again: not this check */
		skip |= strchr(names[i], ':') != NULL;
	}
	if (fleet_fold(&sb, names, hl->n) != 0) {
		abort();
	}
	free(names);
	if (skip || sb.p == NULL) {
		fleet_sb_free(&sb);
		return;
	}
	fleet_hostlist_init(&back);
	back.max_hosts = FLEET_EXPAND_MAX;
	/* the items are separated by ',' outside brackets */
	for (item = p = sb.p;; p++) {
		if (*p == '[') {
			depth++;
		} else if (*p == ']') {
			depth--;
		} else if ((*p == ',' && depth == 0) || *p == '\0') {
			char end = *p;
			*p = '\0';
			if (strlen(item) <= FLEET_LINE_MAX &&
			    fleet_hostlist_add(&back, item, "fold", 0, err, sizeof(err)) != 0) {
				abort(); /* fold wrote something the parser refuses */
			}
			if (strlen(item) > FLEET_LINE_MAX) {
				skip = 1;
			}
			if (end == '\0') {
				break;
			}
			item = p + 1;
		}
	}
	if (!skip) {
		/* as many distinct host names as went in (several destinations may share one) */
		struct fleet_hostlist uniq;
		fleet_hostlist_init(&uniq);
		for (i = 0; i < hl->n; i++) {
			if (fleet_hostlist_add(&uniq, hl->dest[i].host, "u", 0, err, sizeof(err)) !=
			    0) {
				abort();
			}
		}
		if (back.n != uniq.n) {
			abort(); /* fold lost or invented hosts */
		}
		fleet_hostlist_free(&uniq);
	}
	fleet_hostlist_free(&back);
	fleet_sb_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_hostlist hl, again;
	char err[512];
	size_t i;

	fleet_hostlist_init(&hl);
	hl.max_hosts = 2000;
	if (fleet_hostlist_parse(&hl, (const char *)data, size, "f", err, sizeof(err)) == 0) {
		fleet_hostlist_init(&again);
		for (i = 0; i < hl.n; i++) {
			if (fleet_hostlist_add(
			        &again, hl.dest[i].text, "-H", 0, err, sizeof(err)) != 0 ||
			    again.n != i + 1 || strcmp(again.dest[i].host, hl.dest[i].host) != 0 ||
			    again.dest[i].port != hl.dest[i].port ||
			    (again.dest[i].user == NULL) != (hl.dest[i].user == NULL)) {
				abort();
			}
		}
		fleet_hostlist_free(&again);
		check_fold(&hl);
	}
	fleet_hostlist_free(&hl);
	return 0;
}
