// SPDX-License-Identifier: GPL-2.0-only
/* The export_sink__* calls, dispatched to the sink's implementation. */

#include <stdlib.h>

#include "export/sink.h"
#include "export/transport.h"

int export_sink__add(struct export_sink *s, const struct flow_record *r)
{
	return s->ops->add(s, r);
}

int export_sink__flush(struct export_sink *s, uint64_t now_ms)
{
	return s->ops->flush(s, now_ms);
}

void export_sink__stats(const struct export_sink *s, struct export_stats *st)
{
	s->ops->stats(s, st);
}

bool export_sink__take_drop(struct export_sink *s, struct export_drop *drop)
{
	return s->ops->take_drop ? s->ops->take_drop(s, drop) : false;
}

int export_sink__add_stats(struct export_sink *s, const struct export_loss_stats *loss)
{
	return s->ops->add_stats ? s->ops->add_stats(s, loss) : 0;
}

int export_sink__reopen(struct export_sink *s, char *msg, size_t msg_len)
{
	return s->ops->reopen ? s->ops->reopen(s, msg, msg_len) : 0;
}

int export_sink__drain(struct export_sink *s, uint64_t now_ms)
{
	if (s->ops->drain)
		return s->ops->drain(s, now_ms);
	s->ops->flush(s, now_ms);
	return 0;
}

void export_sink__abandon(struct export_sink *s)
{
	if (s->ops->abandon)
		s->ops->abandon(s);
}

const char *export_sink__name(const struct export_sink *s)
{
	return s->ops->name(s);
}

void export_sink__free(struct export_sink *s)
{
	char *identity;

	if (!s)
		return;
	identity = s->identity;
	s->ops->free(s);
	free(identity);
}

void export_stats__add_transport(struct export_stats *st, const struct transport *tp)
{
	struct transport_stats ts;

	transport__stats(tp, &ts);
	st->records_sent += ts.records_sent;
	st->records_lost += ts.records_lost;
	st->records_unconfirmed += ts.records_unconfirmed;
	st->messages_sent += ts.messages_sent;
	st->send_errors += ts.send_errors;
	st->reconnects += ts.reconnects;
}
