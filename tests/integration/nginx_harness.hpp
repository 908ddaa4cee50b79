// The real nginx (Debian's /usr/sbin/nginx) with the module loaded, in a directory of its own:
// configuration, logs, images, cache and temp files all live under one mkdtemp() directory, and
// the server listens on a free loopback port. nginx runs in the foreground as a child of the test
// (`daemon off;`), so the pid kept here is its master's; the destructor stops it and removes the
// directory.
//
//   Nginx nginx;                                   // writes DIR/nginx.conf
//   nginx.add_image("master.tif", fixtures::master_tiff());
//   nginx.start();
//   Response r = get(nginx.url("/iiif/3/master/info.json"));
//
// DIR/www/static/x.txt is served at /static/x.txt (the readiness probe uses it too).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace integration {

struct NginxOptions {
    int worker_processes = 1;
    int threads = 4;  // thread_pool iiif threads=...
    int max_queue = 256;
    bool cache = true;  // iiif_cache_path DIR/cache in each iiif location
    // Appended inside each iiif location (/iiif/3/ and /iiif/2/), and inside the server block.
    // "{dir}" is replaced by the directory.
    std::string location_extra;
    std::string server_extra;
    std::string http_extra;  // in the http block, before the server
    // After the listen directive's address, e.g. " reuseport": with it each worker has a
    // socket of its own, and the kernel spreads connections over them by their ports.
    std::string listen_options;
    bool iiif_locations = true;  // false: only the static location and server_extra
};

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
};

class Nginx {
  public:
    explicit Nginx(NginxOptions options = {});  // makes the directory and nginx.conf
    ~Nginx();
    Nginx(const Nginx&) = delete;
    Nginx& operator=(const Nginx&) = delete;

    const std::string& dir() const { return dir_; }
    std::string path(std::string_view relative) const { return dir_ + "/" + std::string(relative); }
    int port() const { return port_; }
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::string url(std::string_view path) const { return base() + std::string(path); }

    // Copies `source` to DIR/images/{relative}, making the directories on the way readable by
    // the workers (they run as nobody).
    void add_image(const std::string& relative, const std::string& source) const;
    // Writes `contents` to DIR/{relative} (directories made as needed), readable by everyone.
    void write_file(const std::string& relative, std::string_view contents) const;

    // `nginx -t -q` on this configuration.
    CommandResult test_config() const;

    // Starts nginx and waits (at most 10 s) until it answers HTTP; throws with the error log if
    // it does not.
    void start();
    // SIGQUIT (graceful), then SIGKILL after 10 s. The directory is kept.
    void stop();
    void restart() {
        stop();
        start();
    }
    // SIGHUP: nginx re-reads its configuration and replaces its workers gracefully.
    void reload() const;
    pid_t pid() const { return pid_; }
    // The master's children now: its worker processes.
    std::vector<pid_t> worker_pids() const;
    bool running();

    std::string error_log() const;
    // True when the error log says a worker died of a signal.
    bool worker_crashed() const;
    // The $iiif_cache_status of every logged request for `request_uri` (path and query as the
    // client sent them), waiting up to 5 s until there are at least `count`: nginx writes the
    // access log when a request ends, which may be just after the client has the response.
    std::vector<std::string> cache_statuses(const std::string& request_uri, size_t count) const;

  private:
    std::string config() const;
    void launch();
    void write_config() const;

    NginxOptions options_;
    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// Runs `/usr/sbin/nginx` with the given arguments and returns its exit code and output.
CommandResult run_nginx(const std::vector<std::string>& arguments);

}  // namespace integration
