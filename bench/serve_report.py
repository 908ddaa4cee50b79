"""The tables of bench/serve_bench.sh's report, in Markdown, from the run's TSV files.

  serve_report.py WORK GROUPS_RUN

WORK holds results.tsv (a row per run: workload, side, round, req/s, latencies, mean body bytes,
cache statuses, others' CPU), hits.tsv (small-cache hit ratios), bytes.tsv (one pass over the
tile mix per side: URLs and body bytes) and rss.tsv (each nginx worker's memory after each
group). GROUPS_RUN names the groups the run measured (BENCH_ONLY), so that a target of a group
left out says so instead of failing.
"""

import csv
import statistics
import sys

WORK, GROUPS = sys.argv[1], sys.argv[2].split()


def rows_of(name):
    with open(f"{WORK}/{name}") as f:
        return list(csv.DictReader(f, delimiter="\t"))


results = rows_of("results.tsv")
groups = {}
for r in results:
    groups.setdefault((r["workload"], r["side"]), []).append(r)


def stat(workload, side):
    g = groups.get((workload, side))
    if not g:
        return None
    rps = [float(r["rps"]) for r in g]
    return dict(rps=statistics.median(rps), lo=min(rps), hi=max(rps),
                mean=statistics.median(float(r["mean_ms"]) for r in g),
                p99=statistics.median(float(r["p99_ms"]) for r in g),
                body=statistics.median(float(r["body_bytes"]) for r in g),
                hit=sum(int(r["hit"]) for r in g), miss=sum(int(r["miss"]) for r in g),
                others=statistics.median(float(r["others_cpu"]) for r in g),
                requests=statistics.median(int(r["requests"]) for r in g),
                by_round={r["round"]: float(r["rps"]) for r in g})


ORDER = ["hot", "mix cold", "mix uncached", "mix warm", "full", "regions",
         "lossy mix", "lossy full", "lossy regions", "lossless mix", "lossless full",
         "lossless regions"]
TITLES = {"hot": "TIFF: one hot tile `2560,2048,256,256/256,`",
          "mix cold": "TIFF: tile mix, cold (one pass)",
          "mix uncached": "TIFF: tile mix, uncached", "mix warm": "TIFF: tile mix, warm",
          "full": "TIFF: `full/1000,/0/default.jpg` (uncached: widths 968–1031)",
          "regions": "TIFF: random `x,y,1000,1000/500,`"}
for kind in ("lossy", "lossless"):
    TITLES[f"{kind} mix"] = f"JP2 {kind}: tile mix, uncached"
    TITLES[f"{kind} full"] = f"JP2 {kind}: `full/968..1031,/0/default.jpg`"
    TITLES[f"{kind} regions"] = f"JP2 {kind}: random `x,y,1000,1000/500,`"
SIDES = ["module", "module, no cache", "module, no cache, RGB master", "static nginx",
         "static, sendfile off", "static, the module's headers", "iipsrv", "iipsrv, 10 MB cache", "iipsrv, no cache, Q 90"]


def ratios(workload, side, refs):
    """Per round, side's req/s over the fastest of refs; their median; None if not measured."""
    a = stat(workload, side)
    bs = [stat(workload, ref) for ref in refs]
    if not a or not all(bs):
        return None
    per_round = [a["by_round"][k] / max(b["by_round"][k] for b in bs)
                 for k in sorted(a["by_round"], key=int) if all(k in b["by_round"] for b in bs)]
    return statistics.median(per_round), per_round


def rate(x):
    """req/s with the digits that mean something: a JPEG 2000 side may do a few a second."""
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def times(x):
    return f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"


def verdict(ok):
    return "**met**" if ok else "**NOT met**"


# ---- Targets ---------------------------------------------------------------------------------
print("## Targets (issue 16)\n")
print("Each a ratio in this run: the median over the rounds of the round's ratio (the rounds'")
print("values after it). Against several iipsrv pools, each round's ratio is to the fastest.\n")
print("| target | sides | ratio | in each round | |")
print("| --- | --- | ---: | --- | --- |")
GROUP_OF = {"hot": "hot", "mix warm": "mix", "mix uncached": "mix", "full": "full",
            "regions": "regions"}
