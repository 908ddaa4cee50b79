#include "xml_writer.hpp"

#include "iiif_error.hpp"

namespace iiif {
namespace {

const xmlChar* xml(const char* text) {
    return reinterpret_cast<const xmlChar*>(text);
}

void check(int rc, const char* what) {
    if (rc < 0) throw IiifError(500, std::string("XML writer: ") + what);
}

// The length of the UTF-8 sequence at `at` (1 to 4), or 0 when it is not one; `code` is its
// character.
size_t utf8_sequence(std::string_view text, size_t at, std::uint32_t& code) {
    const auto lead = static_cast<unsigned char>(text[at]);
    size_t size = 0;
    code = lead;
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) {
        size = 2;
        code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        size = 3;
        code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        size = 4;
        code = lead & 0x07;
    } else {
        return 0;
    }
    if (at + size > text.size()) return 0;
    for (size_t i = 1; i < size; ++i) {
        const auto next = static_cast<unsigned char>(text[at + i]);
        if ((next & 0xC0) != 0x80) return 0;
        code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and what lies beyond U+10FFFF are no UTF-8.
    if ((size == 3 && code < 0x800) || (size == 4 && code < 0x10000) ||
        (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF)
        return 0;
    return size;
}

}  // namespace

std::string xml_safe_text(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (size_t at = 0; at < value.size();) {
        const auto c = static_cast<unsigned char>(value[at]);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            ++at;
            continue;
        }
        std::uint32_t code = 0;
        const size_t size = utf8_sequence(value, at, code);
        if (size == 0 || code == 0xFFFE || code == 0xFFFF) {
            // A byte that starts no character, or a character XML cannot carry: one U+FFFD.
            out += "\xEF\xBF\xBD";
            at += size == 0 ? 1 : size;
            continue;
        }
        out.append(value.substr(at, size));
        at += size;
    }
    return out;
}

XmlWriter::XmlWriter() {
    buffer_ = xmlBufferCreate();
    if (buffer_ == nullptr) throw IiifError(500, "XML writer: out of memory");
    writer_ = xmlNewTextWriterMemory(buffer_, 0);
    if (writer_ == nullptr) {
        xmlBufferFree(buffer_);
        throw IiifError(500, "XML writer: out of memory");
    }
    check(xmlTextWriterStartDocument(writer_, "1.0", "UTF-8", nullptr), "start document");
}

XmlWriter::~XmlWriter() {
    if (writer_) xmlFreeTextWriter(writer_);
    if (buffer_) xmlBufferFree(buffer_);
}

void XmlWriter::start(const char* name) {
    check(xmlTextWriterStartElement(writer_, xml(name)), name);
}

void XmlWriter::attribute(const char* name, std::string_view value) {
    const std::string safe = xml_safe_text(value);
    check(xmlTextWriterWriteAttribute(writer_, xml(name), xml(safe.c_str())), name);
}

void XmlWriter::text(std::string_view value) {
    const std::string safe = xml_safe_text(value);
    check(xmlTextWriterWriteString(writer_, xml(safe.c_str())), "text");
}

void XmlWriter::end() {
    check(xmlTextWriterEndElement(writer_), "end element");
}

std::string XmlWriter::finish() {
    check(xmlTextWriterEndDocument(writer_), "end document");
    xmlFreeTextWriter(writer_);  // flushes into the buffer
    writer_ = nullptr;
    return {reinterpret_cast<const char*>(xmlBufferContent(buffer_)),
            static_cast<size_t>(xmlBufferLength(buffer_))};
}

}  // namespace iiif
