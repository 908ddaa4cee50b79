#!/usr/bin/python3
"""Checks EDM records against Europeana's mandatory rules, as an RDF graph.

Usage: check_edm.py FILE...

Each FILE is a bare rdf:RDF document or a whole OAI-PMH response (GetRecord or ListRecords
with metadataPrefix=edm); every rdf:RDF under an oai:metadata is one record. Each record is
parsed with rdflib (Debian's python3-rdflib, hence /usr/bin/python3) and must follow the
mandatory rules of Europeana's EDM mapping guidelines, plus what our provider promises for
IIIF:

  - exactly one edm:ProvidedCHO and one ore:Aggregation;
  - the aggregation: edm:aggregatedCHO is the CHO; edm:dataProvider, edm:provider and
    edm:rights once each; edm:rights (there and on web resources) a Creative Commons or
    rightsstatements.org URI; edm:isShownAt and/or edm:isShownBy;
  - the CHO: dc:title or dc:description; dc:subject, dc:type, dc:coverage, dcterms:spatial
    or dcterms:temporal; one edm:type among TEXT, IMAGE, SOUND, VIDEO, 3D; dc:language
    when TEXT;
  - every edm:WebResource has svcs:has_service to a svcs:Service that dcterms:conformsTo
    <http://iiif.io/api/image>; edm:isShownBy and every edm:hasView is an edm:WebResource
    described in the record.

The XML shape itself is tests/tools/validate_oai.py's job. Prints one line per violation
("FILE: record N [(oai identifier)]: rule"), then "N records checked"; exits 1 on any
violation (or a file that cannot be read), 0 otherwise, 2 on a usage error.
"""

import sys
import xml.etree.ElementTree as ET

try:
    from rdflib import Graph, Literal, Namespace, URIRef
    from rdflib.namespace import RDF
except ImportError:
    print("check_edm: needs rdflib (Debian's python3-rdflib): run it with /usr/bin/python3",
          file=sys.stderr)
    sys.exit(2)

OAI = "http://www.openarchives.org/OAI/2.0/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = Namespace("http://purl.org/dc/elements/1.1/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
EDM = Namespace("http://www.europeana.eu/schemas/edm/")
ORE = Namespace("http://www.openarchives.org/ore/terms/")
SVCS = Namespace("http://rdfs.org/sioc/services#")

EDM_TYPES = {"TEXT", "IMAGE", "SOUND", "VIDEO", "3D"}
RIGHTS_PREFIXES = ("http://creativecommons.org/", "http://rightsstatements.org/")
IIIF_IMAGE = URIRef("http://iiif.io/api/image")


def records(path):
    """(label, rdf:RDF element) of every record in a file, or raises ValueError."""
    with open(path, "rb") as file:
        data = file.read()
    if data[:2] == b"\x1f\x8b":
        raise ValueError("gzip-compressed (magic 1f 8b); decompress it first")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise ValueError(f"not well-formed XML: {error}") from None
    if root.tag == f"{{{RDF_NS}}}RDF":
        return [("", root)]
    if root.tag != f"{{{OAI}}}OAI-PMH":
        raise ValueError(f"neither rdf:RDF nor an OAI-PMH response (root {root.tag})")
    found = []
    for record in root.iter(f"{{{OAI}}}record"):
        identifier = record.findtext(f"{{{OAI}}}header/{{{OAI}}}identifier") or ""
        for metadata in record.findall(f"{{{OAI}}}metadata"):
            for child in metadata:
                found.append((identifier, child))
    return found


def values(graph, subject, predicate):
    return list(graph.objects(subject, predicate))


def literal_text(node):
    return str(node).strip() if isinstance(node, Literal) else None


def check_rights(node, where):
    if not isinstance(node, URIRef) or not str(node).startswith(RIGHTS_PREFIXES):
        return [f"{where} edm:rights {node.n3()} is not a creativecommons.org or "
                "rightsstatements.org URI"]
    return []