targets = [
    ("hot tile ≥ 1.0 × static nginx (sendfile on) serving the same bytes", "hot", "module",
     ["static nginx"], 1.0),
    ("warm tile mix ≥ 0.9 × static nginx serving the same bytes", "mix warm", "module",
     ["static nginx"], 0.9),
    ("uncached tile mix ≥ 10 × iipsrv without cache", "mix uncached", "module, no cache",
     ["iipsrv, no cache, Q 90"], 10),
    ("uncached full/1000 ≥ 3 × iipsrv with its cache", "full", "module, no cache", ["iipsrv"], 3),
    ("uncached random regions ≥ 2 × iipsrv with its cache", "regions", "module, no cache",
     ["iipsrv"], 2),
]
for kind in ("lossy", "lossless"):
    for w, what in (("mix", "uncached tile mix"), ("full", "full/1000"), ("regions", "regions")):
        targets.append((f"JPEG 2000 {kind}: {what} ≥ 2 × iipsrv on the same file", f"{kind} {w}",
                        "module, no cache", ["iipsrv", "iipsrv, 10 MB cache"], 2))
        GROUP_OF[f"{kind} {w}"] = "jp2"
for text, workload, side, refs, goal in targets:
    measured = ratios(workload, side, refs)
    sides = f"{side} / {' or '.join(refs)}"
    if measured is None:
        print(f"| {text} | {sides} | | | not measured (group {GROUP_OF[workload]} not run) |")
        continue
    ratio, per_round = measured
    print(f"| {text} | {sides} | {times(ratio)} | {', '.join(times(x) for x in per_round)} | "
          f"{verdict(ratio >= goal)} |")

byte_rows = {r["side"]: r for r in rows_of("bytes.tsv")}
if "module" in byte_rows and "iipsrv-90" in byte_rows:
    ratio = int(byte_rows["module"]["bytes"]) / int(byte_rows["iipsrv-90"]["bytes"])
    print(f"| bytes per tile ≤ 1.05 × iipsrv's at the same quality setting | module / iipsrv "
          f"JPEG_QUALITY=90, one pass over the tile mix | {ratio:.3f} | | "
          f"{verdict(ratio <= 1.05)} |")
else:
    print("| bytes per tile ≤ 1.05 × iipsrv's at the same quality setting | | | | "
          "not measured (group bytes not run) |")

rss = rows_of("rss.tsv")
end = [r for r in rss if r["after"] == "end"]
if end:
    worst = max((int(r["rss_kb"]) + int(r.get("arena_kb") or 0)) * 1024 / 1e6 for r in end)
    every = "the whole benchmark" if len(GROUPS) == 7 else f"the groups run ({' '.join(GROUPS)})"
    print(f"| nginx worker RSS ≤ 200 MB after the whole benchmark | the largest worker's VmRSS "
          f"plus its send arena (shmem) after {every} | {worst:.0f} MB | | "
          f"{verdict(worst <= 200)} |")

