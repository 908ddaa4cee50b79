// One GET of a partner's resource (a manifest, an image service's info.json, an image file), as
// the harvester makes it: http or https only, redirects followed within a limit, gzip asked for
// text, the whole request within a time limit, the body within a size limit; into memory or
// into a file. libcurl's easy interface, one handle a request.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace iiifd {

struct FetchLimits {
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{60'000};  // the whole request, body included
    std::size_t max_bytes = 16u << 20;          // decompressed
    long max_redirects = 5;
    std::string user_agent = "iiifd-harvester/1.0 (IIIF)";
};

// What a fetch could not get, with the reason (the URL first); `http_status` when the server
// answered with a status other than 200, 0 otherwise.
class FetchError : public std::runtime_error {
  public:
    explicit FetchError(const std::string& message, long http_status = 0)
        : std::runtime_error(message), http_status_(http_status) {}
    long http_status() const { return http_status_; }

  private:
    long http_status_;
};

// An http or https URL without spaces or control characters, with a host.
bool is_fetchable_url(const std::string& url);

// The body of a 200 answer to GET `url` with `accept` as its Accept header. Throws FetchError
// for another status, a body over `limits.max_bytes`, too many redirects, a redirect to another
// scheme, a timeout, a transport failure.
std::string fetch_text(const std::string& url, const std::string& accept,
                       const FetchLimits& limits = {});

struct FetchedFile {
    std::string content_type;  // as the server gave it, lowercased, without parameters
    std::int64_t bytes = 0;
};

// The same, the body written to `path` (created or truncated; left as far as it got when the
// fetch fails: the caller removes it). No gzip: images are sent as they are.
FetchedFile fetch_to_file(const std::string& url, const std::string& path,
                          const std::string& accept, const FetchLimits& limits = {});

}  // namespace iiifd
