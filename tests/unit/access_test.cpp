#include <catch2/catch.hpp>
#include <jansson.h>

#include <memory>

#include "access.hpp"
#include "signing.hpp"

using namespace iiif;

namespace {

constexpr std::string_view kKey = "0123456789abcdef0123456789abcdef";
constexpr std::int64_t kNow = 1'800'000'000;

struct JsonDecref {
    void operator()(json_t* value) const { json_decref(value); }
};
using Json = std::unique_ptr<json_t, JsonDecref>;

Json parse(const std::string& text) {
    json_error_t error;
    Json json(json_loads(text.c_str(), 0, &error));
    REQUIRE(json);
    return json;
}

std::string text_at(const json_t* object, const char* path) {
    const json_t* value = json_object_get(object, path);
    return json_is_string(value) ? json_string_value(value) : "";
}

AccessPolicy policy_of(PolicyKind kind) {
    AccessPolicy policy;
    policy.name = std::string(policy_kind_name(kind)) + "-policy";
    policy.kind = kind;
    return policy;
}

Requester from(std::string_view address, std::string_view authorization = "",
               std::string_view cookie = "") {
    Requester requester;
    requester.address = parse_ip_address(address);
    requester.authorization = authorization;
    requester.cookie = cookie;
    return requester;
}

std::string credential(AccessCredential::Kind kind, std::vector<std::string> groups,
                       std::int64_t expires = kNow + 600, std::string_view key = kKey) {
    AccessCredential c;
    c.kind = kind;
    c.subject = "alice";
    c.groups = std::move(groups);
    c.expires = expires;
    return sign_credential(c, key);
}

}  // namespace

TEST_CASE("IPv4 and IPv6 networks contain exactly the addresses under their prefix", "[access]") {
    auto campus = parse_network("192.0.2.0/24");
    REQUIRE(campus);
    CHECK(campus->contains(*parse_ip_address("192.0.2.0")));
    CHECK(campus->contains(*parse_ip_address("192.0.2.255")));
    CHECK_FALSE(campus->contains(*parse_ip_address("192.0.3.0")));
    CHECK_FALSE(campus->contains(*parse_ip_address("::1")));

    auto odd = parse_network("10.0.0.0/9");
    REQUIRE(odd);
    CHECK(odd->contains(*parse_ip_address("10.127.255.255")));
    CHECK_FALSE(odd->contains(*parse_ip_address("10.128.0.0")));

    auto v6 = parse_network("2001:db8::/32");
    REQUIRE(v6);
    CHECK(v6->contains(*parse_ip_address("2001:db8:ffff::1")));
    CHECK_FALSE(v6->contains(*parse_ip_address("2001:db9::1")));
    CHECK_FALSE(v6->contains(*parse_ip_address("192.0.2.1")));

    auto one = parse_network("127.0.0.1");
    REQUIRE(one);
    CHECK(one->contains(*parse_ip_address("127.0.0.1")));
    CHECK_FALSE(one->contains(*parse_ip_address("127.0.0.2")));

    auto everything = parse_network("0.0.0.0/0");
    REQUIRE(everything);
    CHECK(everything->contains(*parse_ip_address("203.0.113.9")));
    CHECK_FALSE(everything->contains(*parse_ip_address("2001:db8::1")));
}

TEST_CASE("A network with host bits set, a bad prefix or no address is refused", "[access]") {
    CHECK_FALSE(parse_network("10.1.2.3/8"));
    CHECK_FALSE(parse_network("10.0.0.0/33"));
    CHECK_FALSE(parse_network("10.0.0.0/"));
    CHECK_FALSE(parse_network("10.0.0.0/8x"));
    CHECK_FALSE(parse_network("2001:db8::/129"));
    CHECK_FALSE(parse_network("campus"));
    CHECK_FALSE(parse_network(""));
    CHECK_FALSE(parse_ip_address("256.0.0.1"));
}

