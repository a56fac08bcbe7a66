/*
 * PKCS#11 URIs (RFC 7512), parsed and validated here rather than by p11-kit, whose parser
 * silently drops unknown attributes, query attributes written in the path part and pin-source
 * schemes it cannot use. Values are percent-decoded; `id` may hold any bytes.
 */
#ifndef X509SSH_P11URI_H
#define X509SSH_P11URI_H

#include <stddef.h>
#include <stdint.h>

enum p11uri_attr {
	/* path attributes */
	P11U_TOKEN,
	P11U_MANUFACTURER,
	P11U_SERIAL,
	P11U_MODEL,
	P11U_LIBRARY_DESCRIPTION,
	P11U_LIBRARY_MANUFACTURER,
	P11U_OBJECT,
	P11U_ID,
	P11U_TYPE,
	P11U_SLOT_ID,
	P11U_SLOT_DESCRIPTION,
	P11U_SLOT_MANUFACTURER,
	/* query attributes */
	P11U_MODULE_NAME,
	P11U_MODULE_PATH,
	P11U_PIN_VALUE,
	P11U_PIN_SOURCE,
	P11U_N
};

#define P11URI_MAX 4096 /* cap on the URI text */

struct p11uri {
	char *v[P11U_N]; /* decoded value (NUL-terminated; `id` may contain NULs) or NULL */
	size_t len[P11U_N];
	unsigned long slot_id; /* when v[P11U_SLOT_ID] != NULL */
};

/* 1 if s starts with "pkcs11:" (case-insensitive scheme) */
int p11uri_is_uri(const char *s);
/* Parse and validate; on error a negative P11_ERR_* and a message naming the problem in err. */
int p11uri_parse(const char *text, struct p11uri **out, char *err, size_t errlen);
/* Wipes pin-value. */
void p11uri_free(struct p11uri *u);
/* The attribute's name ("module-path") */
const char *p11uri_attr_name(enum p11uri_attr a);
/* Append name=value with percent-encoding (everything but RFC 3986 unreserved) to a string
 * builder: *s is malloc'd text, grown here. sep is written first (";" or "?" or "" ). */
int p11uri_append(char **s, const char *sep, const char *name, const uint8_t *v, size_t n);
/*
 * s for a message: copied to buf (at most len - 1 bytes and a NUL, cut when longer) with the
 * value of every pin-value attribute, the name matched in any case, replaced by "***" up to the
 * next '&' or the end (a character too many hidden rather than one shown). No byte of a masked
 * value reaches buf, whatever len. s may be any text (a module path, a URI that did not parse).
 */
void p11uri_mask_pin(const char *s, char *buf, size_t len);

#endif
