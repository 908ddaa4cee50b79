#!/usr/bin/env python3
"""The soak's load and its verdict (tests/soak/soak.sh starts the platform and the chaos).

    soak.py BASE API_KEY STORAGE_ROOT ACCESS_LOG SECONDS TILE_LIST RESULT_DIR

For SECONDS, together: wrk over cached tiles in 5 s slices (each slice's p99), deposits of
unique small images through nginx's /api/, full OAI-PMH harvests through /oai, and manifest
reads. Meanwhile soak.sh kills iiifd, restarts Redis, reloads nginx and sends expensive renders.
Then it waits for every accepted deposit's job and checks:

- every deposit answered 202 exists exactly once: one object in the storage root holds its
  original, byte for byte (SHA-256), and the API's listing names its ARK once;
- a final harvest lists every deposited ARK exactly once, and no harvest during the run saw a
  record twice;
- no answer in nginx's access log was a 5xx other than 503, and every 503 had Retry-After;
- every tile slice's p99 stayed under 50 ms;
- no temporary file (.tmp-*) is left in the storage root.

Exits 0 when all hold; prints what did not otherwise. Standard library only.
"""
import hashlib
import json
import os
import random
import re
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zlib

OAI = "{http://www.openarchives.org/OAI/2.0/}"
P99_LIMIT_US = 50_000

base, key, storage, access_log, seconds, tile_list, results = sys.argv[1:8]
seconds = float(seconds)
stop = threading.Event()
lock = threading.Lock()
problems = []


def problem(text):
    with lock:
        problems.append(text)
    print("soak: PROBLEM: " + text, file=sys.stderr, flush=True)


