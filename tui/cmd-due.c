/* tui/cmd-due.c: `embargo due`: deadlines overdue or due soon, for people, cron and monitoring. */
#include "build-config.h"

#include <getopt.h>
#include <stdio.h>

#include "core/app.h"
#include "core/clock.h"
#include "core/format.h"
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

static int
cmd_due_exec(const struct cmd_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"within", required_argument, NULL, 'w'},
		{"format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	enum format_kind fmt = FORMAT_TEXT;
	struct error err = {{0}};
	int64_t within = 24 * 3600;
	struct app *app;
	GPtrArray *cases, *items;
	bool overdue = false;
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
		default:
			return cmd_option_error(&cmd_due_entry, c, argv);
		}
	}
	if (optind != argc)
		return cmd_usage_error(&cmd_due_entry,
		    "unexpected argument \"%s\"", argv[optind]);

	if ((app = cmd_open_app(g, &status)) == NULL)
		return status;
	if (app_cases(app, false, &cases, &err) != 0) {
		status = cmd_fail(&err);
		app_close(app);
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
	format_due(stdout, fmt, app, items);
	g_ptr_array_unref(items);
	g_ptr_array_unref(cases);
	app_close(app);
	return overdue ? EXIT_OVERDUE : EXIT_OK;
}

const struct cmd_entry cmd_due_entry = {
	.name = "due",
	.usage = "[--within DURATION] [--format=text|json]",
	.summary = "deadlines overdue or due within DURATION (default 24h); exit 3 if any is overdue",
	.exec = cmd_due_exec,
};
