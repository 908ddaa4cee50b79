// The server of http_server.hpp. One Exchange per request, made when its request line arrives
// (libmicrohttpd's URI callback, which sees the target still encoded) and freed when the
// request ends; one Peer per connection, for its deadline. The access handler runs on the
// connection's polling thread: first with the headers (route, gate, a refusal before any body),
// then once per piece of body, then with the body whole: the connection is suspended, the
// handler runs on the worker pool, and the answer is queued when the worker resumes it.
#include "http_server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstring>
#include <deque>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <thread>
#include <unordered_set>
#include <vector>

#include "encoding.hpp"

namespace iiifd {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kNoDeadline = INT64_MAX;
// How often the deadlines are looked at.
constexpr auto kReaperPeriod = std::chrono::milliseconds(250);
// libmicrohttpd's multipart reader: how much of a part it hands over at a time.
constexpr size_t kPostBuffer = 64 << 10;

std::int64_t now_ticks() {
    return Clock::now().time_since_epoch().count();
}

std::int64_t ticks_after(std::chrono::seconds delay) {
    return now_ticks() + std::chrono::duration_cast<Clock::duration>(delay).count();
}

// A connection: its socket, and when it must have sent what it owes (kNoDeadline while its
// request is handled or an answer sent: then libmicrohttpd's idle timeout watches it).
struct Peer {
    int fd = -1;
    std::atomic<std::int64_t> deadline{kNoDeadline};
};

// A fixed set of threads taking tasks in order.
class WorkerPool {
  public:
    explicit WorkerPool(int threads) {
        for (int i = 0; i < threads; ++i)
            threads_.emplace_back([this] {
                pthread_setname_np(pthread_self(), "iiifd-http");
                run();
            });
    }
    ~WorkerPool() { stop(); }

    void post(std::function<void()> task) {
        {
            std::lock_guard lock(mutex_);
            tasks_.push_back(std::move(task));
        }
        ready_.notify_one();
    }

    // Runs what is queued, then ends the threads.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        for (std::thread& thread : threads_)
            if (thread.joinable()) thread.join();
    }

  private:
    void run() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
                if (tasks_.empty()) return;
                task = std::move(tasks_.front());
                tasks_.pop_front();
            }
            task();
        }
    }

    std::vector<std::thread> threads_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
};

struct Route {
    std::string method;
    std::regex pattern;
    HttpServer::Handler handler;
    HttpServer::UploadHandler upload;
};

std::string address_text(const sockaddr* address) {
    char text[INET6_ADDRSTRLEN] = "";
    if (address == nullptr) return {};
    if (address->sa_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text,
                  sizeof text);
    } else if (address->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
                  sizeof text);
    }
    return text;
}

// Whether Accept-Encoding takes gzip: named (or "*") and not with q=0.
bool accepts_gzip(const HttpRequest& req) {
    const std::string accepted = req.get_header_value("Accept-Encoding");
    size_t start = 0;
    while (start <= accepted.size()) {
        size_t end = accepted.find(',', start);
        if (end == std::string::npos) end = accepted.size();
        std::string item = accepted.substr(start, end - start);
        start = end + 1;
        const size_t semicolon = item.find(';');
        std::string coding = item.substr(0, semicolon);
        std::erase_if(coding, [](char c) { return c == ' ' || c == '\t'; });
        if (!same_header_name(coding, "gzip") && coding != "*") continue;
        if (semicolon == std::string::npos) return true;
        std::string parameters = item.substr(semicolon + 1);
        std::erase_if(parameters, [](char c) { return c == ' ' || c == '\t'; });
        return !(parameters == "q=0" || parameters == "q=0.0" || parameters == "q=0.00" ||
                 parameters == "q=0.000");
    }
    return false;
}

bool compressible(std::string_view type) {
    return type.starts_with("text/") || type.starts_with("application/json") ||
           type.starts_with("application/xml") || type.starts_with("application/ld+json") ||
           type.starts_with("application/javascript") || type.starts_with("image/svg+xml");
}

