#include "nginx_harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "http_client.hpp"

namespace integration {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kNginx = "/usr/sbin/nginx";
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kStopTimeout = std::chrono::seconds(10);

// A port nobody listens on now: the kernel's choice for a socket bound to port 0.
int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        close(fd);
        throw std::runtime_error("bind: " + std::string(std::strerror(errno)));
    }
    close(fd);
    return ntohs(address.sin_port);
}

std::string replaced(std::string text, std::string_view from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// Makes DIR/relative's parent directories, each 0755 so that the workers can traverse them.
void make_parents(const std::string& dir, const std::string& relative) {
    fs::path parent = fs::path(relative).parent_path();
    fs::path at = dir;
    for (const fs::path& part : parent) {
        at /= part;
        fs::create_directory(at);
        fs::permissions(at, fs::perms(0755));
    }
}

// Waits for `pid` to exit, at most `timeout`; true when it did (and was reaped).
bool wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno == ECHILD)) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace

CommandResult run_nginx(const std::vector<std::string>& arguments) {
    std::string command = kNginx;
    for (const std::string& argument : arguments) command += " '" + argument + "'";
    command += " 2>&1";
    CommandResult result;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return result;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
    int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

Nginx::Nginx(NginxOptions options) : options_(std::move(options)) {
    std::string pattern = (fs::temp_directory_path() / "iiif-nginx-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
        throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
    dir_ = pattern;
    // Workers run as nobody: they read images and static files, and write the cache.
    fs::permissions(dir_, fs::perms(0755));
    for (const char* sub : {"images", "www", "www/static", "tmp"}) {
        fs::create_directory(path(sub));
        fs::permissions(path(sub), fs::perms(0755));
    }
    write_file("www/static/x.txt", "static\n");
    fs::create_directory(path("cache"));
    fs::permissions(path("cache"), fs::perms(0777));
    port_ = free_port();
    write_config();
}

Nginx::~Nginx() {
    try {
        stop();
    } catch (...) {
    }
    std::error_code ignored;
    if (std::getenv("IIIF_KEEP_TEST_DIRS") == nullptr) fs::remove_all(dir_, ignored);
}

// {dir} is replaced last, so that the extra directives may use it too.
constexpr const char* kConfig = R"(load_module {module};
worker_processes {workers};
error_log {dir}/error.log info;
pid {dir}/nginx.pid;
thread_pool iiif threads={threads} max_queue={max_queue};
events {
    worker_connections 256;
}
http {
    client_body_temp_path {dir}/tmp/client_body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    default_type application/octet-stream;
    log_format iiif '$request_method $request_uri $status $iiif_cache_status';
    access_log {dir}/access.log iiif;
    {http_extra}
    server {
        listen 127.0.0.1:{port}{listen_options};
{locations}
        location /static/ {
            root {dir}/www;
        }
        {server_extra}
    }
}
)";

constexpr const char* kIiifLocation = R"(        location /iiif/{version}/ {
            iiif {version};
            iiif_source_dir {dir}/images;
            {cache}
            iiif_thread_pool iiif;
            {location_extra}
        }
)";

std::string Nginx::config() const {
    std::string locations;
    if (options_.iiif_locations) {
        for (const char* version : {"3", "2"}) {
            std::string location = replaced(kIiifLocation, "{version}", version);
            location =
                replaced(location, "{cache}", options_.cache ? "iiif_cache_path {dir}/cache;" : "");
            locations += replaced(location, "{location_extra}", options_.location_extra);
        }
    }
    std::string text = kConfig;
    text = replaced(text, "{module}", IIIF_MODULE_PATH);
    text = replaced(text, "{workers}", std::to_string(options_.worker_processes));
    text = replaced(text, "{threads}", std::to_string(options_.threads));
    text = replaced(text, "{max_queue}", std::to_string(options_.max_queue));
    text = replaced(text, "{port}", std::to_string(port_));
    text = replaced(text, "{listen_options}", options_.listen_options);
    text = replaced(text, "{locations}", locations);
    text = replaced(text, "{server_extra}", options_.server_extra);
    text = replaced(text, "{http_extra}", options_.http_extra);
    return replaced(text, "{dir}", dir_);
}

void Nginx::write_config() const {
    write_file("nginx.conf", config());
}