def check_graph(graph):
    """The rules a record's graph breaks, one sentence each."""
    problems = []
    chos = sorted(graph.subjects(RDF.type, EDM.ProvidedCHO))
    aggregations = sorted(graph.subjects(RDF.type, ORE.Aggregation))
    web_resources = set(graph.subjects(RDF.type, EDM.WebResource))
    services = set(graph.subjects(RDF.type, SVCS.Service))
    if len(chos) != 1:
        problems.append(f"{len(chos)} edm:ProvidedCHO (exactly one needed)")
    if len(aggregations) != 1:
        problems.append(f"{len(aggregations)} ore:Aggregation (exactly one needed)")

    # the rules about the CHO and the aggregation apply when each is alone (otherwise the
    # count above is what to fix)
    for cho in chos if len(chos) == 1 else []:
        if not (values(graph, cho, DC.title) or values(graph, cho, DC.description)):
            problems.append("edm:ProvidedCHO has neither dc:title nor dc:description")
        if not any(values(graph, cho, p) for p in
                   (DC.subject, DC.type, DC.coverage, DCTERMS.spatial, DCTERMS.temporal)):
            problems.append("edm:ProvidedCHO has none of dc:subject, dc:type, dc:coverage, "
                            "dcterms:spatial, dcterms:temporal")
        types = values(graph, cho, EDM.type)
        if len(types) != 1:
            problems.append(f"edm:ProvidedCHO has {len(types)} edm:type (exactly one needed)")
        for value in types:
            if literal_text(value) not in EDM_TYPES:
                problems.append(f"edm:type {value.n3()} is not one of "
                                "TEXT, IMAGE, SOUND, VIDEO, 3D")
            elif literal_text(value) == "TEXT" and not values(graph, cho, DC.language):
                problems.append("edm:type is TEXT but the CHO has no dc:language")

    for aggregation in aggregations if len(aggregations) == 1 else []:
        targets = values(graph, aggregation, EDM.aggregatedCHO)
        if len(targets) != 1 or (len(chos) == 1 and targets[0] != chos[0]):
            problems.append("ore:Aggregation's edm:aggregatedCHO "
                            f"({', '.join(t.n3() for t in targets) or 'none'}) "
                            "is not the edm:ProvidedCHO")
        for predicate, name in ((EDM.dataProvider, "edm:dataProvider"),
                                (EDM.provider, "edm:provider")):
            found = values(graph, aggregation, predicate)
            if len(found) != 1:
                problems.append(f"ore:Aggregation has {len(found)} {name} (exactly one needed)")
            elif isinstance(found[0], Literal) and not literal_text(found[0]):
                problems.append(f"ore:Aggregation's {name} is empty")
        rights = values(graph, aggregation, EDM.rights)
        if len(rights) != 1:
            problems.append(f"ore:Aggregation has {len(rights)} edm:rights (exactly one needed)")
        for value in rights:
            problems += check_rights(value, "ore:Aggregation's")
        shown_at = values(graph, aggregation, EDM.isShownAt)
        shown_by = values(graph, aggregation, EDM.isShownBy)
        if not shown_at and not shown_by:
            problems.append("ore:Aggregation has neither edm:isShownAt nor edm:isShownBy")
        for predicate, name in ((EDM.isShownAt, "edm:isShownAt"),
                                (EDM.isShownBy, "edm:isShownBy"), (EDM.object, "edm:object")):
            if len(values(graph, aggregation, predicate)) > 1:
                problems.append(f"ore:Aggregation has more than one {name}")
        for predicate, name in ((EDM.isShownBy, "edm:isShownBy"), (EDM.hasView, "edm:hasView")):
            for view in values(graph, aggregation, predicate):
                if view not in web_resources:
                    problems.append(f"{name} {view.n3()} is not an edm:WebResource "
                                    "described in the record")

    for resource in sorted(web_resources):
        for value in values(graph, resource, EDM.rights):
            problems += check_rights(value, f"edm:WebResource {resource.n3()}'s")
        linked = values(graph, resource, SVCS.has_service)
        if not linked:
            problems.append(f"edm:WebResource {resource.n3()} has no svcs:has_service")
        for service in linked:
            if service not in services:
                problems.append(f"svcs:has_service {service.n3()} of {resource.n3()} is not "
                                "a svcs:Service described in the record")
            elif IIIF_IMAGE not in values(graph, service, DCTERMS.conformsTo):
                problems.append(f"svcs:Service {service.n3()} does not dcterms:conformsTo "
                                f"{IIIF_IMAGE.n3()}")
    return problems


def check_file(path):
    """(records checked, violation lines) for one file."""
    try:
        found = records(path)
    except (OSError, ValueError) as error:
        return 0, [f"{path}: {error}"]
    if not found:
        return 0, [f"{path}: no record with metadata (no rdf:RDF under oai:metadata)"]
    lines = []
    for index, (identifier, element) in enumerate(found, start=1):
        label = f"{path}: record {index}" + (f" ({identifier})" if identifier else "")
        if element.tag != f"{{{RDF_NS}}}RDF":
            lines.append(f"{label}: metadata is {element.tag}, not rdf:RDF")
            continue
        graph = Graph()
        try:
            graph.parse(data=ET.tostring(element, encoding="unicode"), format="xml")
        except Exception as error:  # rdflib raises many kinds on bad RDF/XML
            lines.append(f"{label}: not RDF/XML that rdflib reads: {error}")
            continue
        lines += [f"{label}: {problem}" for problem in check_graph(graph)]
    return len(found), lines


def main(argv):
    if len(argv) < 2:
        print("usage: check_edm.py FILE...", file=sys.stderr)
        return 2
    checked = 0
    violations = 0
    for path in argv[1:]:
        count, lines = check_file(path)
        checked += count
        violations += len(lines)
        for line in lines:
            print(line)
    print(f"{checked} records checked")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
