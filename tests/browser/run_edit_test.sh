#!/bin/bash
# The edit page (web/dist/edit.html) in Debian's headless Chromium against the real platform: a
# four-page book deposited through the API, then an editor of its institution reorders its pages
# by dragging, labels them, replaces an image, gives it a two-level table of contents and changes
# its description; an editor of another institution sees it read-only; the keyboard in French;
# axe-core checks each view; a phone's screen; a reader told she may not edit; the document page's
# link to the edit page, for whom it is shown.
#
#   run_edit_test.sh IIIFD MODULE [ARTIFACT_DIR]
#
# Screenshots go to ARTIFACT_DIR (default build/test-artifacts/). The platform runs on
# 127.0.0.1 as stack.sh sets it up, behind nginx as scripts/demo sets it up: the pages at /,
# /api/ and /auth/ proxied to iiifd. The whole run is cut at 200 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=stack.sh
source "$here/stack.sh"
stack_bounded 200 "$@"

stack_setup run_edit_test "$@"
stack_need_modules playwright-core axe-core
stack_need_pages edit.html assets/edit.js
stack_init "$1" "$2"

# iiifd with [access] (the session cookies' key, which nginx checks with); the API key is the
# administrator "admin" of the home institution, who deposits; a collection "hours".
access=$(stack_access_toml alice depositors)
stack_start_redis
stack_start_iiifd "$access
[sets.\"hours\"]
name = \"Books of hours\""

# The book's four pages, each of its own size and shade; the image that replaces one.
images=$stack_work/images
for page in 1:600:800:60 2:620:820:90 3:640:840:120 4:660:860:150 new:500:300:200; do
    IFS=: read -r name w h shade <<<"$page"
    vips black "$images/black.v" "$w" "$h" --bands 3
    vips linear "$images/black.v" "$images/page-$name.png" "1 1 1" "$shade 80 40" --uchar
done
rm -f "$images/black.v"
ark=$(stack_deposit '{"title": "A book of hours"}' "$images"/page-{1,2,3,4}.png)

cp -r "$dist"/. "$stack_www/"
stack_start_nginx "$stack_key_file"

export IIIF_BASE=$stack_base IIIF_KEY=$stack_key IIIF_ARTIFACTS=$artifacts IIIF_CHROMIUM=$chromium
export IIIF_ARK=$ark IIIF_NEW_IMAGE=$images/page-new.png
cd "$here"
# --foreground: a TERM from the outer timeout reaches node (and Playwright closes Chromium).
# TMPDIR: Chromium's fresh profiles (Playwright makes one per launch) go with the work directory.
TMPDIR=$stack_work timeout --foreground -k 5 160 node --test --test-reporter=spec \
    web_edit.test.mjs
echo "run_edit_test: passed (screenshots in $artifacts)"
