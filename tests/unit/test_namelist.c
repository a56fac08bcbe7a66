/* namelist: iterating, has, first common, add, wildcard patterns and pattern lists */
#include "t.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "namelist.h"

/* the elements of list joined by '|' ("" for none), to see empty elements */
static const char *elements(const char *list)
{
	static char out[256];
	struct namelist_iter it;
	const char *el;
	size_t n, k = 0;
	int first = 1;

	out[0] = '\0';
	namelist_begin(&it, list);
	while (namelist_next(&it, &el, &n) && k + n + 2 < sizeof(out)) {
		if (!first) {
			out[k++] = '|';
		}
		memcpy(out + k, el, n);
		k += n;
		out[k] = '\0';
		first = 0;
	}
	return out;
}

static void test_iterate(void)
{
	static const struct {
		const char *list, *want;
	} rows[] = {
	    {.list = NULL, .want = ""},
	    {.list = "", .want = ""},
	    {.list = "a", .want = "a"},
	    {.list = "a,b,c", .want = "a|b|c"},
	    {.list = "a,", .want = "a|"},
	    {.list = ",a", .want = "|a"},
	    {.list = "a,,b", .want = "a||b"},
	    {.list = ",", .want = "|"},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CHECK_STR(elements(rows[i].list), rows[i].want);
	}
}

static void test_has(void)
{
	char *s;

	CHECK(namelist_contains("aes128-ctr,aes256-ctr", "aes256-ctr"));
	CHECK(namelist_contains("aes128-ctr,aes256-ctr", "aes128-ctr"));
	CHECK(!namelist_contains("aes128-ctr,aes256-ctr", "aes"));
	CHECK(!namelist_contains("aes128-ctr,aes256-ctr", "aes128-ctr,"));
	CHECK(!namelist_contains("aes128-ctr", "AES128-CTR"));
	CHECK(!namelist_contains("a,,b", ""));
	CHECK(!namelist_contains(NULL, "a"));
	CHECK(!namelist_contains("a", NULL));
	CHECK(namelist_has_n("x,password", "passwordXYZ", 8));

	s = namelist_first_common("c,b,a", "a,b");
	CHECK_STR(s, "b");
	free(s);
	s = namelist_first_common("x,,a", "a,");
	CHECK_STR(s, "a");
	free(s);
	CHECK(namelist_first_common("c,d", "a,b") == NULL);
	CHECK(namelist_first_common("", "a") == NULL);
	CHECK(namelist_first_common("a", NULL) == NULL);
}

static void test_add(void)
{
	char *l = NULL, *big = NULL;

	CHECK_EQ_INT(namelist_add(&l, "a", 1), 0);
	CHECK_EQ_INT(namelist_add(&l, "bcd", 2), 0);
	CHECK_EQ_INT(namelist_add(&l, "a", 1), 0); /* held: not added again */
	CHECK_EQ_INT(namelist_add(&l, "c", 1), 0);
	CHECK_STR(l, "a,bc,c");
	free(l);
	l = NULL;
	/* the cap: one name at the limit fits alone, nothing more after it */
	big = malloc(NAMELIST_MAX_LEN + 1);
	CHECK(big != NULL);
	if (big != NULL) {
		memset(big, 'x', NAMELIST_MAX_LEN);
		CHECK_EQ_INT(namelist_add(&l, big, NAMELIST_MAX_LEN), SSH_ERR_TOO_LARGE);
		CHECK_EQ_INT(namelist_add(&l, big, NAMELIST_MAX_LEN - 1), 0);
		CHECK_EQ_INT(namelist_add(&l, "y", 1), SSH_ERR_TOO_LARGE);
		CHECK(l != NULL && strlen(l) == NAMELIST_MAX_LEN - 1);
	}
	free(big);
	free(l);
}

static void test_patterns(void)
{
	CHECK(namelist_pattern("host.example.com", "*.example.com", 1));
	CHECK(namelist_pattern("HOST.Example.COM", "host.example.*", 1));
	CHECK(!namelist_pattern("HOST", "host", 0));
	CHECK(namelist_pattern("abc", "a?c", 0));
	CHECK(!namelist_pattern("ac", "a?c", 0));
	CHECK(namelist_pattern("", "*", 0));
	CHECK(!namelist_pattern("", "?", 0));
	CHECK(namelist_pattern("aaab", "*a*b", 0));
	CHECK(namelist_pattern("abcabcabd", "*abd", 0));
	CHECK(!namelist_pattern("abcabcabe", "*abd", 0));
	CHECK(namelist_pattern("[h]:22", "[h]:2?", 0)); /* brackets are literal */
	CHECK(!namelist_pattern("h", "[h]", 0));
	CHECK(namelist_wildmatch("abc", "abcdef", 3, 0)); /* a span of the pattern */
	/* many stars against a long miss: must stay fast */
	CHECK(!namelist_pattern("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
	    "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c", 0));
	CHECK_EQ_INT(namelist_match_patterns("a.x", "b.x,a.*", 1), 1);
	CHECK_EQ_INT(namelist_match_patterns("a.x", "*.x,!a.x", 1), -1);
	CHECK_EQ_INT(namelist_match_patterns("b.x", "*.x,!a.x", 1), 1);
	CHECK_EQ_INT(namelist_match_patterns("c.y", "*.x,!a.x", 1), 0);
	CHECK_EQ_INT(namelist_match_patterns("a", ",,!,", 1), 0);
	CHECK_EQ_INT(namelist_match_patterns("A.X", "a.x", 1), 1);
	CHECK_EQ_INT(namelist_match_patterns("A.X", "a.x", 0), 0);
}

int main(void)
{
	test_iterate();
	test_has();
	test_add();
	test_patterns();
	T_DONE();
}
