/* tui/cmd-note.c: `embargo note CASE TEXT`: an internal note on the case's timeline, never mailed to the reporter. */
#include "build-config.h"

#include <getopt.h>
#include <stdio.h>

#include "core/app.h"
#include "core/policy.h"
#include "tui/cmd.h"

static int
cmd_note_exec(const struct cmd_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{NULL, 0, NULL, 0},
	};
	struct error err = {{0}};
	struct case_view *cv = NULL;
	struct app *app;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		return cmd_option_error(&cmd_note_entry, c, argv);
	if (argc - optind != 2)
		return cmd_usage_error(&cmd_note_entry,
		    "expected CASE TEXT (quote the text)");

	if ((app = cmd_open_app(g, &status)) == NULL)
		return status;
	if (app_case(app, argv[optind], &cv, &err) != 0 ||
	    policy_add_note(app->st, cv->sc->id, argv[optind + 1],
	    app->cfg->me, app->now, &err) != 0)
		status = cmd_fail(&err);
	case_view_free(cv);
	cmd_close_app(app);
	return status;
}

const struct cmd_entry cmd_note_entry = {
	.name = "note",
	.usage = "CASE TEXT",
	.summary = "add an internal note to the case's timeline (never mailed to the reporter)",
	.exec = cmd_note_exec,
};
