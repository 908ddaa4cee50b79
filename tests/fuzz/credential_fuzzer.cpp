// libFuzzer target: the credentials the module reads on every image request under a policy
// (common/access/access.hpp): the Cookie and Authorization headers (cookie_value,
// bearer_credentials), the signed credential in them (verify_credential, CredentialMemo), the
// client's address (parse_ip_address, parse_network), and the decision made of them
// (decide_access) under each kind of policy.
//
// Input: the Cookie header, the Authorization header and an address, each ended by '\n', then
// the bytes of a credential's payload. A "$signed" in either header stands for that payload
// signed with the key, as an auth service would sign it, so that what follows a valid
// signature is reached too.
//
// What must hold: nothing crashes; no unsigned text is ever taken for a credential; a
// credential read back and signed again reads back the same; the memo decides as the plain
// verification does; an open policy lets everyone in, and nothing lets in one whom neither an
// address, a key nor a credential lets in.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "access.hpp"
#include "signing.hpp"

namespace {

constexpr std::int64_t kNow = 1780272000;
const std::string kKey = "0123456789abcdef0123456789abcdef-fuzz-key";
const std::string kApiKey = "an-api-key-of-the-configuration";

iiif::AccessPolicy policy(std::string name, iiif::PolicyKind kind,
                          std::vector<std::string> networks, std::vector<std::string> groups,
                          int degraded_size) {
    iiif::AccessPolicy policy;
    policy.name = std::move(name);
    policy.kind = kind;
    for (const std::string& text : networks) policy.networks.push_back(*iiif::parse_network(text));
    policy.groups = std::move(groups);
    policy.degraded_size = degraded_size;
    return policy;
}

const iiif::AccessSettings& settings() {
    static const iiif::AccessSettings settings = [] {
        iiif::AccessSettings settings;
        using iiif::PolicyKind;
        settings.policies = {
            policy("public", PolicyKind::open, {}, {}, 0),
            policy("campus", PolicyKind::network, {"10.0.0.0/8", "2001:db8::/32"}, {}, 0),
            policy("readers", PolicyKind::token, {"192.0.2.0/24"}, {"readers", "staff"}, 400),
            policy("members", PolicyKind::token, {}, {}, 0),
            policy("staff", PolicyKind::restricted, {"10.1.0.0/16"}, {}, 200),
        };
        settings.api_key_digests = {iiif::sha256_hex(kApiKey)};
        return settings;
    }();
    return settings;
}

std::string signed_credential(std::string_view payload) {
    const iiif::Digest mac = iiif::hmac_sha256(payload, kKey);
    return iiif::base64url(std::string(payload) +
                           std::string(reinterpret_cast<const char*>(mac.data()), 16));
}

std::string with_signed(std::string_view header, const std::string& credential) {
    std::string out(header);
    for (size_t at = out.find("$signed"); at != std::string::npos;
         at = out.find("$signed", at + credential.size()))
        out.replace(at, 7, credential);
    return out;
}

bool same(const iiif::AccessDecision& a, const iiif::AccessDecision& b) {
    return a.grant == b.grant && a.status == b.status && a.degraded_size == b.degraded_size;
}

void check_credential(std::string_view text, bool may_be_valid) {
    const std::optional<iiif::AccessCredential> credential =
        iiif::verify_credential(text, kKey, kNow);
    if (!credential) return;
    if (!may_be_valid || credential->expires <= kNow) std::abort();
    if (iiif::verify_credential(text, "another key of at least 32 bytes!", kNow)) std::abort();
    const std::string again = iiif::sign_credential(*credential, kKey);
    const std::optional<iiif::AccessCredential> reread = iiif::verify_credential(again, kKey, kNow);
    if (!reread || reread->kind != credential->kind || reread->subject != credential->subject ||
        reread->expires != credential->expires)
        std::abort();
}

void check_address(std::string_view text) {
    if (const std::optional<iiif::Network> network = iiif::parse_network(text)) {
        if (network->prefix_bits < 0 || network->prefix_bits > 128 ||
            !network->contains(network->base))
            std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view fields[3];
    for (std::string_view& field : fields) {
        const size_t end = input.find('\n');
        if (end == std::string_view::npos) return 0;
        field = input.substr(0, end);
        input.remove_prefix(end + 1);
    }
    const std::string credential = signed_credential(input);
    const bool signed_given = fields[0].find("$signed") != std::string_view::npos ||
                              fields[1].find("$signed") != std::string_view::npos;
    const std::string cookie = with_signed(fields[0], credential);
    const std::string authorization = with_signed(fields[1], credential);
    check_address(fields[2]);

    const std::string_view from_cookie = iiif::cookie_value(cookie, settings().cookie_name);
    const std::string_view bearer = iiif::bearer_credentials(authorization);
    check_credential(from_cookie, signed_given);
    check_credential(bearer, signed_given);

    iiif::Requester requester;
    requester.address = iiif::parse_ip_address(fields[2]);
    requester.cookie = cookie;
    requester.authorization = authorization;
    iiif::Requester nobody;
    nobody.address = requester.address;
    static iiif::CredentialMemo memo;
    for (const iiif::AccessPolicy& policy : settings().policies) {
        const iiif::AccessDecision decision =
            iiif::decide_access(policy, requester, settings(), kKey, kNow);
        if (!same(decision, iiif::decide_access(policy, requester, settings(), kKey, kNow, &memo)))
            std::abort();
        if (policy.kind == iiif::PolicyKind::open && decision.grant != iiif::Grant::full)
            std::abort();
        // Without a valid signature or the API key, the headers change nothing.
        if (!signed_given && bearer != kApiKey &&
            !same(decision, iiif::decide_access(policy, nobody, settings(), kKey, kNow)))
            std::abort();
        // Without the key, no credential is valid.
        if (bearer != kApiKey && !same(iiif::decide_access(policy, requester, settings(), "", kNow),
                                       iiif::decide_access(policy, nobody, settings(), "", kNow)))
            std::abort();
    }
    return 0;
}
