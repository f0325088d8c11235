// SPDX-License-Identifier: GPL-2.0-only
/* Command line: defaults, then the config file, then options, then the daemon; the exit status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "config.h"
#include "daemon.h"
#include "export/export.h"
#include "log.h"

#ifndef PACKAGE_VERSION
#error "PACKAGE_VERSION is not defined: build with ./configure && make"
#endif

enum exit_status {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,	/* the daemon failed */
	EXIT_USAGE = 2,		/* bad option, value or config file */
};

/* Long-only options. */
enum {
	OPT_ACTIVE_TIMEOUT = 256,
	OPT_IDLE_TIMEOUT,
	OPT_POLL_INTERVAL,
	OPT_ODID,
	OPT_LOG_LEVEL,
	OPT_INCLUDE_CONTAINER,
	OPT_EXCLUDE_CONTAINER,
	OPT_DISABLE_MECHANISM,
	OPT_PROBE,
	OPT_PMACCT_PRIMITIVES,
};

static const char short_options[] = ":c:o:pjthV";

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "collector", required_argument, NULL, 'o' },
	{ "print", no_argument, NULL, 'p' },
	{ "json", no_argument, NULL, 'j' },
	{ "active-timeout", required_argument, NULL, OPT_ACTIVE_TIMEOUT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "poll-interval", required_argument, NULL, OPT_POLL_INTERVAL },
	{ "odid", required_argument, NULL, OPT_ODID },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "include-container", required_argument, NULL, OPT_INCLUDE_CONTAINER },
	{ "exclude-container", required_argument, NULL, OPT_EXCLUDE_CONTAINER },
	{ "disable-mechanism", required_argument, NULL, OPT_DISABLE_MECHANISM },
	{ "check", no_argument, NULL, 't' },
	{ "probe", no_argument, NULL, OPT_PROBE },
	{ "pmacct-primitives", no_argument, NULL, OPT_PMACCT_PRIMITIVES },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* One option that sets a config value, kept until the config file has been read. */
struct option_value {
	int opt;
	const char *name;	/* long name, for messages: "odid" */
	const char *arg;
};

/* What the command line asks for, before any of it is applied. */
struct cmdline {
	const char *config_path;	/* NULL: the default, if it exists */
	struct option_value *values;	/* in command-line order */
	int n_values;
	bool check;
	bool probe;
	bool pmacct_primitives;
	bool help;
	bool version;
};

static void usage(FILE *out)
{
	struct config def;

	config__defaults(&def);
	fprintf(out,
		"Usage: sockflow [OPTION]...\n"
		"Export every TCP connection of this host as IPFIX, with the process\n"
		"behind each end.\n"
		"\n"
		"  -c, --config FILE          read FILE (default %s,\n"
		"                             if it exists)\n"
		"  -o, --collector URI        export to URI: udp://HOST:PORT, tcp://HOST:PORT or\n"
		"                             file:PATH; IPv6 as udp://[ADDRESS]:PORT; NetFlow v9\n"
		"                             instead of IPFIX: udp://HOST:PORT?protocol=v9, a\n"
		"                             record per direction: &records=uniflow, a field\n"
		"                             list: &template=NAME, an observation domain:\n"
		"                             &observation_domain=N; what a collector needs:\n"
		"                             ?profile=nfdump|pmacct|ntop|wireshark;\n"
		"                             repeat for more (replaces the file's collectors;\n"
		"                             default none)\n"
		"  -p, --print                print flows as text (default when there is no\n"
		"                             collector)\n"
		"  -j, --json                 print flows as JSON objects, one per line\n"
		"      --active-timeout SECONDS\n"
		"                             export long-lived flows every SECONDS (default %u)\n"
		"      --idle-timeout SECONDS end flows idle for SECONDS (default %u)\n"
		"      --poll-interval SECONDS\n"
		"                             read TCP_INFO of every namespace's sockets every\n"
		"                             SECONDS, 0 never (default %u)\n"
		"      --odid N               IPFIX observation domain id (default %u)\n"
		"      --log-level LEVEL      error, warn, info or debug (default %s)\n"
		"      --include-container NAME\n"
		"                             export only flows with an end in container NAME\n"
		"                             (a name, an id or an id prefix of 12 or more hex\n"
		"                             digits); repeat for more (replaces the file's\n"
		"                             [filter] include_containers; default none)\n"
		"      --exclude-container NAME\n"
		"                             do not export flows with an end in container NAME;\n"
		"                             repeat for more (replaces the file's\n"
		"                             [filter] exclude_containers; default none)\n"
		"      --disable-mechanism NAME\n"
		"                             never use kernel mechanism NAME (see --probe),\n"
		"                             so that the next one is chosen; repeat for more\n"
		"                             (replaces the file's [kernel] disable_mechanisms;\n"
		"                             default none); tcp_packets: count TCP from each\n"
		"                             socket's own counters, octets estimated\n"
		"  -t, --check                check the configuration, print it and exit (the\n"
		"                             kernel is not touched)\n"
		"      --probe                try every kernel mechanism sockflow can use, print\n"
		"                             which each capability gets and what is lost, exit\n"
		"      --pmacct-primitives    print the nfacctd aggregate_primitives for the\n"
		"                             records pmacct gets (the first IPFIX collector with\n"
		"                             uniflow records, else the pmacct field list), exit\n"
		"  -h, --help                 show this help and exit\n"
		"  -V, --version              show the version and exit\n"
		"\n"
		"Options override the config file. Exit status: 0 stopped cleanly, 1 runtime\n"
		"failure, 2 bad option, value or config file.\n",
		CONFIG_DEFAULT_PATH, def.active_timeout_s, def.idle_timeout_s, def.poll_interval_s,
		def.observation_domain_id, def.log_level);
}

