#include "http_fetch.hpp"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>

namespace iiifd {
namespace {

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct HeaderListDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

// Where the body goes: a string or a file, never past the limit.
struct Body {
    std::string* text = nullptr;
    std::FILE* file = nullptr;
    std::size_t limit = 0;
    std::size_t received = 0;
    bool too_large = false;
    bool write_failed = false;
};

size_t take_body(char* data, size_t size, size_t count, void* user) {
    auto* body = static_cast<Body*>(user);
    const size_t length = size * count;
    if (length > body->limit - body->received) {
        body->too_large = true;
        return 0;  // aborts the transfer
    }
    body->received += length;
    if (body->text != nullptr) {
        body->text->append(data, length);
    } else if (std::fwrite(data, 1, length, body->file) != length) {
        body->write_failed = true;
        return 0;
    }
    return length;
}

std::string lowered_type(const char* type) {
    std::string kept;
    for (const char* c = type; c != nullptr && *c != '\0' && *c != ';'; ++c)
        if (*c != ' ') kept += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
    return kept;
}

// Runs one GET into `body`; returns the content type of its 200 answer.
std::string get(const std::string& url, const std::string& accept, bool gzip, Body& body,
                const FetchLimits& limits) {
    if (!is_fetchable_url(url)) throw FetchError(url + ": not an http or https URL");
    static std::once_flag global_init;
    std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    const std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
    if (!handle) throw FetchError(url + ": libcurl could not make a handle");
    CURL* curl = handle.get();
    const std::unique_ptr<curl_slist, HeaderListDeleter> headers(
        curl_slist_append(nullptr, ("Accept: " + accept).c_str()));
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    if (gzip) curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, limits.max_redirects);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, limits.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(limits.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(limits.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, take_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    const CURLcode code = curl_easy_perform(curl);
    if (body.too_large || code == CURLE_FILESIZE_EXCEEDED)
        throw FetchError(url + ": the answer is larger than " + std::to_string(limits.max_bytes) +
                         " bytes");
    if (body.write_failed) throw FetchError(url + ": the answer could not be written");
    if (code == CURLE_TOO_MANY_REDIRECTS)
        throw FetchError(url + ": more than " + std::to_string(limits.max_redirects) +
                         " redirects");
    if (code == CURLE_UNSUPPORTED_PROTOCOL)
        throw FetchError(url + ": redirected to a scheme other than http or https");
    if (code == CURLE_OPERATION_TIMEDOUT)
        throw FetchError(url + ": no whole answer within " +
                         std::to_string(limits.timeout.count()) + " ms");
    if (code != CURLE_OK)
        throw FetchError(url + ": " + (error[0] != '\0' ? error : curl_easy_strerror(code)));
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) throw FetchError(url + ": HTTP " + std::to_string(status), status);
    const char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    return lowered_type(type);
}

}  // namespace

bool is_fetchable_url(const std::string& url) {
    std::string scheme;
    for (size_t i = 0; i < url.size() && i < 8; ++i)
        scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(url[i])));
    const size_t host = scheme.starts_with("https://") ? 8 : scheme.starts_with("http://") ? 7 : 0;
    if (host == 0 || host == url.size() || url[host] == '/' || url[host] == '?' || url[host] == '#')
        return false;
    for (const char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return false;
    return true;
}

std::string fetch_text(const std::string& url, const std::string& accept,
                       const FetchLimits& limits) {
    std::string text;
    Body body;
    body.text = &text;
    body.limit = limits.max_bytes;
    get(url, accept, true, body, limits);
    return text;
}

FetchedFile fetch_to_file(const std::string& url, const std::string& path,
                          const std::string& accept, const FetchLimits& limits) {
    const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wbe"));
    if (!file) throw FetchError(url + ": cannot write " + path);
    Body body;
    body.file = file.get();
    body.limit = limits.max_bytes;
    FetchedFile fetched;
    fetched.content_type = get(url, accept, false, body, limits);
    if (std::fflush(file.get()) != 0) throw FetchError(url + ": cannot write " + path);
    fetched.bytes = static_cast<std::int64_t>(body.received);
    return fetched;
}

}  // namespace iiifd
