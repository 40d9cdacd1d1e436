/* core/facts.c: the mail facts of a case (see facts.h). */
#include "build-config.h"

#include <string.h>

#include <glib.h>

#include "core/facts.h"

void
mail_facts_clear(struct mail_facts *f)
{
	if (f == NULL)
		return;
	g_free(f->thread);
	g_free(f->report_msgid);
	g_free(f->subject);
	g_free(f->reporter_name);
	g_free(f->reporter_addr);
	g_free(f->reply_to);
	memset(f, 0, sizeof *f);
}
