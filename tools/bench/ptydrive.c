/* tools/bench/ptydrive.c: runs a full-screen program on a pty, times its screen updates and counts their bytes. */
#include "build-config.h"

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: ptydrive [-s COLSxROWS] [-q QUIET_MS] [-t TIMEOUT_MS] [-o LOG] [-d DIR]
 *                 -- CMD [ARG...]
 *
 * Reads a script on stdin, one step a line:
 *
 *   expect LABEL TEXT           wait until TEXT has appeared in the output
 *                               since the last mark (the start of CMD for
 *                               the first step), then until it is quiet
 *   key LABEL KEYS              mark, type KEYS, wait for output, then quiet
 *   keyexpect LABEL TEXT KEYS   mark, type KEYS, wait for TEXT, then quiet
 *   type KEYS                   type KEYS and let the output settle (untimed)
 *
 * KEYS and TEXT take C escapes (\r \n \e \t \\ \xHH) and no blanks.  Each
 * timed step prints "LABEL MS BYTES": milliseconds from the mark to the
 * last byte of the update, and the bytes written to the terminal between
 * the mark and that byte.  A step that times out prints "LABEL timeout
 * BYTES" and the script stops (exit 1).  At the end the program gets
 * SIGTERM, and "rss KB" reports its peak resident set (from wait4).
 * -o LOG keeps every byte the program wrote, for looking at later; -d DIR
 * writes the bytes of each timed step to DIR/LABEL.out.
 */

