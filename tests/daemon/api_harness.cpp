#include "api_harness.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "job_queue.hpp"

namespace daemon_harness {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kRedisServer = "/usr/bin/redis-server";

std::string make_temp_dir(const std::string& prefix) {
    std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (!mkdtemp(pattern.data()))
        throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
    return pattern;
}

void remove_dir(const std::string& dir) {
    std::error_code ignored;
    if (std::getenv("IIIF_KEEP_TEST_DIRS") == nullptr) fs::remove_all(dir, ignored);
}

}  // namespace

pid_t spawn(const std::vector<std::string>& arguments, const std::string& log,
            const std::string& error_log) {
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        int error_fd =
            error_log.empty() ? fd : open(error_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0 || error_fd < 0) _exit(126);
        dup2(fd, STDOUT_FILENO);
        dup2(error_fd, STDERR_FILENO);
        std::vector<char*> argv;
        for (const std::string& argument : arguments)
            argv.push_back(const_cast<char*>(argument.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

namespace {

// Waits for `pid` at most `timeout`; its exit status, 128 + signal, or -1 if still running.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return -1;
        }
        if (done < 0) return -1;
        if (Clock::now() >= deadline) return -1;
        std::this_thread::sleep_for(20ms);
    }
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t append_received(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct MimeDeleter {
    void operator()(curl_mime* mime) const { curl_mime_free(mime); }
};

HttpResponse perform(CURL* curl, const std::string& url, const std::vector<std::string>& headers) {
    HttpResponse response;
    curl_slist* list = nullptr;
    for (const std::string& header : headers) list = curl_slist_append(list, header.c_str());
    std::unique_ptr<curl_slist, SlistDeleter> header_list(list);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.get());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_received);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append_received);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        response.error = curl_easy_strerror(rc);
        return response;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
}

struct JsonDeleter {
    void operator()(json_t* json) const { json_decref(json); }
};
using Json = std::unique_ptr<json_t, JsonDeleter>;

// The value at "a.b" in `json`, or null.
const json_t* at_path(const json_t* json, const std::string& path) {
    size_t start = 0;
    while (json != nullptr) {
        size_t dot = path.find('.', start);
        std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
        json = json_object_get(json, key.c_str());
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return json;
}

}  // namespace

Part file_part(const std::string& path) {
    return {"file", fs::path(path).filename().string(), "", path};
}

Part metadata_part(const std::string& json) {
    return {"metadata", "", json, ""};
}

HttpResponse http(const std::string& method, const std::string& url,
                  const std::vector<std::string>& headers, const std::string& body) {
    global_init();
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (method == "GET") {
        curl_easy_setopt(curl.get(), CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
        curl_easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    return perform(curl.get(), url, headers);
}

HttpResponse post_multipart(const std::string& url, const std::vector<std::string>& headers,
                            const std::vector<Part>& parts) {
    return send_multipart("POST", url, headers, parts);
}

HttpResponse send_multipart(const std::string& method, const std::string& url,
                            const std::vector<std::string>& headers,
                            const std::vector<Part>& parts) {
    global_init();
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    std::unique_ptr<curl_mime, MimeDeleter> mime(curl_mime_init(curl.get()));
    for (const Part& part : parts) {
        curl_mimepart* field = curl_mime_addpart(mime.get());
        curl_mime_name(field, part.name.c_str());
        if (!part.path.empty()) {
            curl_mime_filedata(field, part.path.c_str());
        } else {
            curl_mime_data(field, part.data.data(), part.data.size());
        }
        if (!part.filename.empty()) curl_mime_filename(field, part.filename.c_str());
    }
    curl_easy_setopt(curl.get(), CURLOPT_MIMEPOST, mime.get());
    if (method != "POST") curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
    return perform(curl.get(), url, headers);
}

std::string json_text(const std::string& json, const std::string& path) {
    Json document(json_loads(json.c_str(), 0, nullptr));
    const json_t* value = at_path(document.get(), path);
    return json_is_string(value) ? json_string_value(value) : "";
}

long long json_integer(const std::string& json, const std::string& path) {
    Json document(json_loads(json.c_str(), 0, nullptr));
    const json_t* value = at_path(document.get(), path);
    return json_is_integer(value) ? json_integer_value(value) : -1;
}

std::vector<std::string> json_array(const std::string& json, const std::string& path) {
    Json document(json_loads(json.c_str(), 0, nullptr));
    const json_t* value = at_path(document.get(), path);
    std::vector<std::string> elements;
    size_t index;
    const json_t* element;
    json_array_foreach(value, index, element) {
        if (json_is_string(element)) {
            elements.emplace_back(json_string_value(element));
            continue;
        }
        char* text = json_dumps(element, JSON_COMPACT | JSON_ENCODE_ANY);
        elements.emplace_back(text);
        std::free(text);
    }
    return elements;
}

CommandResult run(const std::vector<std::string>& arguments) {
    std::string log = make_temp_dir("iiifd-run") + "/output";
    pid_t pid = spawn(arguments, log);
    CommandResult result;
    result.exit_code = wait_exit(pid, 60s);
    if (result.exit_code == -1) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
    }
    result.output = read_file(log);
    remove_dir(fs::path(log).parent_path().string());
    return result;
}

int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        close(fd);
        throw std::runtime_error("bind: " + std::string(std::strerror(errno)));
    }
    close(fd);
    return ntohs(address.sin_port);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& contents) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream out(path, std::ios::binary);
    out << contents;
    if (!out) throw std::runtime_error("cannot write " + path);
}

