/* tui/cmd-reply.c: `embargo reply CASE --template NAME [--body-file FILE] [--send]`: the compose panel's rules, from scripts. */
#include "build-config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/app.h"
#include "core/clock.h"
#include "core/compose.h"
#include "core/draft.h"
#include "core/sanitize.h"
#include "tui/cmd.h"

#define BODY_MAX (4 * 1024 * 1024)

/* The body text from FILE ("-": standard input).  New string (wipe it), NULL with ERR. */
static char *
read_body(const char *file, struct error *err)
{
	GString *s = g_string_new(NULL);
	FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	char buf[4096];
	size_t n;
	bool bad = false;

	if (fp == NULL) {
		error_set(err, "%s: cannot open the body file: %m", file);
		g_string_free(s, TRUE);
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
		if (s->len + n > BODY_MAX) {
			error_set(err, "%s: the body is longer than %d bytes", file, BODY_MAX);
			bad = true;
			break;
		}
		g_string_append_len(s, buf, (gssize)n);
	}
	explicit_bzero(buf, sizeof buf);
	if (!bad && ferror(fp)) {
		error_set(err, "%s: cannot read the body file", file);
		bad = true;
	}
	if (fp != stdin)
		fclose(fp);
	if (!bad && (memchr(s->str, '\0', s->len) != NULL ||
	    !g_utf8_validate(s->str, (gssize)s->len, NULL))) {
		error_set(err, "%s: the body is not UTF-8 text", file);
		bad = true;
	}
	if (bad) {
		explicit_bzero(s->str, s->len);
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

static void
print_lines(FILE *fp, GPtrArray *lines)
{
	for (guint i = 0; i < lines->len; i++) {
		char *safe = sanitize_text(lines->pdata[i], -1, SAN_LINE);

		fprintf(fp, "%s\n", safe);
		g_free(safe);
	}
}

/* The draft to work on: the saved one when it is from the same template, else a new one. */
static int
reply_draft(struct app *app, const struct case_view *cv, const char *tmpl,
    bool replace_body, GPtrArray *thread, struct compose_draft **out,
    bool *saved, struct error *err)
{
	struct compose_draft *d = NULL;
	int rc;

	*saved = false;
	rc = draft_load(app, cv->sc->id, &d, err);
	if (rc < 0)
		return -1;
	if (rc == 0 && d->template_name != NULL && strcmp(d->template_name, tmpl) == 0) {
		*saved = true;
		*out = d;
		return 0;
	}
	if (rc == 0 && !replace_body) {
		char when[CLOCK_ISO_LEN];

		error_set(err, "case %lld has a saved draft from template \"%s\" (saved %s): "
		    "continue it with --template %s, or give --body-file to replace it",
		    (long long)cv->sc->id, d->template_name ? d->template_name : "?",
		    clock_format_iso8601(d->updated, when),
		    d->template_name ? d->template_name : "?");
		compose_draft_free(d);
		return -1;
	}
	compose_draft_free(d);
	return compose_draft_from_template(app, cv, tmpl, thread, out, err);
}

static int
cmd_reply_exec(const struct cmd_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"template", required_argument, NULL, 't'},
		{"body-file", required_argument, NULL, 'b'},
		{"send", no_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *tmpl = NULL, *body_file = NULL;
	struct error err = {{0}};
	struct case_view *cv = NULL;
	struct compose_draft *d = NULL;
	struct compose_plan *plan = NULL;
	struct compose_sent *sent = NULL;
	GPtrArray *thread = NULL;
	char *body = NULL, when[CLOCK_ISO_LEN];
	bool send = false, saved = false;
	struct app *app;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			tmpl = optarg;
			break;
		case 'b':
			body_file = optarg;
			break;
		case 's':
			send = true;
			break;
		default:
			return cmd_option_error(&cmd_reply_entry, c, argv);
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(&cmd_reply_entry,
		    argc == optind ? "which case? give its id, ref or thread:ID"
				   : "one case at a time");
	if (tmpl == NULL)
		return cmd_usage_error(&cmd_reply_entry,
		    "which template? give --template NAME (ack, response, update, "
		    "fix-ready, distros, announce, oss-security)");
	if (body_file != NULL && (body = read_body(body_file, &err)) == NULL)
		return cmd_fail(&err);

	if ((app = cmd_open_app(g, &status)) == NULL)
		goto out_nobody;
	if (app_case(app, argv[optind], &cv, &err) != 0 ||
	    app_thread(app, cv, &thread, &err) != 0 ||
	    reply_draft(app, cv, tmpl, body != NULL, thread, &d, &saved, &err) != 0) {
		status = cmd_fail(&err);
		goto out;
	}
	if (body != NULL)
		compose_draft_set_body(d, body);
	/* Saved first: whatever happens next, the text is not lost. */
	if (draft_save(app, d, &err) != 0 ||
	    compose_plan_new(app, cv, d, thread, &plan, &err) != 0) {
		status = cmd_fail(&err);
		goto out;
	}
	if (saved && body == NULL)
		printf("using the saved draft of case %lld (template %s, saved %s)\n",
		    (long long)cv->sc->id, tmpl, clock_format_iso8601(d->updated, when));
	else
		printf("draft of case %lld saved (template %s)\n", (long long)cv->sc->id, tmpl);
	print_lines(stdout, plan->lines);
	if (!send) {
		printf("not sent: add --send to send it\n");
		goto out;
	}
	fflush(stdout);
	if (compose_send(app, cv, d, thread, &sent, &err) != 0) {
		error_prefix(&err, "case %lld", (long long)cv->sc->id);
		fprintf(stderr, "embargo: %s; the draft is kept\n", err.msg);
		status = EXIT_FAIL;
		goto out;
	}
	printf("sent <%s>\n", sent->msgid);
	for (guint i = 0; i < sent->warnings->len; i++) {
		char *safe = sanitize_text(sent->warnings->pdata[i], -1, SAN_LINE);

		fprintf(stderr, "embargo: warning: %s\n", safe);
		g_free(safe);
	}
out:
	compose_sent_free(sent);
	compose_plan_free(plan);
	compose_draft_free(d);
	if (thread != NULL)
		g_ptr_array_unref(thread);
	case_view_free(cv);
	cmd_close_app(app);
out_nobody:
	if (body != NULL) {
		explicit_bzero(body, strlen(body));
		g_free(body);
	}
	return status;
}

const struct cmd_entry cmd_reply_entry = {
	.name = "reply",
	.usage = "CASE --template NAME [--body-file FILE] [--send]",
	.summary = "compose a reply from a template; without --send, keep a draft and show the plan",
	.exec = cmd_reply_exec,
};
