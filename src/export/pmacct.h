/* SPDX-License-Identifier: GPL-2.0-only */
/* pmacct: the aggregate_primitives file nfacctd needs to keep sockflow's elements. */
#ifndef SOCKFLOW_EXPORT_PMACCT_H
#define SOCKFLOW_EXPORT_PMACCT_H

#include <stdio.h>

#include "export/export.h"

/*
 * Print to @out an nfacctd aggregate_primitives file naming every ntop
 * and sockflow element of the field list @opts->template_name, under
 * @opts->enterprise_id, as sockflow sends them: one "name=... field_type=
 * PEN:ID len=N|vlen semantics=u_int|str" line each. Names are the element
 * names in snake case (SRC_PROC_NAME: src_proc_name,
 * sockflowSourcePodName: sockflow_source_pod_name). Returns 0, or -errno
 * with a message in @msg when the field list cannot be read or pmacct
 * cannot take it (more custom primitives than nfacctd 1.7.7 tells apart).
 */
int pmacct__print_primitives(FILE *out, const struct export_options *opts, char *msg,
			     size_t msg_len);

#endif
