#!/usr/bin/env python3
"""An OAI-PMH 2.0 data provider with the quirks of real ones, for the harvester's tests.

    fixture_provider.py --port-file PATH --log PATH [--config JSON]

Binds 127.0.0.1 on a port the system picks, writes the port to --port-file (then renames it
into place, so a reader never sees half of it), and serves GET /oai?verb=... until SIGTERM.
Each request is appended to --log as one JSON line: its number (from 1), its query, the
client's port (the same port: the same connection), Accept-Encoding, User-Agent, the status
answered and the content coding.

Records are generated: record i (1 .. records) is oai:fixture.example.org:rec-NNNN, dated
2024-01-01 plus i - 1 days (at 12:00:00Z with seconds granularity), in the hierarchical sets
coll and coll:odd or coll:even, with oai_dc metadata whose xsi prefix is declared on the
response's root only, as DSpace writes it.

--config is a JSON object; every key is optional:
    records          how many records (10)
    page_size        records per page (4)
    granularity      "day" (10 characters, DSpace-like: a from or until with a time is
                     badArgument) or "seconds"
    deleted_record   Identify's deletedRecord ("persistent")
    deleted          record numbers whose header says status="deleted" (no metadata)
    bad_records      {"N": "control" | "utf8" | "charref"}: record N's title holds U+0001, the
                     bytes FF FE, or the reference &#1;
    expire_token     {"page": P, "times": T}: a token asking for page P (from 1) is refused
                     with badResumptionToken the first T times it is presented (T -1: always)
    retry_after      {"requests": [n, ...], "seconds": S}: those requests are answered 503
                     with Retry-After: S
    fail             {"requests": [n, ...], "status": C}: those requests are answered C
    slow             {"requests": [n, ...], "seconds": S}: those wait S seconds first
    delay            seconds every request waits first (0): a slow partner, whose harvest lasts
    truncate         {"requests": [n, ...]}: those get the first half of their page
    not_oai          {"requests": [n, ...]}: those get an HTML page, with 200
    encoding         "gzip" or "deflate": used when the request's Accept-Encoding names it
    filler           bytes of dc:description added to each record (pages made large)
    links            a URL prefix: record N gets a dc:identifier {links}NNNN, its page there
    unlinked         record numbers left without that dc:identifier
    edm              {"shown_by": PREFIX} (PREFIX optional): the records are served with
                     metadataPrefix edm too, as EDM (an rdf:RDF with an ore:Aggregation and an
                     edm:ProvidedCHO titled "CHO N"); with PREFIX, record N's aggregation has
                     edm:isShownBy {PREFIX}NNNN.jpg
    images           {"N": ["url", ...]}: record N gets each URL as a dc:identifier, in order
                     (after the links one): the images, manifests or image services it points
                     to (daemon/record_images.hpp reads their kind from the URL)
"""
import argparse
import base64
import datetime
import gzip
import http.server
import json
import threading
import time
import urllib.parse
import zlib
from xml.sax.saxutils import escape

import loopback

OAI = "http://www.openarchives.org/OAI/2.0/"
ID_PREFIX = "oai:fixture.example.org:rec-"