RedisServer::RedisServer() : RedisServer(std::vector<std::string>{}) {}

RedisServer::RedisServer(std::vector<std::string> arguments)
    : dir_(make_temp_dir("iiifd-redis")), port_(free_port()), arguments_(std::move(arguments)) {
    start();
}

RedisServer::~RedisServer() {
    stop();
    remove_dir(dir_);
}

void RedisServer::start() {
    std::vector<std::string> command = {
        kRedisServer, "--save",      "",       "--appendonly",        "yes",
        "--dir",      dir_,          "--port", std::to_string(port_), "--bind",
        "127.0.0.1",  "--daemonize", "no"};
    command.insert(command.end(), arguments_.begin(), arguments_.end());
    pid_ = spawn(command, dir_ + "/redis.log");
    auto deadline = Clock::now() + 10s;
    for (;;) {
        try {
            iiifd::Redis redis("127.0.0.1", port_);
            // Loading the AOF after a restart answers LOADING: not ready yet.
            redis.command({"PING"});
            return;
        } catch (const std::exception& error) {
            if (Clock::now() >= deadline)
                throw std::runtime_error(
                    "redis-server did not start: " + std::string(error.what()) + "\n" +
                    read_file(dir_ + "/redis.log"));
        }
        std::this_thread::sleep_for(50ms);
    }
}

void RedisServer::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    if (wait_exit(pid_, 10s) == -1) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
}

void RedisServer::kill_hard() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

void RedisServer::forget_data() {
    std::error_code ignored;
    fs::remove_all(dir_ + "/appendonlydir", ignored);
    fs::remove(dir_ + "/dump.rdb", ignored);
}

long long RedisServer::integer(const std::vector<std::string>& command) const {
    iiifd::Redis redis("127.0.0.1", port_);
    return redis.command(command).integer;
}

std::string RedisServer::text(const std::vector<std::string>& command) const {
    iiifd::Redis redis("127.0.0.1", port_);
    return redis.command(command).text;
}

std::vector<std::string> RedisServer::strings(const std::vector<std::string>& command) const {
    iiifd::Redis redis("127.0.0.1", port_);
    iiifd::RedisReply reply = redis.command(command);
    std::vector<std::string> texts;
    for (const iiifd::RedisReply& element : reply.elements) texts.push_back(element.text);
    return texts;
}