TEST_CASE("A signed credential reads back as made, and only under its key", "[access]") {
    AccessCredential made;
    made.kind = AccessCredential::Kind::session;
    made.subject = "zoé";
    made.groups = {"readers", "staff"};
    made.expires = kNow + 60;
    const std::string text = sign_credential(made, kKey);
    CHECK(text.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    CHECK(verify_credential(text, kKey, kNow) == made);
    CHECK_FALSE(verify_credential(text, "another key of thirty-two bytes!", kNow));
    CHECK_FALSE(verify_credential(text, "", kNow));
}

TEST_CASE("An expired, altered or truncated credential is refused", "[access]") {
    const std::string text = credential(AccessCredential::Kind::token, {"readers"}, kNow + 60);
    CHECK(verify_credential(text, kKey, kNow + 59));
    CHECK_FALSE(verify_credential(text, kKey, kNow + 60));
    int accepted = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        std::string altered = text;
        altered[i] = altered[i] == 'A' ? 'B' : 'A';
        if (verify_credential(altered, kKey, kNow)) ++accepted;
    }
    CHECK(accepted == 0);
    CHECK_FALSE(verify_credential(text.substr(0, text.size() - 1), kKey, kNow));
    CHECK_FALSE(verify_credential(text + "A", kKey, kNow));
    CHECK_FALSE(verify_credential("not a credential", kKey, kNow));
}

TEST_CASE("Cookie values and bearer credentials are found in their headers", "[access]") {
    CHECK(cookie_value("a=1; iiif_access=xyz; b=2", "iiif_access") == "xyz");
    CHECK(cookie_value("iiif_access=\"q\"", "iiif_access") == "q");
    CHECK(cookie_value("xiiif_access=1", "iiif_access").empty());
    CHECK(cookie_value("", "iiif_access").empty());
    CHECK(bearer_credentials("Bearer abc") == "abc");
    CHECK(bearer_credentials("bearer  abc ") == "abc");
    CHECK(bearer_credentials("Basic abc").empty());
}

TEST_CASE("The public policy lets everyone in", "[access]") {
    AccessSettings settings;
    const AccessPolicy* open = settings.policy("public");
    REQUIRE(open);
    const AccessDecision decision = decide_access(*open, Requester{}, settings, kKey, kNow);
    CHECK(decision.grant == Grant::full);
    CHECK(decision.status == 200);
    CHECK(settings.policy("campus") == nullptr);
}

TEST_CASE("A network policy lets in its networks, and refuses others with 403", "[access]") {
    AccessSettings settings;
    AccessPolicy campus = policy_of(PolicyKind::network);
    campus.networks = {*parse_network("192.0.2.0/24"), *parse_network("2001:db8::/32")};
    CHECK(decide_access(campus, from("192.0.2.7"), settings, kKey, kNow).grant == Grant::full);
    CHECK(decide_access(campus, from("2001:db8::7"), settings, kKey, kNow).grant == Grant::full);
    const AccessDecision outside = decide_access(campus, from("198.51.100.1"), settings, kKey, kNow);
    CHECK(outside.grant == Grant::none);
    CHECK(outside.status == 403);
    CHECK(decide_access(campus, Requester{}, settings, kKey, kNow).status == 403);
}

