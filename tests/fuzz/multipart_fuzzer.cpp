// libFuzzer target: a multipart/form-data body through iiifd's HTTP server (daemon/
// http_server.hpp) over a real loopback connection: libmicrohttpd's multipart reader, and the
// PartReader that turns its calls into an upload's parts. The input is the body (boundary
// "B"); its first byte also says where the body is cut into the client's writes.
//
// What must hold: the server answers every body, with 200 (taken), 400 (malformed) or 413
// (over the limit), and never crashes; and the parts an upload is given do not depend on how
// the body was cut over the network: the same answer, the same parts with the same bytes, for
// the body sent whole and sent in pieces.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "http_server.hpp"

namespace {

constexpr size_t kMostParts = 64;
constexpr size_t kMostBody = 1 << 16;

// Records every part as "name|filename|bytes\n"; refuses past kMostParts.
class RecordingUpload : public iiifd::HttpUpload {
  public:
    bool part(const std::string& name, const std::string& filename) override {
        if (++parts_ > kMostParts) {
            refusal_.emplace(413, "too many parts");
            return false;
        }
        record_ += "\n" + name + "|" + filename + "|";
        return true;
    }
    bool data(const char* bytes, size_t length) override {
        if (parts_ == 0) std::abort();  // bytes before any part
        record_.append(bytes, length);
        return true;
    }
    std::optional<iiif::IiifError> refusal() const override { return refusal_; }
    void finish(const iiifd::HttpRequest&, iiifd::HttpResponse& res) override {
        res.status = 200;
        res.set_content(record_, "application/octet-stream");
    }

  private:
    size_t parts_ = 0;
    std::string record_;
    std::optional<iiif::IiifError> refusal_;
};

// The server, for the whole run, on a port the kernel picks.
iiifd::HttpServer& server() {
    static iiifd::HttpServer* instance = [] {
        iiifd::HttpServer::Limits limits;
        limits.worker_threads = 2;
        limits.polling_threads = 1;
        limits.upload_body = kMostBody;
        auto* made = new iiifd::HttpServer(
            limits,
            [](const iiifd::HttpRequest&, iiifd::HttpResponse&, std::shared_ptr<void>&) {
                return false;
            },
            [](const iiifd::HttpRequest&, iiifd::HttpResponse& res, std::exception_ptr) {
                res.status = 500;
            },
            [](iiifd::HttpResponse& res, int status, const std::string& reason) {
                res.status = status;
                res.set_content(reason, "text/plain");
            });
        made->upload_route("POST", "/up", [](const iiifd::HttpRequest&) {
            return std::make_unique<RecordingUpload>();
        });
        made->bind("127.0.0.1", 0);
        std::thread([made] { made->listen(); }).detach();
        return made;
    }();
    return *instance;
}

// Sends the request in writes of `piece` bytes (0: at once) and reads the answer to its end.
std::string round_trip(const std::string& request, size_t piece) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) std::abort();
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(server().port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // (A connect that a signal interrupted goes on; the next one says it is made: EISCONN.)
    for (int attempt = 0;
         ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
         errno != EISCONN;
         ++attempt) {
        if (attempt > 200) std::abort();  // the server never listened
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    const size_t step = piece == 0 ? request.size() : piece;
    // libFuzzer's timer (-timeout) sends SIGALRM every few seconds: a call it interrupts
    // (EINTR) is made again, it is no failure of the server.
    for (size_t at = 0; at < request.size(); at += step) {
        const std::string_view chunk = std::string_view(request).substr(at, step);
        ssize_t sent;
        do sent = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
        while (sent < 0 && errno == EINTR);
        if (sent < 0) break;  // answered early
        if (piece != 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::string answer;
    char buffer[8192];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        pollfd ready{fd, POLLIN, 0};
        const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              deadline - std::chrono::steady_clock::now())
                                              .count());
        if (left <= 0) std::abort();  // no answer within 10 s: a hang
        const int polled = ::poll(&ready, 1, left);
        if (polled < 0 && errno == EINTR) continue;
        if (polled <= 0) std::abort();
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        answer.append(buffer, static_cast<size_t>(got));
    }
    ::close(fd);
    return answer;
}

// The status and body of an answer (its headers hold a Date, which may differ).
std::string essence(const std::string& answer) {
    if (!answer.starts_with("HTTP/1.1 ")) std::abort();
    const size_t end = answer.find("\r\n\r\n");
    if (end == std::string::npos) std::abort();
    return answer.substr(9, 3) + answer.substr(end + 4);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1 || size > kMostBody) return 0;
    const size_t piece = 1 + data[0] % 97;
    const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::string request =
        "POST /up HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n"
        "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    const std::string whole = essence(round_trip(request, 0));
    const std::string status = whole.substr(0, 3);
    if (status != "200" && status != "400" && status != "413") std::abort();
    if (essence(round_trip(request, piece)) != whole) std::abort();
    return 0;
}