// `text` in gzip format; nullopt when zlib fails.
std::optional<std::string> gzip(const std::string& text) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return std::nullopt;
    std::string out(deflateBound(&stream, static_cast<uLong>(text.size())), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    stream.avail_in = static_cast<uInt>(text.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int result = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (result != Z_STREAM_END) return std::nullopt;
    return out;
}

// A handler's answer compressed when the client takes gzip and compressing helps.
void compress(const HttpRequest& req, HttpResponse& res) {
    constexpr size_t kWorthCompressing = 256;
    constexpr size_t kMostCompressed = size_t{1} << 30;
    if (res.body.size() < kWorthCompressing || res.body.size() > kMostCompressed) return;
    if (res.has_header("Content-Encoding") || !accepts_gzip(req)) return;
    std::string type;
    for (const auto& [name, value] : res.headers)
        if (same_header_name(name, "Content-Type")) type = value;
    if (!compressible(type)) return;
    std::optional<std::string> compressed = gzip(res.body);
    if (!compressed) return;
    res.body = std::move(*compressed);
    res.set_header("Content-Encoding", "gzip");
}

}  // namespace

// Turns libmicrohttpd's multipart reader's calls into HttpUpload's parts. It calls once per
// part with offset 0, with no byte when none is there yet, then once per piece it has with the
// offset of that piece; so a call with offset 0 after one with none is the same part when name
// and filename agree. (Then an empty part followed by a part of the same name and filename reads
// as that one part: the same bytes, one part fewer.)
struct PartReader {
    HttpUpload* upload = nullptr;
    bool opened_empty = false;
    std::string name;
    std::string filename;

    bool take(const char* key, const char* file, const char* data, uint64_t offset, size_t size) {
        if (offset == 0) {
            const std::string part_name = key == nullptr ? "" : key;
            const std::string part_file = file == nullptr ? "" : file;
            const bool same_part =
                opened_empty && size > 0 && part_name == name && part_file == filename;
            if (!same_part) {
                if (!upload->part(part_name, part_file)) return false;
                name = part_name;
                filename = part_file;
            }
            opened_empty = size == 0;
        }
        return size == 0 || upload->data(data, size);
    }
};

// One request, from its request line to the end of its answer.
struct Exchange {
    enum class Stage { headers, body, handling, answered };

    Stage stage = Stage::headers;
    HttpRequest request;
    HttpResponse response;
    const Route* route = nullptr;
    bool body_too_large = false;
    std::int64_t body_bytes = 0;
    std::unique_ptr<HttpUpload> upload;
    PartReader parts;
    MHD_PostProcessor* post = nullptr;
    bool upload_refused = false;
    bool posted = false;         // to the worker pool
    std::shared_ptr<void> held;  // the gate's, until the answer is sent

    ~Exchange() {
        if (post != nullptr) MHD_destroy_post_processor(post);
    }
};

struct HttpServer::Impl {
    Limits limits;
    Gate gate;
    ErrorHandler on_error;
    StatusHandler on_status;
    std::vector<Route> routes;
    int listen_fd = -1;
    int port = 0;
    MHD_Daemon* daemon = nullptr;
    std::unique_ptr<WorkerPool> workers;

    std::mutex peers_mutex;
    std::unordered_set<Peer*> peers;
    std::atomic<int> posted_count{0};  // requests handed to the workers, not yet done with

    std::mutex stop_mutex;
    std::condition_variable stop_changed;
    bool stopping = false;

    // ---- libmicrohttpd's callbacks (static trampolines below) ----
    MHD_Result access(MHD_Connection* connection, Exchange& exchange, const char* method,
                      const char* upload_data, size_t* upload_data_size);
    MHD_Result begin(MHD_Connection* connection, Exchange& exchange, const char* method);
    MHD_Result receive(Exchange& exchange, const char* data, size_t size);
    MHD_Result complete(MHD_Connection* connection, Exchange& exchange);
    MHD_Result answer(MHD_Connection* connection, Exchange& exchange);
    void handle(MHD_Connection* connection, Exchange& exchange);
    void fail(Exchange& exchange, int status, const std::string& reason);

    static Peer* peer_of(MHD_Connection* connection) {
        const MHD_ConnectionInfo* info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return info == nullptr ? nullptr : static_cast<Peer*>(info->socket_context);
    }

    void reap_overdue();
};

void HttpServer::Impl::fail(Exchange& exchange, int status, const std::string& reason) {
    exchange.response = HttpResponse();
    exchange.response.status = status;
    on_status(exchange.response, status, reason);
}

