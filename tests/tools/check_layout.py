#!/usr/bin/env python3
"""The layout rules of docs/ARCHITECTURE.md, checked on the tree.

1. A file of a folder of common/ includes headers of its own folder and of the folders below
   it only (the table below, the same as the links in common/CMakeLists.txt), so dependencies
   point one way. The build already refuses most wrong includes (a library sees the headers
   of what it links); this also catches the libvips half of image/ reached from a folder that
   may only use its pure half, and a link added in CMake against the rule.
2. No source file outside tests/ is longer than 800 lines.

Prints each breach and exits 1 when there is one; prints a one-line summary otherwise.
Usage: check_layout.py [REPOSITORY]  (default: the repository holding this script)
"""
import pathlib
import re
import subprocess
import sys

# What each folder of common/ may include besides itself. "image_core" is the part of image/
# without libvips (the fuzzer links it alone); "image" is all of image/.
MAY_INCLUDE = {
    "base": [],
    "access": ["base"],
    "image_core": ["base"],
    "image": ["base", "access", "image_core"],
    "cache": ["base"],
    "publish": ["base", "access", "image_core"],
    "catalog": ["base", "access", "image_core", "publish"],
    "oai": ["base", "access", "image_core", "publish", "catalog"],
    "serve": ["base", "access", "image_core", "image", "cache", "publish", "catalog"],
}
IMAGE_CORE = {"image_request", "image_plan", "info_json", "source_info"}
MAX_LINES = 800
SOURCE_SUFFIXES = {".c", ".h", ".cpp", ".hpp", ".sh", ".js", ".mjs", ".py", ".lua"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(path: pathlib.Path) -> str:
    folder = path.parent.name
    if folder == "image" and path.stem in IMAGE_CORE:
        return "image_core"
    return folder


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else __file__).resolve()
    if root.is_file():
        root = root.parents[2]
    common = root / "common"
    headers = {}  # header name -> the folder that holds it
    for header in common.glob("*/*.hpp"):
        headers[header.name] = folder_of(header)
    breaches = []
    checked = 0
    for source in sorted(common.glob("*/*.[ch]pp")):
        folder = folder_of(source)
        if folder not in MAY_INCLUDE:
            breaches.append(f"{source.relative_to(root)}: folder {source.parent.name}/ is not in "
                            "the layout table")
            continue
        allowed = {folder, *MAY_INCLUDE[folder]}
        for name in INCLUDE.findall(source.read_text(encoding="utf-8")):
            owner = headers.get(name)
            checked += 1
            if owner is None:
                breaches.append(f"{source.relative_to(root)}: includes \"{name}\", which is no "
                                "header of common/")
            elif owner not in allowed:
                breaches.append(f"{source.relative_to(root)}: {folder} includes \"{name}\" of "
                                f"{owner}, which it may not (docs/ARCHITECTURE.md)")

    tracked = subprocess.run(["git", "-C", str(root), "ls-files"], capture_output=True, text=True,
                             check=True).stdout.split()
    for name in tracked:
        path = root / name
        if name.startswith("tests/") or "node_modules" in name or not path.is_file():
            continue
        is_script = path.suffix == "" and path.parent.name == "scripts"
        if path.suffix not in SOURCE_SUFFIXES and not is_script:
            continue
        lines = path.read_bytes().count(b"\n")
        if lines > MAX_LINES:
            breaches.append(f"{name}: {lines} lines (at most {MAX_LINES} outside tests/)")

    for breach in breaches:
        print(breach)
    if breaches:
        return 1
    print(f"layout: {checked} includes of common/ point one way; no source file outside tests/ "
          f"passes {MAX_LINES} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