RedisSentinel::RedisSentinel(const std::string& master_name, int master_port, int quorum)
    : dir_(make_temp_dir("iiifd-sentinel")), port_(free_port()) {
    // A sentinel rewrites its file (what it learns of replicas, sentinels and epochs): a copy
    // of its own. Failover times are a second or so on loopback; a hostname is never involved.
    const std::string conf = dir_ + "/sentinel.conf";
    std::ostringstream text;
    text << "port " << port_ << "\nbind 127.0.0.1\ndaemonize no\nprotected-mode no\n"
         << "dir " << dir_ << "\nsentinel resolve-hostnames no\n"
         << "sentinel monitor " << master_name << " 127.0.0.1 " << master_port << " " << quorum
         << "\nsentinel down-after-milliseconds " << master_name << " 1000\n"
         << "sentinel failover-timeout " << master_name << " 5000\n"
         << "sentinel parallel-syncs " << master_name << " 1\n";
    write_file(conf, text.str());
    pid_ = spawn({kRedisServer, conf, "--sentinel"}, dir_ + "/sentinel.log");
    auto deadline = Clock::now() + 10s;
    for (;;) {
        try {
            iiifd::Redis redis("127.0.0.1", port_);
            redis.command({"PING"});
            return;
        } catch (const std::exception& error) {
            if (Clock::now() >= deadline) {
                kill(pid_, SIGKILL);
                waitpid(pid_, nullptr, 0);
                const std::string log = read_file(dir_ + "/sentinel.log");
                remove_dir(dir_);
                throw std::runtime_error(
                    "redis sentinel did not start: " + std::string(error.what()) + "\n" + log);
            }
        }
        std::this_thread::sleep_for(50ms);
    }
}

RedisSentinel::~RedisSentinel() {
    kill(pid_, SIGTERM);
    if (wait_exit(pid_, 10s) == -1) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    remove_dir(dir_);
}

std::vector<std::string> RedisSentinel::strings(const std::vector<std::string>& command) const {
    iiifd::Redis redis("127.0.0.1", port_);
    std::vector<std::string> texts;
    for (const iiifd::RedisReply& element : redis.command(command).elements)
        texts.push_back(element.text);
    return texts;
}

size_t RedisSentinel::count(const std::vector<std::string>& command) const {
    iiifd::Redis redis("127.0.0.1", port_);
    return redis.command(command).elements.size();
}

Daemon::Daemon(const RedisServer& redis, DaemonOptions options)
    : dir_(make_temp_dir("iiifd-test")), port_(free_port()) {
    storage_root_ = options.storage_root.empty() ? dir_ + "/root" : options.storage_root;
    catalog_path_ = options.catalog.empty() ? storage_root_ + "/catalog.mdb" : options.catalog;
    write_config(redis, options);
}

Daemon::~Daemon() {
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    remove_dir(dir_);
}

const std::string& Daemon::key() {
    static const std::string key = "test-key-0123456789abcdef";
    return key;
}

std::string Daemon::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
}

SentinelTopology::SentinelTopology()
    : replica({"--replicaof", "127.0.0.1", std::to_string(master.port())}) {
    const auto ready = [](std::chrono::seconds limit, const std::string& what, auto done) {
        const auto deadline = Clock::now() + limit;
        while (!done()) {
            if (Clock::now() >= deadline) throw std::runtime_error(what + " within " +
                                                                   std::to_string(limit.count()) +
                                                                   " s");
            std::this_thread::sleep_for(100ms);
        }
    };
    ready(10s, "the replica not in sync", [&] {
        return replica.text({"INFO", "replication"}).find("master_link_status:up") !=
               std::string::npos;
    });
    for (int i = 0; i < 3; ++i)
        sentinels.push_back(std::make_unique<RedisSentinel>("iiif", master.port(), 2));
    for (const auto& sentinel : sentinels) {
        ready(15s, "a sentinel not knowing the replica and the other two", [&] {
            return sentinel->count({"SENTINEL", "replicas", "iiif"}) == 1 &&
                   sentinel->count({"SENTINEL", "sentinels", "iiif"}) == 2;
        });
    }
}

std::string SentinelTopology::redis_config() const {
    std::string config = "sentinels = [";
    for (size_t i = 0; i < sentinels.size(); ++i)
        config += (i > 0 ? ", \"127.0.0.1:" : "\"127.0.0.1:") +
                  std::to_string(sentinels[i]->port()) + "\"";
    return config + "]\nmaster_name = \"iiif\"\n";
}

