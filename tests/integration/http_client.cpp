#include "http_client.hpp"

#include <curl/curl.h>
#include <strings.h>

#include <memory>
#include <mutex>
#include <thread>

namespace integration {
namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    static_cast<Response*>(user)->body.append(data, size * count);
    return size * count;
}

std::string trimmed(std::string_view text) {
    size_t begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return "";
    size_t end = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(begin, end - begin + 1));
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* response = static_cast<Response*>(user);
    std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
        response->headers.clear();  // a new response (after a 100 Continue)
    } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
        response->headers.emplace(trimmed(line.substr(0, colon)), trimmed(line.substr(colon + 1)));
    }
    return size * count;
}

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
    return strcasecmp(a.c_str(), b.c_str()) < 0;
}

std::string Response::header(const std::string& name) const {
    auto found = headers.find(name);
    return found == headers.end() ? "" : found->second;
}

Response fetch(const Request& request, long timeout_seconds) {
    global_init();
    Response response;
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    curl_slist* list = nullptr;
    for (const std::string& header : request.headers)
        list = curl_slist_append(list, header.c_str());
    std::unique_ptr<curl_slist, SlistDeleter> headers(list);
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_seconds);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &response);
    if (request.method == "HEAD") {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (request.method == "POST") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    } else if (request.method != "GET") {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        response.status = 0;
        response.error = curl_easy_strerror(rc);
        return response;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &response.seconds);
    return response;
}

Response get(const std::string& url, const std::vector<std::string>& headers,
             const std::string& method) {
    return fetch({url, headers, method});
}

std::vector<Response> fetch_concurrently(const std::vector<Request>& requests,
                                         long timeout_seconds) {
    std::vector<Response> responses(requests.size());
    std::vector<std::thread> threads;
    threads.reserve(requests.size());
    for (size_t i = 0; i < requests.size(); ++i)
        threads.emplace_back([&, i] { responses[i] = fetch(requests[i], timeout_seconds); });
    for (std::thread& thread : threads) thread.join();
    return responses;
}

}  // namespace integration
