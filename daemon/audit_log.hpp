// The audit log, {storage root}/audit.log: one JSON line per change of the directory
// (institutions, accounts, API keys, shoulders) or of an object (deposit, metadata, pages,
// withdrawal, reinstatement, purge), appended and synced, never rewritten:
//
//   {"time": "2026-12-06T21:04:11Z", "actor": "alice", "via": "key 3f2a9c01b2c4",
//    "action": "account.create", "target": "bob", "institution": "bnu", "detail": {...}}
//
// `actor` is the account that acted ("iiifd" for the daemon itself, on bootstrap), `via` how it
// was recognised ("key {id}", "session", "command line", "configuration"), `institution` the
// institution the change concerns (the object's owner, the account's institution), by which an
// editor's view of the log is limited.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace iiifd {

// Who acts: an account and how it was recognised.
struct Actor {
    std::string account;
    std::string via;
};

struct AuditEntry {
    std::int64_t time = 0;
    Actor actor;
    std::string action;       // "institution.create", "account.disable", "object.purge"...
    std::string target;       // what it acted on: an id, an account, an ARK
    std::string institution;  // which institution it concerns; empty: the platform's
    std::string detail;       // a JSON object as text ("{}" when nothing more)
};

class AuditLog {
  public:
    explicit AuditLog(std::string path) : path_(std::move(path)) {}

    // Appends and syncs an entry timed now; `detail` is consumed (null: {}). IiifError 500
    // when the log cannot be written: a change that cannot be audited is not made, so callers
    // record before they answer.
    void record(const Actor& actor, const std::string& action, const std::string& target,
                const std::string& institution, json_t* detail = nullptr);
    // The most recent entries first, at most `limit`, of `institution` only when it is not
    // empty, among the lines that end before byte `before` (0: the end); lines that are not
    // entries (torn by a crash) are passed over. `*next` is the byte to continue from (where
    // the last entry returned begins), 0 when the start of the log was reached. Read backwards
    // from there, a chunk at a time.
    std::vector<AuditEntry> recent(size_t limit, const std::string& institution, size_t before,
                                   size_t* next) const;

    const std::string& path() const { return path_; }

  private:
    std::string path_;
    mutable std::mutex mutex_;  // one appender at a time in this process
};

json_t* audit_entry_to_json(const AuditEntry& entry);

// {storage root}/audit.log.
std::string audit_log_path(const std::string& storage_root);
// The person at the command line (iiifd ingest, iiifd account): $SUDO_USER, else $USER, else
// "root"; via "command line".
Actor command_line_actor();

}  // namespace iiifd
