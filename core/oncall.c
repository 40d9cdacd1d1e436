/* core/oncall.c: who is on call (the rota file) and the notifications `embargo due --notify` sends. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <sqlite3.h>

#include "core/clock.h"
#include "core/oncall.h"
#include "core/sanitize.h"
#include "core/store-private.h"

/* Quoted values in messages are cut to this many characters. */
#define QUOTE_MAX 60
/* The subject given to the notify command: a hostile one must not make execve fail (E2BIG). */
#define SUBJECT_MAX 300

#define ROTA_EXPECTED "expected YYYY-MM-DD HANDLER, like \"2026-12-01 alice@example.org\""

/* S made safe and short for an error message, in double quotes. (g_free) */
static char *
quote(const char *s, long len)
{
	char *safe = sanitize_text(s, len, SAN_LINE), *q;

	if (g_utf8_strlen(safe, -1) > QUOTE_MAX) {
		char *cut = g_utf8_substring(safe, 0, QUOTE_MAX);

		q = g_strdup_printf("\"%s...\"", cut);
		g_free(cut);
	} else
		q = g_strdup_printf("\"%s\"", safe);
	g_free(safe);
	return q;
}

void
oncall_rota_free(struct rota *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		g_free(r->entries[i].handler);
	g_free(r->entries);
	g_free(r->path);
	g_free(r);
}

char *
oncall_rota_path(const struct config *cfg)
{
	const char *rota = cfg->rota, *home;
	char *dir, *path;

	if (rota == NULL || *rota == '\0')
		return NULL;
	if (rota[0] == '~' && (rota[1] == '/' || rota[1] == '\0')) {
		home = getenv("HOME");
		if (home == NULL || *home == '\0')
			home = g_get_home_dir();
		return g_strconcat(home, rota + 1, NULL);
	}
	if (g_path_is_absolute(rota) || cfg->path == NULL)
		return g_strdup(rota);
	/* Like a path in a Makefile: the rota usually sits beside the config. */
	dir = g_path_get_dirname(cfg->path);
	path = g_build_filename(dir, rota, NULL);
	g_free(dir);
	return path;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Strictly YYYY-MM-DD of a real day; fills Y, M, D. */
static bool
date_shape(const char *s, size_t len, int *y, int *m, int *d)
{
	static const char shape[] = "dddd-dd-dd";

	if (len != sizeof shape - 1)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (shape[i] == 'd' ? !g_ascii_isdigit(s[i]) : s[i] != shape[i])
			return false;
	}
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	return true;
}

/* Parses one non-comment line (LINE, LEN bytes, no newline) into E. */
static int
rota_line(const struct config *cfg, const char *path, int lineno,
    const char *line, size_t len, struct rota_entry *e, struct error *err)
{
	const char *p = line, *end = line + len, *date, *who;
	size_t date_len, who_len;
	char date_buf[16], *q, *handler;
	int y, m, d;
	struct error why;
	time_t t;

	while (p < end && is_blank(*p))
		p++;
	date = p;
	while (p < end && !is_blank(*p))
		p++;
	date_len = (size_t)(p - date);
	while (p < end && is_blank(*p))
		p++;
	who = p;
	while (p < end && !is_blank(*p))
		p++;
	who_len = (size_t)(p - who);
	while (p < end && is_blank(*p))
		p++;

	if (!date_shape(date, date_len, &y, &m, &d)) {
		q = quote(date, (long)date_len);
		error_set(err, "%s:%d: %s is not a date: " ROTA_EXPECTED, path,
		    lineno, q);
		g_free(q);
		return -1;
	}
	if (!g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y) ||
	    y < 1970) {
		return error_set(err, "%s:%d: %.*s is not a day of the calendar: "
		    "expected a real date YYYY-MM-DD (1970 or later)", path,
		    lineno, (int)date_len, date);
	}
	if (who_len == 0 || who[0] == '#') {
		return error_set(err, "%s:%d: %.*s: no handler: " ROTA_EXPECTED,
		    path, lineno, (int)date_len, date);
	}
	if (p < end && *p != '#') {
		q = quote(p, (long)(end - p));
		error_set(err, "%s:%d: unexpected %s after the handler: "
		    ROTA_EXPECTED " (then only a # comment)", path, lineno, q);
		g_free(q);
		return -1;
	}
	handler = g_ascii_strdown(who, (gssize)who_len);
	if (strlen(handler) != who_len || !config_is_handler(cfg, handler)) {
		char *list = g_strjoinv(", ", cfg->handlers);

		q = quote(who, (long)who_len);
		if (cfg->n_handlers == 0)
			error_set(err, "%s:%d: %s is not a handler: expected one "
			    "of [mail] handlers, and none is configured", path,
			    lineno, q);
		else
			error_set(err, "%s:%d: %s is not a handler: expected one "
			    "of [mail] handlers (%s)", path, lineno, q, list);
		g_free(q);
		g_free(list);
		g_free(handler);
		return -1;
	}
	snprintf(date_buf, sizeof date_buf, "%.*s", (int)date_len, date);
	if (clock_parse_user_time(date_buf, 0, cfg->timezone, &t, &why) != 0) {
		g_free(handler);
		return error_set(err, "%s:%d: %s", path, lineno, why.msg);
	}
	e->from = t;
	e->handler = handler;
	e->line = lineno;
	return 0;
}