TEST_CASE("A token policy lets in valid credentials of its groups, 401 without, 403 other groups",
          "[access]") {
    AccessSettings settings;
    AccessPolicy readers = policy_of(PolicyKind::token);
    readers.groups = {"readers"};
    const auto outside = from("198.51.100.1");
    CHECK(decide_access(readers, outside, settings, kKey, kNow).status == 401);

    const std::string token = credential(AccessCredential::Kind::token, {"readers"});
    CHECK(decide_access(readers, from("198.51.100.1", "Bearer " + token), settings, kKey, kNow)
              .grant == Grant::full);
    const std::string session = credential(AccessCredential::Kind::session, {"readers"});
    CHECK(decide_access(readers, from("198.51.100.1", "", "iiif_access=" + session), settings,
                        kKey, kNow)
              .grant == Grant::full);

    const std::string expired = credential(AccessCredential::Kind::token, {"readers"}, kNow - 1);
    CHECK(decide_access(readers, from("198.51.100.1", "Bearer " + expired), settings, kKey, kNow)
              .status == 401);
    const std::string forged =
        credential(AccessCredential::Kind::token, {"readers"}, kNow + 60, "a forger's key, 32 bytes long!!");
    CHECK(decide_access(readers, from("198.51.100.1", "Bearer " + forged), settings, kKey, kNow)
              .status == 401);
    const std::string other = credential(AccessCredential::Kind::token, {"visitors"});
    const AccessDecision wrong_group =
        decide_access(readers, from("198.51.100.1", "Bearer " + other), settings, kKey, kNow);
    CHECK(wrong_group.grant == Grant::none);
    CHECK(wrong_group.status == 403);

    AccessPolicy anyone = policy_of(PolicyKind::token);
    CHECK(decide_access(anyone, from("198.51.100.1", "Bearer " + other), settings, kKey, kNow)
              .grant == Grant::full);
    // A network token (no subject) signs no one in, even for "any signed-in user".
    AccessCredential network;
    network.subject = "";
    network.groups = {"network:campus"};
    network.expires = kNow + 600;
    CHECK(decide_access(anyone, from("198.51.100.1", "Bearer " + sign_credential(network, kKey)),
                        settings, kKey, kNow)
              .status == 401);
    // With no key configured, no credential is valid.
    CHECK(decide_access(anyone, from("198.51.100.1", "Bearer " + other), settings, "", kNow)
              .status == 401);
}

TEST_CASE("A restricted policy lets in API keys only, whatever the network", "[access]") {
    AccessSettings settings;
    settings.api_key_digests = {sha256_hex("secret-api-key")};
    AccessPolicy restricted = policy_of(PolicyKind::restricted);
    restricted.networks = {*parse_network("192.0.2.0/24")};
    CHECK(decide_access(restricted, from("192.0.2.7"), settings, kKey, kNow).status == 401);
    CHECK(decide_access(restricted, from("192.0.2.7", "Bearer secret-api-key"), settings, kKey,
                        kNow)
              .grant == Grant::full);
    CHECK(decide_access(restricted, from("192.0.2.7", "Bearer wrong-api-key"), settings, kKey,
                        kNow)
              .status == 401);
    const std::string reader = credential(AccessCredential::Kind::session, {"readers"});
    CHECK(decide_access(restricted, from("192.0.2.7", "", "iiif_access=" + reader), settings, kKey,
                        kNow)
              .status == 403);
    const std::string key_holder =
        credential(AccessCredential::Kind::session, {std::string(kApiKeyGroup)});
    CHECK(decide_access(restricted, from("192.0.2.7", "", "iiif_access=" + key_holder), settings,
                        kKey, kNow)
              .grant == Grant::full);
}

TEST_CASE("Who is not let in under a degraded policy gets the degraded grant and its status",
          "[access]") {
    AccessSettings settings;
    AccessPolicy campus = policy_of(PolicyKind::network);
    campus.networks = {*parse_network("192.0.2.0/24")};
    campus.degraded_size = 800;
    const AccessDecision outside = decide_access(campus, from("198.51.100.1"), settings, kKey, kNow);
    CHECK(outside.grant == Grant::degraded);
    CHECK(outside.degraded_size == 800);
    CHECK(outside.status == 403);
    CHECK(decide_access(campus, from("192.0.2.1"), settings, kKey, kNow).grant == Grant::full);
}

