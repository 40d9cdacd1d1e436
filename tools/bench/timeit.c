/* tools/bench/timeit.c: runs a command once and prints its wall time and peak RSS, for `make bench`. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: timeit [-o FILE] -- CMD [ARG...]
 *
 * Prints "MS RSS_KB STATUS": milliseconds from just before fork to the
 * child's exit, its peak resident set (wait4), and its exit status.  The
 * command's stdout goes to FILE (default /dev/null); stderr is left alone.
 * Exits with the command's status, so callers notice failures.
 */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	const char *out = "/dev/null";
	struct rusage ru;
	double t0, t1;
	int c, fd, status;
	pid_t pid;

	while ((c = getopt(argc, argv, "+o:")) != -1) {
		if (c == 'o')
			out = optarg;
		else {
			fprintf(stderr, "usage: timeit [-o FILE] -- CMD [ARG...]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: timeit [-o FILE] -- CMD [ARG...]\n");
		return 2;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		fprintf(stderr, "timeit: %s: %s\n", out, strerror(errno));
		return 1;
	}
	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "timeit: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		dup2(fd, 1);
		close(fd);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "timeit: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	close(fd);
	if (wait4(pid, &status, 0, &ru) < 0) {
		fprintf(stderr, "timeit: wait4: %s\n", strerror(errno));
		return 1;
	}
	t1 = now_ms();
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("%.3f %ld %d\n", t1 - t0, ru.ru_maxrss, status);
	return status;
}
