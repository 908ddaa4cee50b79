#include "api_auth.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "signing.hpp"

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

// Digests have one length whatever the keys', so the comparison takes the same time for every
// presented key, and every configured key is tried.
bool is_api_key(std::string_view presented, const std::vector<std::string>& keys) {
    const std::string digest = iiif::sha256_hex(presented);
    bool match = false;
    for (const std::string& key : keys) {
        const std::string key_digest = iiif::sha256_hex(key);
        match |= iiif::equal_secret(key_digest.data(), digest.data(), digest.size());
    }
    return match;
}

bool changes_nothing(const std::string& method) {
    return method == "GET" || method == "HEAD";
}

}  // namespace

std::variant<ApiCaller, iiif::IiifError> ApiAuth::caller(const HttpRequest& req) const {
    const std::string authorization = req.get_header_value("Authorization");
    if (std::optional<std::string_view> key = bearer_credential(authorization)) {
        if (key->empty() || !is_api_key(*key, config_.api_keys))
            return iiif::IiifError(401, kUnauthorised);
        return ApiCaller{ApiCaller::Via::key, {}, {}, iiif::sha256_hex(*key).substr(0, 12)};
    }
    std::optional<iiif::AccessCredential> session = auth_.session(req);
    if (!session) return iiif::IiifError(401, kUnauthorised);
    if (!may_deposit(session->groups)) return iiif::IiifError(403, "this account may not deposit");
    if (!changes_nothing(req.method) &&
        (!req.has_header("Origin") ||
         origin_of(req.get_header_value("Origin")) != auth_.public_origin()))
        return iiif::IiifError(403, "cross-site request refused");
    return ApiCaller{ApiCaller::Via::session, session->subject, session->groups,
                     "user:" + session->subject};
}

bool ApiAuth::may_deposit(const std::vector<std::string>& groups) const {
    return std::any_of(groups.begin(), groups.end(), [&](const std::string& group) {
        return group == iiif::kApiKeyGroup ||
               std::find(config_.deposit_groups.begin(), config_.deposit_groups.end(), group) !=
                   config_.deposit_groups.end();
    });
}

}  // namespace iiifd
