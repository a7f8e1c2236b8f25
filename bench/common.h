/* What every benchmark shares: a temporary folder removed on the way out,
 * dying with a message, checking a library call. */
#ifndef SAAS_BENCH_COMMON_H
#define SAAS_BENCH_COMMON_H

#include <stddef.h>
#include <stdnoreturn.h>

/* The benchmark's name for messages ("bench/NAME: ..."); set it first. */
extern const char *bench_name;
/* A temporary folder of the benchmark's ("" when none): bench_cleanup
 * removes it and everything in it. */
extern char bench_tmpdir[4096];
void bench_cleanup(void);
/* Print "bench/NAME: <message>", remove the temporary folder, exit 1. */
noreturn void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* bench_die with the library's code and message unless rc is SAAS_OK. */
void bench_check(int rc, const char *what);
/* calloc, or bench_die (n 0 allocates one element's room). */
void *bench_calloc(size_t n, size_t size);
/* Seconds on the monotonic clock. */
double bench_now(void);
/* system(cmd): the command's exit status, or -1 if it did not exit. */
int bench_run_quiet(const char *cmd);
/* The last non-empty line of a file into out ("" if none), for messages. */
void bench_last_line(const char *path, char *out, size_t len);

#endif
