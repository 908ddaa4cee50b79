// libFuzzer target: OAI-PMH requests and resumption tokens. The input is a request's arguments
// as a GET query or a POST form carries them ("verb=ListRecords&metadataPrefix=oai_dc&..."),
// split by form_fields as OaiRoutes::respond has it split (repeats kept), and answered by iiifd's
// provider (daemon/oai_provider.hpp) from the small catalog of fuzz_catalog.hpp, in pages of three.
// Each answer's resumption token is followed to the list's end, as a harvester does. Besides, the
// input is taken as a token (decode_resumption_token), and as the payload of a token signed with
// the provider's key.
//
// What must hold: nothing crashes or throws; every answer is well-formed XML; a list followed
// through its tokens never gives an item twice; a token read back is the state it was made of.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "encoding.hpp"
#include "fuzz_catalog.hpp"
#include "oai_provider.hpp"
#include "oai_request.hpp"
#include "resumption_token.hpp"
#include "signing.hpp"

namespace {

constexpr std::int64_t kNow = 1780272000;  // 2026-06-01T00:00:00Z
const std::string kKey = "0123456789abcdef0123456789abcdef-fuzz-key";
constexpr int kMaxPages = 20;

const iiifd::OaiProvider& provider() {
    static const iiifd::OaiProvider provider = [] {
        iiifd::OaiConfig config;
        config.repository_name = "Images d'essai";
        config.admin_emails = {"oai@images.example.org"};
        config.page_size = 3;
        config.token_lifetime = 3600;
        return iiifd::OaiProvider(fuzz_catalog::writer().reader(), fuzz_catalog::settings(), config,
                                  kKey);
    }();
    return provider;
}

// What one answer says: its resumption token and the identifiers of the items it lists.
struct Answer {
    std::string token;
    std::vector<std::string> identifiers;
};

std::string text_of(xmlNode* node) {
    xmlChar* content = xmlNodeGetContent(node);
    std::string text = content ? reinterpret_cast<const char*>(content) : "";
    xmlFree(content);
    return text;
}

void read_answer(xmlNode* node, Answer& answer) {
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE) continue;
        const std::string_view name = reinterpret_cast<const char*>(node->name);
        if (name == "resumptionToken") answer.token = text_of(node);
        if (name == "header")
            for (xmlNode* child = node->children; child; child = child->next)
                if (child->type == XML_ELEMENT_NODE &&
                    std::string_view(reinterpret_cast<const char*>(child->name)) == "identifier")
                    answer.identifiers.push_back(text_of(child));
        read_answer(node->children, answer);
    }
}

// The answer, which must be well-formed XML.
Answer parse_answer(const std::string& xml) {
    xmlDoc* document = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "oai.xml", nullptr,
                                     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!document) std::abort();
    Answer answer;
    read_answer(xmlDocGetRootElement(document), answer);
    xmlFreeDoc(document);
    return answer;
}

// The request, then the rest of its list through its tokens.
void harvest(const iiifd::OaiProvider& provider, const iiif::OaiArguments& arguments) {
    Answer answer = parse_answer(provider.respond(arguments, kNow));
    std::set<std::string> seen(answer.identifiers.begin(), answer.identifiers.end());
    if (seen.size() != answer.identifiers.size()) std::abort();
    std::string verb;
    for (const auto& [name, value] : arguments)
        if (name == "verb") verb = value;
    for (int pages = 1; !answer.token.empty() && pages < kMaxPages; ++pages) {
        answer = parse_answer(
            provider.respond({{"verb", verb}, {"resumptionToken", answer.token}}, kNow));
        for (const std::string& identifier : answer.identifiers)
            if (!seen.insert(identifier).second) std::abort();
    }
}

void check_token(std::string_view token) {
    std::optional<iiif::ResumptionState> state = iiif::decode_resumption_token(token, kKey);
    if (state && iiif::encode_resumption_token(*state, kKey) != token) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string query(reinterpret_cast<const char*>(data), size);
    const iiif::OaiArguments arguments = iiif::form_fields(query);
    harvest(provider(), arguments);

    check_token(query);
    // The input as what a token carries, signed as the provider signs it.
    std::string payload = query;
    const iiif::Digest mac = iiif::hmac_sha256(payload, kKey);
    payload.append(reinterpret_cast<const char*>(mac.data()), 16);
    check_token(iiif::base64url(payload));
    return 0;
}
