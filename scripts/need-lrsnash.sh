#!/usr/bin/env bash
# need-lrsnash.sh: makes sure lrsnash (Debian package lrslib), the solver tests' oracle for
# two-player equilibria, is in $PATH. As root with apt-get it installs lrslib (retrying: CI
# mirrors fail now and then); otherwise it stops with the command to run. With
# NASHD_SKIP_ORACLE=1 a missing lrsnash is only a warning: the oracle tests then skip.
set -euo pipefail
have() { command -v lrsnash >/dev/null 2>&1; }
have && exit 0
if [[ "${NASHD_SKIP_ORACLE:-}" == 1 ]]; then
	echo "WARNING: lrsnash not in \$PATH and NASHD_SKIP_ORACLE=1: the cross-checks against the lrsnash oracle will be SKIPPED" >&2
	exit 0
fi
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
	echo "lrsnash not in \$PATH: installing lrslib with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	for i in 1 2 3; do
		if apt-get update -qq && apt-get install -y -qq lrslib >/dev/null; then break; fi
		echo "apt-get failed (try $i of 3)" >&2
		[[ $i == 3 ]] || sleep 5
	done
	have && exit 0
fi
cat >&2 <<'MSG'
lrsnash, the solver tests' oracle for two-player equilibria, is not installed. Install it:
    sudo apt-get install lrslib          (Debian, Ubuntu)
or run the tests without the oracle (its tests are then skipped):
    NASHD_SKIP_ORACLE=1 make test
MSG
exit 1
