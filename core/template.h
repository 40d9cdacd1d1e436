/* core/template.h: reply templates: lookup (team override, then shipped), header block, placeholders. */
#ifndef EMBARGO_TEMPLATE_H
#define EMBARGO_TEMPLATE_H

#include <glib.h>

#include "core/error.h"

/*
 * The placeholders a template may use, as {{name}}.  X(name, value when the
 * case has none (NULL: the template cannot be used then), help).
 */
#define EMB_TEMPLATE_VARS(X)                                                            \
	X("case", NULL, "the case id")                                                  \
	X("ref", NULL, "the case's ref, e.g. K7Q2M")                                    \
	X("reporter_name", NULL, "the reporter's display name, else address")           \
	X("reporter", NULL, "the reporter's address")                                   \
	X("subject", "", "the report's (outer) subject")                                \
	X("severity", "not yet assessed", "the case's severity")                        \
	X("embargo", "not yet agreed", "when the embargo lifts")                        \
	X("cve", "not yet assigned", "the CVE id")                                      \
	X("affected", "still being determined", "the affected versions")                \
	X("handler", NULL, "the handler, else the team address")                        \
	X("next_update", NULL, "the date of the next update (now + [policy] update)")   \
	X("me", NULL, "who is sending ([mail] me)")                                     \
	X("team", NULL, "the team address ([mail] team)")                               \
	X("distros_list", NULL, "[mail] distros_list")                                  \
	X("oss_list", NULL, "[mail] oss_list")                                          \
	X("announce_list", NULL, "[mail] announce_list")                                \
	X("today", NULL, "today's date, YYYY-MM-DD")

/* The templates embargo ships (NULL-terminated). */
extern const char *const template_shipped[];

/*
 * A template rendered for one case.  Header values are one line each (every
 * control character replaced by a space); NULL when the template does not
 * set them.
 */
struct template {
	char *name;
	char *path;    /* the file used */
	char *to;      /* "To:" of the header block: an address list */
	char *cc;
	char *subject;
	char *body;    /* UTF-8, LF line ends */
};
void template_free(struct template *t);

/*
 * The directory of the shipped templates: $EMBARGO_DATADIR/templates when
 * that variable is set and not empty, else the compiled-in data directory's.
 * New string (g_free).
 */
char *template_shipped_dir(void);

/*
 * Finds template NAME (letters, digits, '-' and '_'): first
 * $XDG_CONFIG_HOME/embargo/templates/NAME (the team's override), then the
 * shipped directory.  *PATH (g_free) is the file; an unknown name is an
 * error naming both places.
 */
int template_find(const char *name, char **path, struct error *err);

/*
 * Loads and renders template NAME with VARS (placeholder name -> value; a
 * name of EMB_TEMPLATE_VARS missing from VARS takes its default).  The file
 * is UTF-8 text of at most 64 KiB:
 *
 *   an optional header block: lines "To: ...", "Cc: ..." and "Subject: ..."
 *   from the first line up to an empty line (a file whose first line is not
 *   one of these has no header block);
 *   the body: the rest.
 *
 * {{name}} (blanks inside the braces allowed) is replaced everywhere.  An
 * unknown placeholder, an unterminated "{{", a placeholder without a value,
 * an unknown header in the block or a file that is not UTF-8 is an error
 * naming the file, the line and the culprit.
 */
int template_render(const char *name, GHashTable *vars, struct template **out,
    struct error *err);

/* The same from text in memory; WHERE names it in errors. */
int template_render_text(const char *name, const char *where, const char *text,
    GHashTable *vars, struct template **out, struct error *err);

#endif