/* The long name of option @opt, or NULL if there is none. */
static const char *option_name(int opt)
{
	const struct option *o;

	for (o = long_options; o->name; o++) {
		if (o->val == opt)
			return o->name;
	}
	return NULL;
}

/* Whether @name ("--co") abbreviates several long options, which getopt_long() refuses. */
static bool is_ambiguous(const char *name)
{
	const struct option *o;
	int n = 0;

	if (strncmp(name, "--", 2))
		return false;
	for (o = long_options; o->name; o++)
		n += !strncmp(o->name, name + 2, strlen(name + 2));
	return n > 1;
}

/*
 * The option getopt_long() just refused, as typed: "--name" for long options
 * (getopt has moved past them, and optopt is 0 or their value), "-x" for
 * short ones (which may sit inside a cluster such as -pjx).
 */
static void refused_option(char **argv, char *buf, size_t len)
{
	const char *arg = argv[optind - 1];

	if (!strncmp(arg, "--", 2) && (optopt == 0 || option_name(optopt)))
		snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(buf, len, "-%c", optopt);
}

/*
 * Sort the command line into @cl without applying anything: the config file
 * comes first, and -c may come last. Returns 0 or -EINVAL after a message.
 */
static int cmdline__parse(struct cmdline *cl, int argc, char **argv)
{
	char name[64];
	int opt;

	cl->values = g_new0(struct option_value, (size_t)argc);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cl->config_path = optarg;
			break;
		case 't':
			cl->check = true;
			break;
		case OPT_PROBE:
			cl->probe = true;
			break;
		case OPT_PMACCT_PRIMITIVES:
			cl->pmacct_primitives = true;
			break;
		case 'h':
			cl->help = true;
			return 0;
		case 'V':
			cl->version = true;
			return 0;
		case ':':
			refused_option(argv, name, sizeof(name));
			log_error("%s: missing value; see sockflow --help", name);
			return -EINVAL;
		case '?':
			refused_option(argv, name, sizeof(name));
			if (optopt && option_name(optopt))
				log_error("%s: takes no value; see sockflow --help", name);
			else if (is_ambiguous(name))
				log_error("\"%s\" is ambiguous; write the option in full", name);
			else
				log_error("unknown option \"%s\"; see sockflow --help", name);
			return -EINVAL;
		default:
			cl->values[cl->n_values].opt = opt;
			cl->values[cl->n_values].name = option_name(opt);
			cl->values[cl->n_values].arg = optarg;
			cl->n_values++;
			break;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument \"%s\"; sockflow takes options only",
			  argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* The list key a repeatable option adds to ([filter], [kernel]), or NULL. */
static const char *list_key(int opt, const char **group)
{
	*group = "filter";
	switch (opt) {
	case OPT_INCLUDE_CONTAINER:
		return "include_containers";
	case OPT_EXCLUDE_CONTAINER:
		return "exclude_containers";
	case OPT_DISABLE_MECHANISM:
		*group = "kernel";
		return "disable_mechanisms";
	}
	return NULL;
}

/*
 * Options override the file; the first --collector replaces the file's list.
 * A filter option replaces the file's list of its key, all of them before
 * any is added to, so that an include option and an exclude option are
 * checked against each other and not against what they replace.
 */
static int cmdline__apply(const struct cmdline *cl, struct config *cfg)
{
	const struct option_value *v;
	bool collectors_replaced = false;
	const char *key, *group;
	char err[1024];
	int i, rc = 0;

	for (i = 0; i < cl->n_values; i++) {
		key = list_key(cl->values[i].opt, &group);
		if (key)
			config__set(cfg, group, key, "", NULL, 0);
	}

	for (i = 0; i < cl->n_values && !rc; i++) {
		v = &cl->values[i];
		switch (v->opt) {
		case 'o':
			if (!collectors_replaced)
				cfg->n_collectors = 0;
			collectors_replaced = true;
			rc = config__add_collector(cfg, v->arg, err, sizeof(err));
			break;
		case 'p':
			cfg->print = PRINT_TEXT;
			break;
		case 'j':
			cfg->print = PRINT_JSON;
			break;
		case OPT_ACTIVE_TIMEOUT:
			rc = config__set(cfg, "flow", "active_timeout", v->arg, err, sizeof(err));
			break;
		case OPT_IDLE_TIMEOUT:
			rc = config__set(cfg, "flow", "idle_timeout", v->arg, err, sizeof(err));
			break;
		case OPT_POLL_INTERVAL:
			rc = config__set(cfg, "flow", "poll_interval", v->arg, err, sizeof(err));
			break;
		case OPT_ODID:
			rc = config__set(cfg, "export", "observation_domain_id", v->arg, err,
					 sizeof(err));
			break;
		case OPT_LOG_LEVEL:
			rc = config__set(cfg, "log", "level", v->arg, err, sizeof(err));
			break;
		case OPT_INCLUDE_CONTAINER:
		case OPT_EXCLUDE_CONTAINER:
		case OPT_DISABLE_MECHANISM:
			key = list_key(v->opt, &group);
			rc = config__append(cfg, group, key, v->arg, err, sizeof(err));
			break;
		}
		if (rc)
			log_error("--%s: %s", v->name, err);
	}
	return rc;
}

/* Defaults, then the file (-c, or the default path when it exists), then the options. */
static int configure(struct config *cfg, const struct cmdline *cl)
{
	const char *path = cl->config_path ? cl->config_path : CONFIG_DEFAULT_PATH;
	enum log_level level;
	char err[1024];
	int rc;

	config__defaults(cfg);
	rc = config__load(cfg, path, err, sizeof(err));
	if (rc == -ENOENT && cl->config_path) {
		log_error("%s; check the -c/--config path", err);
		return rc;
	}
	if (rc && rc != -ENOENT) {
		log_error("%s", err);
		return rc;
	}
	rc = cmdline__apply(cl, cfg);
	if (rc)
		return rc;
	config__resolve(cfg);

	if (log_parse_level(cfg->log_level, &level) == 0)
		log_set_level(level);
	log_debug("config: %s", cfg->path[0] ? cfg->path : "no file, built-in defaults");
	return 0;
}

/* SIGHUP: the same steps as at start-up, so options still override the file. */
static int reconfigure(void *ctx, struct config *cfg)
{
	return configure(cfg, ctx);
}

int main(int argc, char **argv)
{
	struct cmdline cl = { 0 };
	struct config *cfg = NULL;
	int status = EXIT_OK;
	char *text;

	if (cmdline__parse(&cl, argc, argv)) {
		status = EXIT_USAGE;
		goto cleanup;
	}
	if (cl.help) {
		usage(stdout);
		goto cleanup;
	}
	if (cl.version) {
		printf("sockflow %s\n", PACKAGE_VERSION);
		goto cleanup;
	}

	cfg = g_new0(struct config, 1);
	if (configure(cfg, &cl)) {
		status = EXIT_USAGE;
		goto cleanup;
	}
	if (cl.check) {
		if (export__check(cfg, true)) {
			status = EXIT_USAGE;
			goto cleanup;
		}
		text = config__to_string(cfg);
		fputs(text, stdout);
		g_free(text);
		goto cleanup;
	}
	if (cl.pmacct_primitives) {
		if (export__print_pmacct_primitives(cfg, stdout))
			status = EXIT_USAGE;
		goto cleanup;
	}
	if (cl.probe) {
		if (daemon_probe(cfg))
			status = EXIT_RUNTIME;
		goto cleanup;
	}
	if (daemon_run(cfg, reconfigure, &cl))
		status = EXIT_RUNTIME;
cleanup:
	g_free(cfg);
	g_free(cl.values);
	if (fflush(stdout) != 0 && status == EXIT_OK)
		status = EXIT_RUNTIME;
	return status;
}
