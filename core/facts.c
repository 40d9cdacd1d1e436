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

void
mail_facts_copy(struct mail_facts *dst, const struct mail_facts *src)
{
	*dst = *src;
	dst->thread = g_strdup(src->thread);
	dst->report_msgid = g_strdup(src->report_msgid);
	dst->subject = g_strdup(src->subject);
	dst->reporter_name = g_strdup(src->reporter_name);
	dst->reporter_addr = g_strdup(src->reporter_addr);
	dst->reply_to = g_strdup(src->reply_to);
}
