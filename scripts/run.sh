#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build sockflow if needed and run it: scripts/run.sh [sockflow options]
# With no options it prints flows as they end (--print).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh >&2
# Configure once; make re-runs autoconf/configure itself when their inputs change.
if [[ ! -f Makefile ]]; then
	[[ -x configure ]] || autoreconf -fi >&2
	./configure --sysconfdir=/etc >&2
fi
make -j2 >&2
(($# > 0)) || set -- --print
# Not installed: the field lists are the source tree's.
SOCKFLOW_TEMPLATES_DIR=$PWD/templates exec ./src/sockflow "$@"
