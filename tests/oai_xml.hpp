// OAI-PMH documents read with libxml2's XPath: a whole response, or one record's metadata, with
// the prefixes of the protocol and of its metadata formats registered. A document that is not
// well-formed stops the test.
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace oai_xml {

struct DocDeleter {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct ContextDeleter {
    void operator()(xmlXPathContext* context) const { xmlXPathFreeContext(context); }
};
struct ObjectDeleter {
    void operator()(xmlXPathObject* object) const { xmlXPathFreeObject(object); }
};

inline constexpr const char* kRdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

// The prefixes the tests' XPath expressions use: o for OAI-PMH, id for Identify's
// oai-identifier description, prov for a record's provenance, oai_dc and dc, the EDM's
// vocabularies, and xsi.
inline constexpr std::pair<const char*, const char*> kNamespaces[] = {
    {"o", "http://www.openarchives.org/OAI/2.0/"},
    {"id", "http://www.openarchives.org/OAI/2.0/oai-identifier"},
    {"prov", "http://www.openarchives.org/OAI/2.0/provenance"},
    {"oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc/"},
    {"dc", "http://purl.org/dc/elements/1.1/"},
    {"rdf", kRdf},
    {"dcterms", "http://purl.org/dc/terms/"},
    {"edm", "http://www.europeana.eu/schemas/edm/"},
    {"ore", "http://www.openarchives.org/ore/terms/"},
    {"svcs", "http://rdfs.org/sioc/services#"},
    {"doap", "http://usefulinc.com/ns/doap#"},
    {"xsi", "http://www.w3.org/2001/XMLSchema-instance"}};

class Xml {
  public:
    explicit Xml(const std::string& body)
        : doc_(xmlReadMemory(body.data(), static_cast<int>(body.size()), "document.xml", nullptr,
                             XML_PARSE_NONET)) {
        INFO(body);
        REQUIRE(doc_);
        context_.reset(xmlXPathNewContext(doc_.get()));
        for (auto [prefix, uri] : kNamespaces)
            xmlXPathRegisterNs(context_.get(), xml(prefix), xml(uri));
    }

    // The string value of the first node `path` selects ("" when none).
    std::string text(const std::string& path) const {
        auto result = eval("string(" + path + ")");
        return result->stringval ? chars(result->stringval) : "";
    }
    // The string values of every node `path` selects (elements' text, attributes' values), in
    // document order.
    std::vector<std::string> texts(const std::string& path) const { return each(path, content); }
    int count(const std::string& path) const {
        return static_cast<int>(eval("count(" + path + ")")->floatval);
    }
    // The qualified names of the elements.
    std::vector<std::string> names(const std::string& path) const { return each(path, name); }
    // An element as the tests compare it: "dc:title@fr=Carte" (no "@" without xml:lang), and
    // "edm:hasView->URI" for an rdf:resource.
    std::vector<std::string> elements(const std::string& path) const {
        return each(path, [](xmlNode* node) {
            std::string item = name(node);
            if (xmlChar* lang = xmlGetNsProp(node, xml("lang"), XML_XML_NAMESPACE)) {
                item += "@" + std::string(chars(lang));
                xmlFree(lang);
            }
            if (xmlChar* resource = xmlGetNsProp(node, xml("resource"), xml(kRdf))) {
                item += "->" + std::string(chars(resource));
                xmlFree(resource);
            } else {
                item += "=" + content(node);
            }
            return item;
        });
    }

    // The OAI-PMH error codes, in order.
    std::vector<std::string> errors() const { return texts("/o:OAI-PMH/o:error/@code"); }
    // The <request> element's attributes as "name=value", in document order.
    std::vector<std::string> request() const {
        return each("/o:OAI-PMH/o:request/@*", [](xmlNode* node) {
            return std::string(chars(node->name)) + "=" + content(node);
        });
    }
    // The identifiers of the headers, in order.
    std::vector<std::string> identifiers() const { return texts("//o:header/o:identifier"); }
    // The resumption token of a list ("" when none).
    std::string token() const { return text("/o:OAI-PMH/*/o:resumptionToken"); }

  private:
    static const xmlChar* xml(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
    static const char* chars(const xmlChar* s) { return reinterpret_cast<const char*>(s); }
    static std::string name(xmlNode* node) {
        return node->ns && node->ns->prefix
                   ? std::string(chars(node->ns->prefix)) + ":" + chars(node->name)
                   : chars(node->name);
    }
    static std::string content(xmlNode* node) {
        xmlChar* value = xmlNodeGetContent(node);
        std::string out = value ? chars(value) : "";
        xmlFree(value);
        return out;
    }

    std::unique_ptr<xmlXPathObject, ObjectDeleter> eval(const std::string& expression) const {
        std::unique_ptr<xmlXPathObject, ObjectDeleter> result(
            xmlXPathEvalExpression(xml(expression.c_str()), context_.get()));
        INFO(expression);
        REQUIRE(result);
        return result;
    }
    // `describe` of every node `path` selects, in document order.
    template <typename Describe>
    std::vector<std::string> each(const std::string& path, Describe describe) const {
        auto result = eval(path);
        std::vector<std::string> found;
        if (result->type != XPATH_NODESET || result->nodesetval == nullptr) return found;
        for (int i = 0; i < result->nodesetval->nodeNr; ++i)
            found.push_back(describe(result->nodesetval->nodeTab[i]));
        return found;
    }

    std::unique_ptr<xmlDoc, DocDeleter> doc_;
    std::unique_ptr<xmlXPathContext, ContextDeleter> context_;
};

}  // namespace oai_xml