TEST_CASE("Access settings and rules survive their JSON form", "[access]") {
    AccessSettings settings;
    AccessPolicy campus = policy_of(PolicyKind::network);
    campus.networks = {*parse_network("192.0.2.0/24")};
    campus.groups = {"staff"};
    campus.degraded_size = 640;
    campus.watermark_unauthorised_only = true;
    campus.label = "Campus";
    settings.policies = {campus};
    WatermarkSpec mark;
    mark.name = "bnf";
    mark.institution = "BnF";
    mark.text = "© BnF";
    mark.opacity = 0.75;
    settings.watermarks = {mark};
    settings.api_key_digests = {sha256_hex("k")};
    settings.auth_base_url = "https://images.example.org/auth";
    const AccessSettings back = access_settings_from_json(access_settings_to_json(settings));
    REQUIRE(back.policies.size() == 1);
    CHECK(back.policies[0].networks[0].text == "192.0.2.0/24");
    CHECK(back.policies[0].networks[0].contains(*parse_ip_address("192.0.2.9")));
    CHECK(back.policies[0].groups == std::vector<std::string>{"staff"});
    CHECK(back.policies[0].degraded_size == 640);
    CHECK(back.policies[0].watermark_unauthorised_only);
    CHECK(back.policies[0].label == "Campus");
    REQUIRE(back.watermarks.size() == 1);
    CHECK(back.watermarks[0] == mark);
    CHECK(back.api_key_digests == settings.api_key_digests);
    CHECK(back.auth_base_url == settings.auth_base_url);
    CHECK(back.fingerprint.size() == 16);

    AccessRules rules;
    rules.default_policy = "campus";
    rules.set_policies = {{"maps", "public"}};
    rules.set_watermarks = {{"maps:old", "bnf"}};
    rules.policy_watermarks = {{"campus", "institution"}};
    CHECK(access_rules_from_json(access_rules_to_json(rules)) == rules);
}

TEST_CASE("An object's policy is its own, else its most specific set's, else the default",
          "[access]") {
    AccessSettings settings;
    WatermarkSpec bnf;
    bnf.name = "bnf";
    bnf.institution = "BnF";
    settings.watermarks = {bnf};
    AccessRules rules;
    rules.default_policy = "campus";
    rules.set_policies = {{"maps", "public"}, {"maps:secret", "restricted-staff"}};
    rules.set_watermarks = {{"maps:old", "bnf"}};
    rules.policy_watermarks = {{"campus", "institution"}};

    CHECK(resolve_access(rules, settings, "readers", {"maps", "maps:secret"}, "").policy ==
          "readers");
    CHECK(resolve_access(rules, settings, "", {"maps", "maps:secret"}, "").policy ==
          "restricted-staff");
    CHECK(resolve_access(rules, settings, "", {"maps"}, "").policy == "public");
    CHECK(resolve_access(rules, settings, "", {}, "").policy == "campus");

    CHECK(resolve_access(rules, settings, "", {"maps", "maps:old"}, "").watermark == "bnf");
    CHECK(resolve_access(rules, settings, "", {}, "BnF").watermark == "bnf");
    CHECK(resolve_access(rules, settings, "", {}, "Another library").watermark.empty());
    CHECK(resolve_access(rules, settings, "", {"maps"}, "BnF").watermark.empty());
}

TEST_CASE("Controlled resources declare the Auth 2.0 probe, access, token and logout services",
          "[access]") {
    AccessSettings settings;
    settings.auth_base_url = "https://images.example.org/auth";
    AccessPolicy readers = policy_of(PolicyKind::token);
    Json services = parse(auth_services_json(readers, settings, "https://i.example/iiif/3/x/probe"));
    REQUIRE(json_array_size(services.get()) == 1);
    const json_t* probe = json_array_get(services.get(), 0);
    CHECK(text_at(probe, "type") == "AuthProbeService2");
    CHECK(text_at(probe, "id") == "https://i.example/iiif/3/x/probe");
    const json_t* access = json_array_get(json_object_get(probe, "service"), 0);
    CHECK(text_at(access, "type") == "AuthAccessService2");
    CHECK(text_at(access, "profile") == "active");
    CHECK(text_at(access, "id") == "https://images.example.org/auth/login");
    // Labels name whom one signs in to: the host while no institution is configured.
    CHECK(json_string_value(json_array_get(json_object_get(json_object_get(access, "label"), "en"), 0)) ==
          std::string("Sign in to images.example.org"));
    const json_t* inner = json_object_get(access, "service");
    CHECK(text_at(json_array_get(inner, 0), "type") == "AuthAccessTokenService2");
    CHECK(text_at(json_array_get(inner, 0), "id") == "https://images.example.org/auth/token");
    CHECK(text_at(json_array_get(inner, 1), "type") == "AuthLogoutService2");
    CHECK(text_at(json_array_get(inner, 1), "id") == "https://images.example.org/auth/logout");

    settings.institution = "Bibliothèque municipale";
    Json named = parse(auth_services_json(readers, settings, "p"));
    const json_t* named_access = json_array_get(json_object_get(json_array_get(named.get(), 0), "service"), 0);
    CHECK(json_string_value(json_array_get(json_object_get(json_object_get(named_access, "label"), "en"), 0)) ==
          std::string("Sign in to Bibliothèque municipale"));
    const json_t* logout = json_array_get(json_object_get(named_access, "service"), 1);
    CHECK(json_string_value(json_array_get(json_object_get(json_object_get(logout, "label"), "en"), 0)) ==
          std::string("Sign out of Bibliothèque municipale"));
    Json network = parse(auth_services_json(policy_of(PolicyKind::network), settings, "p"));
    const json_t* external = json_array_get(json_object_get(json_array_get(network.get(), 0), "service"), 0);
    CHECK(text_at(external, "profile") == "external");

    Json bare = parse(auth_services_json(readers, AccessSettings{}, "p"));
    CHECK(json_object_get(json_array_get(bare.get(), 0), "service") == nullptr);
}