int
oncall_rota_parse(const struct config *cfg, const char *path,
    const char *text, size_t len, struct rota **out, struct error *err)
{
	GArray *entries = g_array_new(FALSE, TRUE, sizeof(struct rota_entry));
	const char *p = text, *end = text + len;
	struct rota *r;
	int lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end, *s = p;
		struct rota_entry e;

		lineno++;
		if (memchr(p, '\0', (size_t)(eol - p)) != NULL) {
			error_set(err, "%s:%d: a NUL byte: expected a text file of "
			    "YYYY-MM-DD HANDLER lines", path, lineno);
			goto fail;
		}
		while (s < eol && is_blank(*s))
			s++;
		if (s < eol && *s != '#') {
			if (rota_line(cfg, path, lineno, p, (size_t)(eol - p), &e,
			    err) != 0)
				goto fail;
			if (entries->len > 0) {
				const struct rota_entry *prev = &g_array_index(entries,
				    struct rota_entry, entries->len - 1);

				if (e.from <= prev->from) {
					char a[CLOCK_ISO_LEN], b[CLOCK_ISO_LEN];

					error_set(err, "%s:%d: %s is not after %s "
					    "(line %d): expected the dates in "
					    "increasing order, one line per change",
					    path, lineno, clock_format_iso8601(e.from, a),
					    clock_format_iso8601(prev->from, b),
					    prev->line);
					g_free(e.handler);
					goto fail;
				}
			}
			g_array_append_val(entries, e);
		}
		p = nl != NULL ? nl + 1 : end;
	}
	r = g_new0(struct rota, 1);
	r->path = g_strdup(path);
	r->n = entries->len;
	r->entries = (struct rota_entry *)(void *)g_array_free(entries, FALSE);
	*out = r;
	return 0;
fail:
	for (guint i = 0; i < entries->len; i++)
		g_free(g_array_index(entries, struct rota_entry, i).handler);
	g_array_free(entries, TRUE);
	return -1;
}

/* Reads PATH whole, refusing what is not a regular file of sane size. */
static int
read_rota(const struct config *cfg, const char *path, GString **out,
    struct error *err)
{
	const char *conf = cfg->path != NULL ? cfg->path : "the configuration";
	char chunk[8192];
	struct stat sb;
	GString *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return error_set(err, "%s: cannot read the rota: %s ([oncall] rota "
		    "in %s)", path, strerror(errno), conf);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return error_set(err, "%s: not a regular file: expected the rota, "
		    "lines of YYYY-MM-DD HANDLER ([oncall] rota in %s)", path,
		    conf);
	}
	buf = g_string_new(NULL);
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, "%s: cannot read the rota: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (buf->len + (size_t)n > ONCALL_ROTA_MAX_SIZE) {
			error_set(err, "%s: larger than %d bytes: expected a rota "
			    "of YYYY-MM-DD HANDLER lines", path,
			    ONCALL_ROTA_MAX_SIZE);
			goto fail;
		}
		g_string_append_len(buf, chunk, n);
	}
	close(fd);
	*out = buf;
	return 0;
fail:
	close(fd);
	g_string_free(buf, TRUE);
	return -1;
}

int
oncall_rota_load(const struct config *cfg, struct rota **out,
    struct error *err)
{
	char *path = oncall_rota_path(cfg);
	GString *buf;
	int rv;

	if (path == NULL) {
		*out = NULL;
		return 0;
	}
	if (read_rota(cfg, path, &buf, err) != 0) {
		g_free(path);
		return -1;
	}
	rv = oncall_rota_parse(cfg, path, buf->str, buf->len, out, err);
	g_string_free(buf, TRUE);
	g_free(path);
	return rv;
}