void Daemon::write_config(const RedisServer& redis, const DaemonOptions& options) {
    std::ostringstream toml;
    toml << "[storage]\nroot = \"" << storage_root() << "\"\ncatalog = \"" << catalog_path()
         << "\"\n"
         << "[redis]\nport = " << redis.port()
         << "\nreclaim_idle_seconds = " << options.reclaim_idle_seconds << "\n"
         << options.redis_config
         << "[ark]\nnaan = \"99999\"\ncheck_profile = \"noid\"\ndefault_shoulder = \"fk4\"\n"
         << "[ark.shoulders.fk4]\nname = \"tests\"\n"
         << "[public]\nbase_url = \"http://127.0.0.1:8080\"\ninstitution = \"Test Library\"\n"
         << "[http]\nport = " << port_ << "\napi_keys = [\"" << key() << "\"]\n"
         << options.http_config << "[ingest]\nworkers = " << options.workers << "\n";
    if (options.hot_folder)
        toml << "hot_folder = \"" << hot_folder()
             << "\"\nhot_folder_settle_seconds = " << options.settle_seconds << "\n";
    if (options.max_file_bytes > 0) toml << "max_file_bytes = " << options.max_file_bytes << "\n";
    toml << options.extra_config;
    write_file(config_path(), toml.str());
}

void Daemon::start() {
    pid_ = spawn({IIIFD_PATH, "-c", config_path()}, dir_ + "/iiifd.log");
    auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
        if (http("GET", url("/"), {}).status != 0) return;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("iiifd exited at start:\n" + log());
        }
        std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error("iiifd did not answer within 10 s:\n" + log());
}

int Daemon::stop(std::chrono::seconds timeout) {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = wait_exit(pid_, timeout);
    if (status == -1) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
    return status;
}

void Daemon::kill_hard() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

bool Daemon::running() {
    return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0;
}

void Daemon::add_account(const std::string& json) const {
    const HttpResponse made = http("POST", url("/api/v1/accounts"), auth(), json);
    if (made.status != 201)
        throw std::runtime_error("POST /api/v1/accounts: " + std::to_string(made.status) + " " +
                                 made.body);
}

std::vector<std::string> Daemon::account_with_key(const std::string& json) const {
    const HttpResponse made = http("POST", url("/api/v1/accounts"), auth(), json);
    if (made.status != 201)
        throw std::runtime_error("POST /api/v1/accounts: " + std::to_string(made.status) + " " +
                                 made.body);
    const HttpResponse key = http("POST",
                                  url("/api/v1/accounts/" + json_text(made.body, "name") + "/keys"),
                                  auth(), R"({"label": "test"})");
    if (key.status != 201)
        throw std::runtime_error("POST .../keys: " + std::to_string(key.status) + " " + key.body);
    return {"Authorization: Bearer " + json_text(key.body, "key")};
}

HttpResponse Daemon::post_object(const std::vector<std::string>& files,
                                 const std::string& metadata) const {
    std::vector<Part> parts;
    for (const std::string& file : files) parts.push_back(file_part(file));
    if (!metadata.empty()) parts.push_back(metadata_part(metadata));
    return post_multipart(url("/api/v1/objects"), auth(), parts);
}

std::string Daemon::wait_for_job(const std::string& job, std::chrono::seconds timeout) const {
    auto deadline = Clock::now() + timeout;
    std::string status;
    while (Clock::now() < deadline) {
        HttpResponse response = get("/api/v1/jobs/" + job);
        status = response.body;
        std::string state = json_text(status, "state");
        if (state == "done" || state == "failed") return status;
        std::this_thread::sleep_for(100ms);
    }
    return status;
}

CommandResult Daemon::run_iiifd(const std::vector<std::string>& arguments) const {
    std::vector<std::string> command = {IIIFD_PATH};
    command.insert(command.end(), arguments.begin(), arguments.end());
    command.insert(command.end(), {"-c", config_path()});
    return run(command);
}

RawConnection::RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        ::close(fd_);
        throw std::runtime_error("connect: " + std::string(std::strerror(error)));
    }
    // Each send its own segment, so that a test can cut a request where it likes.
    int yes = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
}

RawConnection::~RawConnection() {
    ::close(fd_);
}

bool RawConnection::send_text(const std::string& text) {
    size_t sent = 0;
    while (sent < text.size()) {
        const ssize_t n = ::send(fd_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        sent += static_cast<size_t>(n);
    }
    return true;
}

std::string RawConnection::read_to_end(std::chrono::milliseconds timeout) {
    std::string received;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd ready{fd_, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0) break;
        char buffer[4096];
        const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        received.append(buffer, static_cast<size_t>(got));
    }
    return received;
}

bool RawConnection::closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd ready{fd_, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0)
            return false;
        char buffer[4096];
        const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
        if (got <= 0) return true;
    }
}

}  // namespace daemon_harness
