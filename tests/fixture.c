/* tests/fixture.c: the shared test sandbox (tests/fixture/README.md) in C. */
#include "build-config.h"

#include <errno.h>
#include <ftw.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/fixture.h"

/* Where mksandbox is: make check exports top_srcdir; else beside this file. */
static char *
fixture_script(void)
{
	const char *top = getenv("top_srcdir");
	char *dir, *path;

	if (top != NULL && *top != '\0')
		return g_build_filename(top, "tests", "fixture", "mksandbox",
		                        NULL);
#ifdef FIXTURE_SRCDIR
	return g_build_filename(FIXTURE_SRCDIR, "tests", "fixture", "mksandbox",
	                        NULL);
#else
	dir = g_path_get_dirname(__FILE__);
	path = g_build_filename(dir, "fixture", "mksandbox", NULL);
	g_free(dir);
	return path;
#endif
}

/* Turns a wait status into an exit status, 128 + N for signal N. */
static int
fixture_exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

/*
 * Sets the variables DIR/env exports.  mksandbox writes each as
 * NAME='value'; export NAME, so reading that file keeps C and shell alike.
 */
static int
fixture_load_env(const struct fixture *fx)
{
	char *text, **lines, **l;
	int n = 0, rc = 0;

	if ((text = fixture_read_file(fx->env_file, NULL)) == NULL)
		return -1;
	lines = g_strsplit(text, "\n", -1);
	for (l = lines; *l != NULL && rc == 0; l++) {
		char *eq, *val, *end;

		if (**l == '\0' || **l == '#')
			continue;
		eq = strstr(*l, "='");
		end = strstr(*l, "'; export ");
		if (eq == NULL || end == NULL || end < eq + 2) {
			fprintf(stderr,
			        "fixture: %s: cannot parse line \"%s\": "
			        "expected NAME='value'; export NAME\n",
			        fx->env_file, *l);
			rc = -1;
			break;
		}
		*eq = '\0';
		val = eq + 2;
		*end = '\0';
		if (setenv(*l, val, 1) != 0) {
			fprintf(stderr, "fixture: setenv %s: %s\n", *l,
			        strerror(errno));
			rc = -1;
		}
		n++;
	}
	g_strfreev(lines);
	g_free(text);
	if (rc == 0 && n < 10) {
		fprintf(stderr,
		        "fixture: %s: only %d variables; expected HOME, XDG_*, "
		        "GNUPGHOME, NOTMUCH_CONFIG, EMBARGO_CONFIG, EMAIL\n",
		        fx->env_file, n);
		return -1;
	}
	return rc;
}

struct fixture *
fixture_new(void)
{
	char tmpl[] = "/tmp/emb.XXXXXX";
	struct fixture *fx;
	char *script, *err = NULL;
	const char *argv[3];
	GError *gerr = NULL;
	int wstatus;

	if (mkdtemp(tmpl) == NULL) {
		fprintf(stderr, "fixture: mkdtemp %s: %s\n", tmpl,
		        strerror(errno));
		return NULL;
	}
	fx = g_new0(struct fixture, 1);
	fx->dir = g_strdup(tmpl);
	fx->env_file = fixture_path(fx, "env");
	fx->config = fixture_path(fx, "config");
	fx->maildir = fixture_path(fx, "mail");
	fx->gnupghome = fixture_path(fx, "gnupg");
	fx->gnupghome_reporters = fixture_path(fx, "gnupg-reporters");
	fx->notmuch_config = fixture_path(fx, "notmuch-config");
	fx->store = fixture_path(fx, "cases.db");
	fx->outbox = fixture_path(fx, "outbox");
	fx->bin_sendmail = fixture_path(fx, "bin/sendmail");

	script = fixture_script();
	argv[0] = script;
	argv[1] = fx->dir;
	argv[2] = NULL;
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
	                  NULL, NULL, NULL, &err, &wstatus, &gerr)) {
		fprintf(stderr, "fixture: cannot run %s: %s\n", script,
		        gerr->message);
		g_error_free(gerr);
		goto fail;
	}
	if (fixture_exit_status(wstatus) != 0) {
		fprintf(stderr, "fixture: %s %s exited with status %d:\n%s",
		        script, fx->dir, fixture_exit_status(wstatus), err);
		goto fail;
	}
	if (fixture_load_env(fx) != 0)
		goto fail;
	if (setenv("EMBARGO_NOW", FIXTURE_NOW, 1) != 0 ||
	    unsetenv("NOTMUCH_DATABASE") != 0 ||
	    unsetenv("NOTMUCH_PROFILE") != 0) {
		fprintf(stderr, "fixture: setting the environment: %s\n",
		        strerror(errno));
		goto fail;
	}
	g_free(err);
	g_free(script);
	return fx;

