// The real redis-server and the real iiifd (IIIFD_PATH) for integration tests, each in a
// mkdtemp() directory of its own and on a free loopback port, started as children of the test
// and stopped by their own pid; and a small libcurl client for the deposit API.
//
//   RedisServer redis;                  // redis-server --appendonly yes, on DIR/redis
//   Daemon iiifd(redis);                // writes DIR/iiifd.toml
//   iiifd.start();
//   HttpResponse r = iiifd.post_object({file_part(path)}, R"({"title": "A"})");
//   std::string status = iiifd.wait_for_job(json_text(r.body, "job"));
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace daemon_harness {

struct HttpResponse {
    long status = 0;    // 0: no response (refused, reset, timed out)
    std::string error;  // libcurl's message when status is 0
    std::string body;
    std::string headers;  // the status line and header lines as received, "\r\n" after each
};

// One part of a multipart body: a file read from `path`, or `data` with an optional filename.
struct Part {
    std::string name;
    std::string filename;
    std::string data;
    std::string path;
};
Part file_part(const std::string& path);      // name "file", its file name
Part metadata_part(const std::string& json);  // name "metadata"

HttpResponse http(const std::string& method, const std::string& url,
                  const std::vector<std::string>& headers, const std::string& body = "");
HttpResponse post_multipart(const std::string& url, const std::vector<std::string>& headers,
                            const std::vector<Part>& parts);
// The same with another method (PUT).
HttpResponse send_multipart(const std::string& method, const std::string& url,
                            const std::vector<std::string>& headers,
                            const std::vector<Part>& parts);

// Reading JSON answers: a top-level string or integer field ("" or -1 when absent), and the
// elements of an array field as compact JSON texts. `path` is "key" or "key.key".
std::string json_text(const std::string& json, const std::string& path);
long long json_integer(const std::string& json, const std::string& path);
std::vector<std::string> json_array(const std::string& json, const std::string& path);

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
};
// Runs a program with arguments (no shell), waiting for it.
CommandResult run(const std::vector<std::string>& arguments);
// Starts `arguments` with stdout appended to `log` and stderr to `error_log` (to `log` too when
// it is empty); it dies with the test process.
pid_t spawn(const std::vector<std::string>& arguments, const std::string& log,
            const std::string& error_log = "");

int free_port();
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& contents);

class RedisServer {
  public:
    RedisServer();  // starts it
    // The same with more arguments for redis-server, e.g. {"--replicaof", "127.0.0.1", "6379"}.
    explicit RedisServer(std::vector<std::string> arguments);
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    void start();
    void stop();       // SIGTERM (Redis writes its AOF and exits), waits
    void kill_hard();  // SIGKILL, reaped: a master that dies without a word
    // Deletes what Redis keeps on disk, while it is stopped: its next start is that of a Redis
    // that lost its data (or a first start).
    void forget_data();
    // A command (through hiredis) and its reply: an integer, a text, or an array's texts.
    long long integer(const std::vector<std::string>& command) const;
    std::string text(const std::vector<std::string>& command) const;
    std::vector<std::string> strings(const std::vector<std::string>& command) const;

  private:
    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
    std::vector<std::string> arguments_;
};

// A Redis Sentinel (`redis-server sentinel.conf --sentinel`), its sentinel.conf in a directory
// of its own, on a free loopback port, monitoring the master at 127.0.0.1:`master_port` as
// `master_name` with `quorum`: quick to judge it down (1 s) and to fail over (5 s).
class RedisSentinel {
  public:
    RedisSentinel(const std::string& master_name, int master_port, int quorum);  // starts it
    ~RedisSentinel();  // SIGTERM, waits (SIGKILL after 10 s)
    RedisSentinel(const RedisSentinel&) = delete;
    RedisSentinel& operator=(const RedisSentinel&) = delete;

    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    // A command to this sentinel (SENTINEL ...) and its reply's array elements as texts, or
    // the count of elements: how many replicas or sentinels it knows.
    std::vector<std::string> strings(const std::vector<std::string>& command) const;
    size_t count(const std::vector<std::string>& command) const;

