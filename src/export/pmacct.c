// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmacct's aggregate_primitives for sockflow's field lists. nfacctd keeps
 * an enterprise element only when a primitive names it; what it does with
 * them (checked against nfacctd 1.7.7):
 *   - entries are whitespace-separated KEY=VALUE words, one per line, '!'
 *     starts a comment; names are case-insensitive, at most 63 characters;
 *   - a primitive matches an element by PEN, id and repeat: the Nth
 *     primitive with one PEN:ID takes the Nth element of that id in the
 *     template, whatever its PEN. sockflow's ids (1001 and up) appear once
 *     in its templates, so each primitive is its PEN:ID once;
 *   - a fixed-length primitive matches only an element of exactly its
 *     length; u_int prints lengths 1, 2, 4 and 8;
 *   - each primitive takes a bit of a 48-bit field: at most 48.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <fixbuf/public.h>
#include <glib.h>

#include "export/pmacct.h"
#include "export/templates.h"

#define PMACCT_MAX_PRIMITIVES 48
#define PMACCT_NAME_MAX 63

/* @name in snake case: SRC_PROC_NAME -> src_proc_name, sockflowSourceExe -> sockflow_source_exe. */
static void snake_case(char *out, size_t size, const char *name)
{
	size_t n = 0;

	for (; *name && n + 2 < size; name++) {
		if (isupper((unsigned char)*name) && n && out[n - 1] != '_' &&
		    islower((unsigned char)name[-1]))
			out[n++] = '_';
		out[n++] = (char)tolower((unsigned char)*name);
	}
	out[n] = '\0';
}

static const char *semantics(const fbInfoElement_t *ie)
{
	return ie->type == FB_STRING ? "str" : "u_int";
}

int pmacct__print_primitives(FILE *out, const struct export_options *opts, char *msg,
			     size_t msg_len)
{
	const fbInfoElementSpec_t *spec;
	struct templates_selection *sel;
	const fbInfoElement_t *ie;
	char name[PMACCT_NAME_MAX + 2], len[8];
	fbInfoModel_t *model;
	GString *text = NULL;
	unsigned int n = 0;
	int err;

	sel = malloc(sizeof(*sel));
	if (!sel) {
		snprintf(msg, msg_len, "pmacct: out of memory");
		return -ENOMEM;
	}
	err = templates__load(&model, sel, opts->template_name, opts->enterprise_id, false, msg,
			      msg_len);
	if (err)
		goto out;
	text = g_string_new(NULL);
	g_string_append_printf(text, "! nfacctd aggregate_primitives for sockflow's field list \"%s\", made by "
		"sockflow --pmacct-primitives\n", opts->template_name);
	/* The IPv4 layout has every element of the list but the IPv6 addresses (all IANA). */
	for (spec = sel->layout[TEMPLATES_FLOW4].spec; spec->name; spec++) {
		ie = fbInfoModelGetElementByName(model, spec->name);
		if (!ie || !ie->ent || ie->ent == FB_IE_PEN_REVERSE)
			continue;
		if (++n > PMACCT_MAX_PRIMITIVES) {
			snprintf(msg, msg_len, "pmacct: field list \"%s\" has more than %d ntop and "
				 "sockflow elements; nfacctd tells at most %d primitives apart",
				 opts->template_name, PMACCT_MAX_PRIMITIVES, PMACCT_MAX_PRIMITIVES);
			err = -E2BIG;
			goto out;
		}
		snake_case(name, sizeof(name), spec->name);
		if (spec->len_override == FB_IE_VARLEN)
			snprintf(len, sizeof(len), "vlen");
		else
			snprintf(len, sizeof(len), "%u", spec->len_override);
		g_string_append_printf(text, "name=%s\tfield_type=%u:%u\tlen=%s\tsemantics=%s\n",
				       name, ie->ent, ie->num, len, semantics(ie));
	}
	/* All or nothing: a refused list prints no half file. */
	fputs(text->str, out);
out:
	if (text)
		g_string_free(text, TRUE);
	fbInfoModelFree(model);
	free(sel);
	return err;
}
