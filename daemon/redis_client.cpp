#include "redis_client.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdlib>

namespace iiifd {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kConnectTimeout{2000};
// Longer than the longest blocking read (XREADGROUP ... BLOCK 2000), so that only a dead
// connection times out.
constexpr milliseconds kCommandTimeout{10000};
// What a sentinel, and the master it names, have to answer in. Sentinels are asked in turn, so
// one that is down costs this much before the next is asked.
constexpr milliseconds kSentinelPatience{500};

timeval timeval_of(milliseconds time) {
    return {static_cast<time_t>(time.count() / 1000),
            static_cast<suseconds_t>((time.count() % 1000) * 1000)};
}

// An error reply of a Redis that cannot serve for now (loading its data after a restart, busy
// with a script, a replica cut from its master, a master demoted by a failover that we wrote
// to) is unavailable, like one that cannot be reached, so that a deposit gets 503 with
// Retry-After, not 500; any other is the command's. (The code is the reply's first word:
// BUSYGROUP, for one, is no BUSY.)
bool is_transient(const std::string& error_text) {
    const std::string code = error_text.substr(0, error_text.find(' '));
    for (const char* transient :
         {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "READONLY"})
        if (code == transient) return true;
    return false;
}

RedisReply copied(const redisReply* reply) {
    RedisReply result;
    switch (reply->type) {
        case REDIS_REPLY_STRING:
            result.type = RedisReply::Type::string;
            result.text.assign(reply->str, reply->len);
            break;
        case REDIS_REPLY_STATUS:
            result.type = RedisReply::Type::status;
            result.text.assign(reply->str, reply->len);
            break;
        case REDIS_REPLY_ERROR:
            result.type = RedisReply::Type::error;
            result.text.assign(reply->str, reply->len);
            break;
        case REDIS_REPLY_INTEGER:
            result.type = RedisReply::Type::integer;
            result.integer = reply->integer;
            break;
        case REDIS_REPLY_ARRAY:
            result.type = RedisReply::Type::array;
            result.elements.reserve(reply->elements);
            for (size_t i = 0; i < reply->elements; ++i)
                result.elements.push_back(copied(reply->element[i]));
            break;
        default:
            result.type = RedisReply::Type::nil;
    }
    return result;
}

struct ContextFree {
    void operator()(redisContext* context) const { redisFree(context); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;

// A connection to `at`, its commands timed out after `command_timeout`; null with `why`.
Context open_connection(const HostPort& at, milliseconds connect_timeout,
                        milliseconds command_timeout, std::string& why) {
    Context context(redisConnectWithTimeout(at.host.c_str(), at.port, timeval_of(connect_timeout)));
    if (context == nullptr) {
        why = "cannot allocate a connection";
        return nullptr;
    }
    if (context->err != 0) {
        why = context->errstr;
        return nullptr;
    }
    redisSetTimeout(context.get(), timeval_of(command_timeout));
    return context;
}

// One command and its reply (an error reply among them); nullopt with `why` when the
// connection fails.
std::optional<RedisReply> ask(redisContext* context, const std::vector<std::string>& arguments,
                              std::string& why) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& argument : arguments) {
        argv.push_back(argument.data());
        lengths.push_back(argument.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (reply == nullptr) {
        why = context->errstr;
        return std::nullopt;
    }
    RedisReply result = copied(reply);
    freeReplyObject(reply);
    return result;
}

// What a sentinel says of the master: its address and a connection to it, or why neither.
struct Master {
    HostPort at;
    Context context;
};

std::optional<Master> master_from(const HostPort& sentinel, const std::string& master_name,
                                  milliseconds patience, std::string& why) {
    std::string problem;
    Context asked = open_connection(sentinel, patience, patience, problem);
    if (asked == nullptr) {
        why = problem;
        return std::nullopt;
    }
    std::optional<RedisReply> named =
        ask(asked.get(), {"SENTINEL", "get-master-addr-by-name", master_name}, problem);
    if (!named) {
        why = problem;
        return std::nullopt;
    }
    if (named->type == RedisReply::Type::error) {
        why = named->text;
        return std::nullopt;
    }
    if (named->type != RedisReply::Type::array || named->elements.size() != 2) {
        why = "monitors no master \"" + master_name + "\"";
        return std::nullopt;
    }
    Master master{{named->elements[0].text, std::atoi(named->elements[1].text.c_str())}, nullptr};
    master.context = open_connection(master.at, patience, patience, problem);
    if (master.context == nullptr) {
        why = "names " + master.at.text() + ": " + problem;
        return std::nullopt;
    }
    // Just after a failover a sentinel may still name the old master, now a replica (or, back
    // from the dead, not yet told): writes there would be refused, reads stale.
    std::optional<RedisReply> role = ask(master.context.get(), {"ROLE"}, problem);
    if (!role) {
        why = "names " + master.at.text() + ": " + problem;
        return std::nullopt;
    }
    const std::string said = role->type == RedisReply::Type::error ? role->text
                             : role->elements.empty()              ? std::string("nothing")
                                                                   : role->elements[0].text;
    if (said != "master") {
        why = "names " + master.at.text() + ", whose ROLE is " + said;
        return std::nullopt;
    }
    return master;
}

// The first master a sentinel names that says it is one, the sentinels asked in their order;
// nullopt with `why` naming each sentinel and what it said.
std::optional<Master> master_through_sentinels(const RedisAddress& address, milliseconds patience,
                                               std::string& why) {
    std::string tried;
    for (const HostPort& sentinel : address.sentinels) {
        std::string problem;
        if (std::optional<Master> master =
                master_from(sentinel, address.master_name, patience, problem))
            return master;
        tried += (tried.empty() ? "" : "; ") + sentinel.text() + ": " + problem;
    }
    why = "no sentinel gave its address (" + tried + ")";
    return std::nullopt;
}

}  // namespace

Redis::Redis(RedisAddress address)
    : address_(std::move(address)), where_("redis " + redis_address_text(address_)) {}

Redis::Redis(std::string host, int port) : Redis(RedisAddress{std::move(host), port, {}, {}}) {}

Redis::~Redis() {
    drop();
}

void Redis::drop() {
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
}

void Redis::fail(const std::string& reason) {
    drop();
    throw RedisUnavailable(where_ + ": " + reason);
}

void Redis::refuse(const std::string& error_text) {
    if (!is_transient(error_text)) throw RedisCommandError(error_text);
    // READONLY above all: this master was demoted, and the sentinels name another now.
    drop();
    throw RedisUnavailable(where_ + ": " + error_text);
}

redisContext* Redis::connection() {
    if (context_ != nullptr) return context_;
    std::string why;
    if (!address_.through_sentinels()) {
        where_ = "redis " + redis_address_text(address_);
        Context context =
            open_connection({address_.host, address_.port}, kConnectTimeout, kCommandTimeout, why);
        if (context == nullptr) throw RedisUnavailable(where_ + ": " + why);
        context_ = context.release();
    } else {
        where_ = "redis master \"" + address_.master_name + "\"";
        std::optional<Master> master = master_through_sentinels(address_, kSentinelPatience, why);
        if (!master) throw RedisUnavailable(where_ + ": " + why);
        where_ += " at " + master->at.text();
        redisSetTimeout(master->context.get(), timeval_of(kCommandTimeout));
        context_ = master->context.release();
    }
    redisEnableKeepAlive(context_);
    return context_;
}

RedisReply Redis::command(const std::vector<std::string>& arguments) {
    // A connection kept from before may have been closed by a Redis that restarted since (or
    // by a master demoted in a failover): that shows as an I/O error or an end of file on first
    // use, and one new connection is tried.
    bool reused = context_ != nullptr;
    for (;;) {
        redisContext* context = connection();
        std::string why;
        std::optional<RedisReply> reply = ask(context, arguments, why);
        if (!reply) {
            if (reused && (context->err == REDIS_ERR_IO || context->err == REDIS_ERR_EOF)) {
                drop();
                reused = false;
                continue;
            }
            fail(why);
        }
        if (reply->type == RedisReply::Type::error) refuse(reply->text);
        return std::move(*reply);
    }
}

long long Redis::wait_for_replicas(int replicas, int timeout_ms) {
    if (replicas <= 0) return 0;
    if (context_ == nullptr) throw RedisUnavailable(where_ + ": no connection to WAIT on");
    // WAIT 0 would block for ever; and the socket must outlast the wait.
    const int wait_ms = std::max(timeout_ms, 1);
    redisSetTimeout(context_, timeval_of(milliseconds(wait_ms) + kCommandTimeout));
    std::string why;
    std::optional<RedisReply> reply =
        ask(context_, {"WAIT", std::to_string(replicas), std::to_string(wait_ms)}, why);
    if (!reply) fail(why);
    redisSetTimeout(context_, timeval_of(kCommandTimeout));
    if (reply->type == RedisReply::Type::error) refuse(reply->text);
    return reply->integer;
}

std::vector<RedisReply> Redis::transaction(const std::vector<std::vector<std::string>>& commands) {
    redisContext* context = connection();
    auto append = [&](const std::vector<std::string>& arguments) {
        std::vector<const char*> argv;
        std::vector<size_t> lengths;
        for (const std::string& argument : arguments) {
            argv.push_back(argument.data());
            lengths.push_back(argument.size());
        }
        redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data());
    };
    append({"MULTI"});
    for (const auto& arguments : commands) append(arguments);
    append({"EXEC"});