const char *
oncall_rota_at(const struct rota *r, time_t t)
{
	size_t lo = 0, hi;

	if (r == NULL || r->n == 0 || t < r->entries[0].from)
		return NULL;
	/* The last entry whose date has come: entries[lo].from <= t < entries[hi].from. */
	hi = r->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->entries[mid].from <= t)
			lo = mid;
		else
			hi = mid;
	}
	return r->entries[lo].handler;
}

int
oncall_now(const struct config *cfg, time_t now, char **handler,
    struct error *err)
{
	struct rota *r;

	if (oncall_rota_load(cfg, &r, err) != 0)
		return -1;
	*handler = g_strdup(oncall_rota_at(r, now));
	oncall_rota_free(r);
	return 0;
}

/* --- bookkeeping ---------------------------------------------------------- */

static int
sql_fail(struct store *st, const char *what, struct error *err)
{
	return error_set(err, "%s: %s notifications: %s", store_path(st), what,
	    sqlite3_errmsg(store_sqlite(st)));
}

static int
bind_deadline(sqlite3_stmt *stmt, int64_t case_id, enum deadline_kind kind,
    time_t due, enum urgency urgency)
{
	if (sqlite3_bind_int64(stmt, 1, case_id) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 2, deadline_kind_name(kind), -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)due) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 4, urgency_name(urgency), -1,
	    SQLITE_STATIC) != SQLITE_OK)
		return -1;
	return 0;
}

int
oncall_notified(struct store *st, int64_t case_id, enum deadline_kind kind,
    time_t due, enum urgency urgency, bool *sent, struct error *err)
{
	static const char sql[] = "SELECT 1 FROM notifications WHERE case_id = ?1 "
	    "AND kind = ?2 AND due = ?3 AND urgency = ?4";
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (deadline_kind_name(kind) == NULL || urgency_name(urgency) == NULL)
		return error_set(err, "notifications: bad deadline kind %d or urgency %d",
		    (int)kind, (int)urgency);
	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &stmt, NULL) != SQLITE_OK ||
	    bind_deadline(stmt, case_id, kind, due, urgency) != 0) {
		sql_fail(st, "cannot read", err);
		sqlite3_finalize(stmt);
		return -1;
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sql_fail(st, "cannot read", err);
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	*sent = rc == SQLITE_ROW;
	return 0;
}

int
oncall_record(struct store *st, int64_t case_id, enum deadline_kind kind,
    time_t due, enum urgency urgency, time_t sent_at, bool *recorded,
    struct error *err)
{
	static const char sql[] = "INSERT OR IGNORE INTO notifications "
	    "(case_id, kind, due, urgency, sent_at) VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *stmt = NULL;
	bool added;

	if (deadline_kind_name(kind) == NULL || urgency_name(urgency) == NULL)
		return error_set(err, "notifications: bad deadline kind %d or urgency %d",
		    (int)kind, (int)urgency);
	if (store_begin(st, err) != 0)
		return -1;
	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &stmt, NULL) != SQLITE_OK ||
	    bind_deadline(stmt, case_id, kind, due, urgency) != 0 ||
	    sqlite3_bind_int64(stmt, 5, (sqlite3_int64)sent_at) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		sql_fail(st, "cannot record in", err);
		sqlite3_finalize(stmt);
		store_rollback(st);
		return -1;
	}
	added = sqlite3_changes(store_sqlite(st)) > 0;
	sqlite3_finalize(stmt);
	if (store_commit(st, err) != 0)
		return -1;
	if (recorded != NULL)
		*recorded = added;
	return 0;
}

/* --- notifying ------------------------------------------------------------ */

bool
oncall_wants_notice(const struct deadline *d)
{
	return d->met_at == 0 &&
	    (d->urgency == URG_SOON || d->urgency == URG_OVERDUE);
}

/* The case's subject, sanitised and cut to SUBJECT_MAX characters. (g_free) */
static char *
subject_of(const struct store_case *sc)
{
	char *s = sanitize_text(sc->has_facts ? sc->facts.subject : NULL, -1,
	    SAN_LINE), *cut;

	if (g_utf8_strlen(s, -1) <= SUBJECT_MAX)
		return s;
	cut = g_utf8_substring(s, 0, SUBJECT_MAX);
	g_free(s);
	s = g_strconcat(cut, "...", NULL);
	g_free(cut);
	return s;
}