class Provider:
    def __init__(self, config, log_path):
        self.config = config
        self.log_path = log_path
        self.lock = threading.Lock()
        self.requests = 0
        self.refusals = {}  # page -> times its token was refused
        self.records = config.get("records", 10)
        self.page_size = config.get("page_size", 4)
        self.seconds = config.get("granularity", "day") == "seconds"
        self.deleted = set(config.get("deleted", []))
        self.bad = {int(k): v for k, v in config.get("bad_records", {}).items()}
        self.lists = {}  # query (JSON) -> the numbers of its records

    # ---- dates and records -------------------------------------------------------------------

    def datestamp(self, i):
        day = datetime.date(2024, 1, 1) + datetime.timedelta(days=i - 1)
        return day.isoformat() + ("T12:00:00Z" if self.seconds else "")

    def date_argument(self, text, end_of_day):
        """The argument as a datestamp of this repository, or None when illegal."""
        try:
            if len(text) == 10:
                datetime.date.fromisoformat(text)
                if self.seconds:
                    return text + ("T23:59:59Z" if end_of_day else "T00:00:00Z")
                return text
            if not self.seconds:
                return None  # a day repository refuses times, as DSpace does
            datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
            return text
        except ValueError:
            return None

    def sets_of(self, i):
        return ["coll", "coll:odd" if i % 2 else "coll:even"]

    def record_xml(self, i):
        identifier = f"{ID_PREFIX}{i:04d}"
        sets = "".join(f"<setSpec>{s}</setSpec>" for s in self.sets_of(i))
        if i in self.deleted:
            return (f'<record><header status="deleted"><identifier>{identifier}</identifier>'
                    f"<datestamp>{self.datestamp(i)}</datestamp>{sets}</header></record>"
                    ).encode()
        title = f"Record {i}".encode()
        if self.bad.get(i) == "control":
            title += b" \x01"
        elif self.bad.get(i) == "utf8":
            title += b" \xff\xfe"
        elif self.bad.get(i) == "charref":
            title += b" &#1;"
        filler = b""
        if self.config.get("filler"):
            filler = b"<dc:description>" + b"x" * self.config["filler"] + b"</dc:description>"
        if self.config.get("links") and i not in self.config.get("unlinked", []):
            filler += f"<dc:identifier>{self.config['links']}{i:04d}</dc:identifier>".encode()
        for url in self.config.get("images", {}).get(str(i), []):
            filler += f"<dc:identifier>{escape(url)}</dc:identifier>".encode()
        return (
            f"<record><header><identifier>{identifier}</identifier>"
            f"<datestamp>{self.datestamp(i)}</datestamp>{sets}</header><metadata>\n"
            '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ '
            'http://www.openarchives.org/OAI/2.0/oai_dc.xsd">\n'
            '  <dc:title xml:lang="en">').encode() + title + (
            "</dc:title>\n"
            f'  <dc:title xml:lang="fr">Notice {i}</dc:title>\n'
            f"  <dc:creator>Creator &amp; Co</dc:creator>\n"
            f"  <dc:date>{self.datestamp(i)[:10]}</dc:date>\n").encode() + filler + (
            "</oai_dc:dc>\n</metadata></record>").encode()

    def edm_record_xml(self, i):
        identifier = f"{ID_PREFIX}{i:04d}"
        sets = "".join(f"<setSpec>{s}</setSpec>" for s in self.sets_of(i))
        header = (f"<identifier>{identifier}</identifier>"
                  f"<datestamp>{self.datestamp(i)}</datestamp>{sets}")
        if i in self.deleted:
            return f'<record><header status="deleted">{header}</header></record>'.encode()
        shown_by = self.config["edm"].get("shown_by")
        view = (f'<edm:isShownBy rdf:resource="{shown_by}{i:04d}.jpg"/>' if shown_by else "")
        return (
            f"<record><header>{header}</header><metadata>"
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:edm="http://www.europeana.eu/schemas/edm/" '
            'xmlns:ore="http://www.openarchives.org/ore/terms/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<ore:Aggregation rdf:about="#aggregation-{i}">{view}</ore:Aggregation>'
            f'<edm:ProvidedCHO rdf:about="#cho-{i}"><dc:title>CHO {i}</dc:title>'
            "</edm:ProvidedCHO></rdf:RDF></metadata></record>").encode()

    # ---- answers -----------------------------------------------------------------------------

    def envelope(self, request_attributes, body):
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        attributes = "".join(f' {k}="{v}"' for k, v in request_attributes.items())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<OAI-PMH xmlns="{OAI}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
            f"<responseDate>{now}</responseDate>"
            f"<request{attributes}>http://127.0.0.1/oai</request>").encode() + body + \
            b"</OAI-PMH>\n"

    @staticmethod
    def error(code, message):
        return f'<error code="{code}">{message}</error>'.encode()

    def identify(self):
        granularity = "YYYY-MM-DDThh:mm:ssZ" if self.seconds else "YYYY-MM-DD"
        return (
            "<Identify><repositoryName>Fixture Repository</repositoryName>"
            "<baseURL>http://127.0.0.1/oai</baseURL><protocolVersion>2.0</protocolVersion>"
            "<adminEmail>admin@fixture.example.org</adminEmail>"
            f"<earliestDatestamp>{self.datestamp(1)}</earliestDatestamp>"
            f"<deletedRecord>{self.config.get('deleted_record', 'persistent')}</deletedRecord>"
            f"<granularity>{granularity}</granularity></Identify>").encode()

    def token(self, query, offset):
        return base64.urlsafe_b64encode(json.dumps([query, offset]).encode()).decode()

    def list_records(self, arguments):
        """The body of a ListRecords answer."""
        if "resumptionToken" in arguments:
            if len(arguments) != 2:
                return self.error("badArgument", "resumptionToken is exclusive")
            try:
                query, offset = json.loads(base64.urlsafe_b64decode(arguments["resumptionToken"]))
            except ValueError:
                return self.error("badResumptionToken", "not a token of this repository")
            expiry = self.config.get("expire_token")
            page = offset // self.page_size + 1
            if expiry and expiry["page"] == page:
                with self.lock:
                    refused = self.refusals.get(page, 0)
                    if expiry["times"] < 0 or refused < expiry["times"]:
                        self.refusals[page] = refused + 1
                        return self.error("badResumptionToken", "the token has expired")
        else:
            query = {k: arguments[k] for k in ("metadataPrefix", "set", "from", "until")
                     if k in arguments}
            offset = 0
            if set(arguments) - {"verb", "metadataPrefix", "set", "from", "until"}:
                return self.error("badArgument", "unknown argument")
            if "metadataPrefix" not in query:
                return self.error("badArgument", "metadataPrefix is required")
        prefix = query["metadataPrefix"]
        if prefix != "oai_dc" and not (prefix == "edm" and "edm" in self.config):
            return self.error("cannotDisseminateFormat",
                              f"{query['metadataPrefix']} is not served here")
        start = self.date_argument(query["from"], False) if "from" in query else ""
        end = self.date_argument(query["until"], True) if "until" in query else "~"
        if start is None or end is None:
            return self.error("badArgument", "from and until are days here")
        if start > end:
            return self.error("badArgument", "from is after until")
        # The list of a query, made once: every page of a long list reads it (the benchmark
        # asks for a thousand pages of 100,000 records).
        key = json.dumps(query, sort_keys=True)
        with self.lock:
            matching = self.lists.get(key)
        if matching is None:
            matching = [i for i in range(1, self.records + 1)
                        if start <= self.datestamp(i) <= end
                        and ("set" not in query or query["set"] in self.sets_of(i))]
            with self.lock:
                self.lists[key] = matching
        if not matching:
            return self.error("noRecordsMatch", "no record matches")
        page = matching[offset:offset + self.page_size]
        format_xml = self.record_xml if prefix == "oai_dc" else self.edm_record_xml
        body = b"<ListRecords>" + b"".join(format_xml(i) for i in page)
        following = offset + self.page_size
        more = following < len(matching)
        if offset > 0 or more:
            token = self.token(query, following) if more else ""
            body += (f'<resumptionToken completeListSize="{len(matching)}" cursor="{offset}">'
                     f"{token}</resumptionToken>").encode()
        return body + b"</ListRecords>"

    def answer(self, arguments):
        verb = arguments.get("verb")
        if verb == "Identify":
            return self.envelope({"verb": "Identify"}, self.identify())
        if verb == "ListRecords":
            return self.envelope({"verb": "ListRecords"}, self.list_records(arguments))
        return self.envelope({}, self.error("badVerb", "not a verb"))

    def log(self, entry):
        with self.lock:
            with open(self.log_path, "a", encoding="utf-8") as out:
                out.write(json.dumps(entry) + "\n")


