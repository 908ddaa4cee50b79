#!/usr/bin/env python3
"""The images the demo's file mode answers for, as the core resolves identifiers
(common/source_resolver.cpp: {dir}/{id} plus the first of .tif .tiff .jp2 .jpg .jpeg .png that
exists), written as JSON to OUT.

    list_images.py SOURCE_DIR OUT

Prints "ENCODED-ID<TAB>FILE" lines; explains on stderr the files no identifier reaches.
"""
import json, os, sys, urllib.parse

source_dir, out = sys.argv[1], sys.argv[2]
extensions = [".tif", ".tiff", ".jp2", ".jpg", ".jpeg", ".png"]  # the core's order

def warn(message):
    print(f"demo: {message}", file=sys.stderr)

candidates = {}
for name in sorted(os.listdir(source_dir)):
    if not os.path.isfile(os.path.join(source_dir, name)):
        continue
    stem, extension = os.path.splitext(name)
    if extension.lower() not in extensions:
        continue
    if extension not in extensions:
        warn(f"not served: {name} (the service looks for lower-case extensions only)")
        continue
    if not stem or stem in (".", "..") or any(c < " " or c in "\\\x7f" for c in stem):
        warn(f"not served: {name} (its base name is no valid identifier)")
        continue
    candidates.setdefault(stem, []).append(name)

images = []
for identifier in sorted(candidates):
    names = sorted(candidates[identifier], key=lambda n: extensions.index(os.path.splitext(n)[1]))
    for other in names[1:]:
        warn(f"not served: {other} (identifier '{identifier}' resolves to {names[0]})")
    images.append({"id": identifier, "file": names[0]})

document = {"services": {"3": "/iiif/3", "2": "/iiif/2"}, "images": images}
with open(out + ".tmp", "w", encoding="utf-8") as f:
    json.dump(document, f, ensure_ascii=False, indent=2)
    f.write("\n")
os.replace(out + ".tmp", out)
for image in images:
    printable = "".join(c if c.isprintable() else "?" for c in image["file"])
    print(urllib.parse.quote(image["id"], safe="") + "\t" + printable)
