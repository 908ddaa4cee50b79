#!/bin/bash
# Harvested objects on the web pages, in Debian's headless Chromium against the real platform:
# a partner's records harvested by `iiifd harvest` from tests/harvest/fixture_provider.py (three
# described objects: two with their page at the partner, one without), and a deposited image
# beside them. The document's page of a described object shows its description, licence, source
# and the link to the original, and no viewer; a deposited object's page is as it was; the list
# page has one collection for the partner, named after it (web_harvested.test.mjs).
#
#   run_harvested_test.sh IIIFD MODULE [ARTIFACT_DIR]
#
# Screenshots go to ARTIFACT_DIR (default build/test-artifacts/). The platform runs on 127.0.0.1
# as stack.sh sets it up (ports the kernel picks, a fresh temporary directory, every process
# stopped by its pid, every wait bounded), behind nginx as scripts/demo sets it up. The whole run
# is cut at 200 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=stack.sh
source "$here/stack.sh"
stack_bounded 200 "$@"

stack_setup run_harvested_test "$@"
stack_need_modules playwright-core axe-core
stack_need_pages index.html object.html vendor/mirador/mirador.min.js
stack_init "$1" "$2"

# ---- the partner: three records, each with its page there but the third ----------------------

partner_pages=https://partner.example.org/record/
python3 "$stack_root/tests/harvest/fixture_provider.py" --port-file "$stack_work/fixture.port" \
    --log "$stack_work/fixture.log" \
    --config "{\"records\": 3, \"links\": \"$partner_pages\", \"unlinked\": [3]}" &
stack_pids+=("$!")
for ((tries = 0; tries < 100; tries++)); do
    [[ -s $stack_work/fixture.port ]] && break
    sleep 0.1
done
[[ -s $stack_work/fixture.port ]] || stack_fail "the fixture provider did not start"
fixture_port=$(cat "$stack_work/fixture.port")

# ---- iiifd, the harvest, a deposit ------------------------------------------------------------

# [access] for the key nginx checks access with (and proxies /api/ with); nobody signs in here.
access=$(stack_access_toml alice depositors)
stack_start_redis
stack_start_iiifd "$access
[sets.\"maps\"]
name = \"Maps\"
[partners.\"bm-test\"]
name = \"BM Test\"
institution = \"Bibliothèque municipale de Test\"
base_url = \"http://127.0.0.1:$fixture_port/oai\"
images = \"metadata\"
delay_ms = 0"

"$stack_iiifd" -c "$stack_work/iiifd/iiifd.toml" --log-level warn harvest bm-test \
    >"$stack_work/harvest.json" 2>"$stack_work/harvest.err" ||
    stack_fail "iiifd harvest failed: $(cat "$stack_work/harvest.err" "$stack_work/harvest.json")"
grep -q '"created": 3' "$stack_work/harvest.json" ||
    stack_fail "the harvest did not make 3 objects: $(cat "$stack_work/harvest.json")"

vips black "$stack_work/images/black.v" 1200 900 --bands 3
vips linear "$stack_work/images/black.v" "$stack_work/images/plan.jpg" "1 1 1" "40 90 160" --uchar
ark=$(stack_deposit '{"title": "Plan de Test", "sets": ["maps"], "license": "https://creativecommons.org/licenses/by/4.0/"}' \
    "$stack_work/images/plan.jpg")

# ---- nginx: the pages, the images, /api/ to iiifd -----------------------------------------------

cp -r "$dist"/. "$stack_www/"
stack_start_nginx "$stack_key_file"

# ---- the browser ----------------------------------------------------------------------------------

export IIIF_BASE=$stack_base IIIF_ARK=$ark IIIF_PARTNER_PAGES=$partner_pages
export IIIF_ARTIFACTS=$artifacts IIIF_CHROMIUM=$chromium
cd "$here"
# --foreground: a TERM from the outer timeout reaches node (and Playwright closes Chromium).
# TMPDIR: Chromium's fresh profiles (Playwright makes one per launch) go with the work directory.
TMPDIR=$stack_work timeout --foreground -k 5 150 node --test --test-reporter=spec \
    web_harvested.test.mjs
echo "run_harvested_test: passed (screenshots in $artifacts)"
