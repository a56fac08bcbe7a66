/* PKCS#11 URI parsing and validation (RFC 7512 section 2.3). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "p11_int.h"
#include "p11uri.h"

static const char *const attr_names[P11U_N] = {
    "token",
    "manufacturer",
    "serial",
    "model",
    "library-description",
    "library-manufacturer",
    "object",
    "id",
    "type",
    "slot-id",
    "slot-description",
    "slot-manufacturer",
    "module-name",
    "module-path",
    "pin-value",
    "pin-source",
};

#define FIRST_QUERY P11U_MODULE_NAME

const char *p11uri_attr_name(enum p11uri_attr a)
{
	if ((int)a < 0 || a >= P11U_N) {
		return "?";
	}
	return attr_names[a];
}

int p11uri_is_uri(const char *s)
{
	return s != NULL && strncasecmp(s, "pkcs11:", 7) == 0;
}

static int unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* a character allowed unencoded in a value (RFC 7512 pk11-pchar / pk11-qchar) */
static int value_char(int c, int query)
{
	if (c >= 0x80 || c < 0x21) {
		return 0;
	}
	if (unreserved(c) || strchr(":[]@!$'()*+,=", c) != NULL) {
		return 1;
	}
	if (!query) {
		return c == '&';
	}
	return strchr("/?|", c) != NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* percent-decode p[0..n) into a malloc'd NUL-terminated buffer */
static int decode(const char *p, size_t n, int query, char **out, size_t *outlen, char *err,
    size_t errlen, const char *name)
{
	char *d = NULL;
	size_t i, k = 0;
	int hi, lo;

	*out = NULL;
	*outlen = 0;
	if ((d = malloc(n + 1)) == NULL) {
		return P11_ERR_ALLOC;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '%') {
			if (i + 2 >= n) {
				goto bad_pct;
			}
			if ((hi = hexval((unsigned char)p[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)p[i + 2])) < 0) {
				goto bad_pct;
			}
			d[k++] = (char)(hi << 4 | lo);
			i += 2;
			continue;
		}
		if (!value_char(c, query)) {
			if (strcmp(name, "pin-value") == 0) {
				/* not even one character of a PIN in a message */
				errfmt(err, errlen,
				    "PKCS#11 URI: a character not allowed in pin-value "
				    "(percent-encode it)");
			} else {
				errfmt(err, errlen,
				    "PKCS#11 URI: character 0x%02x not allowed in %s "
				    "(percent-encode it)",
				    c, name);
			}
			OPENSSL_cleanse(d, n + 1);
			free(d);
			return P11_ERR_FORMAT;
		}
		d[k++] = (char)c;
	}
	d[k] = '\0';
	*out = d;
	*outlen = k;
	return 0;
bad_pct:
	errfmt(err, errlen, "PKCS#11 URI: bad percent-encoding in %s", name);
	OPENSSL_cleanse(d, n + 1);
	free(d);
	return P11_ERR_FORMAT;
}

static int find_attr(const char *name, size_t n)
{
	int a;

	for (a = 0; a < P11U_N; a++) {
		if (strlen(attr_names[a]) == n && memcmp(attr_names[a], name, n) == 0) {
			return a;
		}
	}
	return -1;
}

