#!/bin/bash
# IIIF Authorization Flow 2.0 end to end, in Debian's headless Chromium: a one-page object under
# a token policy (readers see it in full, everyone else at 300 pixels) deposited through the
# real iiifd, served by nginx with the module, and a client page (auth-client.html) that plays
# a viewer's part: probe, substitute, sign-in window, token frame, probe with the token, full
# image, sign-out. auth_flow.test.mjs drives it and checks every step's answer.
#
#   run_auth_test.sh IIIFD MODULE [ARTIFACT_DIR]
#
# IIIFD is the iiifd binary, MODULE ngx_http_iiif_module.so; screenshots go to ARTIFACT_DIR
# (default build/test-artifacts/ of the repository). The platform runs on 127.0.0.1 as
# stack.sh sets it up (ports the kernel picks, a temporary directory kept with
# IIIF_KEEP_TEST_DIRS=1, every process stopped by its pid, the whole run cut at 150 s). The
# client page, the images and the auth services share one origin, nginx's, so the session
# cookie (SameSite=Lax over http) goes with the client's image requests.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=stack.sh
source "$here/stack.sh"
stack_bounded 150 "$@"

stack_setup run_auth_test "$@"
stack_need_modules playwright-core
stack_init "$1" "$2"

# ---- iiifd: a reader, alice, in group "readers"; policy "readers" lets that group in ---------

access=$(stack_access_toml alice readers)
stack_start_redis
stack_start_iiifd "$access
[policies.readers]
kind = \"token\"
groups = [\"readers\"]
degraded_size = 300"
[[ -s "$stack_key_file" ]] || stack_fail "iiifd did not create its access key $stack_key_file"

# ---- the object: one 2000x1500 page, under policy "readers" -----------------------------------

# Blue, "Readers only" in white in its top-left corner: full or degraded, it shows in screenshots.
t=$stack_work/images/t
vips black "$t-black.v" 2000 1500 --bands 3
vips linear "$t-black.v" "$t-colour.v" "1 1 1" "60 110 170" --uchar
vips text "$t-text.v" "Readers only" --dpi 900 --font "DejaVu Sans Bold"
vips embed "$t-text.v" "$t-mask.v" 80 80 2000 1500
vips linear "$t-black.v" "$t-white.v" "1 1 1" "255 255 255" --uchar
page=$stack_work/images/page1.jpg
vips ifthenelse "$t-mask.v" "$t-white.v" "$t-colour.v" "${page}[Q=90]" --blend
ark=$(stack_deposit '{"title": [{"value": "For readers", "lang": "en"}], "access": "readers"}' \
    "$page")

# ---- nginx: the images, checked with the shared key; /auth/ to iiifd; the client page --------

cp "$here/auth-client.html" "$stack_www/"
stack_start_nginx "$stack_key_file"

# ---- the flow -----------------------------------------------------------------------------------

export IIIF_BASE=$stack_base IIIF_ARK=$ark IIIF_ARTIFACTS=$artifacts IIIF_CHROMIUM=$chromium
export IIIF_PASSWORD=$stack_password IIIF_ACCESS_LOG=$stack_work/nginx/logs/access.log
cd "$here"
# --foreground: a TERM from the outer timeout reaches node (and Playwright closes Chromium).
# TMPDIR: Chromium's fresh profiles (Playwright makes one per launch) go with the work directory.
TMPDIR=$stack_work timeout --foreground -k 5 90 node --test --test-reporter=spec auth_flow.test.mjs
echo "run_auth_test: passed (screenshots in $artifacts)"