def in_list(rule, number):
    return rule is not None and number in rule.get("requests", [])


def make_handler(provider):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the harvester's one handle expects
        # Headers and body go out in separate writes: without TCP_NODELAY, the body waits for
        # the client's delayed ACK of the headers (40 ms an answer on Linux).
        disable_nagle_algorithm = True

        def do_GET(self):
            with provider.lock:
                provider.requests += 1
                number = provider.requests
            config = provider.config
            url = urllib.parse.urlsplit(self.path)
            arguments = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            entry = {"n": number, "query": url.query, "port": self.client_address[1],
                     "accept_encoding": self.headers.get("Accept-Encoding", ""),
                     "user_agent": self.headers.get("User-Agent", ""), "coding": ""}
            if in_list(config.get("slow"), number):
                time.sleep(config["slow"]["seconds"])
            if config.get("delay"):
                time.sleep(config["delay"])
            headers = {"Content-Type": "text/xml; charset=utf-8"}
            if in_list(config.get("retry_after"), number):
                status, body = 503, b"busy"
                headers["Retry-After"] = str(config["retry_after"]["seconds"])
            elif in_list(config.get("fail"), number):
                status, body = config["fail"]["status"], b"failed"
            elif in_list(config.get("not_oai"), number):
                status, body = 200, b"<html><body><p>Down for maintenance</p></body></html>"
            elif url.path != "/oai":
                status, body = 404, b"not here"
            else:
                status, body = 200, provider.answer(arguments)
                if in_list(config.get("truncate"), number):
                    body = body[:len(body) // 2]
            coding = config.get("encoding")
            if coding and coding in entry["accept_encoding"]:
                body = gzip.compress(body) if coding == "gzip" else zlib.compress(body)
                headers["Content-Encoding"] = coding
                entry["coding"] = coding
            entry["status"] = status
            provider.log(entry)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--config", default="{}")
    options = parser.parse_args()
    provider = Provider(json.loads(options.config), options.log)
    loopback.serve(make_handler(provider), options.port_file)


if __name__ == "__main__":
    main()
