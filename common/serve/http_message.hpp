// The HTTP messages of the services in serve/, without any server: what the module's facade
// (ngx_module/iiif_facade.cpp) fills in from nginx's request and turns back into nginx's
// response, and what the tests build by hand.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access.hpp"

namespace iiif {

struct HttpRequest {
    std::string_view method;  // GET, HEAD, OPTIONS, ...
    std::string_view path;    // below the service prefix, still percent-encoded, no query
    std::string_view prefix;  // the service's path on this server, e.g. "/iiif/3"
    std::string_view scheme;  // of the connection
    std::string_view host;
    std::string_view forwarded_proto;
    std::string_view forwarded_host;
    std::string_view forwarded_prefix;
    std::string_view accept;
    std::string_view access_control_request_headers;
    // Who asks, for access policies (access.hpp).
    std::optional<IpAddress> client_address;
    std::string_view cookie;
    std::string_view authorization;
};

enum class CacheStatus { bypass, hit, miss };
std::string_view cache_status_name(CacheStatus status);

struct HttpResponse {
    int status = 200;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // besides the fields below
    std::string etag;                 // quoted strong validator, empty for none
    std::int64_t last_modified = -1;  // unix seconds, -1 for none
    CacheStatus cache_status = CacheStatus::bypass;
    // A body read in place (a stored document of the catalog, a tile cache hit) instead of
    // `body`: valid while `body_pin` lives. A server writes it from memory, never by reference
    // to the LMDB file (see snapshot_pins.hpp). See CatalogReader::pinned_document and
    // TileCache::get_pinned.
    std::shared_ptr<const void> body_pin;
    std::string_view pinned_body;
    // The same bytes in a file a server may send them from with sendfile() (a hit the worker's
    // SendArena holds: send_arena.hpp); fd -1: none. The file stays open while `hold` lives.
    struct BodyFile {
        std::shared_ptr<const void> hold;
        int fd = -1;
        std::int64_t offset = 0;
    } body_file;

    // Prebuilt: when set, the status, content type, headers, validators and cache status are
    // those of `head` (made once for a request the service answers often), and only the body
    // is this response's. Read them through meta().
    std::shared_ptr<const HttpResponse> head;

    std::string_view body_bytes() const { return body_pin ? pinned_body : std::string_view(body); }
    const HttpResponse& meta() const { return head ? *head : *this; }
};

// An error as every service here answers it: the status, its reason as plain text, CORS (and
// for a 401, how to authenticate).
HttpResponse error_response(int status, std::string_view reason);

// Whether an Accept header asks for JSON-LD (application/ld+json).
inline bool accepts_json_ld(std::string_view accept) {
    return accept.find("application/ld+json") != std::string_view::npos;
}

}  // namespace iiif