// The headers are in: route the request, let the gate see it, refuse it early or get ready
// for its body.
MHD_Result HttpServer::Impl::begin(MHD_Connection* connection, Exchange& exchange,
                                   const char* method) {
    HttpRequest& req = exchange.request;
    req.method = method;
    const size_t query = req.target.find('?');
    std::optional<std::string> path = iiif::percent_decoded(req.target.substr(0, query));
    if (query != std::string::npos)
        req.params = iiif::form_fields(std::string_view(req.target).substr(query + 1));
    MHD_get_connection_values_n(
        connection, MHD_HEADER_KIND,
        [](void* cls, MHD_ValueKind, const char* key, size_t key_size, const char* value,
           size_t value_size) {
            static_cast<HttpFields*>(cls)->emplace_back(std::string(key, key_size),
                                                        std::string(value, value_size));
            return MHD_YES;
        },
        &req.headers);
    const MHD_ConnectionInfo* client =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    req.remote_addr = address_text(client == nullptr ? nullptr : client->client_addr);

    Peer* peer = peer_of(connection);
    // A request with a body is answered at once, before its body is read (libmicrohttpd then
    // drops the body and closes the connection); one without is answered on the next call, once
    // whole, so that its connection stays open for the next request.
    const bool has_body = req.has_header("Transfer-Encoding") ||
                          (req.has_header("Content-Length") &&
                           req.get_header_value("Content-Length") != "0");
    auto refuse_now = [&]() {
        if (peer != nullptr) peer->deadline = kNoDeadline;
        exchange.stage = Exchange::Stage::answered;
        return has_body ? answer(connection, exchange) : MHD_YES;
    };
    if (!path || path->find('\0') != std::string::npos) {
        fail(exchange, 400, "malformed path");
        return refuse_now();
    }
    req.path = std::move(*path);

    try {
        if (gate(req, exchange.response, exchange.held)) return refuse_now();
    } catch (...) {
        on_error(req, exchange.response, std::current_exception());
        return refuse_now();
    }

    // HEAD is answered as GET is, without the body (libmicrohttpd leaves it out).
    const std::string routed_method = req.method == "HEAD" ? "GET" : req.method;
    bool path_known = false;
    std::smatch match;
    for (const Route& route : routes) {
        if (!std::regex_match(req.path, match, route.pattern)) continue;
        path_known = true;
        if (route.method != routed_method) continue;
        exchange.route = &route;
        for (const auto& group : match) req.matches.push_back(group.str());
        break;
    }
    if (exchange.route == nullptr) {
        if (path_known) {
            fail(exchange, 405, "method not allowed");
            exchange.response.set_header("Allow", [&] {
                std::string allowed;
                for (const Route& route : routes)
                    if (std::regex_match(req.path, route.pattern))
                        allowed += (allowed.empty() ? "" : ", ") + route.method;
                return allowed;
            }());
        } else {
            fail(exchange, 404, "not found");
        }
        return refuse_now();
    }

    const std::string length_text = req.get_header_value("Content-Length");
    std::int64_t length = 0;
    if (!length_text.empty()) {
        try {
            length = std::stoll(length_text);
        } catch (const std::exception&) {
            length = 0;
        }
    }
    const bool uploading = static_cast<bool>(exchange.route->upload);
    const std::int64_t most =
        uploading ? limits.upload_body : static_cast<std::int64_t>(limits.small_body);
    if (length > most) {
        fail(exchange, 413, "the body is larger than " + std::to_string(most) + " bytes");
        return refuse_now();
    }
    if (uploading) {
        try {
            exchange.upload = exchange.route->upload(req);
        } catch (...) {
            on_error(req, exchange.response, std::current_exception());
            return refuse_now();
        }
        exchange.parts.upload = exchange.upload.get();
        exchange.post = MHD_create_post_processor(
            connection, kPostBuffer,
            [](void* cls, MHD_ValueKind, const char* key, const char* filename, const char*,
               const char*, const char* data, uint64_t offset, size_t size) {
                return static_cast<PartReader*>(cls)->take(key, filename, data, offset, size)
                           ? MHD_YES
                           : MHD_NO;
            },
            &exchange.parts);
        if (exchange.post == nullptr) {
            fail(exchange, 400, "malformed multipart/form-data header (no boundary?)");
            return refuse_now();
        }
    }
    exchange.stage = Exchange::Stage::body;
    if (peer != nullptr)
        peer->deadline = uploading ? kNoDeadline : ticks_after(limits.body_timeout);
    return MHD_YES;
}

