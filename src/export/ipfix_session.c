// SPDX-License-Identifier: GPL-2.0-only
/* IPFIX sessions: the internal and external templates one exporter's session holds. */

#include <errno.h>
#include <stdio.h>

#include "export/ipfix_session.h"

int ipfix__gerror_to_errno(GError *gerr, const char *what, char *msg, size_t msg_len)
{
	int err = -EIO;

	if (!gerr)
		return err;
	if (gerr->domain == FB_ERROR_DOMAIN) {
		switch (gerr->code) {
		case FB_ERROR_TMPL:
		case FB_ERROR_IPFIX:
		case FB_ERROR_LAXSIZE:
			err = -EINVAL;
			break;
		case FB_ERROR_NOELEMENT:
			err = -ENOENT;
			break;
		case FB_ERROR_EOM:
			err = -EMSGSIZE;
			break;
		case FB_ERROR_CONN:
		case FB_ERROR_NLWRITE:
			err = -EPIPE;
			break;
		default:
			break;
		}
	}
	if (msg)
		snprintf(msg, msg_len, "ipfix: %s: %s", what, gerr->message);
	g_error_free(gerr);
	return err;
}

static fbTemplate_t *template_from_spec(fbInfoModel_t *model, fbInfoElementSpec_t *spec,
					GError **gerr)
{
	fbTemplate_t *tmpl = fbTemplateAlloc(model);

	if (fbTemplateAppendSpecArray(tmpl, spec, UINT32_MAX, gerr))
		return tmpl;
	fbTemplateFreeUnused(tmpl);
	return NULL;
}

/*
 * Add @tmpl as internal template @tid. It must describe exactly @size
 * bytes of C struct, or the transcoder would read past the struct. From
 * here on the session frees @tmpl, or this function if it fails.
 */
static int add_internal(fbSession_t *session, uint16_t tid, fbTemplate_t *tmpl, size_t size,
			char *msg, size_t msg_len)
{
	GError *gerr = NULL;

	if (fbTemplateGetIELenOfMemBuffer(tmpl) != size) {
		if (msg)
			snprintf(msg, msg_len, "ipfix: template %#x is %u bytes, its struct %zu",
				 tid, fbTemplateGetIELenOfMemBuffer(tmpl), size);
		fbTemplateFreeUnused(tmpl);
		return -EINVAL;
	}
	if (!fbSessionAddTemplate(session, TRUE, tid, tmpl, &gerr)) {
		fbTemplateFreeUnused(tmpl);
		return ipfix__gerror_to_errno(gerr, "add internal template", msg, msg_len);
	}
	return 0;
}

/* Add @tmpl as external template @tid; as add_internal(). */
static int add_external(fbSession_t *session, uint16_t tid, fbTemplate_t *tmpl, char *msg,
			size_t msg_len)
{
	GError *gerr = NULL;

	if (!fbSessionAddTemplate(session, FALSE, tid, tmpl, &gerr)) {
		fbTemplateFreeUnused(tmpl);
		return ipfix__gerror_to_errno(gerr, "add external template", msg, msg_len);
	}
	return 0;
}

/*
 * Flow template @tid: internally the full struct of @size bytes (@full),
 * on the wire the field list's elements (@ext). libfixbuf's transcoder
 * copies the external template's elements out of the internal record.
 */
static int add_flow_template(fbInfoModel_t *model, fbSession_t *session, uint16_t tid,
			     fbInfoElementSpec_t *full, fbInfoElementSpec_t *ext, size_t size,
			     char *msg, size_t msg_len)
{
	fbTemplate_t *tmpl;
	GError *gerr = NULL;
	int err;

	tmpl = template_from_spec(model, full, &gerr);
	if (!tmpl)
		return ipfix__gerror_to_errno(gerr, "build internal template", msg, msg_len);
	err = add_internal(session, tid, tmpl, size, msg, msg_len);
	if (err)
		return err;
	tmpl = template_from_spec(model, ext, &gerr);
	if (!tmpl)
		return ipfix__gerror_to_errno(gerr, "build external template", msg, msg_len);
	return add_external(session, tid, tmpl, msg, msg_len);
}

