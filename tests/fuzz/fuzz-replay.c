/*
 * Runs a libFuzzer harness over files and directories without libFuzzer, so that every
 * build replays the regression corpus (and the ASan build catches what it would).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "cannot read %s\n", path);
		if (f != NULL)
			fclose(f);
		return 1;
	}
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "cannot read %s\n", path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int
fuzz_replay_path(const char *path, unsigned *count)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	int failed = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "no such corpus: %s\n", path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return fuzz_replay_file(path);
	}
	dir = opendir(path);
	if (dir == NULL)
		return 1;
	while ((de = readdir(dir)) != NULL) {
		char child[4096];
		if (de->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		failed |= fuzz_replay_path(child, count);
	}
	closedir(dir);
	return failed;
}

int
main(int argc, char **argv)
{
	unsigned count = 0;
	int failed = 0;

	for (int i = 1; i < argc; i++)
		failed |= fuzz_replay_path(argv[i], &count);
	if (count == 0) {
		fprintf(stderr, "no corpus files replayed\n");
		return 1;
	}
	printf("replayed %u inputs\n", count);
	return failed;
}
