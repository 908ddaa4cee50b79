// One HTTP request and its answer as iiifd's handlers see them, whatever server carries them
// (http_server.hpp): the request's line, headers and small body already read and decoded.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iiifd {

using HttpFields = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method;  // "GET", "POST", ...; a HEAD is routed as its GET
    std::string target;  // as sent: the path and query, still percent-encoded
    std::string path;    // the target's path, percent-decoded
    HttpFields params;   // the query's name=value pairs in order, repeats kept (form_fields)
    HttpFields headers;  // in order, names as sent (compared without case)
    // The route's pattern matched against `path`: [0] the whole path, then its groups.
    std::vector<std::string> matches;
    std::string remote_addr;  // the peer's address ("127.0.0.1", "::1")
    // The body of a route that takes a small one (HttpServer::Limits::small_body), read whole
    // before the handler runs; over that limit, the server has answered 413 itself.
    std::string body;

    bool has_header(std::string_view name) const;
    // The index-th value of a header (they may repeat), "" when there is none.
    std::string get_header_value(std::string_view name, size_t index = 0) const;
    size_t get_header_value_count(std::string_view name) const;
    bool has_param(std::string_view name) const;
    // The first value of a parameter, "" when absent.
    std::string get_param_value(std::string_view name) const;
    // Content-Type multipart/form-data (with its boundary or not).
    bool is_multipart_form_data() const;
};

struct HttpResponse {
    int status = 200;
    HttpFields headers;  // sent in order; Content-Length and Date are the server's
    std::string body;

    // Adds a header (Set-Cookie may come more than once); a line break in a value is refused
    // (std::invalid_argument), so no header ever splits an answer.
    void set_header(std::string name, std::string value);
    bool has_header(std::string_view name) const;
    void set_content(std::string content, std::string content_type);
};

// Header names compare without case (RFC 9110).
bool same_header_name(std::string_view a, std::string_view b);

}  // namespace iiifd