fail:
	g_free(err);
	g_free(script);
	fixture_free(fx);
	return NULL;
}

/* Stops the gpg-agent (and any other GnuPG daemon) of HOME. */
static void
fixture_kill_agents(const char *home)
{
	const char *argv[] = {"gpgconf", "--kill", "all", NULL};
	char **envp;
	GError *gerr = NULL;
	int wstatus;

	envp = g_environ_setenv(g_get_environ(), "GNUPGHOME", home, TRUE);
	if (!g_spawn_sync(NULL, (char **)argv, envp,
	                  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
	                      G_SPAWN_STDERR_TO_DEV_NULL,
	                  NULL, NULL, NULL, NULL, &wstatus, &gerr)) {
		fprintf(stderr, "fixture: gpgconf --kill all: %s\n",
		        gerr->message);
		g_error_free(gerr);
	}
	g_strfreev(envp);
}

static int
fixture_rm_one(const char *path, const struct stat *st, int flag,
               struct FTW *ftw)
{
	if (remove(path) != 0 && errno != ENOENT)
		fprintf(stderr, "fixture: cannot remove %s: %s\n", path,
		        strerror(errno));
	return 0;
}

void
fixture_free(struct fixture *fx)
{
	if (fx == NULL)
		return;
	if (fx->dir != NULL) {
		fixture_kill_agents(fx->gnupghome);
		fixture_kill_agents(fx->gnupghome_reporters);
		nftw(fx->dir, fixture_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	g_free(fx->dir);
	g_free(fx->env_file);
	g_free(fx->config);
	g_free(fx->maildir);
	g_free(fx->gnupghome);
	g_free(fx->gnupghome_reporters);
	g_free(fx->notmuch_config);
	g_free(fx->store);
	g_free(fx->outbox);
	g_free(fx->bin_sendmail);
	g_free(fx);
}

char *
fixture_path(const struct fixture *fx, const char *rel)
{
	return g_build_filename(fx->dir, rel, NULL);
}

char *
fixture_fpr(const struct fixture *fx, const char *name)
{
	char *rel, *path, *fpr;
	size_t len, i;

	if (strchr(name, '/') != NULL || *name == '.' || *name == '\0')
		return NULL;
	rel = g_strconcat("fpr/", name, NULL);
	path = fixture_path(fx, rel);
	fpr = fixture_read_file(path, &len);
	g_free(path);
	g_free(rel);
	if (fpr == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (!g_ascii_isxdigit(fpr[i]) || g_ascii_islower(fpr[i]))
			break;
	}
	if (len != 40 || i != len) {
		fprintf(stderr,
		        "fixture: fingerprint of %s is \"%s\": expected 40 "
		        "upper-case hex digits\n",
		        name, fpr);
		g_free(fpr);
		return NULL;
	}
	return fpr;
}

/* A maildir folder or file name must stay inside DIR/mail. */
static int
fixture_name_ok(const char *what, const char *name, int slashes)
{
	char **parts, **p;
	int ok = *name != '\0' && *name != '/';

	if (!slashes && strchr(name, '/') != NULL)
		ok = 0;
	parts = g_strsplit(name, "/", -1);
	for (p = parts; ok && *p != NULL; p++) {
		if (**p == '\0' || strcmp(*p, ".") == 0 ||
		    strcmp(*p, "..") == 0)
			ok = 0;
	}
	g_strfreev(parts);
	if (!ok)
		fprintf(stderr,
		        "fixture: %s \"%s\": expected a relative name without "
		        "empty, \".\" or \"..\" parts%s\n",
		        what, name, slashes ? "" : " or slashes");
	return ok;
}

int
fixture_add_message(struct fixture *fx, const char *folder, const char *name,
                    const char *text)
{
	static const char *const subdirs[] = {"cur", "new", "tmp"};
	char *base, *tmp = NULL, *dst = NULL;
	GError *gerr = NULL;
	size_t i;
	int rc = -1;

	if (!fixture_name_ok("folder", folder, 1) ||
	    !fixture_name_ok("message name", name, 0))
		return -1;
	base = g_build_filename(fx->maildir, folder, NULL);
	for (i = 0; i < G_N_ELEMENTS(subdirs); i++) {
		char *sub = g_build_filename(base, subdirs[i], NULL);

		if (g_mkdir_with_parents(sub, 0700) != 0) {
			fprintf(stderr, "fixture: cannot create %s: %s\n", sub,
			        strerror(errno));
			g_free(sub);
			goto out;
		}
		g_free(sub);
	}
	/* Write in tmp/ and rename into new/, as a delivery agent does. */
	tmp = g_build_filename(base, "tmp", name, NULL);
	dst = g_build_filename(base, "new", name, NULL);
	if (!g_file_set_contents(tmp, text, -1, &gerr)) {
		fprintf(stderr, "fixture: %s\n", gerr->message);
		g_error_free(gerr);
		goto out;
	}
	if (rename(tmp, dst) != 0) {
		fprintf(stderr, "fixture: cannot rename %s to %s: %s\n", tmp,
		        dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	g_free(dst);
	g_free(tmp);
	g_free(base);
	return rc;
}

int
fixture_notmuch(struct fixture *fx, const char *args)
{
	const char *argv[] = {"/bin/sh", "-c", NULL, NULL};
	char *quoted, *cmd, *err = NULL;
	GError *gerr = NULL;
	int wstatus, status;

	quoted = g_shell_quote(fx->notmuch_config);
	cmd = g_strdup_printf("notmuch --config=%s %s", quoted, args);
	argv[2] = cmd;
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
	                  NULL, NULL, NULL, &err, &wstatus, &gerr)) {
		fprintf(stderr, "fixture: cannot run %s: %s\n", cmd,
		        gerr->message);
		g_error_free(gerr);
		status = -1;
	} else if (WIFEXITED(wstatus)) {
		status = WEXITSTATUS(wstatus);
		if (status != 0)
			fprintf(stderr,
			        "fixture: %s exited with status %d:\n%s", cmd,
			        status, err);
	} else {
		fprintf(stderr, "fixture: %s was killed (wait status %d)\n",
		        cmd, wstatus);
		status = -1;
	}
	g_free(err);
	g_free(cmd);
	g_free(quoted);
	return status;
}

int
fixture_run(const char *cmdline, char **out, int *status)
{
	const char *argv[] = {"/bin/sh", "-c", cmdline, NULL};
	char *buf = NULL;
	GError *gerr = NULL;
	int wstatus;

	if (!g_spawn_sync(
	        NULL, (char **)argv, NULL,
	        out == NULL ? G_SPAWN_STDOUT_TO_DEV_NULL : G_SPAWN_DEFAULT,
	        NULL, NULL, out == NULL ? NULL : &buf, NULL, &wstatus, &gerr)) {
		fprintf(stderr, "fixture: cannot run %s: %s\n", cmdline,
		        gerr->message);
		g_error_free(gerr);
		return -1;
	}
	if (out != NULL)
		*out = buf;
	if (status != NULL)
		*status = fixture_exit_status(wstatus);
	return 0;
}

char *
fixture_read_file(const char *path, size_t *len)
{
	GError *gerr = NULL;
	char *text;
	gsize n;

	if (!g_file_get_contents(path, &text, &n, &gerr)) {
		fprintf(stderr, "fixture: %s\n", gerr->message);
		g_error_free(gerr);
		return NULL;
	}
	if (len != NULL)
		*len = n;
	return text;
}
