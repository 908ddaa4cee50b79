#!/bin/bash
# The sets and access policies page (web/dist/access.html) in Debian's headless Chromium against
# the real platform: the administrator (the API key of iiifd.toml, account "admin") is refused a
# network policy without networks, creates the network policy "campus" and changes it, creates
# the set "collection:maps" under it with the keyboard in French, makes it the default, is
# refused its deletion, then deletes the set and the policy; an editor sees the lists read-only;
# a reader is refused; axe-core checks each view; a phone's screen.
#
#   run_access_test.sh IIIFD MODULE [ARTIFACT_DIR]
#
# Screenshots go to ARTIFACT_DIR (default build/test-artifacts/). The platform runs on
# 127.0.0.1 as stack.sh sets it up, behind nginx as scripts/demo sets it up: the pages at /,
# /api/ and /auth/ proxied to iiifd. The whole run is cut at 200 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=stack.sh
source "$here/stack.sh"
stack_bounded 200 "$@"

stack_setup run_access_test "$@"
stack_need_modules playwright-core axe-core
stack_need_pages access.html assets/access.js
stack_init "$1" "$2"

# iiifd with [access] (the session cookies' key, which nginx checks with) and a watermark of its
# own besides the holding institution's, which policies and sets may name; the API key is the
# administrator "admin".
access=$(stack_access_toml alice depositors)
stack_start_redis
stack_start_iiifd "$access

[watermarks.example]
text = \"Example\""

cp -r "$dist"/. "$stack_www/"
stack_start_nginx "$stack_key_file"

export IIIF_BASE=$stack_base IIIF_KEY=$stack_key IIIF_ARTIFACTS=$artifacts IIIF_CHROMIUM=$chromium
cd "$here"
# --foreground: a TERM from the outer timeout reaches node (and Playwright closes Chromium).
# TMPDIR: Chromium's fresh profiles (Playwright makes one per launch) go with the work directory.
TMPDIR=$stack_work timeout --foreground -k 5 160 node --test --test-reporter=spec \
    web_access.test.mjs
echo "run_access_test: passed (screenshots in $artifacts)"
