// Connections to Redis: one per thread (Redis), a pool of them for the HTTP server's threads
// (RedisPool), and the PING of /health's kind (redis_ping_problem). Where the master is comes
// from [redis] (RedisAddress): a fixed host and port, or Redis Sentinel.
//
// With sentinels, every new connection asks them where the master is now: each in turn,
//
//   SENTINEL get-master-addr-by-name {master_name}   -> [host, port]
//   ROLE (on that address)                            -> ["master", ...]
//
// the first whose answer is a master that says so. A failover is followed without ceremony:
// the old master's connection breaks (or, demoted, refuses a write with READONLY), is dropped,
// and the next command asks the sentinels again.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon_config.hpp"

struct redisContext;

namespace iiifd {

// Redis cannot be reached, the connection broke, or it cannot serve for now (loading, a
// replica where a master was): back off and retry.
struct RedisUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// Redis answered with an error reply (e.g. "NOGROUP ...").
struct RedisCommandError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A reply copied out of hiredis's.
struct RedisReply {
    enum class Type { nil, string, integer, array, status, error };
    Type type = Type::nil;
    std::string text;  // string, status and error replies
    long long integer = 0;
    std::vector<RedisReply> elements;
};

// One connection, used by one thread at a time. After a failure the connection is dropped and
// the next command opens a new one (through the sentinels, when there are), so a restarted Redis
// or a new master is picked up without ceremony.
class Redis {
  public:
    explicit Redis(RedisAddress address);
    Redis(std::string host, int port);
    ~Redis();
    Redis(const Redis&) = delete;
    Redis& operator=(const Redis&) = delete;

    // Throws RedisUnavailable, or RedisCommandError for an error reply.
    RedisReply command(const std::vector<std::string>& arguments);
    // The commands in one MULTI ... EXEC: all applied or none. The replies of the commands.
    std::vector<RedisReply> transaction(const std::vector<std::vector<std::string>>& commands);
    // WAIT: how many replicas have acknowledged the writes made so far on this connection,
    // once `replicas` have or `timeout_ms` has passed. 0 without a command for 0 replicas.
    // Never on a new connection, whose WAIT would vouch for nothing: RedisUnavailable when the
    // connection the writes went through is gone.
    long long wait_for_replicas(int replicas, int timeout_ms);

  private:
    redisContext* connection();
    // Throws for an error reply: RedisUnavailable (the connection dropped) for one that says
    // Redis cannot serve for now, RedisCommandError for any other.
    [[noreturn]] void refuse(const std::string& error_text);
    // Drops the connection and throws RedisUnavailable.
    [[noreturn]] void fail(const std::string& reason);
    void drop();

    RedisAddress address_;
    std::string where_;  // "redis host:port", for messages
    redisContext* context_ = nullptr;
};

// "127.0.0.1:6379", or "master \"iiif\" of sentinels 127.0.0.1:26379, 127.0.0.1:26380".
std::string redis_address_text(const RedisAddress& address);

// Whether the Redis master answers PING, each step within `timeout` (through the sentinels,
// 500 ms for each at most): nullopt, or why not (hiredis's reason, such as "Connection
// refused", the error reply, or what each sentinel tried said).
std::optional<std::string> redis_ping_problem(const RedisAddress& address,
                                              std::chrono::milliseconds timeout);

// Connections for threads that come and go (the HTTP server's): a thread holds one for the
// length of a request.
class RedisPool {
  public:
    explicit RedisPool(RedisAddress address) : address_(std::move(address)) {}

    class Lease {
      public:
        Lease(RedisPool& pool, std::unique_ptr<Redis> redis)
            : pool_(pool), redis_(std::move(redis)) {}
        ~Lease() { pool_.give_back(std::move(redis_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Redis& operator*() const { return *redis_; }
        Redis* operator->() const { return redis_.get(); }

      private:
        RedisPool& pool_;
        std::unique_ptr<Redis> redis_;
    };
    Lease lease();

  private:
    void give_back(std::unique_ptr<Redis> redis);

    RedisAddress address_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Redis>> idle_;
};

}  // namespace iiifd
