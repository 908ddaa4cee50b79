// iiifd's HTTP server, on GNU libmicrohttpd: a few polling threads (epoll) carry every
// connection, so a slow or idle client holds no thread, only a socket and its header buffer;
// a request, once whole, is handled on a pool of worker threads while its connection is
// suspended, so a slow handler (an OAI-PMH page, a deposit's final fsync and Redis write)
// stalls no other client.
//
// Deadlines, per connection:
//   - header_timeout: from its opening, or from its last answer, to the end of the next
//     request's headers (a client sending one header line now and then is cut off);
//   - body_timeout: from the headers to the end of a small body (HttpRequest::body);
//   - idle_timeout: no byte either way while a body is uploaded or an answer sent.
// A connection past its deadline is shut down (shutdown(2); libmicrohttpd then closes it).
// Beyond max_connections, a new connection is closed at once.
//
// Routes: a method and a pattern matched against the whole decoded path (the first route in
// the order added wins). A path no route matches is 404, a method its routes do not take 405.
// A gate runs first on every request (who calls, admissions), before any body is read. Uploads
// (multipart/form-data) stream part by part into an HttpUpload on the polling thread, never
// held whole in memory; other bodies are read whole, up to small_body bytes (413 beyond).
// A handler's text, JSON or XML answer is gzip-compressed for a client that accepts gzip.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http_message.hpp"
#include "iiif_error.hpp"

namespace iiifd {

// A multipart/form-data body taken as it arrives. part() and data() run on a polling thread
// and must be quick (writing to a file is); finish() runs on a worker thread once the body is
// whole and well-formed.
class HttpUpload {
  public:
    virtual ~HttpUpload() = default;
    // A part begins: its name and its filename ("" without one). False refuses the body.
    virtual bool part(const std::string& name, const std::string& filename) = 0;
    // The next bytes of the current part. False refuses the body.
    virtual bool data(const char* bytes, size_t length) = 0;
    // Why part() or data() refused (answered once the body has been read to its end);
    // nullopt: the body is not well-formed multipart.
    virtual std::optional<iiif::IiifError> refusal() const = 0;
    virtual void finish(const HttpRequest& req, HttpResponse& res) = 0;
};

class HttpServer {
  public:
    struct Limits {
        int worker_threads = 16;
        int polling_threads = 2;
        unsigned max_connections = 512;
        std::chrono::seconds header_timeout{10};
        std::chrono::seconds body_timeout{30};
        std::chrono::seconds idle_timeout{60};
        size_t max_header_bytes = 64 << 10;  // the request line and headers
        size_t small_body = 1 << 20;
        std::int64_t upload_body = std::int64_t{1} << 30;
    };
    using Handler = std::function<void(const HttpRequest&, HttpResponse&)>;
    // Begins an upload once its headers are in (on the polling thread); throws IiifError to
    // refuse it before its body is read.
    using UploadHandler = std::function<std::unique_ptr<HttpUpload>(const HttpRequest&)>;
    // Runs first, before routing and before any body is read: answers (returns true) to refuse
    // the request. What it leaves in `held` lives until the request's answer has been sent (or
    // its client has gone): an admission among a limited number, say.
    using Gate =
        std::function<bool(const HttpRequest&, HttpResponse&, std::shared_ptr<void>& held)>;
    // Turns what a handler threw into an answer.
    using ErrorHandler = std::function<void(const HttpRequest&, HttpResponse&, std::exception_ptr)>;
    // Answers a status the server decides itself (404, 405, 413, a malformed body).
    using StatusHandler = std::function<void(HttpResponse&, int status, const std::string& reason)>;

    HttpServer(Limits limits, Gate gate, ErrorHandler on_error, StatusHandler on_status);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Before listen() only.
    void route(std::string method, const std::string& pattern, Handler handler);
    void upload_route(std::string method, const std::string& pattern, UploadHandler handler);

    // Opens the listening socket (port 0: one the kernel picks); throws std::runtime_error
    // when it cannot.
    void bind(const std::string& host, int port);
    // The port bound.
    int port() const;
    // Serves until stop(); run it on a thread of its own.
    void listen();
    // Takes no new connection; the requests under way are answered; then returns.
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace iiifd
