/* tui/cmd-show.c: `embargo show CASE`: fields, deadlines, messages (decrypted) and events. */
#include "build-config.h"

#include <getopt.h>
#include <stdio.h>

#include "core/app.h"
#include "core/format.h"
#include "tui/cmd.h"

static int
cmd_show_exec(const struct cmd_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	enum format_kind fmt = FORMAT_TEXT;
	struct error err = {{0}};
	struct case_view *cv = NULL;
	GPtrArray *msgs = NULL, *events = NULL;
	struct app *app;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'f')
			return cmd_option_error(&cmd_show_entry, c, argv);
		if (format_parse(optarg, &fmt, &err) != 0)
			return cmd_usage_error(&cmd_show_entry, "%s", err.msg);
	}
	if (argc - optind != 1)
		return cmd_usage_error(&cmd_show_entry,
		    argc == optind ? "which case? give its id, ref or thread:ID"
				   : "one case at a time");

	if ((app = cmd_open_app(g, &status)) == NULL)
		return status;
	if (app_case(app, argv[optind], &cv, &err) != 0 ||
	    store_events(app->st, cv->sc->id, &events, &err) != 0 ||
	    app_thread(app, cv, &msgs, &err) != 0)
		status = cmd_fail(&err);
	else
		format_case_show(stdout, fmt, app, cv, msgs, events);
	if (msgs != NULL)
		g_ptr_array_unref(msgs);
	if (events != NULL)
		g_ptr_array_unref(events);
	case_view_free(cv);
	cmd_close_app(app);
	return status;
}

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.usage = "CASE [--format=text|json]",
	.summary = "one case: fields, deadlines, messages (decrypted), events",
	.exec = cmd_show_exec,
};
