/* libFuzzer target: a known_hosts file's contents. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "known_hosts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_kh_XXXXXX";
	const char *files[1] = { path };
	struct kh_result res;
	static const uint8_t blob[] = { 0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1',
		'9', 0, 0, 0, 32, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
		21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
	char *types;
	int fd = mkstemp(path);

	if (fd < 0) {
		return 0;
	}
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	(void)known_hosts_check(files, 1, "host.example", blob, sizeof(blob), &res);
	(void)known_hosts_check(files, 1, "[host.example]:2222", blob, sizeof(blob), &res);
	types = known_hosts_types(files, 1, "host.example");
	free(types);
	unlink(path);
	return 0;
}
