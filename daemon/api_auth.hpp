// Who calls the API (all of /api/ but /api/v1/public/), and as which account of the directory
// (directory.hpp), whose role and institution every route then checks.
//
// Either the holder of an API key (`Authorization: Bearer <key>`: an unrevoked key of an
// enabled account), or the auth service's session (its cookie, auth_service.hpp) of an enabled
// account. A browser sends the cookie with the requests other sites make too, so a change made
// with it (a method other than GET or HEAD) must carry an Origin header naming the public base
// URL's origin (CSRF); a key is never sent by a browser on its own and needs no such check. A
// session signed in through a single sign-on proxy for someone the directory does not know is a
// reader of no institution.
//
// A request with a Bearer credential is judged by it alone: a wrong key is refused even beside
// a good cookie, so that a page checking a key is not answered for its session. Other
// Authorization schemes (a proxy's Basic) are ignored.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "auth_service.hpp"
#include "directory.hpp"
#include "http_message.hpp"
#include "iiif_error.hpp"

namespace iiifd {

struct ApiCaller {
    enum class Via { key, session };
    Via via = Via::key;
    Account account;
    std::string key_id;  // the key's id (directory.hpp); empty for a session
    // Who acted, as withdrawals.log records it: "{account} key {id}" or "user:{account}".
    std::string actor;

    bool is(Role at_least) const { return account.role >= at_least; }
    // As the audit log records it.
    Actor audit() const { return {account.name, via == Via::key ? "key " + key_id : "session"}; }
};

class ApiAuth {
  public:
    ApiAuth(const Directory& directory, const AuthService& auth)
        : directory_(directory), auth_(auth) {}

    // The caller of an /api/ request, or why it is refused: 401 "missing or invalid API key"
    // (no credential, a wrong or revoked key, a forged or expired session, a disabled account),
    // 403 "cross-site request refused".
    std::variant<ApiCaller, iiif::IiifError> caller(const HttpRequest& req) const;

  private:
    const Directory& directory_;
    const AuthService& auth_;
};

}  // namespace iiifd
