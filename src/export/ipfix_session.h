/* SPDX-License-Identifier: GPL-2.0-only */
/* IPFIX sessions: the internal and external templates one exporter's session holds. */
#ifndef SOCKFLOW_EXPORT_IPFIX_SESSION_H
#define SOCKFLOW_EXPORT_IPFIX_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <fixbuf/public.h>

#include "export/templates.h"

/* A libfixbuf error as -errno, with "ipfix: @what: its text" in @msg (if any); frees @gerr. */
int ipfix__gerror_to_errno(GError *gerr, const char *what, char *msg, size_t msg_len);

/*
 * A new session in *@out, of observation domain @odid, holding every
 * template an exporter of @sel sends: the flow templates (internally the
 * full structs of templates.h, on the wire @sel's elements), the loss
 * stats and (when @sel has applicationId) application options templates,
 * and the RFC 5610 type template. Returns 0 or -errno with a message.
 */
int ipfix_session__new(fbSession_t **out, fbInfoModel_t *model,
		       const struct templates_selection *sel, uint32_t odid, char *msg,
		       size_t msg_len);

#endif