MHD_Result HttpServer::Impl::receive(Exchange& exchange, const char* data, size_t size) {
    exchange.body_bytes += static_cast<std::int64_t>(size);
    if (exchange.upload) {
        if (exchange.upload_refused) return MHD_YES;  // read to its end, unused
        if (exchange.body_bytes > limits.upload_body) {
            exchange.body_too_large = true;
            exchange.upload_refused = true;
            return MHD_YES;
        }
        if (MHD_post_process(exchange.post, data, size) != MHD_YES) {
            // The upload refused a part, or the body is not multipart as its header says.
            exchange.upload_refused = true;
        }
        return MHD_YES;
    }
    if (exchange.body_too_large) return MHD_YES;
    if (exchange.request.body.size() + size > limits.small_body) {
        exchange.body_too_large = true;
        exchange.request.body.clear();
        exchange.request.body.shrink_to_fit();
        return MHD_YES;
    }
    exchange.request.body.append(data, size);
    return MHD_YES;
}

// The body is whole (or there was none).
MHD_Result HttpServer::Impl::complete(MHD_Connection* connection, Exchange& exchange) {
    if (Peer* peer = peer_of(connection)) peer->deadline = kNoDeadline;
    if (exchange.body_too_large) {
        const std::int64_t most =
            exchange.upload ? limits.upload_body : static_cast<std::int64_t>(limits.small_body);
        fail(exchange, 413, "the body is larger than " + std::to_string(most) + " bytes");
        exchange.upload.reset();
        exchange.stage = Exchange::Stage::answered;
        return answer(connection, exchange);
    }
    if (exchange.upload) {
        const bool well_formed = MHD_destroy_post_processor(exchange.post) == MHD_YES;
        exchange.post = nullptr;
        if (exchange.upload_refused || !well_formed) {
            // Refused by the upload (its reason), else the multipart reader found it malformed.
            const std::optional<iiif::IiifError> refusal =
                exchange.upload_refused ? exchange.upload->refusal() : std::nullopt;
            if (refusal) {
                fail(exchange, refusal->status, refusal->reason);
            } else {
                fail(exchange, 400, "malformed multipart body");
            }
            exchange.upload.reset();  // what it wrote goes before the client hears of it
            exchange.stage = Exchange::Stage::answered;
            return answer(connection, exchange);
        }
    }
    exchange.stage = Exchange::Stage::handling;
    exchange.posted = true;
    posted_count++;
    MHD_suspend_connection(connection);
    workers->post([this, connection, &exchange] { handle(connection, exchange); });
    return MHD_YES;
}

// On a worker thread, the connection suspended: nothing else touches the exchange.
void HttpServer::Impl::handle(MHD_Connection* connection, Exchange& exchange) {
    try {
        if (exchange.upload) {
            exchange.upload->finish(exchange.request, exchange.response);
        } else {
            exchange.route->handler(exchange.request, exchange.response);
        }
        compress(exchange.request, exchange.response);
    } catch (...) {
        exchange.response = HttpResponse();
        try {
            on_error(exchange.request, exchange.response, std::current_exception());
        } catch (...) {
            exchange.response = HttpResponse();
            fail(exchange, 500, "internal error");
        }
    }
    // What a refused upload staged goes before the client hears of it.
    exchange.upload.reset();
    exchange.stage = Exchange::Stage::answered;
    MHD_resume_connection(connection);
}

MHD_Result HttpServer::Impl::answer(MHD_Connection* connection, Exchange& exchange) {
    const HttpResponse& res = exchange.response;
    spdlog::debug("{} {} {}", exchange.request.method, exchange.request.path, res.status);
    MHD_Response* response = MHD_create_response_from_buffer(
        res.body.size(), const_cast<char*>(res.body.data()), MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) return MHD_NO;
    for (const auto& [name, value] : res.headers) {
        if (MHD_add_response_header(response, name.c_str(), value.c_str()) != MHD_YES)
            spdlog::warn("{} {}: header {} not sent", exchange.request.method,
                         exchange.request.path, name);
    }
    const MHD_Result queued =
        MHD_queue_response(connection, static_cast<unsigned>(res.status), response);
    MHD_destroy_response(response);
    return queued;
}

