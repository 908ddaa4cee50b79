#include "http_message.hpp"

namespace iiif {

std::string_view cache_status_name(CacheStatus status) {
    switch (status) {
        case CacheStatus::hit:
            return "HIT";
        case CacheStatus::miss:
            return "MISS";
        case CacheStatus::bypass:
            return "BYPASS";
    }
    return "BYPASS";
}

HttpResponse error_response(int status, std::string_view reason) {
    HttpResponse response;
    response.status = status;
    response.content_type = "text/plain; charset=utf-8";
    response.body = std::string(reason) + "\n";
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
    // RFC 9110: a 401 says how to authenticate. Bearer: no browser shows a password dialog.
    if (status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"iiif\"");
    return response;
}

}  // namespace iiif