void Nginx::add_image(const std::string& relative, const std::string& source) const {
    std::string target = "images/" + relative;
    make_parents(dir_, target);
    fs::copy_file(source, path(target), fs::copy_options::overwrite_existing);
    fs::permissions(path(target), fs::perms(0644));
}

void Nginx::write_file(const std::string& relative, std::string_view contents) const {
    make_parents(dir_, relative);
    std::ofstream file(path(relative), std::ios::binary | std::ios::trunc);
    file.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    file.close();
    fs::permissions(path(relative), fs::perms(0644));
}

CommandResult Nginx::test_config() const {
    return run_nginx({"-t", "-q", "-p", dir_ + "/", "-c", path("nginx.conf")});
}

void Nginx::start() {
    // The port was free when chosen; another process may have taken it since.
    for (int attempt = 1;; ++attempt) {
        try {
            launch();
            return;
        } catch (const std::runtime_error& error) {
            if (attempt == 3 ||
                std::string(error.what()).find("Address already in use") == std::string::npos)
                throw;
            port_ = free_port();
            write_config();
        }
    }
}

void Nginx::launch() {
    if (pid_ > 0) throw std::logic_error("nginx is already running");
    std::string prefix = dir_ + "/", conf = path("nginx.conf"), log = path("nginx.stderr");
    std::vector<std::string> arguments = {kNginx, "-p", prefix, "-c", conf, "-g", "daemon off;"};
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    int output = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (output < 0) throw std::runtime_error("open " + log + ": " + std::strerror(errno));

    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        close(output);
        throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    }
    if (child == 0) {
        // Only async-signal-safe calls until exec. A group of its own lets a last-resort
        // SIGKILL reach the workers too; PDEATHSIG stops nginx if the test process dies.
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(127);
        dup2(output, STDOUT_FILENO);
        dup2(output, STDERR_FILENO);
        execv(kNginx, argv.data());
        _exit(127);
    }
    close(output);
    pid_ = child;

    // Up when a worker answers HTTP (the listening socket alone is the master's).
    auto deadline = Clock::now() + kStartTimeout;
    for (;;) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("nginx exited at start:\n" + read_file(log) + error_log());
        }
        Response probe = fetch({url("/static/x.txt"), {}, "GET"}, 1);
        if (probe.status != 0) return;
        if (Clock::now() >= deadline) {
            stop();
            throw std::runtime_error("nginx did not answer within 10 s:\n" + read_file(log) +
                                     error_log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void Nginx::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGQUIT);
    if (!wait_exit(pid_, std::chrono::duration_cast<std::chrono::milliseconds>(kStopTimeout))) {
        kill(-pid_, SIGKILL);  // the group started with this pid: master and workers
        wait_exit(pid_, std::chrono::seconds(5));
    }
    pid_ = -1;
}

void Nginx::reload() const {
    if (pid_ > 0) kill(pid_, SIGHUP);
}

bool Nginx::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

std::string Nginx::error_log() const {
    return read_file(path("error.log"));
}

std::vector<pid_t> Nginx::worker_pids() const {
    std::vector<pid_t> workers;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        if (!std::getline(stat, line) || line.rfind(')') == std::string::npos) continue;
        // "pid (comm) state ppid ...": comm may hold spaces, so read after its last ')'.
        std::istringstream after(line.substr(line.rfind(')') + 1));
        std::string state;
        pid_t parent = 0;
        if (after >> state >> parent && parent == pid_) workers.push_back(std::stoi(name));
    }
    return workers;
}

bool Nginx::worker_crashed() const {
    return error_log().find("exited on signal") != std::string::npos;
}

std::vector<std::string> Nginx::cache_statuses(const std::string& request_uri, size_t count) const {
    auto deadline = Clock::now() + std::chrono::seconds(5);
    for (;;) {
        std::vector<std::string> statuses;
        std::istringstream lines(read_file(path("access.log")));
        std::string method, uri, status, cache;
        for (std::string line; std::getline(lines, line);) {
            std::istringstream fields(line);
            if (fields >> method >> uri >> status >> cache && uri == request_uri)
                statuses.push_back(cache);
        }
        if (statuses.size() >= count || Clock::now() >= deadline) return statuses;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace integration