MHD_Result HttpServer::Impl::access(MHD_Connection* connection, Exchange& exchange,
                                    const char* method, const char* upload_data,
                                    size_t* upload_data_size) {
    switch (exchange.stage) {
        case Exchange::Stage::headers:
            return begin(connection, exchange, method);
        case Exchange::Stage::body:
            if (*upload_data_size > 0) {
                const size_t size = *upload_data_size;
                *upload_data_size = 0;
                return receive(exchange, upload_data, size);
            }
            return complete(connection, exchange);
        case Exchange::Stage::handling:
            return MHD_YES;  // not resumed yet
        case Exchange::Stage::answered:
            if (*upload_data_size > 0) {  // answered early: the rest of the body is dropped
                *upload_data_size = 0;
                return MHD_YES;
            }
            return answer(connection, exchange);
    }
    return MHD_NO;
}

void HttpServer::Impl::reap_overdue() {
    const std::int64_t now = now_ticks();
    std::lock_guard lock(peers_mutex);
    for (Peer* peer : peers) {
        if (peer->deadline.load() > now) continue;
        peer->deadline = kNoDeadline;
        // The fd is still the connection's: libmicrohttpd closes it only after telling us
        // (MHD_CONNECTION_NOTIFY_CLOSED), which takes peers_mutex.
        ::shutdown(peer->fd, SHUT_RDWR);
    }
}

HttpServer::HttpServer(Limits limits, Gate gate, ErrorHandler on_error, StatusHandler on_status)
    : impl_(std::make_unique<Impl>()) {
    impl_->limits = limits;
    impl_->gate = std::move(gate);
    impl_->on_error = std::move(on_error);
    impl_->on_status = std::move(on_status);
}

HttpServer::~HttpServer() {
    if (impl_->daemon != nullptr) MHD_stop_daemon(impl_->daemon);
    if (impl_->listen_fd >= 0) ::close(impl_->listen_fd);
}

void HttpServer::route(std::string method, const std::string& pattern, Handler handler) {
    impl_->routes.push_back({std::move(method), std::regex(pattern), std::move(handler), {}});
}

void HttpServer::upload_route(std::string method, const std::string& pattern,
                              UploadHandler handler) {
    impl_->routes.push_back({std::move(method), std::regex(pattern), {}, std::move(handler)});
}

int HttpServer::port() const {
    return impl_->port;
}

