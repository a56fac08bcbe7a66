/* PKCS#11 URI parsing (RFC 7512) and validation: good forms, every error, encoding round trips,
 * and a mutation sweep. */
#include <stdlib.h>
#include <string.h>

#include "p11uri.h"
#include "p11.h"
#include "t.h"

static struct p11uri *ok(const char *text)
{
	struct p11uri *u = NULL;
	char err[256];
	int r = p11uri_parse(text, &u, err, sizeof(err));

	CHECK_EQ_INT(r, 0);
	if (r != 0) {
		fprintf(stderr, "  %s: %s\n", text, err);
	}
	return u;
}

static void bad(const char *text, int code, const char *words)
{
	struct p11uri *u = NULL;
	char err[256] = "";
	int r = p11uri_parse(text, &u, err, sizeof(err));

	CHECK_EQ_INT(r, code);
	CHECK(u == NULL);
	CHECK(strstr(err, words) != NULL);
	if (strstr(err, words) == NULL) {
		fprintf(stderr, "  %s: got \"%s\", want \"%s\"\n", text, err, words);
	}
}

static void test_good(void)
{
	struct p11uri *u;
	int a;

	u = ok("pkcs11:");
	CHECK(u != NULL);
	for (a = 0; u != NULL && a < P11U_N; a++) {
		CHECK(u->v[a] == NULL);
	}
	p11uri_free(u);
	CHECK(p11uri_is_uri("PKCS11:token=x"));
	CHECK(!p11uri_is_uri("/usr/lib/softhsm/libsofthsm2.so"));
	CHECK(!p11uri_is_uri(NULL));

	u = ok(
	    "pkcs11:token=My%20Token;manufacturer=SoftHSM%20project;serial=abc123;model=SoftHSM%"
	    "20v2;"
	    "library-description=Lib;library-manufacturer=LM;object=my%20key;id=%01%00%ff;type="
	    "private;"
	    "slot-id=42;slot-description=SD;slot-manufacturer=SM"
	    "?module-name=softhsm2&module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=12%2634");
	if (u != NULL) {
		CHECK_STR(u->v[P11U_TOKEN], "My Token");
		CHECK_STR(u->v[P11U_MANUFACTURER], "SoftHSM project");
		CHECK_STR(u->v[P11U_SERIAL], "abc123");
		CHECK_STR(u->v[P11U_MODEL], "SoftHSM v2");
		CHECK_STR(u->v[P11U_LIBRARY_DESCRIPTION], "Lib");
		CHECK_STR(u->v[P11U_LIBRARY_MANUFACTURER], "LM");
		CHECK_STR(u->v[P11U_OBJECT], "my key");
		CHECK_EQ_INT(u->len[P11U_ID], 3);
		CHECK_MEM(u->v[P11U_ID], "\x01\x00\xff", 3);
		CHECK_STR(u->v[P11U_TYPE], "private");
		CHECK_EQ_INT(u->slot_id, 42);
		CHECK_STR(u->v[P11U_SLOT_DESCRIPTION], "SD");
		CHECK_STR(u->v[P11U_SLOT_MANUFACTURER], "SM");
		CHECK_STR(u->v[P11U_MODULE_NAME], "softhsm2");
		CHECK_STR(u->v[P11U_MODULE_PATH], "/usr/lib/softhsm/libsofthsm2.so");
		CHECK_STR(u->v[P11U_PIN_VALUE], "12&34");
	}
	p11uri_free(u);
	/* '&' is allowed unencoded in the path, '/', '?', '|' in the query; an empty value is a
	 * value */
	u = ok("pkcs11:object=a&b;token=?pin-source=file:/run/pin?x|y");
	if (u != NULL) {
		CHECK_STR(u->v[P11U_OBJECT], "a&b");
		CHECK_STR(u->v[P11U_TOKEN], "");
		CHECK_STR(u->v[P11U_PIN_SOURCE], "file:/run/pin?x|y");
	}
	p11uri_free(u);
	u = ok("pkcs11:type=cert?pin-source=file:///home/u/pin");
	p11uri_free(u);
	u = ok("pkcs11:type=public?pin-source=file://localhost/home/u/pin");
	p11uri_free(u);
	u = ok("pkcs11:slot-id=0");
	CHECK(u != NULL && u->slot_id == 0);
	p11uri_free(u);
}

