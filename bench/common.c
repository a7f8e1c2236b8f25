/* Helpers every benchmark shares (common.h). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "saas.h"
#include "common.h"

const char *bench_name = "bench";
char bench_tmpdir[4096];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void bench_cleanup(void)
{
	if (bench_tmpdir[0] && nftw(bench_tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		perror(bench_tmpdir);
	bench_tmpdir[0] = '\0';
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench/%s: ", bench_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	bench_cleanup();
	exit(1);
}

void bench_check(int rc, const char *what)
{
	if (rc != SAAS_OK)
		bench_die("%s: %s: %s", what, saas_code_name(rc), saas_error_message(saas_error_last()));
}

void *bench_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		bench_die("out of memory");
	return p;
}

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bench_run_quiet(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : (WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
}

void bench_last_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[512];

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0])
			snprintf(out, len, "%.*s", (int)len - 1, line);
	}
	fclose(f);
}
