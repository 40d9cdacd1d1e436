/* tui/cmd-set.c: `embargo set CASE FIELD VALUE`: change a case's state or fields, as an event. */
#include "build-config.h"

#include <getopt.h>
#include <stdio.h>

#include "core/app.h"
#include "core/policy.h"
#include "tui/cmd.h"

static int
cmd_set_exec(const struct cmd_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	struct error err = {{0}};
	struct case_view *cv = NULL;
	bool force = false;
	struct app *app;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'F')
			return cmd_option_error(&cmd_set_entry, c, argv);
		force = true;
	}
	if (argc - optind != 3)
		return cmd_usage_error(&cmd_set_entry,
		    "expected CASE FIELD VALUE (%d argument%s given)",
		    argc - optind, argc - optind == 1 ? "" : "s");

	if ((app = cmd_open_app(g, &status)) == NULL)
		return status;
	if (app_case(app, argv[optind], &cv, &err) != 0 ||
	    policy_set_field(app->st, app->cfg, cv->sc->id, argv[optind + 1],
	    argv[optind + 2], app->cfg->me, app->now, force, &err) != 0)
		status = cmd_fail(&err);
	case_view_free(cv);
	cmd_close_app(app);
	return status;
}

const struct cmd_entry cmd_set_entry = {
	.name = "set",
	.usage = "[--force] CASE FIELD VALUE",
	.summary = "set state, severity, handler, embargo, cve or affected (and markers)",
	.exec = cmd_set_exec,
};
