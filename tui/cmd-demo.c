/* tui/cmd-demo.c: `embargo demo`: builds a demo sandbox with mkdemo and opens the TUI on it. */
#include "build-config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "core/clock.h"
#include "core/error.h"
#include "tui/cmd.h"
#include "tui/tui.h"

#ifndef EMBARGO_DATADIR
#define EMBARGO_DATADIR "/usr/local/share/embargo"
#endif

/* How many "-2", "-3"... suffixes to try when the default name is taken. */
#define DEMO_NAME_TRIES 100

/*
 * Where mkdemo is: $EMBARGO_DATADIR when set (tests run from the source
 * tree), else the installed data directory.
 */
static const char *
demo_datadir(void)
{
	const char *d = getenv("EMBARGO_DATADIR");

	return d != NULL && *d != '\0' ? d : EMBARGO_DATADIR;
}

/* The running program, which mkdemo runs to set the cases' fields (g_free). */
static char *
demo_self(struct error *err)
{
	GError *gerr = NULL;
	char *self = g_file_read_link("/proc/self/exe", &gerr);

	if (self == NULL) {
		error_set(err, "demo: cannot find the running program in "
		    "/proc/self/exe: %s", gerr->message);
		g_error_free(gerr);
	}
	return self;
}

/* A missing DIR, or an empty directory, is fine; anything else is refused. */
static int
demo_check_dir(const char *dir, struct error *err)
{
	struct stat sb;
	GError *gerr = NULL;
	GDir *d;
	bool empty;

	if (stat(dir, &sb) != 0) {
		if (errno == ENOENT)
			return 0;
		return error_set(err, "demo: %s: %s", dir, strerror(errno));
	}
	if (!S_ISDIR(sb.st_mode))
		return error_set(err, "demo: %s: exists and is not a directory; "
		    "give a new or empty directory", dir);
	if ((d = g_dir_open(dir, 0, &gerr)) == NULL) {
		error_set(err, "demo: %s: %s", dir, gerr->message);
		g_error_free(gerr);
		return -1;
	}
	empty = g_dir_read_name(d) == NULL;
	g_dir_close(d);
	if (!empty)
		return error_set(err, "demo: %s: exists and is not empty; "
		    "give a new or empty directory", dir);
	return 0;
}

/*
 * A new directory under $XDG_DATA_HOME/embargo/demo named for NOW
 * (20261122-120000, then 20261122-120000-2...), created so that two demos
 * started in the same second cannot share it (g_free).
 */
static char *
demo_default_dir(time_t now, struct error *err)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char stamp[32];
	struct tm tm;
	char *base, *dir = NULL;

	if (xdg != NULL && g_path_is_absolute(xdg))
		base = g_build_filename(xdg, "embargo", "demo", NULL);
	else if (home != NULL && g_path_is_absolute(home))
		base = g_build_filename(home, ".local", "share", "embargo",
		    "demo", NULL);
	else {
		error_set(err, "demo: neither XDG_DATA_HOME nor HOME is an "
		    "absolute path; give the demo a directory: embargo demo DIR");
		return NULL;
	}
	if (g_mkdir_with_parents(base, 0700) != 0) {
		error_set(err, "demo: %s: cannot create: %s", base,
		    strerror(errno));
		g_free(base);
		return NULL;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	for (int i = 1; i <= DEMO_NAME_TRIES; i++) {
		dir = i == 1 ? g_strdup_printf("%s/%s", base, stamp)
			     : g_strdup_printf("%s/%s-%d", base, stamp, i);
		if (mkdir(dir, 0700) == 0)
			break;
		if (errno != EEXIST) {
			error_set(err, "demo: %s: cannot create: %s", dir,
			    strerror(errno));
			g_free(dir);
			dir = NULL;
			break;
		}
		g_free(dir);
		dir = NULL;
		if (i == DEMO_NAME_TRIES)
			error_set(err, "demo: %s/%s: taken %d times over; give "
			    "the demo a directory: embargo demo DIR", base, stamp,
			    DEMO_NAME_TRIES);
	}
	g_free(base);
	return dir;
}

/*
 * Runs `sh DATADIR/mkdemo SELF DIR NOW`, its output going straight to ours
 * (it prints what it made, or its log on failure).  DIR is passed as one
 * argument, never through a shell command line.
 */
