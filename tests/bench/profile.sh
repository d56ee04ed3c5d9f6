#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Profile one fresh-dump view of N entries (default 1,000,000) through the
# demo Apache: `perf record -a -g` while the view runs, then the CGI's and
# the helper's samples by dso and symbol (kernel symbols when readable).
# The perf data stays in $CTD_TEST_OUT/bench-perf.data.  Needs root and perf.
#   tests/bench/profile.sh [N]
set -euo pipefail
command -v perf >/dev/null || { echo "profile: perf is not installed (linux-perf)" >&2; exit 1; }
exec "$(dirname "$0")/run.sh" --profile "${1:-1000000}"