struct drive {
	int fd;
	pid_t pid;
	int quiet_ms, timeout_ms;
	char *buf;   /* output since the last mark */
	size_t len, cap;
	double mark; /* when the last mark was set */
	double last; /* when the last byte arrived */
	bool eof;
	FILE *log;
	const char *dump; /* directory for each step's bytes, or NULL */
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
die(const char *what)
{
	fprintf(stderr, "ptydrive: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Reads what is there, waiting up to MS; false on timeout or end of output. */
static bool
drive_read(struct drive *d, int ms)
{
	struct pollfd p = { .fd = d->fd, .events = POLLIN };
	char tmp[65536];
	ssize_t n;
	int r;

	if (d->eof)
		return false;
	r = poll(&p, 1, ms < 0 ? 0 : ms);
	if (r < 0 && errno == EINTR)
		return false;
	if (r < 0)
		die("poll");
	if (r == 0)
		return false;
	n = read(d->fd, tmp, sizeof tmp);
	if (n <= 0) {
		/* EIO: the program exited and closed the terminal. */
		d->eof = true;
		return false;
	}
	d->last = now_ms();
	if (d->log != NULL)
		fwrite(tmp, 1, (size_t)n, d->log);
	if (d->len + (size_t)n + 1 > d->cap) {
		while (d->len + (size_t)n + 1 > d->cap)
			d->cap = d->cap ? 2 * d->cap : 1 << 16;
		d->buf = realloc(d->buf, d->cap);
		if (d->buf == NULL)
			die("realloc");
	}
	memcpy(d->buf + d->len, tmp, (size_t)n);
	d->len += (size_t)n;
	d->buf[d->len] = '\0';
	return true;
}

static void
drive_mark(struct drive *d)
{
	d->len = 0;
	if (d->buf)
		d->buf[0] = '\0';
	d->mark = now_ms();
	d->last = d->mark;
}

/* Whether TEXT occurs in the output since the mark (binary safe). */
static bool
drive_seen(const struct drive *d, const char *text, size_t tlen)
{
	if (tlen == 0)
		return d->len > 0;
	return d->len >= tlen && memmem(d->buf, d->len, text, tlen) != NULL;
}

/*
 * Waits for TEXT (or any output when TLEN is 0), then for QUIET_MS of
 * silence.  Bytes counted are those up to the last byte before the silence.
 */
static bool
drive_wait(struct drive *d, const char *text, size_t tlen)
{
	double deadline = d->mark + d->timeout_ms;

	while (!drive_seen(d, text, tlen)) {
		int left = (int)(deadline - now_ms());

		if (left <= 0 || d->eof)
			return false;
		drive_read(d, left);
	}
	while (drive_read(d, d->quiet_ms))
		;
	return true;
}

static void
drive_type(struct drive *d, const char *keys, size_t n)
{
	while (n > 0) {
		ssize_t w = write(d->fd, keys, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			die("write");
		keys += w;
		n -= (size_t)w;
	}
}

/* Decodes C escapes in place; returns the new length. */
static size_t
unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p != '\\' || p[1] == '\0') {
			*o++ = *p;
			continue;
		}
		switch (*++p) {
		case 'r':
			*o++ = '\r';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'e':
			*o++ = '\033';
			break;
		case 's':
			*o++ = ' ';
			break;
		case 'x': {
			char hex[3] = { 0 };
			int k = 0;

			while (k < 2 && strchr("0123456789abcdefABCDEF", p[1]) &&
			    p[1] != '\0')
				hex[k++] = *++p;
			*o++ = (char)strtol(hex, NULL, 16);
			break;
		}
		default:
			*o++ = *p;
		}
	}
	*o = '\0';
	return (size_t)(o - s);
}

static void
report(const struct drive *d, const char *label, bool ok)
{
	if (d->dump != NULL) {
		char path[4096];
		FILE *fp;

		snprintf(path, sizeof path, "%s/%s.out", d->dump, label);
		if ((fp = fopen(path, "w")) == NULL)
			die(path);
		fwrite(d->buf ? d->buf : "", 1, d->len, fp);
		fclose(fp);
	}
	if (ok)
		printf("%s %.3f %zu\n", label, d->last - d->mark, d->len);
	else
		printf("%s timeout %zu\n", label, d->len);
	fflush(stdout);
}

/* Runs one script line; false stops the script. */
static bool
step(struct drive *d, char *line)
{
	char *cmd = strtok(line, " \t\n"), *a1, *a2, *a3;
	size_t n1, n2;
	bool ok;

	if (cmd == NULL || *cmd == '#')
		return true;
	a1 = strtok(NULL, " \t\n");
	a2 = strtok(NULL, " \t\n");
	a3 = strtok(NULL, " \t\n");
	if (strcmp(cmd, "expect") == 0 && a2) {
		n2 = unescape(a2);
		ok = drive_wait(d, a2, n2);
		report(d, a1, ok);
		return ok;
	} else if (strcmp(cmd, "key") == 0 && a2) {
		n2 = unescape(a2);
		drive_mark(d);
		drive_type(d, a2, n2);
		ok = drive_wait(d, "", 0);
		report(d, a1, ok);
		return ok;
	} else if (strcmp(cmd, "keyexpect") == 0 && a3) {
		n2 = unescape(a2);
		n1 = unescape(a3);
		drive_mark(d);
		drive_type(d, a3, n1);
		ok = drive_wait(d, a2, n2);
		report(d, a1, ok);
		return ok;
	} else if (strcmp(cmd, "type") == 0 && a1) {
		n1 = unescape(a1);
		drive_type(d, a1, n1);
		drive_mark(d);
		while (drive_read(d, d->quiet_ms))
			;
		return true;
	}
	fprintf(stderr, "ptydrive: bad script line \"%s\": expected expect, "
	    "key, keyexpect or type with their arguments\n", cmd);
	return false;
}

static void
usage(void)
{
	fprintf(stderr, "usage: ptydrive [-s COLSxROWS] [-q QUIET_MS] "
	    "[-t TIMEOUT_MS] [-o LOG] [-d DIR] -- CMD [ARG...] <script\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct winsize ws = { .ws_col = 80, .ws_row = 24 };
	struct drive d = { .quiet_ms = 150, .timeout_ms = 60000 };
	struct rusage ru;
	char line[4096];
	bool ok = true;
	int c, status;

	while ((c = getopt(argc, argv, "s:q:t:o:d:")) != -1) {
		switch (c) {
		case 's':
			if (sscanf(optarg, "%hux%hu", &ws.ws_col, &ws.ws_row) != 2)
				usage();
			break;
		case 'q':
			d.quiet_ms = atoi(optarg);
			break;
		case 't':
			d.timeout_ms = atoi(optarg);
			break;
		case 'd':
			d.dump = optarg;
			break;
		case 'o':
			if ((d.log = fopen(optarg, "we")) == NULL)
				die(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();

	drive_mark(&d);
	d.pid = forkpty(&d.fd, NULL, NULL, &ws);
	if (d.pid < 0)
		die("forkpty");
	if (d.pid == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "ptydrive: %s: %s\n", argv[optind],
		    strerror(errno));
		_exit(127);
	}

	while (ok && fgets(line, sizeof line, stdin) != NULL)
		ok = step(&d, line);

	/*
	 * SIGTERM, draining so the program is not blocked writing while it
	 * exits; SIGKILL after two seconds (neomutt's handler can deadlock).
	 */
	kill(d.pid, SIGTERM);
	for (int waited = 0;; waited += 50) {
		pid_t r;

		while (!d.eof && drive_read(&d, 50))
			;
		if (d.eof)
			usleep(50 * 1000);
		r = wait4(d.pid, &status, WNOHANG, &ru);
		if (r < 0)
			die("wait4");
		if (r == d.pid)
			break;
		if (waited == 2000)
			kill(d.pid, SIGKILL);
	}
	printf("rss %ld\n", ru.ru_maxrss);
	if (d.log != NULL)
		fclose(d.log);
	free(d.buf);
	return ok ? 0 : 1;
}
