"""The URL lists of bench/serve_bench.sh (paths after an image's id, one a line).

  serve_lists.py tiles OUT ROUNDS NAME=INFO_JSON...
      OUT/tiles.NAME.txt: every tile of every level of that image's info.json, as
      OpenSeadragon's IIIF 3.0 tile source asks for them (for each scale factor sf, regions
      stepping by tile*sf, size ceil(w/sf),), shuffled; OUT/tiles.NAME.R.txt the same tiles in
      round R's own order (so a server's cache never meets a round's order twice);
      OUT/regions.R.txt: round R's distinct random 1000x1000 regions scaled to 500, (of the first
      image's size, which all share).
  serve_lists.py small OUT ID...
      The small-cache mix over the tiles of OUT/tiles.pyramid.txt of every ID, under /small/3/:
      small.fill (every tile once), small.uniform, small.skewed-warmup, small.skewed (10% of the
      tiles get 90% of the requests) and small.hot (those 10%).
"""

import json
import math
import random
import sys


def tile_list(info):
    width, height = info["width"], info["height"]
    tile = info["tiles"][0]
    tw, th = tile["width"], tile.get("height", tile["width"])
    tiles = []
    for sf in tile["scaleFactors"]:
        for y in range(0, height, th * sf):
            for x in range(0, width, tw * sf):
                w, h = min(tw * sf, width - x), min(th * sf, height - y)
                tiles.append(f"{x},{y},{w},{h}/{math.ceil(w / sf)},/0/default.jpg")
    return tiles


def write(path, lines):
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")


def tiles(out, rounds, pairs):
    first = None
    for pair in pairs:
        name, path = pair.split("=", 1)
        with open(path) as f:
            info = json.load(f)
        first = first or info
        every = tile_list(info)
        random.Random(1).shuffle(every)
        write(f"{out}/tiles.{name}.txt", every)
        for r in range(1, rounds + 1):
            order = list(every)
            random.Random(100 + r).shuffle(order)
            write(f"{out}/tiles.{name}.{r}.txt", order)
        tile = info["tiles"][0]
        print(f"{name}: {len(every)} tiles of {tile['width']} over scale factors "
              f"{tile['scaleFactors']}", file=sys.stderr)
    width, height = first["width"], first["height"]
    for r in range(1, rounds + 1):
        rnd = random.Random(1000 + r)
        write(f"{out}/regions.{r}.txt",
              [f"{rnd.randrange(0, width - 1000 + 1)},{rnd.randrange(0, height - 1000 + 1)},"
               "1000,1000/500,/0/default.jpg" for _ in range(6000)])


def small(out, ids):
    with open(f"{out}/tiles.pyramid.txt") as f:
        tiles_of_one = f.read().split()
    every = [f"/small/3/{i}/{t}" for i in ids for t in tiles_of_one]
    random.Random(2).shuffle(every)
    # The first pass (fill) asks for every tile once, in this order.
    write(f"{out}/small.fill", every)
    # Uniform: independent random draws, not the fill order again (cycling through a list longer
    # than the cache is LRU's worst case, a different experiment).
    rnd = random.Random(5)
    write(f"{out}/small.uniform", [rnd.choice(every) for _ in range(100000)])
    # Skewed: 10% of the tiles (all images, all levels) get 90% of the requests. The warm-up and
    # the measured run draw their own sequences (wrk starts each run at the same offsets), long
    # enough that neither wraps around.
    rnd = random.Random(3)
    hot = rnd.sample(every, len(every) // 10)
    hot_set = set(hot)
    rest = [u for u in every if u not in hot_set]
    for name, seed in (("skewed-warmup", 4), ("skewed", 6)):
        rnd = random.Random(seed)
        write(f"{out}/small.{name}",
              [rnd.choice(hot) if rnd.random() < 0.9 else rnd.choice(rest)
               for _ in range(300000)])
    write(f"{out}/small.hot", hot)


if __name__ == "__main__":
    if sys.argv[1] == "tiles":
        tiles(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif sys.argv[1] == "small":
        small(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(f"serve_lists.py: unknown list kind {sys.argv[1]}")