char *
oncall_summary(const struct case_view *cv, const struct deadline *d,
    time_t now)
{
	const struct store_case *sc = cv->sc;
	const char *handler = store_case_field(sc, "handler");
	char due[CLOCK_ISO_LEN], left[CLOCK_LEFT_LEN];
	char *subject = subject_of(sc), *line, *safe;
	char *who = handler != NULL && *handler != '\0' ?
	    g_strdup_printf("handler %s", handler) : g_strdup("no handler");

	clock_format_iso8601(d->due, due);
	if (d->urgency == URG_OVERDUE)
		line = g_strdup_printf("case %lld (%s): %s overdue by %s (due %s), "
		    "%s, subject %s", (long long)sc->id, sc->ref,
		    deadline_kind_name(d->kind),
		    clock_format_left((int64_t)now - (int64_t)d->due, left), due,
		    who, *subject != '\0' ? subject : "(none)");
	else
		line = g_strdup_printf("case %lld (%s): %s due in %s (due %s), "
		    "%s, subject %s", (long long)sc->id, sc->ref,
		    deadline_kind_name(d->kind),
		    clock_format_left((int64_t)d->due - (int64_t)now, left), due,
		    who, *subject != '\0' ? subject : "(none)");
	safe = sanitize_text(line, -1, SAN_LINE);
	g_free(line);
	g_free(subject);
	g_free(who);
	return safe;
}

/* Writes all of BUF to FD, ignoring a reader that went away. */
static void
write_input(int fd, const char *buf, size_t len)
{
	struct sigaction ign = {0}, old;

	/* A command that does not read its input must not kill us with SIGPIPE. */
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf += n;
		len -= (size_t)n;
	}
	sigaction(SIGPIPE, &old, NULL);
}

int
oncall_run_command(const char *command, char **env, const char *input,
    struct error *err)
{
	char **envp = g_get_environ(), *argv[4], *q;
	int fds[2], status;
	pid_t pid;

	for (char **e = env; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		char *name;

		if (eq == NULL || eq == *e)
			continue;
		name = g_strndup(*e, (gsize)(eq - *e));
		envp = g_environ_setenv(envp, name, eq + 1, TRUE);
		g_free(name);
	}
	q = quote(command, -1);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		error_set(err, "[oncall] notify %s: cannot make a pipe: %s", q,
		    strerror(errno));
		goto fail;
	}
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)command;
	argv[3] = NULL;
	/* Our buffered output must not come after the command's. */
	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		error_set(err, "[oncall] notify %s: cannot start: %s", q,
		    strerror(errno));
		close(fds[0]);
		close(fds[1]);
		goto fail;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls here. */
		if (dup2(fds[0], STDIN_FILENO) == -1 ||
		    dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
			_exit(126);
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	close(fds[0]);
	write_input(fds[1], input != NULL ? input : "",
	    input != NULL ? strlen(input) : 0);
	write_input(fds[1], "\n", 1);
	close(fds[1]);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			error_set(err, "[oncall] notify %s: cannot wait for it: %s",
			    q, strerror(errno));
			goto fail;
		}
	}
	if (WIFSIGNALED(status)) {
		error_set(err, "[oncall] notify %s: killed by signal %d", q,
		    WTERMSIG(status));
		goto fail;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		error_set(err, "[oncall] notify %s: exited with status %d", q,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto fail;
	}
	g_free(q);
	g_strfreev(envp);
	return 0;
fail:
	g_free(q);
	g_strfreev(envp);
	return -1;
}

/* One deadline to consider, pointing into the caller's cases. */
struct notice {
	const struct case_view *cv;
	const struct deadline *d;
};

static int
notice_cmp(gconstpointer a, gconstpointer b)
{
	const struct notice *x = a, *y = b;

	if (x->d->due != y->d->due)
		return x->d->due < y->d->due ? -1 : 1;
	if (x->cv->sc->id != y->cv->sc->id)
		return x->cv->sc->id < y->cv->sc->id ? -1 : 1;
	return (int)x->d->kind - (int)y->d->kind;
}

/* The notify command's environment for one deadline. (g_strfreev) */
static char **
notice_env(const struct notice *n, const char *oncall, time_t now)
{
	const struct store_case *sc = n->cv->sc;
	char due[CLOCK_ISO_LEN], left[CLOCK_LEFT_LEN];
	char *handler = sanitize_text(store_case_field(sc, "handler"), -1, SAN_LINE);
	char *on = sanitize_text(oncall, -1, SAN_LINE);
	char *subject = subject_of(sc);
	char **env = g_new0(char *, 10);

	env[0] = g_strdup_printf("EMBARGO_CASE=%lld", (long long)sc->id);
	env[1] = g_strdup_printf("EMBARGO_REF=%s", sc->ref);
	env[2] = g_strdup_printf("EMBARGO_KIND=%s", deadline_kind_name(n->d->kind));
	env[3] = g_strdup_printf("EMBARGO_DUE=%s", clock_format_iso8601(n->d->due, due));
	env[4] = g_strdup_printf("EMBARGO_URGENCY=%s", urgency_name(n->d->urgency));
	env[5] = g_strdup_printf("EMBARGO_LEFT=%s",
	    clock_format_left((int64_t)n->d->due - (int64_t)now, left));
	env[6] = g_strdup_printf("EMBARGO_HANDLER=%s", handler);
	env[7] = g_strdup_printf("EMBARGO_ONCALL=%s", on);
	env[8] = g_strdup_printf("EMBARGO_SUBJECT=%s", subject);
	g_free(handler);
	g_free(on);
	g_free(subject);
	return env;
}

