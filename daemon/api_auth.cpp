#include "api_auth.hpp"

#include <cctype>
#include <optional>
#include <string_view>

namespace iiifd {
namespace {

constexpr const char* kUnauthorised = "missing or invalid API key";

// The credential of an `Authorization: Bearer <key>` header (the scheme in any case), if that is
// the header's scheme.
std::optional<std::string_view> bearer_credential(std::string_view authorization) {
    constexpr std::string_view kScheme = "bearer ";
    if (authorization.size() < kScheme.size()) return std::nullopt;
    for (size_t i = 0; i < kScheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i])
            return std::nullopt;
    return authorization.substr(kScheme.size());
}

bool changes_nothing(const std::string& method) {
    return method == "GET" || method == "HEAD";
}

}  // namespace

std::variant<ApiCaller, iiif::IiifError> ApiAuth::caller(const HttpRequest& req) const {
    const std::string authorization = req.get_header_value("Authorization");
    if (std::optional<std::string_view> key = bearer_credential(authorization)) {
        std::optional<std::pair<Account, ApiKey>> holder;
        if (!key->empty()) holder = directory_.account_of_key(*key);
        if (!holder) return iiif::IiifError(401, kUnauthorised);
        ApiCaller caller{ApiCaller::Via::key, std::move(holder->first), holder->second.id, {}};
        caller.actor = caller.account.name + " key " + caller.key_id;
        return caller;
    }
    std::optional<iiif::AccessCredential> session = auth_.session(req);
    if (!session || session->subject.empty()) return iiif::IiifError(401, kUnauthorised);
    std::optional<Account> account = directory_.account(session->subject);
    if (account && account->disabled) return iiif::IiifError(401, kUnauthorised);
    if (!changes_nothing(req.method) &&
        (!req.has_header("Origin") ||
         origin_of(req.get_header_value("Origin")) != auth_.public_origin()))
        return iiif::IiifError(403, "cross-site request refused");
    if (!account) {
        // Signed in by a single sign-on proxy, unknown here: a reader of no institution.
        account.emplace();
        account->name = session->subject;
        account->groups = session->groups;
    }
    return ApiCaller{ApiCaller::Via::session, std::move(*account), {},
                     "user:" + session->subject};
}

}  // namespace iiifd
