/* SPDX-License-Identifier: GPL-2.0-only */
/* The one logger: leveled lines on stderr. */
#ifndef SOCKFLOW_LOG_H
#define SOCKFLOW_LOG_H

enum log_level {
	SF_LOG_ERROR = 0,
	SF_LOG_WARN,
	SF_LOG_INFO,
	SF_LOG_DEBUG,
};

void log_set_level(enum log_level level);
/* "error", "warn", "info", "debug" -> level; returns 0 or -EINVAL. */
int log_parse_level(const char *s, enum log_level *out);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(SF_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(SF_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(SF_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(SF_LOG_DEBUG, __VA_ARGS__)

#endif
