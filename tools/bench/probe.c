/* tools/bench/probe.c: times single core operations (refresh, thread load) through core/app.h for `make bench`. */
#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/app.h"

/*
 * The benchmark's finer probes.  `embargo list` times a whole process
 * (open, refresh, sort, print); these time one core call inside a process
 * that is already open, as the TUI would make it:
 *
 *   probe refresh N          N refreshes with no change (the live poll)
 *   probe refresh-after CMD  one refresh after CMD (new mail + notmuch new)
 *   probe thread CASE N      N loads of CASE's thread (read, decrypt, verify)
 *   probe cases N            N app_cases (the queue from the store)
 *
 * Prints one duration in milliseconds a line, then "rss KB" (peak).
 */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
fail(const char *what, const struct error *err)
{
	fprintf(stderr, "probe: %s: %s\n", what, err->msg);
	return 1;
}

static int
parse_n(const char *s, int *n)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 100000) {
		fprintf(stderr, "probe: \"%s\": expected a count from 1 to 100000\n",
		    s);
		return -1;
	}
	*n = (int)v;
	return 0;
}

static int
probe_refresh(struct app *app, int n)
{
	struct error err = {{0}};

	for (int i = 0; i < n; i++) {
		double t0 = now_ms();

		if (app_refresh(app, &err) != 0)
			return fail("refresh", &err);
		printf("%.3f\n", now_ms() - t0);
	}
	return 0;
}

static int
probe_refresh_after(struct app *app, const char *cmd)
{
	struct error err = {{0}};
	double t0;
	int rc;

	fflush(stdout);
	rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "probe: \"%s\" failed (status %d)\n", cmd, rc);
		return 1;
	}
	t0 = now_ms();
	if (app_refresh(app, &err) != 0)
		return fail("refresh", &err);
	printf("%.3f\n", now_ms() - t0);
	return 0;
}

static int
probe_thread(struct app *app, const char *key, int n)
{
	struct error err = {{0}};
	struct case_view *cv;

	if (app_case(app, key, &cv, &err) != 0)
		return fail(key, &err);
	/* gpgme's context is made once per session, not per thread opened. */
	if (app_open_crypto(app, &err) != 0) {
		case_view_free(cv);
		return fail("crypto", &err);
	}
	for (int i = 0; i < n; i++) {
		GPtrArray *msgs;
		double t0 = now_ms();

		if (app_thread(app, cv, &msgs, &err) != 0) {
			case_view_free(cv);
			return fail(key, &err);
		}
		printf("%.3f\n", now_ms() - t0);
		if (i == 0) {
			guint bad = 0;

			for (guint k = 0; k < msgs->len; k++) {
				const struct thread_message *tm =
				    msgs->pdata[k];

				if (tm->mv == NULL)
					bad++;
			}
			fprintf(stderr, "probe: %s: %u messages, %u unreadable\n",
			    key, msgs->len, bad);
		}
		g_ptr_array_unref(msgs);
	}
	case_view_free(cv);
	return 0;
}

static int
probe_cases(struct app *app, int n)
{
	struct error err = {{0}};

	for (int i = 0; i < n; i++) {
		GPtrArray *cases;
		double t0 = now_ms();

		if (app_cases(app, false, &cases, &err) != 0)
			return fail("cases", &err);
		printf("%.3f\n", now_ms() - t0);
		g_ptr_array_unref(cases);
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: probe refresh N | refresh-after CMD | thread CASE N | cases N\n"
	    "Opens embargo's session ($EMBARGO_CONFIG), refreshes once untimed,\n"
	    "then prints the milliseconds of each timed call and \"rss KB\".\n");
}

int
main(int argc, char **argv)
{
	struct error err = {{0}};
	struct rusage ru;
	struct app *app;
	int n = 0, rc;

	if (argc < 3 || (strcmp(argv[1], "thread") == 0 && argc != 4) ||
	    (strcmp(argv[1], "thread") != 0 && argc != 3)) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "refresh") == 0 || strcmp(argv[1], "cases") == 0) {
		if (parse_n(argv[2], &n) != 0)
			return 2;
	} else if (strcmp(argv[1], "thread") == 0) {
		if (parse_n(argv[3], &n) != 0)
			return 2;
	} else if (strcmp(argv[1], "refresh-after") != 0) {
		usage();
		return 2;
	}

	if (app_open(NULL, &app, &err) != 0)
		return fail("open", &err);
	if (app_refresh(app, &err) != 0) {
		app_close(app);
		return fail("first refresh", &err);
	}
	if (strcmp(argv[1], "refresh") == 0)
		rc = probe_refresh(app, n);
	else if (strcmp(argv[1], "refresh-after") == 0)
		rc = probe_refresh_after(app, argv[2]);
	else if (strcmp(argv[1], "thread") == 0)
		rc = probe_thread(app, argv[2], n);
	else
		rc = probe_cases(app, n);
	app_close(app);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("rss %ld\n", ru.ru_maxrss);
	return rc;
}