    std::vector<RedisReply> replies;
    for (size_t i = 0; i < commands.size() + 2; ++i) {
        void* raw = nullptr;
        if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) fail(context->errstr);
        replies.push_back(copied(static_cast<redisReply*>(raw)));
        freeReplyObject(raw);
    }
    // A command refused as it was queued (READONLY, on a demoted master) aborts EXEC: the
    // refusal says why, EXECABORT only that it happened.
    for (const RedisReply& reply : replies) {
        if (reply.type == RedisReply::Type::error && is_transient(reply.text)) refuse(reply.text);
    }
    const RedisReply& exec = replies.back();
    if (exec.type == RedisReply::Type::error) refuse(exec.text);
    for (const RedisReply& reply : replies) {
        if (reply.type == RedisReply::Type::error) refuse(reply.text);
    }
    for (const RedisReply& reply : exec.elements) {
        if (reply.type == RedisReply::Type::error) refuse(reply.text);
    }
    return exec.elements;
}

std::string redis_address_text(const RedisAddress& address) {
    if (!address.through_sentinels()) return HostPort{address.host, address.port}.text();
    std::string text = "master \"" + address.master_name + "\" of sentinels ";
    for (size_t i = 0; i < address.sentinels.size(); ++i)
        text += (i == 0 ? "" : ", ") + address.sentinels[i].text();
    return text;
}

std::optional<std::string> redis_ping_problem(const RedisAddress& address,
                                              std::chrono::milliseconds timeout) {
    std::string why;
    Context context;
    if (address.through_sentinels()) {
        std::optional<Master> master =
            master_through_sentinels(address, std::min(timeout, kSentinelPatience), why);
        if (!master) return why;
        redisSetTimeout(master->context.get(), timeval_of(timeout));
        context = std::move(master->context);
    } else {
        context = open_connection({address.host, address.port}, timeout, timeout, why);
        if (context == nullptr) return why;
    }
    std::optional<RedisReply> reply = ask(context.get(), {"PING"}, why);
    if (!reply) return why;
    if (reply->type == RedisReply::Type::error) return reply->text;
    return std::nullopt;
}

RedisPool::Lease RedisPool::lease() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return Lease(*this, std::make_unique<Redis>(address_));
    std::unique_ptr<Redis> redis = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(redis));
}

void RedisPool::give_back(std::unique_ptr<Redis> redis) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(redis));
}

}  // namespace iiifd