void HttpServer::bind(const std::string& host, int port) {
    auto failure = [&](const std::string& what) {
        if (impl_->listen_fd >= 0) ::close(impl_->listen_fd);
        impl_->listen_fd = -1;
        return std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                                  what);
    };
    sockaddr_storage address{};
    socklen_t address_size = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    const std::string bare = host.size() > 2 && host.front() == '[' && host.back() == ']'
                                 ? host.substr(1, host.size() - 2)
                                 : host;
    if (inet_pton(AF_INET, bare == "localhost" ? "127.0.0.1" : bare.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        address_size = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, bare.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        address_size = sizeof(sockaddr_in6);
    } else {
        throw failure("not an IP address");
    }
    impl_->listen_fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (impl_->listen_fd < 0) throw failure(std::strerror(errno));
    int yes = 1;
    ::setsockopt(impl_->listen_fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(impl_->listen_fd, reinterpret_cast<sockaddr*>(&address), address_size) != 0 ||
        ::listen(impl_->listen_fd, 128) != 0)
        throw failure(std::strerror(errno));
    sockaddr_storage bound{};
    socklen_t bound_size = sizeof bound;
    ::getsockname(impl_->listen_fd, reinterpret_cast<sockaddr*>(&bound), &bound_size);
    impl_->port = ntohs(bound.ss_family == AF_INET6
                            ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

void HttpServer::listen() {
    Impl& impl = *impl_;
    impl.workers = std::make_unique<WorkerPool>(impl.limits.worker_threads);

    using AccessHandler = MHD_Result (*)(void*, MHD_Connection*, const char*, const char*,
                                         const char*, const char*, size_t*, void**);
    AccessHandler on_access = [](void* cls, MHD_Connection* connection, const char*,
                                 const char* method, const char*, const char* upload_data,
                                 size_t* upload_data_size, void** request_context) {
        auto* exchange = static_cast<Exchange*>(*request_context);
        if (exchange == nullptr) return MHD_NO;
        return static_cast<Impl*>(cls)->access(connection, *exchange, method, upload_data,
                                               upload_data_size);
    };
    using UriLogger = void* (*)(void*, const char*, MHD_Connection*);
    UriLogger on_uri = [](void*, const char* uri, MHD_Connection*) -> void* {
        auto* exchange = new Exchange();
        exchange->request.target = uri == nullptr ? "" : uri;
        return exchange;
    };
    using Completed = void (*)(void*, MHD_Connection*, void**, MHD_RequestTerminationCode);
    Completed on_completed = [](void* cls, MHD_Connection* connection, void** request_context,
                                MHD_RequestTerminationCode) {
        auto* exchange = static_cast<Exchange*>(*request_context);
        if (exchange != nullptr && exchange->posted) static_cast<Impl*>(cls)->posted_count--;
        delete exchange;
        *request_context = nullptr;
        // The connection may carry another request: its headers are due in time.
        if (Peer* peer = Impl::peer_of(connection))
            peer->deadline = ticks_after(static_cast<Impl*>(cls)->limits.header_timeout);
    };
    using Notify = void (*)(void*, MHD_Connection*, void**, MHD_ConnectionNotificationCode);
    Notify on_connection = [](void* cls, MHD_Connection* connection, void** socket_context,
                              MHD_ConnectionNotificationCode code) {
        auto* server = static_cast<Impl*>(cls);
        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
            auto* peer = new Peer();
            const MHD_ConnectionInfo* info =
                MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
            peer->fd = info == nullptr ? -1 : info->connect_fd;
            peer->deadline = ticks_after(server->limits.header_timeout);
            *socket_context = peer;
            std::lock_guard lock(server->peers_mutex);
            server->peers.insert(peer);
        } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
            auto* peer = static_cast<Peer*>(*socket_context);
            if (peer == nullptr) return;
            {
                std::lock_guard lock(server->peers_mutex);
                server->peers.erase(peer);
            }
            delete peer;
            *socket_context = nullptr;
        }
    };
    using Logger = void (*)(void*, const char*, va_list);
    Logger on_log = [](void*, const char* format, va_list arguments) {
        char text[512];
        std::vsnprintf(text, sizeof text, format, arguments);
        std::string line = text;
        while (!line.empty() && line.back() == '\n') line.pop_back();
        spdlog::debug("http: {}", line);
    };

    impl.daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
            MHD_USE_ERROR_LOG,
        0, nullptr, nullptr, on_access, &impl,                                            //
        MHD_OPTION_LISTEN_SOCKET, impl.listen_fd,                                         //
        MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(impl.limits.polling_threads),  //
        MHD_OPTION_CONNECTION_LIMIT, impl.limits.max_connections,                         //
        MHD_OPTION_CONNECTION_TIMEOUT,
        static_cast<unsigned>(impl.limits.idle_timeout.count()),           //
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, impl.limits.max_header_bytes,  //
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, nullptr,                      //
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &impl,                  //
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, &impl,                //
        MHD_OPTION_EXTERNAL_LOGGER, on_log, nullptr,                       //
        MHD_OPTION_END);
    if (impl.daemon == nullptr) {
        impl.workers->stop();
        throw std::runtime_error("the HTTP server (libmicrohttpd) did not start");
    }
    impl.listen_fd = -1;  // libmicrohttpd's now

    std::unique_lock lock(impl.stop_mutex);
    while (!impl.stopping) {
        impl.stop_changed.wait_for(lock, kReaperPeriod);
        lock.unlock();
        impl.reap_overdue();
        lock.lock();
    }
    lock.unlock();

    // No new connection; the requests being handled are answered (each resumes its
    // connection), then every connection is closed.
    const MHD_socket listening = MHD_quiesce_daemon(impl.daemon);
    impl.workers->stop();
    for (int i = 0; i < 200 && impl.posted_count.load() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    MHD_stop_daemon(impl.daemon);
    impl.daemon = nullptr;
    if (listening != MHD_INVALID_SOCKET) ::close(listening);
}

void HttpServer::stop() {
    std::unique_lock lock(impl_->stop_mutex);
    impl_->stopping = true;
    impl_->stop_changed.notify_all();
}

}  // namespace iiifd