static int
demo_build(const char *dir, time_t now, struct error *err)
{
	char *script = g_build_filename(demo_datadir(), "mkdemo", NULL);
	char *self, *nowstr;
	int status, ret = -1;
	pid_t pid;

	if (access(script, R_OK) != 0) {
		error_set(err, "demo: %s: %s (set EMBARGO_DATADIR to the "
		    "directory that holds mkdemo)", script, strerror(errno));
		g_free(script);
		return -1;
	}
	if ((self = demo_self(err)) == NULL) {
		g_free(script);
		return -1;
	}
	nowstr = g_strdup_printf("%lld", (long long)now);

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		error_set(err, "demo: cannot start %s: %s", script,
		    strerror(errno));
		goto out;
	}
	if (pid == 0) {
		char *const argv[] = {"sh", script, self, (char *)dir, nowstr,
			NULL};

		execv("/bin/sh", argv);
		fprintf(stderr, "embargo: demo: cannot run /bin/sh: %s\n",
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			error_set(err, "demo: waiting for %s: %s", script,
			    strerror(errno));
			goto out;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ret = 0;
	else if (WIFEXITED(status))
		error_set(err, "demo: building %s failed: %s exited with "
		    "status %d (its messages are above)", dir, script,
		    WEXITSTATUS(status));
	else
		error_set(err, "demo: building %s failed: %s was killed by "
		    "signal %d", dir, script,
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
out:
	g_free(nowstr);
	g_free(self);
	g_free(script);
	return ret;
}

/* Points this process (and so the TUI and gpg) at the sandbox, as DIR/env does. */
static void
demo_setenv(const char *dir)
{
	char *config = g_build_filename(dir, "config", NULL);
	char *nmconfig = g_build_filename(dir, "notmuch-config", NULL);
	char *gnupg = g_build_filename(dir, "gnupg", NULL);

	g_setenv("EMBARGO_CONFIG", config, TRUE);
	g_setenv("NOTMUCH_CONFIG", nmconfig, TRUE);
	g_setenv("GNUPGHOME", gnupg, TRUE);
	g_unsetenv("NOTMUCH_DATABASE");
	g_unsetenv("NOTMUCH_PROFILE");
	g_free(config);
	g_free(nmconfig);
	g_free(gnupg);
}

static int
cmd_demo_exec(const struct cmd_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"no-open", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	struct error err = {{0}};
	struct cmd_globals sandbox = *g;
	char *dir = NULL, *abs = NULL, *config = NULL;
	bool open_tui = true;
	gint64 started;
	time_t now;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'n')
			return cmd_option_error(&cmd_demo_entry, c, argv);
		open_tui = false;
	}
	if (argc - optind > 1)
		return cmd_usage_error(&cmd_demo_entry,
		    "one directory at most (%d given)", argc - optind);
	/* The demo brings its own config; another would be silently unused. */
	if (g->config_path != NULL)
		return cmd_usage_error(&cmd_demo_entry,
		    "--config does not apply: the demo writes its own config "
		    "(DIR/config)");
	if (clock_now(&now, &err) != 0)
		return cmd_fail(&err);

	if (argc - optind == 1) {
		if (*argv[optind] == '\0')
			return cmd_usage_error(&cmd_demo_entry,
			    "the directory name is empty");
		if (demo_check_dir(argv[optind], &err) != 0)
			return cmd_fail(&err);
		dir = g_strdup(argv[optind]);
	} else if ((dir = demo_default_dir(now, &err)) == NULL)
		return cmd_fail(&err);

	started = g_get_monotonic_time();
	if (demo_build(dir, now, &err) != 0) {
		status = cmd_fail(&err);
		goto out;
	}
	if ((abs = realpath(dir, NULL)) == NULL) {
		error_set(&err, "demo: %s: %s", dir, strerror(errno));
		status = cmd_fail(&err);
		goto out;
	}
	printf("Built in %.1f s.\n",
	    (double)(g_get_monotonic_time() - started) / G_USEC_PER_SEC);

	if (open_tui && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))) {
		fprintf(stderr, "embargo: demo: not opening the interface: "
		    "standard input or output is not a terminal\n");
		open_tui = false;
	}
	if (!open_tui) {
		printf("open it with: . %s/env; embargo\n", abs);
		goto out;
	}
	fflush(stdout);
	demo_setenv(abs);
	config = g_build_filename(abs, "config", NULL);
	sandbox.config_path = config;
	status = tui_run(&sandbox);
	printf("open it again with: . %s/env; embargo\n", abs);
out:
	g_free(config);
	free(abs);
	g_free(dir);
	return status;
}

const struct cmd_entry cmd_demo_entry = {
	.name = "demo",
	.usage = "[--no-open] [DIR]",
	.summary = "build a demo sandbox in DIR (default: a new one under "
		   "$XDG_DATA_HOME/embargo/demo) and open it",
	.exec = cmd_demo_exec,
};
