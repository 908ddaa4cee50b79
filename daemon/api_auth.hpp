// Who may use the deposit API (all of /api/ but /api/v1/public/), and as whom.
//
// Either the holder of an API key (`Authorization: Bearer <key>`, one of [http] api_keys), or
// the auth service's session (its cookie, auth_service.hpp) of a user in one of [http]
// deposit_groups or of a session opened with an API key (group "api-key"): what the deposit
// page uses. A browser sends the cookie with the requests other sites make too, so a change
// made with it (a method other than GET or HEAD) must carry an Origin header naming the public
// base URL's origin (CSRF); a key is never sent by a browser on its own and needs no such check.
//
// A request with a Bearer credential is judged by it alone: a wrong key is refused even beside
// a good cookie, so that a page checking a key is not answered for its session. Other
// Authorization schemes (a proxy's Basic) are ignored.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "auth_service.hpp"
#include "daemon_config.hpp"
#include "http_message.hpp"
#include "iiif_error.hpp"

namespace iiifd {

struct ApiCaller {
    enum class Via { key, session };
    Via via = Via::key;
    std::string user;                 // the session's user; empty for a key
    std::vector<std::string> groups;  // the session's groups; none for a key
    // Who acted, as withdrawals.log records it: the first 12 hex digits of the key's SHA-256
    // (never the key itself), or "user:{name}".
    std::string actor;
};

class ApiAuth {
  public:
    ApiAuth(const DaemonConfig& config, const AuthService& auth) : config_(config), auth_(auth) {}

    // The caller of an /api/ request, or why it is refused: 401 "missing or invalid API key"
    // (no credential, a wrong key, a forged or expired session), 403 "this account may not
    // deposit", 403 "cross-site request refused".
    std::variant<ApiCaller, iiif::IiifError> caller(const HttpRequest& req) const;

  private:
    bool may_deposit(const std::vector<std::string>& groups) const;

    const DaemonConfig& config_;
    const AuthService& auth_;
};

}  // namespace iiifd