TEST_CASE("The probe result gives the status, and the substitute when degraded", "[access]") {
    AccessPolicy campus = policy_of(PolicyKind::network);
    campus.heading = "Reduced";
    AccessDecision full;
    Json ok = parse(probe_result_json(campus, full, "p", "s"));
    CHECK(text_at(ok.get(), "type") == "AuthProbeResult2");
    CHECK(text_at(ok.get(), "@context") == "http://iiif.io/api/auth/2/context.json");
    CHECK(json_integer_value(json_object_get(ok.get(), "status")) == 200);
    CHECK(json_object_get(ok.get(), "substitute") == nullptr);

    AccessDecision degraded{Grant::degraded, 403, 800};
    Json reduced = parse(probe_result_json(campus, degraded, "p", "https://x/full/max/0/default.jpg"));
    CHECK(json_integer_value(json_object_get(reduced.get(), "status")) == 403);
    const json_t* substitute = json_array_get(json_object_get(reduced.get(), "substitute"), 0);
    CHECK(text_at(substitute, "id") == "https://x/full/max/0/default.jpg");
    CHECK(text_at(substitute, "type") == "Image");
    const json_t* heading = json_object_get(reduced.get(), "heading");
    CHECK(std::string(json_string_value(json_array_get(json_object_get(heading, "en"), 0))) ==
          "Reduced");

    AccessDecision refused{Grant::none, 401, 0};
    Json denied = parse(probe_result_json(campus, refused, "p", "s"));
    CHECK(json_integer_value(json_object_get(denied.get(), "status")) == 401);
    CHECK(json_object_get(denied.get(), "substitute") == nullptr);
}

TEST_CASE("The credential memo answers as verification does, expiry and key included", "[access]") {
    CredentialMemo memo;
    const std::string good = credential(AccessCredential::Kind::token, {"readers"}, kNow + 60);
    const std::string forged =
        credential(AccessCredential::Kind::token, {"readers"}, kNow + 60, "a forger's key, 32 bytes long!!");
    for (int pass = 0; pass < 2; ++pass) {  // the second pass answers from the memo
        INFO("pass " << pass);
        CHECK(memo.verify(good, kKey, kNow) == verify_credential(good, kKey, kNow));
        CHECK(memo.verify(good, kKey, kNow)->groups == std::vector<std::string>{"readers"});
        CHECK_FALSE(memo.verify(forged, kKey, kNow));
        CHECK_FALSE(memo.verify(good, kKey, kNow + 60));  // expired by then
        CHECK_FALSE(memo.verify("garbage", kKey, kNow));
    }
    // Under another key nothing verified before holds.
    CHECK_FALSE(memo.verify(good, "another key of thirty-two bytes!", kNow));
    CHECK(memo.verify(good, kKey, kNow));

    AccessSettings settings;
    AccessPolicy readers = policy_of(PolicyKind::token);
    CHECK(decide_access(readers, from("198.51.100.1", "Bearer " + good), settings, kKey, kNow,
                        &memo)
              .grant == Grant::full);
    CHECK(decide_access(readers, from("198.51.100.1", "Bearer " + good), settings, kKey, kNow + 61,
                        &memo)
              .status == 401);
}
