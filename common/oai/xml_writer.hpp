// A small RAII face of libxml2's xmlTextWriter, writing a UTF-8 document into memory: the
// OAI-PMH responses are written with it, never by concatenating strings, so every name is
// balanced and every text escaped. Failures of libxml2 throw IiifError(500).
#pragma once

#include <libxml/xmlwriter.h>

#include <string>
#include <string_view>

namespace iiif {

class XmlWriter {
  public:
    XmlWriter();  // starts the document: <?xml version="1.0" encoding="UTF-8"?>
    ~XmlWriter();
    XmlWriter(const XmlWriter&) = delete;
    XmlWriter& operator=(const XmlWriter&) = delete;

    void start(const char* name);  // a qualified name: "dc:title"
    // Attributes of the element just started; xmlns declarations are attributes too.
    void attribute(const char* name, std::string_view value);
    // Text is made fit for XML 1.0: control characters other than tab, line feed and carriage
    // return are dropped, and bytes that are not UTF-8 become U+FFFD.
    void text(std::string_view value);
    void end();
    void element(const char* name, std::string_view value) {
        start(name);
        text(value);
        end();
    }
    // Closes what is open and ends the document; the bytes written.
    std::string finish();

  private:
    xmlBufferPtr buffer_ = nullptr;
    xmlTextWriterPtr writer_ = nullptr;
};

// `value` with what XML 1.0 cannot carry removed or replaced (see XmlWriter::text).
std::string xml_safe_text(std::string_view value);

}  // namespace iiif
