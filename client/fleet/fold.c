/* fold: host names into ranges (see fold.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "hostlist.h"

/* one digit run of one name */
struct rec {
	char *base; /* the name with the run replaced by '\1' */
	size_t name, pos, len;
	unsigned long val;
	int lead0;    /* the run starts with '0' and has more than one digit */
	int width;    /* printing width: the group's padding, 0 for none */
	size_t count; /* names sharing base and width */
};

static int by_base(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = strcmp(x->base, y->base);

	if (c != 0) {
		return c;
	}
	if (x->width != y->width) {
		return x->width < y->width ? -1 : 1;
	}
	if (x->val != y->val) {
		return x->val < y->val ? -1 : 1;
	}
	return x->name < y->name ? -1 : x->name > y->name;
}

static int same_group(const struct rec *x, const struct rec *y)
{
	return x->width == y->width && strcmp(x->base, y->base) == 0;
}

/* the digit runs of every name into *recs; 0 or -1 */
static int collect(const char *const *names, size_t n, struct rec **recs, size_t *nrecs)
{
	struct rec *r = NULL, *nr;
	size_t cap = 0, nr_ = 0, i, k, l, blen;
	const char *s;
	int rc = -1;

	for (i = 0; i < n; i++) {
		s = names[i];
		for (k = 0; s[k] != '\0';) {
			if (!isdigit((unsigned char)s[k])) {
				k++;
				continue;
			}
			for (l = 0; isdigit((unsigned char)s[k + l]); l++) {
			}
			if (l <= FLEET_BOUND_DIGITS) {
				if (nr_ == cap) {
					cap = cap == 0 ? 64 : cap * 2;
					nr = realloc(r, cap * sizeof(*r));
					if (nr == NULL) {
						goto out;
					}
					r = nr;
				}
				blen = strlen(s) - l + 1;
				r[nr_].base = malloc(blen + 1);
				if (r[nr_].base == NULL) {
					goto out;
				}
				memcpy(r[nr_].base, s, k);
				r[nr_].base[k] = '\1';
				memcpy(r[nr_].base + k + 1, s + k + l, strlen(s + k + l) + 1);
				r[nr_].name = i;
				r[nr_].pos = k;
				r[nr_].len = l;
				r[nr_].val = strtoul(s + k, NULL, 10);
				r[nr_].lead0 = l > 1 && s[k] == '0';
				r[nr_].width = r[nr_].lead0 ? (int)l : 0;
				r[nr_].count = 0;
				nr_++;
			}
			k += l;
		}
	}
	*recs = r;
	*nrecs = nr_;
	rc = 0;
out:
	if (rc != 0) {
		for (i = 0; i < nr_; i++) {
			free(r[i].base);
		}
		free(r);
	}
	return rc;
}

/* unpadded runs join a padded group of their own width (same base) */
static void assign_widths(struct rec *r, size_t n)
{
	size_t i, j, k;
	unsigned mask;

	if (n == 0) {
		return; /* qsort's base may not be NULL */
	}
	qsort(r, n, sizeof(*r), by_base);
	for (i = 0; i < n; i = j) {
		mask = 0;
		for (j = i; j < n && strcmp(r[j].base, r[i].base) == 0; j++) {
			if (r[j].lead0) {
				mask |= 1u << r[j].len;
			}
		}
		for (k = i; k < j; k++) {
			if (!r[k].lead0 && (mask & (1u << r[k].len)) != 0) {
				r[k].width = (int)r[k].len;
			}
		}
	}
	qsort(r, n, sizeof(*r), by_base);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && same_group(&r[j], &r[i]); j++) {
		}
		for (k = i; k < j; k++) {
			r[k].count = j - i;
		}
	}
}

/* "a-b,c" of the chosen records r[i..j) (sorted by value) */
static void add_ranges(struct fleet_sb *sb, const struct rec *r, const size_t *pick, size_t np)
{
	size_t a, b;

	for (a = 0; a < np; a = b + 1) {
		b = a;
		while (b + 1 < np && r[pick[b + 1]].val <= r[pick[b]].val + 1) {
			b++;
		}
		if (a > 0) {
			fleet_sb_ch(sb, ',');
		}
		fleet_sb_printf(sb, "%0*lu", r[pick[a]].width, r[pick[a]].val);
		if (r[pick[b]].val != r[pick[a]].val) {
			fleet_sb_printf(sb, "-%0*lu", r[pick[b]].width, r[pick[b]].val);
		}
	}
}

int fleet_fold(struct fleet_sb *sb, const char *const *names, size_t n)
{
	struct rec *r = NULL;
	size_t nr = 0, i, j, k, np, *best = NULL, *pick = NULL, first, done_items = 0;
	unsigned char *done = NULL;
	int rc = -1;
	const char *b;

	if (collect(names, n, &r, &nr) != 0) {
		return -1;
	}
	assign_widths(r, nr);
	best = malloc((n + 1) * sizeof(*best));
	pick = malloc((nr + 1) * sizeof(*pick));
	done = calloc(n + 1, 1);
	if (best == NULL || pick == NULL || done == NULL) {
		goto out;
	}
	/* each name's fold: the run with the biggest group, the rightmost on a tie */
	for (i = 0; i < n; i++) {
		best[i] = (size_t)-1;
	}
	for (k = 0; k < nr; k++) {
		size_t *bi = &best[r[k].name];
		if (*bi == (size_t)-1 || r[k].count > r[*bi].count ||
		    (r[k].count == r[*bi].count && r[k].pos > r[*bi].pos)) {
			*bi = k;
		}
	}
	/* items in the order of their first name */
	for (first = 0; first < n; first++) {
		if (done[first]) {
			continue;
		}
		k = best[first];
		np = 0;
		if (k != (size_t)-1) {
			/* the records of this group that are their name's choice, by value */
			for (i = k; i > 0 && same_group(&r[i - 1], &r[k]); i--) {
			}
			for (j = i; j < nr && same_group(&r[j], &r[k]); j++) {
				if (best[r[j].name] == j && !done[r[j].name]) {
					if (np > 0 && r[pick[np - 1]].val == r[j].val) {
						done[r[j].name] = 1; /* the same name again */
						continue;
					}
					pick[np++] = j;
				}
			}
		}
		if (done_items++ > 0) {
			fleet_sb_ch(sb, ',');
		}
		if (np <= 1) {
			fleet_sb_str(sb, names[first]);
			done[first] = 1;
			for (j = first + 1; j < n; j++) {
				if (!done[j] && strcmp(names[j], names[first]) == 0) {
					done[j] = 1;
				}
			}
			continue;
		}
		b = r[k].base;
		fleet_sb_add(sb, b, (size_t)(strchr(b, '\1') - b));
		fleet_sb_ch(sb, '[');
		add_ranges(sb, r, pick, np);
		fleet_sb_ch(sb, ']');
		fleet_sb_str(sb, strchr(b, '\1') + 1);
		for (j = 0; j < np; j++) {
			done[r[pick[j]].name] = 1;
		}
	}
	rc = sb->err ? -1 : 0;
out:
	for (i = 0; i < nr; i++) {
		free(r[i].base);
	}
	free(r);
	free(best);
	free(pick);
	free(done);
	return rc;
}