/* An options template from @spec, with @flags, scoped by its first element. */
static fbTemplate_t *options_template(fbInfoModel_t *model, fbInfoElementSpec_t *spec,
				      uint32_t flags, GError **gerr)
{
	fbTemplate_t *tmpl = fbTemplateAlloc(model);

	if (!fbTemplateAppendSpecArray(tmpl, spec, flags, gerr)) {
		fbTemplateFreeUnused(tmpl);
		return NULL;
	}
	fbTemplateSetOptionsScope(tmpl, 1);
	return tmpl;
}

/*
 * Options template @tid of @spec: the struct of @size bytes with padding
 * inside, without on the wire (loss stats, application mappings).
 */
static int add_options_template(fbInfoModel_t *model, fbSession_t *session, uint16_t tid,
				fbInfoElementSpec_t *spec, size_t size, char *msg,
				size_t msg_len)
{
	fbTemplate_t *tmpl;
	GError *gerr = NULL;
	int err;

	tmpl = options_template(model, spec, UINT32_MAX, &gerr);
	if (!tmpl)
		return ipfix__gerror_to_errno(gerr, "build internal options template", msg, msg_len);
	err = add_internal(session, tid, tmpl, size, msg, msg_len);
	if (err)
		return err;
	tmpl = options_template(model, spec, 0, &gerr);
	if (!tmpl)
		return ipfix__gerror_to_errno(gerr, "build external options template", msg, msg_len);
	return add_external(session, tid, tmpl, msg, msg_len);
}

/* A new session with all templates, and the fBuf that owns it and the exporter. */
int ipfix_session__new(fbSession_t **out, fbInfoModel_t *model,
		       const struct templates_selection *sel, uint32_t odid, char *msg,
		       size_t msg_len)
{
	fbSession_t *session;
	fbTemplate_t *tmpl;
	GError *gerr = NULL;
	int err;

	session = fbSessionAlloc(model);
	fbSessionSetDomain(session, odid);
	err = add_flow_template(model, session, TEMPLATES_TID_FLOW4, templates_flow4_spec,
				(fbInfoElementSpec_t *)sel->layout[TEMPLATES_FLOW4].spec,
				sizeof(struct templates_flow4), msg, msg_len);
	if (err)
		goto err_free_session;
	err = add_flow_template(model, session, TEMPLATES_TID_FLOW6, templates_flow6_spec,
				(fbInfoElementSpec_t *)sel->layout[TEMPLATES_FLOW6].spec,
				sizeof(struct templates_flow6), msg, msg_len);
	if (err)
		goto err_free_session;
	err = add_options_template(model, session, TEMPLATES_TID_LOSS_STATS,
				   templates_loss_stats_spec, sizeof(struct templates_loss_stats),
				   msg, msg_len);
	if (!err && sel->application)
		err = add_options_template(model, session, TEMPLATES_TID_APPLICATION,
					   templates_application_spec,
					   sizeof(struct templates_application), msg, msg_len);
	if (err)
		goto err_free_session;
	/* The RFC 5610 type template, the same inside and on the wire. */
	tmpl = fbInfoElementAllocTypeTemplate(model, &gerr);
	if (!tmpl) {
		err = ipfix__gerror_to_errno(gerr, "build type template", msg, msg_len);
		goto err_free_session;
	}
	err = add_internal(session, TEMPLATES_TID_IE_TYPE, tmpl, sizeof(fbInfoElementOptRec_t),
			   msg, msg_len);
	if (err)
		goto err_free_session;
	/* The session holds it already: not add_external(), which frees on failure. */
	if (!fbSessionAddTemplate(session, FALSE, TEMPLATES_TID_IE_TYPE, tmpl, &gerr)) {
		err = ipfix__gerror_to_errno(gerr, "add external type template", msg, msg_len);
		goto err_free_session;
	}
	*out = session;
	return 0;

err_free_session:
	fbSessionFree(session);
	return err;
}
