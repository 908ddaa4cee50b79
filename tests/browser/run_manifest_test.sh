#!/bin/bash
# A deposit seen through IIIF viewers: a 3-page object deposited through the real iiifd (with a
# real redis-server) is shown by Mirador in Debian's headless Chromium from its Presentation 3.0
# manifest, its bare ARK leads to that landing page, and its Presentation 2.1 manifest is read
# by manifesto.js (the parser of Mirador and the Universal Viewer) with image services that
# match their info.json. A 4-page book, its pages labelled at deposit then relabelled with a
# two-level table of contents through the API, is shown by Mirador with its page labels and its
# ranges (mirador_book.test.mjs).
#
#   run_manifest_test.sh IIIFD MODULE [ARTIFACT_DIR]
#
# IIIFD is the iiifd binary, MODULE ngx_http_iiif_module.so; screenshots go to ARTIFACT_DIR
# (default build/test-artifacts/ of the repository). The platform runs on 127.0.0.1 as
# stack.sh sets it up: ports the kernel picks, a fresh temporary directory (kept with
# IIIF_KEEP_TEST_DIRS=1), every process stopped by its pid on exit, every wait bounded, and the
# whole run cut at 170 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=stack.sh
source "$here/stack.sh"
stack_bounded 170 "$@"

stack_setup run_manifest_test "$@"
stack_need_modules playwright-core manifesto.js
stack_need_pages object.html vendor/mirador/mirador.min.js
stack_init "$1" "$2"

# ---- Redis and iiifd --------------------------------------------------------------------------

stack_start_redis
stack_start_iiifd ""

# ---- the objects: three pages of different colours and sizes, and a book of four -------------

# Page n: WIDTHxHEIGHT, colour R G B, "Page n" in white in its top-left corner (the centre
# stays the plain colour, which the Mirador test reads back from its screenshots). The first
# three are the object's, all four the book's.
pages=("2000 1500 200 40 40" "1500 2000 30 150 60" "1800 1200 40 70 200" "1200 1600 200 170 40")
files=()
for n in 1 2 3 4; do
    read -r w h r g b <<<"${pages[n - 1]}"
    t=$stack_work/images/t$n
    vips black "$t-black.v" "$w" "$h" --bands 3
    vips linear "$t-black.v" "$t-colour.v" "1 1 1" "$r $g $b" --uchar
    vips text "$t-text.v" "Page $n" --dpi 900 --font "DejaVu Sans Bold"
    vips embed "$t-text.v" "$t-mask.v" 80 80 "$w" "$h"
    vips linear "$t-black.v" "$t-white.v" "1 1 1" "255 255 255" --uchar
    page=$stack_work/images/page$n.jpg
    vips ifthenelse "$t-mask.v" "$t-white.v" "$t-colour.v" "${page}[Q=92]" --blend
    files+=("$page")
done
ark=$(stack_deposit '{"title": [{"value": "Three colours", "lang": "en"}], "license": "https://creativecommons.org/licenses/by-sa/4.0/"}' "${files[@]:0:3}")
# The book's pages are labelled by folio at deposit: f. 1r, f. 1v, f. 2r, f. 2v.
book_metadata='{"title": "Book of hours", "shelfmark": "Ms. 12", "behavior": ["paged"]}'
book=$(STACK_PAGES='{"rule": "folio", "start": 1}' stack_deposit "$book_metadata" "${files[@]}")

# ---- nginx: the Image API and manifests from the catalog, the ARK resolver, the page ----------

cp -r "$dist"/. "$stack_www/"
stack_start_nginx ""

# ---- the viewers --------------------------------------------------------------------------------

export IIIF_BASE=$stack_base IIIF_ARK=$ark IIIF_ARTIFACTS=$artifacts IIIF_CHROMIUM=$chromium
export IIIF_BOOK=$book IIIF_API=$stack_api IIIF_KEY=$stack_key
IIIF_PAGES=$(printf '%s;' "${pages[@]:0:3}")
export IIIF_PAGES
export IIIF_BROWSER_PROFILE=$stack_work/chromium-profile
cd "$here"
# --foreground: a TERM from the outer timeout reaches node (and Playwright closes Chromium).
# TMPDIR: the fresh profile of the book test's Chromium goes with the work directory.
TMPDIR=$stack_work timeout --foreground -k 5 100 node --test --test-reporter=spec \
    mirador.test.mjs p2_parse.test.mjs mirador_book.test.mjs
echo "run_manifest_test: passed (screenshots in $artifacts)"