/* checks of single values once decoded */
static int check_value(struct p11uri *u, int a, char *err, size_t errlen)
{
	const char *v = u->v[a];
	char *end = NULL;
	unsigned long ul;

	if (a != P11U_ID && strlen(v) != u->len[a]) {
		errfmt(err, errlen, "PKCS#11 URI: %s contains a NUL byte", attr_names[a]);
		return P11_ERR_FORMAT;
	}
	switch (a) {
	case P11U_TYPE:
		if (strcmp(v, "private") == 0 || strcmp(v, "public") == 0 ||
		    strcmp(v, "cert") == 0) {
			return 0;
		}
		if (strcmp(v, "secret-key") == 0 || strcmp(v, "data") == 0) {
			errfmt(err, errlen, "PKCS#11 URI: type=%s selects no signing key", v);
			return P11_ERR_UNSUPPORTED;
		}
		errfmt(err, errlen, "PKCS#11 URI: unknown type '%s' (public, private or cert)", v);
		return P11_ERR_FORMAT;
	case P11U_SLOT_ID:
		if (v[0] < '0' || v[0] > '9' || u->len[a] > 19) {
			goto bad_slot;
		}
		errno = 0;
		ul = strtoul(v, &end, 10);
		if (errno != 0 || end == NULL || *end != '\0') {
			goto bad_slot;
		}
		u->slot_id = ul;
		return 0;
	case P11U_MODULE_PATH:
		if (v[0] == '\0') {
			errfmt(err, errlen, "PKCS#11 URI: empty module-path");
			return P11_ERR_FORMAT;
		}
		return 0;
	case P11U_PIN_SOURCE:
		if (strncmp(v, "file:", 5) != 0) {
			errfmt(err, errlen,
			    "PKCS#11 URI: pin-source must be a file: URI with an absolute path");
			return P11_ERR_UNSUPPORTED;
		}
		v += 5;
		if (strncmp(v, "//", 2) == 0) {
			/* file:///path or file://localhost/path */
			v += 2;
			if (strncmp(v, "localhost/", 10) == 0) {
				v += 9;
			}
		}
		if (v[0] != '/' || v[1] == '\0') {
			errfmt(err, errlen, "PKCS#11 URI: pin-source must name an absolute path");
			return P11_ERR_FORMAT;
		}
		return 0;
	default:
		return 0;
	}
bad_slot:
	errfmt(err, errlen, "PKCS#11 URI: slot-id must be a decimal number");
	return P11_ERR_FORMAT;
}

/* one "name=value" of the path (query == 0) or the query part */
static int parse_attr(
    struct p11uri *u, const char *p, size_t n, int query, char *err, size_t errlen)
{
	const char *eq = memchr(p, '=', n);
	size_t nl;
	int a, e;

	if (n == 0) {
		errfmt(err, errlen, "PKCS#11 URI: empty attribute in the %s",
		    query ? "query" : "path");
		return P11_ERR_FORMAT;
	}
	if (eq == NULL) {
		errfmt(err, errlen, "PKCS#11 URI: attribute '%.*s' has no '='",
		    (int)(n > 64 ? 64 : n), p);
		return P11_ERR_FORMAT;
	}
	nl = (size_t)(eq - p);
	if ((a = find_attr(p, nl)) < 0) {
		errfmt(err, errlen, "PKCS#11 URI: unknown attribute '%.*s'",
		    (int)(nl > 64 ? 64 : nl), p);
		return P11_ERR_FORMAT;
	}
	if (query && a < FIRST_QUERY) {
		errfmt(err, errlen, "PKCS#11 URI: path attribute '%s' in the query part",
		    attr_names[a]);
		return P11_ERR_FORMAT;
	}
	if (!query && a >= FIRST_QUERY) {
		errfmt(err, errlen,
		    "PKCS#11 URI: query attribute '%s' in the path part (write ?%s=...)",
		    attr_names[a], attr_names[a]);
		return P11_ERR_FORMAT;
	}
	if (u->v[a] != NULL) {
		errfmt(err, errlen, "PKCS#11 URI: attribute '%s' given twice", attr_names[a]);
		return P11_ERR_FORMAT;
	}
	if ((e = decode(eq + 1, n - nl - 1, query, &u->v[a], &u->len[a], err, errlen,
	         attr_names[a])) != 0) {
		return e;
	}
	return check_value(u, a, err, errlen);
}

