// SPDX-License-Identifier: GPL-2.0-only
/* From a configuration to its sinks: each collector's settings, checked, opened. */
#include <errno.h>
#include <stdio.h>

#include "export/export.h"
#include "export/pmacct.h"
#include "log.h"

void export_options__of(const struct config *cfg, const struct collector *c,
			struct export_options *opts)
{
	*opts = (struct export_options){
		.observation_domain_id = c->has_observation_domain ? c->observation_domain
								   : cfg->observation_domain_id,
		.template_refresh_s = cfg->template_refresh_s,
		.template_refresh_messages = cfg->template_refresh_messages,
		.template_gap_s = cfg->template_gap_s,
		.buffer_records = cfg->tcp_buffer_records,
		.enterprise_id = cfg->enterprise_id,
		.template_name = c->template_name[0] ? c->template_name : cfg->template,
	};
}

int export__check(const struct config *cfg)
{
	struct export_options opts;
	char msg[512];
	int i, err;

	export_options__of(cfg, &(struct collector){ 0 }, &opts);
	err = export_sink__check_ipfix(&opts, msg, sizeof(msg));
	if (err) {
		log_error("[export] template: %s", msg);
		return err;
	}
	for (i = 0; i < cfg->n_collectors; i++) {
		if (cfg->collectors[i].protocol != COLLECTOR_IPFIX)
			continue;
		export_options__of(cfg, &cfg->collectors[i], &opts);
		err = export_sink__check_ipfix(&opts, msg, sizeof(msg));
		if (err) {
			log_error("collector %s: %s", cfg->collectors[i].uri, msg);
			return err;
		}
	}
	return 0;
}

int export__open_sinks(const struct config *cfg, struct export_sink **sinks)
{
	struct export_options opts;
	char msg[512];
	int i, n = 0, err = 0;

	for (i = 0; i < cfg->n_collectors; i++) {
		const struct collector *c = &cfg->collectors[i];

		export_options__of(cfg, c, &opts);

		sinks[n] = c->protocol == COLLECTOR_NETFLOW9 ?
				   export_sink__new_netflow9(c, &opts, &err, msg, sizeof(msg)) :
				   export_sink__new_ipfix(c, &opts, &err, msg, sizeof(msg));
		if (!sinks[n]) {
			log_error("export: %s: %s", cfg->collectors[i].uri, msg);
			goto err_free;
		}
		n++;
	}
	if (cfg->print == PRINT_TEXT || cfg->print == PRINT_JSON) {
		sinks[n] = export_sink__new_print(stdout, cfg->print);
		if (!sinks[n]) {
			err = -ENOMEM;
			goto err_free;
		}
		n++;
	}
	return n;

err_free:
	while (n > 0)
		export_sink__free(sinks[--n]);
	return err ? err : -EINVAL;
}

int export__print_pmacct_primitives(const struct config *cfg, FILE *out)
{
	struct export_options opts;
	char msg[512];
	int i, err;

	export_options__of(cfg, &(struct collector){ .template_name = "pmacct" }, &opts);
	for (i = 0; i < cfg->n_collectors; i++) {
		const struct collector *c = &cfg->collectors[i];

		if (c->protocol == COLLECTOR_IPFIX && c->records == COLLECTOR_UNIFLOW) {
			export_options__of(cfg, c, &opts);
			break;
		}
	}
	err = pmacct__print_primitives(out, &opts, msg, sizeof(msg));
	if (err)
		log_error("%s", msg);
	return err;
}
