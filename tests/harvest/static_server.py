#!/usr/bin/env python3
"""A static file server for the tests that fetch manifests, image services and images from
partners.

    static_server.py --root DIR --port-file PATH --log PATH

Binds 127.0.0.1 on a port the system picks, writes the port to --port-file (then renames it
into place, so a reader never sees half of it), and serves GET until SIGTERM:

    /files/NAME            the file NAME of --root (no subfolder), 404 when there is none;
                           gzip when the request's Accept-Encoding names it. Its Content-Type
                           is read from NAME's extension (.jpg .jpeg image/jpeg, .png image/png,
                           .tif .tiff image/tiff, .jp2 image/jp2, .json application/ld+json,
                           .html text/html, any other application/octet-stream), unless
                           types.json in --root (a JSON object, read at each request) gives
                           NAME another: {"NAME": "text/html"} serves a page at an image's URL
    /redirect/N/NAME       N redirects (302) to /files/NAME: /redirect/N-1/NAME, ..., and
                           from /redirect/1/NAME to /files/NAME
    /elsewhere             302 to file:///etc/passwd
    /slow/S/NAME           /files/NAME after S seconds

and a minimal IIIF Image API service over each file NAME of --root, at /iiifV/NAME:

    /iiifV/NAME/info.json  its info.json, application/ld+json, "@id" (3: "id") the service's
                           base as the request's Host names it, width 1000 and height 800 (fixed
                           values, not the file's); V is
                               3    Image API 3.0 (context .../image/3/context.json)
                               2    2.0 (.../image/2/context.json, no size limits)
                               21   2.1 (.../image/2/context.json, maxWidth 500 in its profile
                                    description, as 2.1 places its limits)
                               1    1.1 (http://library.stanford.edu/iiif/image-api/1.1/
                                    context.json)
    /iiifV/NAME/full/SIZE/0/QUALITY.jpg
                           the file NAME as it is, image/jpeg, when SIZE and QUALITY are the
                           whole image's at the largest size version V serves: max and default
                           for 3 and 21 (2.1 refuses full beyond its maxWidth), full and default
                           for 2 (2.0 has no max), full and native for 1; 400 for any other
                           (so a test proves which URL a client chose)

Any other path is 404. Each request is appended to --log as one JSON line: its path,
Accept-Encoding, User-Agent, the status answered and the content coding.
"""
import argparse
import gzip
import http.server
import json
import os
import threading
import time

import loopback

TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".tif": "image/tiff",
    ".tiff": "image/tiff", ".jp2": "image/jp2", ".json": "application/ld+json",
    ".html": "text/html",
}

# Image API versions: (size, quality) of the whole image at the largest size each serves.
WHOLE_IMAGE = {
    "iiif3": ("max", "default"),
    "iiif21": ("max", "default"),
    "iiif2": ("full", "default"),
    "iiif1": ("full", "native"),
}

INFO_WIDTH, INFO_HEIGHT = 1000, 800


def info_json(version, base):
    size = {"width": INFO_WIDTH, "height": INFO_HEIGHT}
    if version == "iiif3":
        return {"@context": "http://iiif.io/api/image/3/context.json", "id": base,
                "type": "ImageService3", "protocol": "http://iiif.io/api/image",
                "profile": "level1", **size}
    if version == "iiif1":
        return {"@context": "http://library.stanford.edu/iiif/image-api/1.1/context.json",
                "@id": base, **size,
                "profile": "http://library.stanford.edu/iiif/image-api/1.1/compliance.html#level1"}
    profile = ["http://iiif.io/api/image/2/level1.json"]
    if version == "iiif21":
        profile.append({"maxWidth": 500, "qualities": ["default"], "formats": ["jpg"]})
    return {"@context": "http://iiif.io/api/image/2/context.json", "@id": base,
            "protocol": "http://iiif.io/api/image", **size, "profile": profile}


def make_handler(root, log_path, lock):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body in separate writes (fixture_provider.py)

        def answer(self, status, body=b"", headers=None):
            headers = dict(headers or {})
            entry = {
                "path": self.path,
                "accept_encoding": self.headers.get("Accept-Encoding", ""),
                "user_agent": self.headers.get("User-Agent", ""),
                "coding": "",
                "status": status,
            }
            if status == 200 and "gzip" in entry["accept_encoding"]:
                body = gzip.compress(body)
                headers["Content-Encoding"] = "gzip"
                entry["coding"] = "gzip"
            with lock, open(log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def not_found(self):
            self.answer(404, b"not found", {"Content-Type": "text/plain"})

        def file_path(self, name):
            """The path of the file NAME of the root; None when there is none."""
            path = os.path.join(root, name)
            if "/" in name or name.startswith(".") or not os.path.isfile(path):
                return None
            return path

        def content_type(self, name):
            try:
                with open(os.path.join(root, "types.json"), encoding="utf-8") as types:
                    given = json.load(types)
            except FileNotFoundError:
                given = {}
            if name in given:
                return given[name]
            return TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")

        def serve_file(self, name, content_type=None):
            path = self.file_path(name)
            if path is None:
                self.not_found()
                return
            with open(path, "rb") as source:
                body = source.read()
            self.answer(200, body, {"Content-Type": content_type or self.content_type(name)})

        def serve_image_api(self, version, rest):
            # rest: NAME/info.json or NAME/full/SIZE/0/QUALITY.jpg
            segments = rest.split("/")
            if self.file_path(segments[0]) is None:
                self.not_found()
            elif segments[1:] == ["info.json"]:
                base = f"http://{self.headers.get('Host', '')}/{version}/{segments[0]}"
                body = json.dumps(info_json(version, base)).encode()
                self.answer(200, body, {"Content-Type": "application/ld+json"})
            elif len(segments) == 5 and segments[1] == "full" and segments[3] == "0":
                size, quality = WHOLE_IMAGE[version]
                if segments[2] == size and segments[4] == quality + ".jpg":
                    self.serve_file(segments[0], "image/jpeg")
                else:
                    self.answer(400, f"not a request for {version}".encode(),
                                {"Content-Type": "text/plain"})
            else:
                self.not_found()

        def do_GET(self):
            parts = self.path.split("/", 3)  # "", kind, argument[, name]
            kind = parts[1] if len(parts) > 1 else ""
            if kind == "files" and len(parts) == 3:
                self.serve_file(parts[2])
            elif kind == "redirect" and len(parts) == 4 and parts[2].isdigit():
                hops = int(parts[2])
                target = (f"/redirect/{hops - 1}/{parts[3]}" if hops > 1
                          else f"/files/{parts[3]}")
                self.answer(302, b"", {"Location": target})
            elif self.path == "/elsewhere":
                self.answer(302, b"", {"Location": "file:///etc/passwd"})
            elif kind == "slow" and len(parts) == 4 and parts[2].isdigit():
                time.sleep(int(parts[2]))
                self.serve_file(parts[3])
            elif kind in WHOLE_IMAGE and len(parts) >= 3:
                self.serve_image_api(kind, self.path.split("/", 2)[2])
            else:
                self.not_found()

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    options = parser.parse_args()
    loopback.serve(make_handler(options.root, options.log, threading.Lock()), options.port_file)


if __name__ == "__main__":
    main()