static void test_bad(void)
{
	bad(NULL, P11_ERR_FORMAT, "not a PKCS#11 URI");
	bad("pkcs12:token=x", P11_ERR_FORMAT, "not a PKCS#11 URI");
	bad("pkcs11:tokn=x", P11_ERR_FORMAT, "unknown attribute 'tokn'");
	bad("pkcs11:x-vendor=1", P11_ERR_FORMAT, "unknown attribute 'x-vendor'");
	bad("pkcs11:token=a?foo=b", P11_ERR_FORMAT, "unknown attribute 'foo'");
	bad("pkcs11:token=a;module-path=/x.so", P11_ERR_FORMAT,
	    "query attribute 'module-path' in the path part");
	bad("pkcs11:pin-value=1234", P11_ERR_FORMAT,
	    "query attribute 'pin-value' in the path part");
	bad("pkcs11:pin-source=file:/p", P11_ERR_FORMAT, "query attribute 'pin-source'");
	bad("pkcs11:module-name=x", P11_ERR_FORMAT, "query attribute 'module-name'");
	bad("pkcs11:?token=a", P11_ERR_FORMAT, "path attribute 'token' in the query part");
	bad("pkcs11:?pin-source=|/bin/echo%201234", P11_ERR_UNSUPPORTED,
	    "pin-source must be a file:");
	bad("pkcs11:?pin-source=env:PIN", P11_ERR_UNSUPPORTED, "pin-source must be a file:");
	bad("pkcs11:?pin-source=/run/pin", P11_ERR_UNSUPPORTED, "pin-source must be a file:");
	bad("pkcs11:?pin-source=file:pin.txt", P11_ERR_FORMAT, "absolute path");
	bad("pkcs11:?pin-source=file://host/pin", P11_ERR_FORMAT, "absolute path");
	bad("pkcs11:?pin-source=file:/", P11_ERR_FORMAT, "absolute path");
	bad("pkcs11:?pin-value=1&pin-source=file:/p", P11_ERR_FORMAT, "pin-value and pin-source");
	bad("pkcs11:token=a;token=b", P11_ERR_FORMAT, "'token' given twice");
	bad("pkcs11:?module-path=/a&module-path=/b", P11_ERR_FORMAT, "'module-path' given twice");
	bad("pkcs11:token", P11_ERR_FORMAT, "has no '='");
	bad("pkcs11:;token=a", P11_ERR_FORMAT, "empty attribute");
	bad("pkcs11:token=a;", P11_ERR_FORMAT, "empty attribute in the path");
	bad("pkcs11:token=a;;id=%01", P11_ERR_FORMAT, "empty attribute");
	bad("pkcs11:token=a?", P11_ERR_FORMAT, "empty query");
	bad("pkcs11:?module-name=a&", P11_ERR_FORMAT, "empty attribute in the query");
	bad("pkcs11:id=%0", P11_ERR_FORMAT, "bad percent-encoding in id");
	bad("pkcs11:id=%", P11_ERR_FORMAT, "bad percent-encoding");
	bad("pkcs11:id=%g1", P11_ERR_FORMAT, "bad percent-encoding");
	bad("pkcs11:token=a b", P11_ERR_FORMAT, "character 0x20 not allowed in token");
	bad("pkcs11:token=a/b", P11_ERR_FORMAT, "character 0x2f not allowed in token");
	bad("pkcs11:token=a\"b", P11_ERR_FORMAT, "not allowed");
	bad("pkcs11:token=\xc3\xa9", P11_ERR_FORMAT, "character 0xc3");
	bad("pkcs11:?module-path=/a b", P11_ERR_FORMAT, "not allowed in module-path");
	bad("pkcs11:?module-path=", P11_ERR_FORMAT, "empty module-path");
	bad("pkcs11:token=a%00b", P11_ERR_FORMAT, "token contains a NUL byte");
	bad("pkcs11:type=secret-key", P11_ERR_UNSUPPORTED, "selects no signing key");
	bad("pkcs11:type=data", P11_ERR_UNSUPPORTED, "selects no signing key");
	bad("pkcs11:type=privat", P11_ERR_FORMAT, "unknown type 'privat'");
	bad("pkcs11:slot-id=-1", P11_ERR_FORMAT, "slot-id must be a decimal number");
	bad("pkcs11:slot-id=1x", P11_ERR_FORMAT, "slot-id must be a decimal number");
	bad("pkcs11:slot-id=", P11_ERR_FORMAT, "slot-id");
	bad("pkcs11:slot-id=99999999999999999999", P11_ERR_FORMAT, "slot-id");
	{
		char *big = malloc(P11URI_MAX + 16);

		CHECK(big != NULL);
		if (big != NULL) {
			memcpy(big, "pkcs11:object=", 14);
			memset(big + 14, 'a', P11URI_MAX);
			big[P11URI_MAX + 14] = '\0';
			bad(big, P11_ERR_TOO_LARGE, "longer than");
			free(big);
		}
	}
}

static void test_append(void)
{
	uint8_t id[256];
	char *s = NULL;
	struct p11uri *u = NULL;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(id); i++) {
		id[i] = (uint8_t)i;
	}
	s = strdup("pkcs11:");
	CHECK_EQ_INT(p11uri_append(&s, "", "id", id, sizeof(id)), 0);
	CHECK_EQ_INT(p11uri_append(&s, ";", "object", (const uint8_t *)"a b;c=d", 7), 0);
	CHECK_EQ_INT(p11uri_append(&s, "?", "module-path", (const uint8_t *)"/x/y.so", 7), 0);
	CHECK(strstr(s, ";object=a%20b%3Bc%3Dd?module-path=%2Fx%2Fy.so") != NULL);
	CHECK_EQ_INT(p11uri_parse(s, &u, err, sizeof(err)), 0);
	if (u != NULL) {
		CHECK_EQ_INT(u->len[P11U_ID], sizeof(id));
		CHECK_MEM(u->v[P11U_ID], id, sizeof(id));
		CHECK_STR(u->v[P11U_OBJECT], "a b;c=d");
		CHECK_STR(u->v[P11U_MODULE_PATH], "/x/y.so");
	}
	p11uri_free(u);
	free(s);
	CHECK_STR(p11uri_attr_name(P11U_PIN_SOURCE), "pin-source");
	CHECK_STR(p11uri_attr_name(P11U_N), "?");
}

