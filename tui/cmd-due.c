/* tui/cmd-due.c: `embargo due`: deadlines overdue or due soon, for people, cron and monitoring. */
#include "build-config.h"

#include <getopt.h>
#include <stdio.h>

#include "core/app.h"
#include "core/clock.h"
#include "core/format.h"
#include "core/oncall.h"
#include "tui/cmd.h"

static int
due_item_cmp(gconstpointer a, gconstpointer b)
{
	const struct due_item *x = *(const struct due_item *const *)a;
	const struct due_item *y = *(const struct due_item *const *)b;

	if (x->d->due != y->d->due)
		return x->d->due < y->d->due ? -1 : 1;
	if (x->cv->sc->id != y->cv->sc->id)
		return x->cv->sc->id < y->cv->sc->id ? -1 : 1;
	return (int)x->d->kind - (int)y->d->kind;
}

/* What --notify sent, for the JSON form; and failures, on stderr as they happen. */
struct notify_out {
	enum format_kind fmt;
	GPtrArray *sent; /* struct due_item * */
};

static void
notify_report(void *arg, const struct case_view *cv, const struct deadline *d,
    const char *summary, const struct error *failure)
{
	struct notify_out *no = arg;
	struct due_item *it;

	if (failure != NULL) {
		fprintf(stderr, "embargo: %s\n", failure->msg);
		return;
	}
	if (no->fmt == FORMAT_TEXT) {
		printf("notified: %s\n", summary);
		fflush(stdout);
		return;
	}
	it = g_new(struct due_item, 1);
	it->cv = cv;
	it->d = d;
	g_ptr_array_add(no->sent, it);
}

/*
 * --notify: runs [oncall] notify for each new soon or overdue deadline.
 * Prints one line per notification sent (or, as JSON, the deadlines
 * notified in the `due` shape).  A failed command is reported and tried
 * again next run; the status is then 1.
 */
static void
due_notify(struct app *app, GPtrArray *cases, const char *oncall,
    enum format_kind fmt, bool *failed)
{
	struct notify_out no = {fmt, g_ptr_array_new_with_free_func(g_free)};
	struct error err = {{0}};
	size_t n_failed = 0;
	int rv;

	rv = oncall_notify(app, cases, oncall, notify_report, &no, NULL,
	    &n_failed, &err);
	if (rv != 0)
		cmd_fail(&err);
	else if (fmt == FORMAT_JSON)
		format_due(stdout, fmt, app, no.sent);
	g_ptr_array_unref(no.sent);
	if (rv != 0 || n_failed > 0)
		*failed = true;
}

static int
cmd_due_exec(const struct cmd_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"within", required_argument, NULL, 'w'},
		{"format", required_argument, NULL, 'f'},
		{"notify", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	enum format_kind fmt = FORMAT_TEXT;
	struct error err = {{0}};
	int64_t within = -1;
	struct app *app;
	GPtrArray *cases, *items;
	char *oncall = NULL;
	bool overdue = false, notify = false, failed = false;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (clock_parse_duration(optarg, &within, &err) != 0)
				return cmd_usage_error(&cmd_due_entry,
				    "--within: %s", err.msg);
			break;
		case 'f':
			if (format_parse(optarg, &fmt, &err) != 0)
				return cmd_usage_error(&cmd_due_entry, "%s",
				    err.msg);
			break;
		case 'n':
			notify = true;
			break;
		default:
			return cmd_option_error(&cmd_due_entry, c, argv);
		}
	}
	if (optind != argc)
		return cmd_usage_error(&cmd_due_entry,
		    "unexpected argument \"%s\"", argv[optind]);
	if (notify && within != -1)
		return cmd_usage_error(&cmd_due_entry,
		    "--within does not apply to --notify (it notifies every soon "
		    "or overdue deadline)");

	if ((app = cmd_open_app(g, &status)) == NULL)
		return status;
	if (within == -1)
		within = app->cfg->oncall_window;
	/* A broken rota must not hide what is due: report it and go on. */
	if (oncall_now(app->cfg, app->now, &oncall, &err) != 0) {
		cmd_fail(&err);
		failed = true;
	}
	if (app_cases(app, false, &cases, &err) != 0) {
		status = cmd_fail(&err);
		g_free(oncall);
		cmd_close_app(app);
		return status;
	}
	items = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < cases->len; i++) {
		const struct case_view *cv = cases->pdata[i];

		for (size_t k = 0; k < cv->dl.n; k++) {
			const struct deadline *d = &cv->dl.d[k];
			struct due_item *it;

			if (d->urgency == URG_MET)
				continue;
			if (d->urgency != URG_OVERDUE &&
			    d->due > app->now + within)
				continue;
			if (d->urgency == URG_OVERDUE)
				overdue = true;
			it = g_new(struct due_item, 1);
			it->cv = cv;
			it->d = d;
			g_ptr_array_add(items, it);
		}
	}
	g_ptr_array_sort(items, due_item_cmp);
	if (notify) {
		due_notify(app, cases, oncall, fmt, &failed);
	} else {
		if (fmt == FORMAT_TEXT && app->cfg->rota != NULL && !failed)
			printf("on call: %s\n", oncall != NULL ? oncall : "nobody");
		format_due(stdout, fmt, app, items);
	}
	g_ptr_array_unref(items);
	g_ptr_array_unref(cases);
	g_free(oncall);
	cmd_close_app(app);
	if (failed)
		return EXIT_FAIL;
	return overdue ? EXIT_OVERDUE : EXIT_OK;
}

const struct cmd_entry cmd_due_entry = {
	.name = "due",
	.usage = "[--within DURATION] [--format=text|json] | --notify [--format=text|json]",
	.summary = "deadlines overdue or due within DURATION (default [oncall] window, 24h); exit 3 if any is overdue;\n"
	    "          --notify: run [oncall] notify once per new soon or overdue deadline",
	.exec = cmd_due_exec,
};