# ---- Throughput and latency --------------------------------------------------------------------
print("\n## Throughput and latency (medians over the rounds)\n")
print("| workload | server | req/s | req/s min–max | requests | mean latency (ms) | "
      "p99 latency (ms) | body (KB) | module cache HIT/MISS | others' CPU |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
for w in ORDER:
    for s in SIDES:
        st = stat(w, s)
        if not st:
            continue
        cache = f"{st['hit']}/{st['miss']}" if s == "module" else ""
        print(f"| {TITLES[w]} | {s} | {rate(st['rps'])} | {rate(st['lo'])}–{rate(st['hi'])} | "
              f"{st['requests']:.0f} | {st['mean']:.2f} | {st['p99']:.2f} | "
              f"{st['body'] / 1024:.1f} | {cache} | {st['others']:.0f}% |")
print("\nrequests: those a run completed (median over the rounds); a side of a few a second rests on")
print("a few dozen, so its ratios move by several percent from one request more or less. body: the")
print("mean response body (1 KB = 1024 bytes), from the access log. Others' CPU: the share of both")
print("cores used by processes that are not part of the benchmark (the machine's busy time minus")
print("nginx's, iipsrv's and wrk's), median over the rounds.")

# ---- Every ratio -------------------------------------------------------------------------------
print("\n## Module / reference (each round's ratio of req/s, and their median)\n")
print("| workload | module side | reference | module req/s | reference req/s | ratio | "
      "in each round |")
print("| --- | --- | --- | ---: | ---: | ---: | --- |")
for w in ORDER:
    for m in [s for s in SIDES if s.startswith("module")]:
        for ref in [s for s in SIDES if not s.startswith("module")]:
            a, b, measured = stat(w, m), stat(w, ref), ratios(w, m, [ref])
            if not measured:
                continue
            ratio, per_round = measured
            print(f"| {TITLES[w]} | {m} | {ref} | {rate(a['rps'])} | {rate(b['rps'])} | {times(ratio)} | "
                  f"{', '.join(times(x) for x in per_round)} |")

# ---- Bytes -------------------------------------------------------------------------------------
if byte_rows:
    print("\n## Bytes per tile (one pass over every tile of the TIFF tile mix)\n")
    print("| server | tiles | bytes | mean per tile | / iipsrv JPEG_QUALITY=90 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    names = {"module": "module: the iiifd master's Q 90 4:2:0 tiles, passed through",
             "iipsrv-90": "iipsrv, JPEG_QUALITY=90",
             "iipsrv-85": "iipsrv, JPEG_QUALITY=85 (its pools elsewhere)",
             "module-rgb": "module: the RGB master's (vips tiffsave Q 90) tiles"}
    ref = byte_rows.get("iipsrv-90")
    for key in ("module", "iipsrv-90", "iipsrv-85", "module-rgb"):
        r = byte_rows.get(key)
        if not r:
            continue
        n, total = int(r["urls"]), int(r["bytes"])
        rel = ""
        if ref and r["same_list"] == "yes":
            rel = f"{total / int(ref['bytes']):.3f}"
        print(f"| {names[key]} | {n} | {total} | {total / n:.0f} | {rel} |")
    if "module-rgb" in byte_rows and byte_rows["module-rgb"]["same_list"] != "yes":
        print("\nThe RGB master's info.json gives other tiles than the master's: its row is its "
              "own list.")

# ---- Memory ------------------------------------------------------------------------------------
if rss:
    print("\n## nginx workers' memory (after each group; one nginx for the whole run)\n")
    print("| after | worker: VmRSS MB (anonymous + file), + send arena MB | "
          "largest VmRSS + arena (MB) |")
    print("| --- | --- | ---: |")
    order = []
    for r in rss:
        if r["after"] not in order:
            order.append(r["after"])
    for after in order:
        ws = [r for r in rss if r["after"] == after]
        cells = "; ".join(f"{r['pid']}: {int(r['rss_kb']) * 1024 / 1e6:.0f} "
                          f"({int(r['anon_kb']) * 1024 / 1e6:.0f} + "
                          f"{int(r['file_kb']) * 1024 / 1e6:.0f}) + "
                          f"{int(r.get('arena_kb') or 0) * 1024 / 1e6:.0f}" for r in ws)
        worst = max(int(r["rss_kb"]) + int(r.get("arena_kb") or 0) for r in ws) * 1024 / 1e6
        print(f"| {after} | {cells} | {worst:.0f} |")
    if end:
        print("\nPeak (VmHWM) at the end: " + "; ".join(
            f"{r['pid']}: {int(r['hwm_kb']) * 1024 / 1e6:.0f} MB" for r in end) +
              ". MB = 10^6 bytes. File-backed pages are those of the mapped LMDB caches and "
              "sources the worker touched, shared with the page cache. The send arena: the memory "
              "files cache hits are sent from with sendfile() (shmem, never mapped by the "
              "worker, so not in VmRSS).")

# ---- Hit ratios --------------------------------------------------------------------------------
hit_rows = rows_of("hits.tsv")
cache_runs = [r for r in results if r["workload"].startswith("cache ")]
if hit_rows or any(stat(w, "module") for w in ORDER):
    print("\n## Module cache hit ratios\n")
    print("| run | HIT | MISS | hit ratio | detail |")
    print("| --- | ---: | ---: | ---: | --- |")
    for w in ORDER:
        st = stat(w, "module")
        if st and st["hit"] + st["miss"]:
            print(f"| {TITLES[w]}, all rounds | {st['hit']} | {st['miss']} | "
                  f"{100 * st['hit'] / (st['hit'] + st['miss']):.1f}% | |")
    for r in hit_rows:
        h, m = int(r["hit"]), int(r["miss"])
        print(f"| {r['what']} | {h} | {m} | {100 * h / max(1, h + m):.1f}% | {r['extra']} |")
if cache_runs:
    print("\nSmall-cache runs (module only, one run each, in this order):\n")
    print("| run | req/s | mean latency (ms) | p99 latency (ms) | HIT | MISS | others' CPU |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in cache_runs:
        print(f"| {r['workload']} | {float(r['rps']):.0f} | {float(r['mean_ms']):.2f} | "
              f"{float(r['p99_ms']):.2f} | {r['hit']} | {r['miss']} | {r['others_cpu']}% |")