/* every truncation and every single-bit flip: no crash, and a success is consistent */
static void test_sweep(void)
{
	static const char base[] =
	    "pkcs11:token=T%20k;serial=1;id=%01%02;object=o;type=private;slot-id=3"
	    "?module-path=/m.so&pin-value=1234";
	char buf[sizeof(base)], err[256];
	struct p11uri *u = NULL;
	size_t len = strlen(base), i, okc = 0, errc = 0;
	int bit, r, a;

	for (i = 0; i <= len; i++) {
		memcpy(buf, base, i);
		buf[i] = '\0';
		r = p11uri_parse(buf, &u, err, sizeof(err));
		if (r == 0) {
			okc++;
			for (a = 0; a < P11U_N; a++) {
				CHECK(u->v[a] == NULL || u->len[a] <= i);
			}
			p11uri_free(u);
			u = NULL;
		} else {
			errc++;
			CHECK(u == NULL && err[0] != '\0');
		}
	}
	CHECK(okc > 5 && errc > 5);
	okc = errc = 0;
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(buf, base, len + 1);
			buf[i] = (char)(buf[i] ^ (1 << bit));
			if (buf[i] == '\0') {
				continue;
			}
			r = p11uri_parse(buf, &u, err, sizeof(err));
			if (r == 0) {
				okc++;
				CHECK(
				    u->v[P11U_PIN_VALUE] == NULL || u->v[P11U_PIN_SOURCE] == NULL);
				p11uri_free(u);
				u = NULL;
			} else {
				errc++;
				CHECK(r < 0 && u == NULL && err[0] != '\0');
			}
		}
	}
	CHECK(okc > 0 && errc > 0);
}

/* p11uri_mask_pin: every pin-value, in any case, masked up to the next '&'; cut output never
 * shows a byte of a masked value */
static void test_mask_pin(void)
{
	static const struct {
		const char *in, *want;
	} v[] = {
	    {"pkcs11:token=t", "pkcs11:token=t"},
	    {"pkcs11:token=t?pin-value=1234", "pkcs11:token=t?pin-value=***"},
	    {"pkcs11:token=t?pin-value=1234&module-path=/m.so",
	        "pkcs11:token=t?pin-value=***&module-path=/m.so"},
	    /* the first occurrence inside another value: the real PIN after it is masked too */
	    {"pkcs11:object=pin-value=x&y;token=t?pin-value=1234",
	        "pkcs11:object=pin-value=***&y;token=t?pin-value=***"},
	    /* up to the next '&': a '?' does not end a masked value */
	    {"pkcs11:object=pin-value=x?pin-value=1234", "pkcs11:object=pin-value=***"},
	    {"pkcs11:token=t?PIN-VALUE=1234&Pin-Value=99&pin-value=7",
	        "pkcs11:token=t?PIN-VALUE=***&Pin-Value=***&pin-value=***"},
	    {"pkcs11:?pin-value=", "pkcs11:?pin-value=***"},
	    {"pkcs11:?pin-value=&pin-value=", "pkcs11:?pin-value=***&pin-value=***"},
	    {"/usr/lib/libnope.so", "/usr/lib/libnope.so"},
	    {"", ""},
	};
	static const char secret[] = "pkcs11:?pin-value=SECRET&pin-value=SECRET";
	char buf[128];
	size_t i, len;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		p11uri_mask_pin(v[i].in, buf, sizeof(buf));
		CHECK_MSG(strcmp(buf, v[i].want) == 0, "%s -> %s", v[i].in, buf);
	}
	/* every buffer size: a prefix of the full answer, NUL-terminated, no byte of the PIN */
	for (len = 1; len < sizeof(buf); len++) {
		memset(buf, 'x', sizeof(buf));
		p11uri_mask_pin(secret, buf, len);
		CHECK_MSG(
		    strlen(buf) < len &&
		        strncmp(buf, "pkcs11:?pin-value=***&pin-value=***", strlen(buf)) == 0 &&
		        strpbrk(buf, "SECRT") == NULL,
		    "len %zu: %s", len, buf);
	}
	buf[0] = 'x';
	p11uri_mask_pin(secret, buf, 0); /* no room: buf untouched */
	CHECK(buf[0] == 'x');
}

int main(void)
{
	test_good();
	test_bad();
	test_append();
	test_sweep();
	test_mask_pin();
	T_DONE();
}