int p11uri_parse(const char *text, struct p11uri **out, char *err, size_t errlen)
{
	struct p11uri *u = NULL;
	const char *p, *q, *end, *sep;
	size_t tl;
	int e;

	*out = NULL;
	errfmt(err, errlen, "%s", "");
	if (text == NULL || !p11uri_is_uri(text)) {
		errfmt(err, errlen, "not a PKCS#11 URI (must start with pkcs11:)");
		return P11_ERR_FORMAT;
	}
	if ((tl = strlen(text)) > P11URI_MAX) {
		errfmt(err, errlen, "PKCS#11 URI longer than %d characters", P11URI_MAX);
		return P11_ERR_TOO_LARGE;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		return P11_ERR_ALLOC;
	}
	end = text + tl;
	p = text + 7;
	q = memchr(p, '?', (size_t)(end - p));
	if (q == NULL) {
		q = end;
	}
	/* path: attributes separated by ';' (the path may be empty) */
	while (p < q) {
		sep = memchr(p, ';', (size_t)(q - p));
		if (sep == NULL) {
			sep = q;
		}
		if ((e = parse_attr(u, p, (size_t)(sep - p), 0, err, errlen)) != 0) {
			goto out;
		}
		p = sep;
		if (p < q) {
			p++; /* ';' */
			if (p == q) {
				errfmt(err, errlen, "PKCS#11 URI: empty attribute in the path");
				e = P11_ERR_FORMAT;
				goto out;
			}
		}
	}
	/* query: attributes separated by '&' */
	if (q < end) {
		p = q + 1;
		if (p == end) {
			errfmt(err, errlen, "PKCS#11 URI: empty query");
			e = P11_ERR_FORMAT;
			goto out;
		}
		while (p <= end) {
			sep = memchr(p, '&', (size_t)(end - p));
			if (sep == NULL) {
				sep = end;
			}
			if ((e = parse_attr(u, p, (size_t)(sep - p), 1, err, errlen)) != 0) {
				goto out;
			}
			p = sep + 1;
		}
	}
	if (u->v[P11U_PIN_VALUE] != NULL && u->v[P11U_PIN_SOURCE] != NULL) {
		errfmt(err, errlen, "PKCS#11 URI: pin-value and pin-source together");
		e = P11_ERR_FORMAT;
		goto out;
	}
	*out = u;
	u = NULL;
	e = 0;
out:
	p11uri_free(u);
	return e;
}

void p11uri_free(struct p11uri *u)
{
	int a;

	if (u == NULL) {
		return;
	}
	for (a = 0; a < P11U_N; a++) {
		if (u->v[a] != NULL) {
			OPENSSL_cleanse(u->v[a], u->len[a]);
			free(u->v[a]);
		}
	}
	free(u);
}

int p11uri_append(char **s, const char *sep, const char *name, const uint8_t *v, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t old = *s != NULL ? strlen(*s) : 0, need, i;
	char *t, *w;

	need = old + strlen(sep) + strlen(name) + 1 + 3 * n + 1;
	if (n > P11URI_MAX || need > 4 * P11URI_MAX) {
		return P11_ERR_TOO_LARGE;
	}
	if ((t = realloc(*s, need)) == NULL) {
		return P11_ERR_ALLOC;
	}
	*s = t;
	w = t + old;
	w += sprintf(w, "%s%s=", sep, name);
	for (i = 0; i < n; i++) {
		if (unreserved(v[i])) {
			*w++ = (char)v[i];
		} else {
			*w++ = '%';
			*w++ = hex[v[i] >> 4];
			*w++ = hex[v[i] & 15];
		}
	}
	*w = '\0';
	return 0;
}

#define PIN_ATTR     "pin-value="
#define PIN_ATTR_LEN (sizeof(PIN_ATTR) - 1)

/* append p[0..n) to buf (k bytes used of len, one kept for the NUL), cut where it is full */
static void put_cut(char *buf, size_t len, size_t *k, const char *p, size_t n)
{
	size_t room = len - 1 - *k;

	n = n < room ? n : room;
	memcpy(buf + *k, p, n);
	*k += n;
}

void p11uri_mask_pin(const char *s, char *buf, size_t len)
{
	const char *hit;
	size_t k = 0;

	if (len == 0) {
		return;
	}
	while (s != NULL && (hit = strcasestr(s, PIN_ATTR)) != NULL) {
		put_cut(buf, len, &k, s, (size_t)(hit - s) + PIN_ATTR_LEN);
		put_cut(buf, len, &k, "***", 3);
		s = hit + PIN_ATTR_LEN;
		s += strcspn(s, "&");
	}
	if (s != NULL) {
		put_cut(buf, len, &k, s, strlen(s));
	}
	buf[k] = '\0';
}