/*
 * Two cron runs overlapping must not both send: they take turns on a lock
 * file beside the store.  The store's own write lock is not held while the
 * command runs, so the command may itself run embargo.
 */
static int
notify_lock(struct store *st, int *fd, struct error *err)
{
	char *path = g_strconcat(store_path(st), ".notify-lock", NULL);
	int lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (lfd == -1) {
		error_set(err, "%s: cannot open the notification lock: %s", path,
		    strerror(errno));
		g_free(path);
		return -1;
	}
	while (flock(lfd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			error_set(err, "%s: cannot lock: %s", path, strerror(errno));
			close(lfd);
			g_free(path);
			return -1;
		}
	}
	g_free(path);
	*fd = lfd;
	return 0;
}

int
oncall_notify(struct app *app, GPtrArray *cases, const char *oncall,
    oncall_report_fn report, void *arg, size_t *sent, size_t *failed,
    struct error *err)
{
	const struct config *cfg = app->cfg;
	GArray *todo;
	size_t n_sent = 0, n_failed = 0;
	int lock_fd = -1, rv = -1;

	if (cfg->notify == NULL || *cfg->notify == '\0') {
		if (cfg->path != NULL)
			return error_set(err, "%s: [oncall] notify is not set: "
			    "expected the command to run for each new soon or "
			    "overdue deadline", cfg->path);
		return error_set(err, "[oncall] notify is not set (no config "
		    "file was found): expected the command to run for each new "
		    "soon or overdue deadline");
	}
	todo = g_array_new(FALSE, FALSE, sizeof(struct notice));
	for (guint i = 0; i < cases->len; i++) {
		const struct case_view *cv = cases->pdata[i];

		for (size_t k = 0; k < cv->dl.n; k++) {
			struct notice n = {cv, &cv->dl.d[k]};

			if (oncall_wants_notice(n.d))
				g_array_append_val(todo, n);
		}
	}
	g_array_sort(todo, notice_cmp);
	if (todo->len > 0 && notify_lock(app->st, &lock_fd, err) != 0)
		goto out;
	for (guint i = 0; i < todo->len; i++) {
		const struct notice *n = &g_array_index(todo, struct notice, i);
		struct error why = {{0}};
		char *summary, **env;
		bool done;
		int sent_ok;

		/* Checked under the lock: another run may have just sent it. */
		if (oncall_notified(app->st, n->cv->sc->id, n->d->kind, n->d->due,
		    n->d->urgency, &done, err) != 0)
			goto out;
		if (done)
			continue;
		summary = oncall_summary(n->cv, n->d, app->now);
		env = notice_env(n, oncall, app->now);
		sent_ok = oncall_run_command(cfg->notify, env, summary, &why);
		g_strfreev(env);
		if (sent_ok != 0) {
			error_prefix(&why, "case %lld %s %s", (long long)n->cv->sc->id,
			    deadline_kind_name(n->d->kind),
			    urgency_name(n->d->urgency));
			n_failed++;
			if (report != NULL)
				report(arg, n->cv, n->d, summary, &why);
			g_free(summary);
			continue;
		}
		if (oncall_record(app->st, n->cv->sc->id, n->d->kind, n->d->due,
		    n->d->urgency, app->now, NULL, err) != 0) {
			error_prefix(err, "case %lld: notified but not recorded "
			    "(it will be sent again)", (long long)n->cv->sc->id);
			g_free(summary);
			goto out;
		}
		n_sent++;
		if (report != NULL)
			report(arg, n->cv, n->d, summary, NULL);
		g_free(summary);
	}
	rv = 0;
out:
	if (lock_fd != -1)
		close(lock_fd);
	g_array_free(todo, TRUE);
	if (sent != NULL)
		*sent = n_sent;
	if (failed != NULL)
		*failed = n_failed;
	return rv;
}
