#include "textfile.h"

int textfile_read_line(FILE *fp, char *buf, size_t cap, int *bad)
{
	size_t n = 0;
	int c, any = 0;

	*bad = 0;
	while ((c = getc(fp)) != EOF) {
		any = 1;
		if (c == '\n') {
			break;
		}
		if (c == '\0' || n + 1 >= cap) {
			*bad = 1;
			continue;
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return any;
}
