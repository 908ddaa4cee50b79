#!/bin/bash
# The accounts page (web/dist/accounts.html) in Debian's headless Chromium against the real
# platform: the administrator (the API key of iiifd.toml, account "admin") adds an institution,
# creates an editor of it, makes, copies and revokes its keys, disables and enables it; the
# editor sees their account and their institution's audit log only, and makes a key with the
# keyboard in French; a reader sees only their account; axe-core checks each view; a phone's
# screen.
#
#   run_accounts_test.sh IIIFD MODULE [ARTIFACT_DIR]
#
# Screenshots go to ARTIFACT_DIR (default build/test-artifacts/). The platform runs on
# 127.0.0.1 as stack.sh sets it up, behind nginx as scripts/demo sets it up: the pages at /,
# /api/ and /auth/ proxied to iiifd. The whole run is cut at 200 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=stack.sh
source "$here/stack.sh"
stack_bounded 200 "$@"

stack_setup run_accounts_test "$@"
stack_need_modules playwright-core axe-core
stack_need_pages accounts.html assets/accounts.js
stack_init "$1" "$2"

# iiifd with [access] (the session cookies' key, which nginx checks with): alice, of the home
# institution, becomes an editor on the first start; the API key the administrator "admin".
access=$(stack_access_toml alice depositors)
stack_start_redis
stack_start_iiifd "$access"

cp -r "$dist"/. "$stack_www/"
stack_start_nginx "$stack_key_file"

export IIIF_BASE=$stack_base IIIF_KEY=$stack_key IIIF_ARTIFACTS=$artifacts IIIF_CHROMIUM=$chromium
cd "$here"
# --foreground: a TERM from the outer timeout reaches node (and Playwright closes Chromium).
# TMPDIR: Chromium's fresh profiles (Playwright makes one per launch) go with the work directory.
TMPDIR=$stack_work timeout --foreground -k 5 160 node --test --test-reporter=spec \
    web_accounts.test.mjs
echo "run_accounts_test: passed (screenshots in $artifacts)"
