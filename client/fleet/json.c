/* json: JSON string escaping, UTF-8 checks and base64 for the fleet's output (see json.h). */
#include <string.h>

#include "json.h"

/* the length of the valid UTF-8 sequence at p[0..n), or 0 when it is not one */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len, i;
	unsigned long cp;

	if (c < 0x80) {
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len) {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	return len;
}

int fleet_utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = utf8_seq(p + i, n - i);
		if (k == 0) {
			return 0;
		}
		i += k;
	}
	return 1;
}

size_t fleet_utf8_cut(const unsigned char *p, size_t n)
{
	size_t back, start, need;

	/* a lead byte in the last three bytes whose sequence runs past the end */
	for (back = 1; back <= 3 && back <= n; back++) {
		start = n - back;
		if ((p[start] & 0xc0) == 0x80) {
			continue;
		}
		if (p[start] < 0xc2 || p[start] > 0xf4) {
			return n; /* ASCII, or not a lead byte at all: nothing to cut */
		}
		need = p[start] >= 0xf0 ? 4 : p[start] >= 0xe0 ? 3 : 2;
		return need > back ? start : n;
	}
	return n;
}

void fleet_json_str(struct fleet_sb *sb, const void *data, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	/* the two-character escapes JSON has; others are \u00XX */
	static const char short_esc[][2] = {{'"', '"'}, {'\\', '\\'}, {'\b', 'b'}, {'\f', 'f'},
	    {'\n', 'n'}, {'\r', 'r'}, {'\t', 't'}};
	const unsigned char *p = data;
	size_t i = 0, run, k, e;
	char u[6] = {'\\', 'u', '0', '0', 0, 0};

	fleet_sb_ch(sb, '"');
	while (i < n) {
		/* copy a run of plain printable ASCII at once */
		for (run = i;
		     run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\';
		     run++) {
		}
		fleet_sb_add(sb, p + i, run - i);
		i = run;
		if (i == n) {
			break;
		}
		for (e = 0; e < sizeof(short_esc) / sizeof(short_esc[0]); e++) {
			if (p[i] == (unsigned char)short_esc[e][0]) {
				break;
			}
		}
		if (e < sizeof(short_esc) / sizeof(short_esc[0])) {
			fleet_sb_ch(sb, '\\');
			fleet_sb_ch(sb, short_esc[e][1]);
			i++;
		} else if (p[i] < 0x80) {
			u[4] = hex[p[i] >> 4];
			u[5] = hex[p[i] & 15];
			fleet_sb_add(sb, u, sizeof(u));
			i++;
		} else if ((k = utf8_seq(p + i, n - i)) == 0) {
			fleet_sb_str(sb, "\\ufffd");
			i++;
		} else if (k == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
		           (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			fleet_sb_str(sb, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
			i += 3;
		} else {
			fleet_sb_add(sb, p + i, k);
			i += k;
		}
	}
	fleet_sb_ch(sb, '"');
}

void fleet_json_cstr(struct fleet_sb *sb, const char *s)
{
	if (s == NULL) {
		fleet_sb_str(sb, "null");
	} else {
		fleet_json_str(sb, s, strlen(s));
	}
}

void fleet_base64(struct fleet_sb *sb, const void *data, size_t n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char q[4];
	unsigned long v;
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		v = ((unsigned long)p[i] << 16) | ((unsigned long)p[i + 1] << 8) | p[i + 2];
		q[0] = al[(v >> 18) & 63];
		q[1] = al[(v >> 12) & 63];
		q[2] = al[(v >> 6) & 63];
		q[3] = al[v & 63];
		fleet_sb_add(sb, q, 4);
	}
	if (n - i == 1) {
		v = (unsigned long)p[i] << 16;
		q[0] = al[(v >> 18) & 63];
		q[1] = al[(v >> 12) & 63];
		q[2] = q[3] = '=';
		fleet_sb_add(sb, q, 4);
	} else if (n - i == 2) {
		v = ((unsigned long)p[i] << 16) | ((unsigned long)p[i + 1] << 8);
		q[0] = al[(v >> 18) & 63];
		q[1] = al[(v >> 12) & 63];
		q[2] = al[(v >> 6) & 63];
		q[3] = '=';
		fleet_sb_add(sb, q, 4);
	}
}