def request(url, data=None, headers=None, method=None, timeout=60):
    """(status, headers, body); status 0 when no answer came."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except Exception:  # refused, reset, timed out: nginx reloading, iiifd restarting
        return 0, {}, b""


def png(seed):
    """A 48x48 RGB PNG of noise from `seed`: unique per deposit."""
    rng = random.Random(seed)
    raw = b"".join(b"\0" + bytes(rng.randrange(256) for _ in range(48 * 3)) for _ in range(48))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 48, 48, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def multipart(fields):
    boundary = "soak%016x" % random.getrandbits(64)
    body = b""
    for name, filename, content_type, content in fields:
        body += b"--" + boundary.encode() + b"\r\n"
        disposition = 'form-data; name="%s"' % name
        if filename:
            disposition += '; filename="%s"' % filename
        body += ("Content-Disposition: %s\r\nContent-Type: %s\r\n\r\n" %
                 (disposition, content_type)).encode() + content + b"\r\n"
    body += b"--" + boundary.encode() + b"--\r\n"
    return body, "multipart/form-data; boundary=" + boundary


accepted = []  # (ark, job, sha256)
refusals = {}  # status -> count, deposits not accepted


def depositor():
    n = 0
    while not stop.is_set():
        n += 1
        image = png(n * 7919 + os.getpid())
        metadata = json.dumps({"title": [{"value": "Soak %d" % n, "lang": "en"}]}).encode()
        body, content_type = multipart([("file", "soak-%d.png" % n, "image/png", image),
                                        ("metadata", None, "application/json", metadata)])
        status, headers, answer = request(base + "/api/v1/objects", body,
                                          {"Authorization": "Bearer " + key,
                                           "Content-Type": content_type})
        if status == 202:
            reply = json.loads(answer)
            with lock:
                accepted.append((reply["ark"], reply["job"], hashlib.sha256(image).hexdigest()))
        else:
            with lock:
                refusals[status] = refusals.get(status, 0) + 1
        time.sleep(0.3 if status == 202 else 1.0)


def harvest(strict):
    """The ARKs of one full ListIdentifiers harvest, in order; None when it could not finish.
    A 503 is waited out (Retry-After) and the same request asked again."""
    arks = []
    url = base + "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc"
    deadline = time.time() + 120
    while time.time() < deadline and (strict or not stop.is_set()):
        status, headers, body = request(url, timeout=30)
        if status == 503:
            time.sleep(min(float(headers.get("Retry-After", "1") or 1), 5))
            continue
        if status != 200:
            time.sleep(0.5)
            continue
        root = ET.fromstring(body)
        error = root.find(OAI + "error")
        if error is not None:
            return arks if error.get("code") == "noRecordsMatch" else None
        listing = root.find(OAI + "ListIdentifiers")
        for header in listing.findall(OAI + "header"):
            identifier = header.findtext(OAI + "identifier")
            arks.append(identifier[identifier.index("ark:"):])
        token = listing.findtext(OAI + "resumptionToken")
        if not token:
            return arks
        url = base + "/oai?verb=ListIdentifiers&resumptionToken=" + urllib.parse.quote(token)
    return None


harvests = [0]


def harvester():
    while not stop.is_set():
        arks = harvest(strict=False)
        if arks is None:
            continue
        harvests[0] += 1
        seen = set()
        for ark in arks:
            if ark in seen:
                problem("a harvest during the run listed %s twice" % ark)
            seen.add(ark)
        time.sleep(0.5)


def manifest_reader():
    while not stop.is_set():
        with lock:
            arks = [ark for ark, _, _ in accepted[-20:]]
        for ark in arks:
            request(base + "/iiif/3/" + ark + "/manifest", timeout=30)
        time.sleep(0.2)


slices = []  # (requests, p99_us)


def tile_load():
    lua = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                       "serve_bench.lua")
    while not stop.is_set():
        began = time.time()
        out = subprocess.run(
            ["wrk", "-t1", "-c8", "-d5s", "--timeout", "10s", "-s", lua, base + "/"],
            env=dict(os.environ, BENCH_PATHS=tile_list, BENCH_THREADS="1"),
            capture_output=True, text=True).stdout
        match = re.search(r"RESULT requests=(\d+) .* p99_us=(\d+)", out)
        if match:
            slices.append((int(match.group(1)), int(match.group(2))))
            print("soak: tiles %.1f-%.1f: p99 %.1f ms" % (began % 1000, time.time() % 1000,
                                                         int(match.group(2)) / 1000), flush=True)


threads = [threading.Thread(target=f, daemon=True)
           for f in (depositor, harvester, manifest_reader, tile_load)]
for thread in threads:
    thread.start()
time.sleep(seconds)
stop.set()
for thread in threads:
    thread.join(timeout=120)
print("soak: load stopped: %d deposits accepted, refused %s; %d harvests; %d tile slices" %
      (len(accepted), refusals, harvests[0], len(slices)), flush=True)

# ---- The verdict ----------------------------------------------------------------------------------
# Every accepted job done (iiifd was killed and Redis restarted meanwhile: it must take them up).
auth = {"Authorization": "Bearer " + key}
pending = {job: ark for ark, job, _ in accepted}
deadline = time.time() + 300
while pending and time.time() < deadline:
    for job in list(pending):
        status, _, body = request(base + "/api/v1/jobs/" + job, headers=auth, timeout=10)
        if status == 200:
            state = json.loads(body).get("state")
            if state == "done":
                del pending[job]
            elif state == "failed":
                problem("job %s (%s) failed: %s" % (job, pending.pop(job), body[:300]))
    if pending:
        time.sleep(1)
for job, ark in pending.items():
    problem("job %s (%s) never finished" % (job, ark))

# Each deposit's original, byte for byte, in exactly one object of the storage root.
originals = {}
for directory, _, files in os.walk(storage):
    if os.path.basename(directory) != "originals":
        continue
    for name in files:
        if name.startswith(".tmp-"):
            continue  # reported below
        with open(os.path.join(directory, name), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        originals.setdefault(digest, []).append(os.path.dirname(directory))
for ark, job, digest in accepted:
    holders = originals.get(digest, [])
    if len(holders) != 1:
        problem("%s (job %s): its original is in %d objects" % (ark, job, len(holders)))

# The API's listing names each accepted ARK once.
listed = []
cursor = ""
while True:
    status, _, body = request(base + "/api/v1/objects?limit=100" +
                              ("&cursor=" + cursor if cursor else ""), headers=auth, timeout=30)
    if status != 200:
        problem("the listing answered %d" % status)
        break
    page = json.loads(body)
    listed += [o["ark"] for o in page["objects"]]
    cursor = page.get("next_cursor") or ""
    if not cursor:
        break
for ark, _, _ in accepted:
    if listed.count(ark) != 1:
        problem("the listing names %s %d times" % (ark, listed.count(ark)))

# A final harvest: each accepted ARK exactly once.
final = harvest(strict=True)
if final is None:
    problem("the final harvest did not finish")
else:
    for ark, _, _ in accepted:
        if final.count(ark) != 1:
            problem("the final harvest lists %s %d times" % (ark, final.count(ark)))

# nginx's answers: no 5xx but 503, each 503 with Retry-After. Lines: "METHOD URI STATUS CACHE
# RETRY_AFTER".
statuses = {}
with open(access_log) as log:
    for line in log:
        fields = line.split()
        if len(fields) < 5:
            continue
        status = int(fields[2])
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 500 and status != 503:
            problem("a %d: %s" % (status, line.strip()))
        elif status == 503 and not fields[4].isdigit():
            problem("a 503 without Retry-After: %s" % line.strip())

# Cached tiles stayed fast throughout.
worst = max((p99 for _, p99 in slices), default=None)
if worst is None:
    problem("no tile slice ran")
elif worst >= P99_LIMIT_US:
    problem("a tile slice's p99 was %.1f ms (limit 50 ms): %s" %
            (worst / 1000, [round(p / 1000, 1) for _, p in slices]))

# No temporary file left.
for directory, _, files in os.walk(storage):
    for name in files:
        if name.startswith(".tmp-"):
            problem("left behind: " + os.path.join(directory, name))

summary = {
    "deposits_accepted": len(accepted), "deposits_refused": refusals,
    "harvests_during_run": harvests[0], "final_harvest": len(final or []),
    "statuses": statuses, "tile_slices": len(slices),
    "tile_p99_ms": [round(p / 1000, 1) for _, p in slices],
    "tile_requests": sum(n for n, _ in slices), "problems": problems,
}
with open(os.path.join(results, "soak.json"), "w") as out:
    json.dump(summary, out, indent=1, sort_keys=True)
print("soak: " + json.dumps({k: v for k, v in summary.items() if k != "problems"}), flush=True)
if problems:
    print("soak: FAILED: %d problems (above)" % len(problems), file=sys.stderr)
    sys.exit(1)
print("soak: passed")