  private:
    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// A master and its replica, in sync, watched as "iiif" by three sentinels (quorum 2) that know
// the replica and each other: ready for a failover. Throws std::runtime_error when they are not
// so within 25 s.
struct SentinelTopology {
    RedisServer master;
    RedisServer replica;
    std::vector<std::unique_ptr<RedisSentinel>> sentinels;

    SentinelTopology();
    // The keys of iiifd.toml's [redis] that find the master through them (DaemonOptions's
    // redis_config): sentinels = ["127.0.0.1:P", ...] and master_name = "iiif".
    std::string redis_config() const;
};

struct DaemonOptions {
    int workers = 2;
    int reclaim_idle_seconds = 60;
    bool hot_folder = true;
    int settle_seconds = 1;
    long long max_file_bytes = 0;  // 0: the default
    // More of iiifd.toml, appended as it is: whole sections such as [oai] or [sets."a"].
    std::string extra_config;
    // More keys of its [http] section ("header_timeout = 2\n").
    std::string http_config;
    // More keys of its [redis] section (SentinelTopology::redis_config, "wait_replicas = 1\n").
    std::string redis_config;
    // Another iiifd's storage root (a node of several sharing one), and a catalog of its own
    // elsewhere than in the storage root: empty, its own directory's.
    std::string storage_root;
    std::string catalog;
};

class Daemon {
  public:
    explicit Daemon(const RedisServer& redis, DaemonOptions options = {});
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Starts iiifd and waits (at most 10 s) until its HTTP API answers.
    void start();
    // SIGTERM, then waits at most `timeout`; the exit status (-1: still running, then killed).
    int stop(std::chrono::seconds timeout = std::chrono::seconds(40));
    void kill_hard();  // SIGKILL, reaped
    bool running();
    pid_t pid() const { return pid_; }
    int port() const { return port_; }

    const std::string& dir() const { return dir_; }
    std::string config_path() const { return dir_ + "/iiifd.toml"; }
    const std::string& storage_root() const { return storage_root_; }
    std::string hot_folder() const { return dir_ + "/hot"; }
    std::string staging() const { return storage_root_ + "/staging"; }
    const std::string& catalog_path() const { return catalog_path_; }
    std::string log() const { return read_file(dir_ + "/iiifd.log"); }
    static const std::string& key();  // a valid API key
    std::vector<std::string> auth() const { return {"Authorization: Bearer " + key()}; }
    std::string url(const std::string& path) const;

    HttpResponse get(const std::string& path) const { return http("GET", url(path), auth()); }
    HttpResponse patch(const std::string& path, const std::string& body) const {
        return http("PATCH", url(path), auth(), body);
    }
    // An account made with the administrator's key (POST /api/v1/accounts with this JSON).
    void add_account(const std::string& json) const;
    // The same, and a key made for it: the Authorization header that acts as the account.
    std::vector<std::string> account_with_key(const std::string& json) const;
    // POST /api/v1/objects with these files and, unless empty, this metadata.
    HttpResponse post_object(const std::vector<std::string>& files,
                             const std::string& metadata = "") const;
    // Polls the job until it is done or failed (at most `timeout`); its last status JSON.
    std::string wait_for_job(const std::string& job,
                             std::chrono::seconds timeout = std::chrono::seconds(60)) const;
    // iiifd with `-c` this configuration and the arguments.
    CommandResult run_iiifd(const std::vector<std::string>& arguments) const;

  private:
    void write_config(const RedisServer& redis, const DaemonOptions& options);

    std::string dir_;
    std::string storage_root_;
    std::string catalog_path_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// A raw TCP connection to 127.0.0.1, to send a request a piece at a time and see what the
// server does with it.
class RawConnection {
  public:
    explicit RawConnection(int port);  // throws std::runtime_error when it cannot connect
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    // False when the server has closed or reset the connection.
    bool send_text(const std::string& text);
    // Everything until the server closes the connection, at most `timeout`.
    std::string read_to_end(std::chrono::milliseconds timeout);
    // Waits at most `timeout` for the server to close the connection (what it sent is dropped):
    // true when it did.
    bool closed_within(std::chrono::milliseconds timeout);

  private:
    int fd_;
};

}  // namespace daemon_harness
