/* core/oncall.h: who is on call (the rota) and the notifications `embargo due --notify` sends. */
#ifndef EMBARGO_ONCALL_H
#define EMBARGO_ONCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <glib.h>

#include "core/app.h"
#include "core/config.h"
#include "core/domain.h"
#include "core/error.h"
#include "core/policy.h"
#include "core/store.h"

/* The largest rota file read: anything bigger is a mistake. */
#define ONCALL_ROTA_MAX_SIZE (1024 * 1024)

/* One line of the rota: from FROM (00:00 in cfg->timezone) on, HANDLER is on call. */
struct rota_entry {
	time_t from;
	char *handler; /* lower-cased, one of cfg->handlers */
	int line;      /* in the rota file, for messages */
};

struct rota {
	char *path;              /* the file read (resolved), for messages */
	struct rota_entry *entries;
	size_t n;                /* in strictly increasing order of from */
};

void oncall_rota_free(struct rota *r);

/*
 * Where cfg->rota is: "~/" is the home directory; a relative name is
 * relative to the directory of the config file (cfg->path), else to the
 * working directory.  NULL when no rota is configured.  (g_free)
 */
char *oncall_rota_path(const struct config *cfg);

/*
 * Parses rota text (LEN bytes; NUL bytes refused) read from PATH (used in
 * messages only).  Each line is `YYYY-MM-DD HANDLER`, blanks around and
 * between the two words, optionally followed by a `# comment`; blank lines
 * and lines starting with '#' are skipped.  A date is 00:00 of that day in
 * cfg->timezone; HANDLER must be one of cfg->handlers (any case); dates must
 * increase strictly from line to line.  Errors name PATH, the line and what
 * was expected.  An empty rota (no entries) is allowed.
 */
int oncall_rota_parse(const struct config *cfg, const char *path,
    const char *text, size_t len, struct rota **out, struct error *err);

/*
 * Reads and parses the configured rota (oncall_rota_path).  *OUT is NULL
 * when no rota is configured.  A missing, unreadable, non-regular or
 * oversized file is an error naming it and the config key.
 */
int oncall_rota_load(const struct config *cfg, struct rota **out,
    struct error *err);

/* Who is on call at T by R: NULL before the first date (or for an empty or NULL rota). */
const char *oncall_rota_at(const struct rota *r, time_t t);

/*
 * The handler on call at NOW by the configured rota, in *HANDLER (g_free):
 * NULL when no rota is configured or NOW is before its first date.
 */
int oncall_now(const struct config *cfg, time_t now, char **handler,
    struct error *err);

/*
 * Notification bookkeeping, in the store's notifications table: a deadline
 * is (case, kind, due); each urgency of it (soon, overdue) is notified once.
 * A moved due time is a new deadline.
 */
int oncall_notified(struct store *st, int64_t case_id, enum deadline_kind kind,
    time_t due, enum urgency urgency, bool *sent, struct error *err);

/*
 * Records that (case, kind, due) was notified at URGENCY at SENT_AT, in one
 * transaction.  *RECORDED is false when another run had recorded it
 * meanwhile (may be NULL).
 */
int oncall_record(struct store *st, int64_t case_id, enum deadline_kind kind,
    time_t due, enum urgency urgency, time_t sent_at, bool *recorded,
    struct error *err);

/* Whether D wants a notification now: unmet and soon or overdue. */
bool oncall_wants_notice(const struct deadline *d);

/*
 * The one-line summary given on the notify command's stdin (sanitised, no
 * newline): "case 7 (K7Q2M): ack overdue by 1d 2h (due 2026-11-21T09:00:00Z),
 * handler alice@example.org, subject ...".  (g_free)
 */
char *oncall_summary(const struct case_view *cv, const struct deadline *d,
    time_t now);

/*
 * Runs COMMAND through /bin/sh -c with the environment plus ENV (a
 * NULL-terminated NAME=VALUE list, may be NULL) and INPUT on its standard
 * input; its standard output goes to our standard error, so our standard
 * output stays the command's own.  Fails (naming the command) when it
 * cannot be started or does not exit 0.
 */
int oncall_run_command(const char *command, char **env, const char *input,
    struct error *err);

/*
 * What oncall_notify reports for each notification it tried: FAILURE is
 * NULL when it was sent (and recorded), else why it was not.
 */
typedef void (*oncall_report_fn)(void *arg, const struct case_view *cv,
    const struct deadline *d, const char *summary,
    const struct error *failure);

/*
 * The work of `embargo due --notify`: for every deadline of CASES
 * (GPtrArray of struct case_view *, as app_cases gives) that is soon or
 * overdue and was not yet notified at that urgency, soonest first, runs
 * cfg->notify with EMBARGO_CASE, EMBARGO_REF, EMBARGO_KIND, EMBARGO_DUE,
 * EMBARGO_URGENCY, EMBARGO_LEFT, EMBARGO_HANDLER, EMBARGO_ONCALL (ONCALL,
 * may be NULL) and EMBARGO_SUBJECT in its environment and the summary on
 * its stdin, and records it once the command exits 0.  A command that fails
 * is reported through REPORT and counted in *FAILED; the others still run,
 * and it is tried again on the next run.  Concurrent runs on one store
 * take turns (a lock file beside the store), so nothing is sent twice.
 * Returns -1 (nothing more tried) when cfg->notify is unset or the store
 * fails.  *SENT and *FAILED may be NULL.
 */
int oncall_notify(struct app *app, GPtrArray *cases, const char *oncall,
    oncall_report_fn report, void *arg, size_t *sent, size_t *failed,
    struct error *err);

#endif
