// A small HTTP client over libcurl for the integration tests: one request, one response, with
// every header kept as the server sent it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace integration {

// Header names compare case-insensitively, as HTTP says.
struct CaseInsensitiveLess {
    bool operator()(const std::string& a, const std::string& b) const;
};

struct Response {
    long status = 0;    // 0 when no response came (refused, reset, timed out)
    std::string error;  // libcurl's message when status is 0
    std::multimap<std::string, std::string, CaseInsensitiveLess> headers;
    std::string body;
    double seconds = 0;  // total time of the transfer

    bool has(const std::string& name) const { return headers.count(name) > 0; }
    // The first value of a header, or "" when it is absent.
    std::string header(const std::string& name) const;
};

struct Request {
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string method = "GET";        // GET, HEAD, OPTIONS, POST, ...
};

Response fetch(const Request& request, long timeout_seconds = 30);
Response get(const std::string& url, const std::vector<std::string>& headers = {},
             const std::string& method = "GET");

// Sends every request at once, each from its own thread and connection; the responses are in
// the order of the requests.
std::vector<Response> fetch_concurrently(const std::vector<Request>& requests,
                                         long timeout_seconds = 30);

}  // namespace integration
