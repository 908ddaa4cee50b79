#!/usr/bin/env python3
"""A static file server for the tests that fetch manifests from partners.

    static_server.py --root DIR --port-file PATH --log PATH

Binds 127.0.0.1 on a port the system picks, writes the port to --port-file (then renames it
into place, so a reader never sees half of it), and serves GET until SIGTERM:

    /files/NAME            the file NAME of --root (no subfolder), 404 when there is none;
                           gzip when the request's Accept-Encoding names it
    /redirect/N/NAME       N redirects (302) to /files/NAME: /redirect/N-1/NAME, ..., and
                           from /redirect/1/NAME to /files/NAME
    /elsewhere             302 to file:///etc/passwd
    /slow/S/NAME           /files/NAME after S seconds

Each request is appended to --log as one JSON line: its path, Accept-Encoding, User-Agent,
the status answered and the content coding.
"""
import argparse
import gzip
import http.server
import json
import os
import threading
import time

import loopback


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

        def serve_file(self, name):
            path = os.path.join(root, name)
            if "/" in name or name.startswith(".") or not os.path.isfile(path):
                self.answer(404, b"not found", {"Content-Type": "text/plain"})
                return
            with open(path, "rb") as source:
                body = source.read()
            self.answer(200, body, {"Content-Type": "application/ld+json"})

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
            else:
                self.answer(404, b"not found", {"Content-Type": "text/plain"})

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
