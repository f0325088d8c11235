// SPDX-License-Identifier: GPL-2.0-only
/* Fuzz target: the field-list (template) parser and the selection of IPFIX elements from it. */
// fuzz-sources: src/export/field_list.c src/export/templates.c src/utf8.c src/text_file.c
// fuzz-pkgs: glib-2.0 libfixbuf
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "export/field_list.h"
#include "export/templates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fbInfoModel_t *model;
	struct templates_selection sel;
	struct field_list *fl = NULL;
	char msg[1024], *text;
	int err;

	if (!model) {
		model = fbInfoModelAlloc();
		templates__add_elements(model, 0);
	}
	/* the parser takes the text of a file: up to its first NUL */
	text = g_strndup((const char *)data, size);
	msg[0] = '\0';
	err = field_list__parse(&fl, "fuzz.tmpl", text, msg, sizeof(msg));
	if (err && !msg[0])
		abort();
	if (!err) {
		templates__select(&sel, model, fl, false, msg, sizeof(msg));
		templates__select(&sel, model, fl, true, msg, sizeof(msg));
	}
	field_list__free(fl);
	g_free(text);
	return 0;
}
