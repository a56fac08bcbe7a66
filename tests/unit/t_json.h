/* A small strict JSON checker for the fleet tests: one value (RFC 8259) and nothing after it
 * but optional white space; strings must be valid UTF-8 without raw control characters.
 * t_json_valid(text, len) returns 1 when the text is one valid JSON value. */
#ifndef X509SSH_T_JSON_H
#define X509SSH_T_JSON_H

#include <stddef.h>
#include <string.h>

#include "json.h" /* fleet_utf8_valid */

struct t_js {
	const unsigned char *p, *end;
	int depth;
};

static int t_js_value(struct t_js *j);

static void t_js_ws(struct t_js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
		j->p++;
	}
}

static int t_js_lit(struct t_js *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0) {
		return 0;
	}
	j->p += n;
	return 1;
}

static int t_js_string(struct t_js *j)
{
	const unsigned char *start;
	int k;

	if (j->p >= j->end || *j->p != '"') {
		return 0;
	}
	start = ++j->p;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p < 0x20) {
			return 0;
		}
		if (*j->p == '\\') {
			j->p++;
			if (j->p >= j->end) {
				return 0;
			}
			if (*j->p == 'u') {
				for (k = 1; k <= 4; k++) {
					if (j->p + k >= j->end ||
					    strchr("0123456789abcdefABCDEF", j->p[k]) == NULL ||
					    j->p[k] == 0) {
						return 0;
					}
				}
				j->p += 4;
			} else if (strchr("\"\\/bfnrt", *j->p) == NULL || *j->p == 0) {
				return 0;
			}
		}
		j->p++;
	}
	if (j->p >= j->end || !fleet_utf8_valid(start, (size_t)(j->p - start))) {
		return 0;
	}
	j->p++;
	return 1;
}

static int t_js_number(struct t_js *j)
{
	const unsigned char *s = j->p;

	if (j->p < j->end && *j->p == '-') {
		j->p++;
	}
	if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
		return 0;
	}
	if (*j->p == '0') {
		j->p++;
	} else {
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
			j->p++;
		}
	}
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
			return 0;
		}
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
			j->p++;
		}
	}
	return j->p > s;
}

static int t_js_container(struct t_js *j, char close, int object)
{
	j->p++;
	if (++j->depth > 64) {
		return 0;
	}
	t_js_ws(j);
	if (j->p < j->end && *j->p == (unsigned char)close) {
		j->p++;
		j->depth--;
		return 1;
	}
	for (;;) {
		t_js_ws(j);
		if (object) {
			if (!t_js_string(j)) {
				return 0;
			}
			t_js_ws(j);
			if (j->p >= j->end || *j->p++ != ':') {
				return 0;
			}
		}
		if (!t_js_value(j)) {
			return 0;
		}
		t_js_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == (unsigned char)close) {
			j->p++;
			j->depth--;
			return 1;
		}
		return 0;
	}
}

static int t_js_value(struct t_js *j)
{
	t_js_ws(j);
	if (j->p >= j->end) {
		return 0;
	}
	switch (*j->p) {
	case '{':
		return t_js_container(j, '}', 1);
	case '[':
		return t_js_container(j, ']', 0);
	case '"':
		return t_js_string(j);
	case 't':
		return t_js_lit(j, "true");
	case 'f':
		return t_js_lit(j, "false");
	case 'n':
		return t_js_lit(j, "null");
	default:
		return t_js_number(j);
	}
}

static inline int t_json_valid(const char *text, size_t len)
{
	struct t_js j = {(const unsigned char *)text, (const unsigned char *)text + len, 0};

	if (!t_js_value(&j)) {
		return 0;
	}
	t_js_ws(&j);
	return j.p == j.end;
}

#endif
