#include "auth_service.hpp"

#include <arpa/inet.h>
#include <jansson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <memory>
#include <semaphore>
#include <vector>

#include "access_config.hpp"
#include "clock.hpp"
#include "encoding.hpp"
#include "json.hpp"
#include "signing.hpp"

namespace iiifd {

// What the pages say, in each language they are offered in.
struct AuthTexts {
    const char* lang;
    const char* sign_in;
    const char* with_account;
    const char* user_name;
    const char* password;
    const char* with_key;
    const char* api_key;
    const char* sign_in_with_key;
    const char* wrong_password;
    const char* wrong_key;
    const char* missing;
    const char* signed_in;
    const char* signed_in_note;
    const char* signed_out;
    const char* signed_out_note;
    const char* refused;
    const char* refused_note;
};

namespace {

constexpr const char* kAuthContext = "http://iiif.io/api/auth/2/context.json";
// A sign-in form is a few short fields.
constexpr size_t kMaxFormBody = 8 << 10;
// Checked against when the user name is unknown, so that an unknown name costs the time a wrong
// password does and the answer's delay does not tell which names exist. Its password is lost.
constexpr const char* kUnknownUserHash =
    "$argon2id$v=19$m=65536,t=2,p=1$SjXfJ2ILiKDzJk/psHo2zw$"
    "3KCQewmI5giGeC30qG420IHbCrUJvPZMMjVoOE8jO/g";
// The pages run no script but their own, load nothing, and post their forms only to this site.
constexpr const char* kPagePolicy =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
// The token service's page lives in the viewer's iframe, on any site.
constexpr const char* kTokenPagePolicy = "default-src 'none'; script-src 'unsafe-inline'";
constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;line-height:1.5;max-width:30rem;margin:2rem auto;"
    "padding:0 1rem;color:#222;background:#fff}"
    "fieldset{border:1px solid #bbb;margin:1.5rem 0;padding:0 1rem 1rem}"
    "legend{font-weight:600;padding:0 .3rem}"
    "label{display:block;font-weight:600;margin-top:.8rem}"
    "input{display:block;width:100%;box-sizing:border-box;font-size:1rem;padding:.4rem}"
    "button{font-size:1rem;padding:.4rem 1.2rem;margin-top:1rem}"
    ".error{color:#a00000;font-weight:600}";

using iiif::Json;

// One of the few password checks allowed at once, for as long as it lives.
class HashingTurn {
  public:
    explicit HashingTurn(std::counting_semaphore<2>& turns) : turns_(turns) { turns_.acquire(); }
    ~HashingTurn() { turns_.release(); }
    HashingTurn(const HashingTurn&) = delete;
    HashingTurn& operator=(const HashingTurn&) = delete;

  private:
    std::counting_semaphore<2>& turns_;
};

std::string lowercase(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower;
}

std::string html_escaped(std::string_view text) {
    std::string escaped;
    escaped.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                escaped += "&amp;";
                break;
            case '<':
                escaped += "&lt;";
                break;
            case '>':
                escaped += "&gt;";
                break;
            case '"':
                escaped += "&quot;";
                break;
            case '\'':
                escaped += "&#39;";
                break;
            default:
                escaped += c;
        }
    }
    return escaped;
}

// JSON to put inside <script>: besides JSON's own escaping, '<', '>' and '&' (so that neither
// "</script>" nor "<!--" can end or change the script) and U+2028, U+2029 (line ends to older
// JavaScript) as \u escapes, which JSON and JavaScript both read back as the same text.
std::string script_json(const json_t* value) {
    const std::string text =
        iiif::json_text(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    std::string_view json = text;
    std::string escaped;
    escaped.reserve(json.size());
    for (size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (c == '<') {
            escaped += "\\u003c";
        } else if (c == '>') {
            escaped += "\\u003e";
        } else if (c == '&') {
            escaped += "\\u0026";
        } else if (json.substr(i, 3) == "\xE2\x80\xA8" || json.substr(i, 3) == "\xE2\x80\xA9") {
            escaped += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            escaped += c;
        }
    }
    return escaped;
}

// For log lines: control characters of a client's text would forge lines of their own.
std::string loggable(std::string_view text) {
    std::string clean(text.substr(0, 100));
    for (char& c : clean)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    return clean;
}

std::string address_text(const std::optional<iiif::IpAddress>& address) {
    if (!address) return "?";
    char text[INET6_ADDRSTRLEN] = {};
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::equal(std::begin(kMapped), std::end(kMapped), address->bytes.begin())) {
        inet_ntop(AF_INET, address->bytes.data() + 12, text, sizeof text);
    } else {
        inet_ntop(AF_INET6, address->bytes.data(), text, sizeof text);
    }
    return text;
}

bool is_scheme(std::string_view text) {
    return !text.empty() && std::isalpha(static_cast<unsigned char>(text.front())) != 0 &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) {
               return std::isalnum(c) != 0 || c == '+' || c == '-' || c == '.';
           });
}

bool is_port(std::string_view text) {
    int port = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
    return error == std::errc() && end == text.data() + text.size() && text.size() <= 5 &&
           port >= 1 && port <= 65535;
}

constexpr AuthTexts kEnglishTexts{
    "en",
    "Sign in",
    "With your account",
    "User name",
    "Password",
    "With an API key",
    "API key",
    "Sign in with the key",
    "Wrong user name or password.",
    "This API key is not known.",
    "Give a user name and a password, or an API key.",
    "You are signed in",
    "This window closes itself. If it stays open, close it and go back to the images.",
    "You are signed out",
    "This browser no longer sees the images that need you to sign in.",
    "Sign-in refused",
    "This sign-in form was sent from another site.",
};
constexpr AuthTexts kFrenchTexts{
    "fr",
    "Connexion",
    "Avec votre compte",
    "Nom d’utilisateur",
    "Mot de passe",
    "Avec une clé d’API",
    "Clé d’API",
    "Se connecter avec la clé",
    "Nom d’utilisateur ou mot de passe incorrect.",
    "Cette clé d’API n’est pas reconnue.",
    "Indiquez un nom d’utilisateur et un mot de passe, ou une clé d’API.",
    "Connexion réussie",
    "Cette fenêtre se ferme d’elle-même. Si elle reste ouverte, fermez-la et revenez aux images.",
    "Déconnexion effectuée",
    "Ce navigateur ne voit plus les images réservées aux personnes connectées.",
    "Connexion refusée",
    "Ce formulaire de connexion a été envoyé depuis un autre site.",
};

// "fr" when Accept-Language ranks French above English (or names no English and some French),
// else "en"; a wildcard counts as English.
std::string_view preferred_language(std::string_view header) {
    std::string_view best = "en";
    double best_quality = -1.0;
    for (std::string_view rest = header; !rest.empty();) {
        const size_t comma = rest.find(',');
        std::string_view item = iiif::trim_space(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        const size_t semicolon = item.find(';');
        const std::string tag = lowercase(iiif::trim_space(item.substr(0, semicolon)));
        double quality = 1.0;
        if (semicolon != std::string_view::npos) {
            std::string_view parameter = iiif::trim_space(item.substr(semicolon + 1));
            if (parameter.starts_with("q=") || parameter.starts_with("Q=")) {
                const std::string value(parameter.substr(2));
                char* end = nullptr;
                quality = std::strtod(value.c_str(), &end);
                if (end == value.c_str()) quality = 0.0;
            }
        }
        const std::string primary = tag.substr(0, tag.find('-'));
        std::string_view language;
        if (primary == "fr") {
            language = "fr";
        } else if (primary == "en" || primary == "*") {
            language = "en";
        } else {
            continue;
        }
        if (quality > 0.0 && quality > best_quality) {
            best = language;
            best_quality = quality;
        }
    }
    return best;
}

const AuthTexts& texts_of(const HttpRequest& req) {
    return preferred_language(req.get_header_value("Accept-Language")) == "fr" ? kFrenchTexts
                                                                               : kEnglishTexts;
}

void set_page_headers(HttpResponse& res, const AuthTexts& texts) {
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Language", texts.lang);
    res.set_header("Vary", "Accept-Language");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Content-Security-Policy", kPagePolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
}

// The token service's errors (AuthAccessTokenError2 profiles), with a heading and a note in
// each language.
struct TokenError {
    const char* profile;
    const char* heading_en;
    const char* note_en;
    const char* heading_fr;
    const char* note_fr;
};
constexpr TokenError kInvalidRequest{
    "invalidRequest", "The viewer asked for access in a way this site does not understand",
    "The token service needs a messageId and an origin.",
    "La visionneuse a demandé l’accès d’une façon que ce site ne comprend pas",
    "Le service de jetons attend un messageId et une origine."};
constexpr TokenError kInvalidOrigin{
    "invalidOrigin", "The viewer's origin is not valid",
    "The origin must be a scheme, a host and a port, such as https://viewer.example.org.",
    "L’origine de la visionneuse n’est pas valide",
    "L’origine est un schéma, un hôte et un port, comme https://viewer.example.org."};
constexpr TokenError kRefusedOrigin{
    "invalidOrigin", "This viewer may not show these images",
    "This site gives access tokens to the viewers of the sites it trusts alone.",
    "Cette visionneuse ne peut pas montrer ces images",
    "Ce site ne donne de jetons d’accès qu’aux visionneuses des sites auxquels il se fie."};
constexpr TokenError kMissingAspect{
    "missingAspect", "You are not signed in", "Sign in to see the images in full.",
    "Vous n’êtes pas connecté", "Connectez-vous pour voir les images en entier."};
constexpr TokenError kExpiredAspect{
    "expiredAspect", "Your session has expired", "Sign in again to see the images in full.",
    "Votre session a expiré", "Connectez-vous de nouveau pour voir les images en entier."};
constexpr TokenError kInvalidAspect{
    "invalidAspect", "Your session is not valid", "Sign in again to see the images in full.",
    "Votre session n’est pas valide", "Connectez-vous de nouveau pour voir les images en entier."};

json_t* language_map(const char* english, const char* french) {
    return json_pack("{s:[s],s:[s]}", "en", english, "fr", french);
}

}  // namespace

std::string origin_of(std::string_view url) {
    const size_t separator = url.find("://");
    if (separator == std::string_view::npos) return "";
    const size_t end = url.find_first_of("/?#", separator + 3);
    std::string origin = lowercase(url.substr(0, end));
    if (origin.starts_with("http://") && origin.ends_with(":80")) origin.resize(origin.size() - 3);
    if (origin.starts_with("https://") && origin.ends_with(":443"))
        origin.resize(origin.size() - 4);
    return origin;
}

bool is_origin(std::string_view text) {
    const size_t separator = text.find("://");
    if (separator == std::string_view::npos || !is_scheme(text.substr(0, separator))) return false;
    std::string_view rest = text.substr(separator + 3);
    std::string_view port;
    if (rest.starts_with('[')) {
        const size_t close = rest.find(']');
        if (close == std::string_view::npos || close < 3) return false;
        const std::string_view inside = rest.substr(1, close - 1);
        if (!std::all_of(inside.begin(), inside.end(), [](unsigned char c) {
                return std::isxdigit(c) != 0 || c == ':' || c == '.';
            }))
            return false;
        rest.remove_prefix(close + 1);
        if (rest.empty()) return true;
        if (rest.front() != ':') return false;
        port = rest.substr(1);
    } else {
        const size_t colon = rest.find(':');
        const std::string_view host = rest.substr(0, colon);
        if (host.empty() || host.front() == '.' || host.front() == '-' ||
            !std::all_of(host.begin(), host.end(), [](unsigned char c) {
                return std::isalnum(c) != 0 || c == '-' || c == '.';
            }))
            return false;
        if (colon == std::string_view::npos) return true;
        port = rest.substr(colon + 1);
    }
    return is_port(port);
}

AuthService::AuthService(const DaemonConfig& config, const Directory& directory)
    : config_(config),
      directory_(directory),
      key_(iiif::load_secret_key(config.access.key_file, true)),
      public_origin_(origin_of(config.public_base_url)),
      secure_(config.public_base_url.starts_with("https://")) {}

std::optional<Account> AuthService::user(std::string_view name) const {
    std::optional<Account> account = directory_.account(name);
    if (!account || account->disabled) return std::nullopt;
    return account;
}

namespace {

// A session's groups: the account's, kApiKeyGroup for an administrator (who sees every image),
// the editor group of an editor's institution (whose images they see).
std::vector<std::string> session_groups(const Account& account) {
    std::vector<std::string> groups = account.groups;
    if (account.role == Role::administrator) groups.emplace_back(iiif::kApiKeyGroup);
    if (account.role == Role::editor) groups.push_back(iiif::editor_group(account.institution));
    return groups;
}

}  // namespace

bool AuthService::trusted(const std::optional<iiif::IpAddress>& address) const {
    return address &&
           std::any_of(config_.access.trusted_proxies.begin(), config_.access.trusted_proxies.end(),
                       [&](const iiif::Network& network) { return network.contains(*address); });
}

// The peer, or behind trusted proxies the address they were asked by: X-Forwarded-For read from
// its end, each trusted proxy passing the word to the address before it, the first untrusted
// one being the client (a client may have put any address at its beginning).
std::optional<iiif::IpAddress> AuthService::client_address(const HttpRequest& req) const {
    std::optional<iiif::IpAddress> address = iiif::parse_ip_address(req.remote_addr);
    if (!trusted(address)) return address;
    std::vector<std::string_view> hops;
    std::vector<std::string> headers;
    for (size_t i = 0; i < req.get_header_value_count("X-Forwarded-For"); ++i)
        headers.push_back(req.get_header_value("X-Forwarded-For", i));
    for (const std::string& header : headers) {
        for (std::string_view rest = header; !rest.empty();) {
            const size_t comma = rest.find(',');
            hops.push_back(iiif::trim_space(rest.substr(0, comma)));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
        std::optional<iiif::IpAddress> before = iiif::parse_ip_address(*hop);
        if (!before) break;
        address = before;
        if (!trusted(address)) break;
    }
    return address;
}

std::optional<std::string> AuthService::remote_user(const HttpRequest& req) const {
    const std::string& header = config_.access.remote_user_header;
    if (header.empty() || !trusted(iiif::parse_ip_address(req.remote_addr))) return std::nullopt;
    const std::string value = req.get_header_value(header.c_str());
    const std::string_view name = iiif::trim_space(value);
    if (name.empty() || name.size() > 256 ||
        std::any_of(name.begin(), name.end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7F; }))
        return std::nullopt;
    return std::string(name);
}

std::string AuthService::cookie(std::string_view value, std::int64_t max_age) const {
    // Cross-site viewers load images with the cookie only when it is SameSite=None, which
    // browsers take only with Secure, over https.
    return config_.access.cookie_name + "=" + std::string(value) +
           "; Path=/; HttpOnly; Max-Age=" + std::to_string(max_age) +
           (secure_ ? "; Secure; SameSite=None" : "; SameSite=Lax");
}

std::string AuthService::page(const AuthTexts& texts, std::string_view title,
                              std::string_view body) const {
    std::string full_title = html_escaped(title);
    if (!config_.institution.empty()) full_title += " – " + html_escaped(config_.institution);
    return std::string("<!DOCTYPE html>\n<html lang=\"") + texts.lang +
           "\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
           full_title + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n" +
           std::string(body) + "</main>\n</body>\n</html>\n";
}

void AuthService::form(HttpResponse& res, int status, const AuthTexts& texts,
                       std::string_view message, std::string_view username) const {
    // Whom one signs in to, in the heading: a page that names no one is how phishing looks.
    std::string body = "<h1>" + std::string(texts.sign_in) + "</h1>\n";
    if (!config_.institution.empty())
        body += "<p class=\"institution\">" + html_escaped(config_.institution) + "</p>\n";
    if (!message.empty())
        body += "<p class=\"error\" role=\"alert\">" + html_escaped(message) + "</p>\n";
    // The account form only when someone has a password to give in it.
    const std::vector<Account> accounts = directory_.accounts();
    if (std::any_of(accounts.begin(), accounts.end(),
                    [](const Account& account) { return !account.password_hash.empty(); }))
        body += std::string("<form method=\"post\" action=\"login\">\n<fieldset>\n<legend>") +
                texts.with_account +
                "</legend>\n"
                "<label for=\"username\">" +
                texts.user_name +
                "</label>\n"
                "<input id=\"username\" name=\"username\" autocomplete=\"username\" "
                "autocapitalize=\"none\" spellcheck=\"false\" required value=\"" +
                html_escaped(username) +
                "\">\n"
                "<label for=\"password\">" +
                texts.password +
                "</label>\n"
                "<input id=\"password\" name=\"password\" type=\"password\" "
                "autocomplete=\"current-password\" required>\n"
                "<button type=\"submit\">" +
                texts.sign_in + "</button>\n</fieldset>\n</form>\n";
    body += std::string("<form method=\"post\" action=\"login\">\n<fieldset>\n<legend>") +
            texts.with_key +
            "</legend>\n"
            "<label for=\"api_key\">" +
            texts.api_key +
            "</label>\n"
            "<input id=\"api_key\" name=\"api_key\" type=\"password\" autocomplete=\"off\" "
            "required>\n"
            "<button type=\"submit\">" +
            texts.sign_in_with_key + "</button>\n</fieldset>\n</form>\n";
    res.status = status;
    set_page_headers(res, texts);
    res.set_content(page(texts, texts.sign_in, body), "text/html; charset=utf-8");
}

void AuthService::signed_in(const HttpRequest& req, HttpResponse& res, const AuthTexts& texts,
                            const iiif::AccessCredential& session) const {
    std::string groups;
    for (const std::string& group : session.groups) groups += (groups.empty() ? "" : ",") + group;
    spdlog::info("auth: {} signed in from {} (groups: {})", loggable(session.subject),
                 address_text(client_address(req)), groups.empty() ? "none" : groups);
    res.status = 200;
    set_page_headers(res, texts);
    res.set_header("Set-Cookie",
                   cookie(iiif::sign_credential(session, key_), config_.access.session_lifetime));
    res.set_content(page(texts, texts.signed_in,
                         "<h1>" + std::string(texts.signed_in) + "</h1>\n<p>" +
                             texts.signed_in_note + "</p>\n<script>window.close();</script>\n"),
                    "text/html; charset=utf-8");
}

void AuthService::login_form(const HttpRequest& req, HttpResponse& res) const {
    const AuthTexts& texts = texts_of(req);
    if (std::optional<std::string> name = remote_user(req)) {
        iiif::AccessCredential session;
        session.kind = iiif::AccessCredential::Kind::session;
        session.subject = *name;
        if (std::optional<Account> known = user(*name)) session.groups = session_groups(*known);
        session.expires = iiif::now_seconds() + config_.access.session_lifetime;
        signed_in(req, res, texts, session);
        return;
    }
    form(res, 200, texts, "", "");
}

void AuthService::login(const HttpRequest& req, HttpResponse& res) {
    const AuthTexts& texts = texts_of(req);
    // A form another site makes the browser post (CSRF) carries that site's Origin.
    if (req.has_header("Origin") && origin_of(req.get_header_value("Origin")) != public_origin_) {
        spdlog::warn("auth: sign-in from {} refused: Origin {} is not {}",
                     address_text(client_address(req)), loggable(req.get_header_value("Origin")),
                     public_origin_);
        res.status = 403;
        set_page_headers(res, texts);
        res.set_content(page(texts, texts.refused,
                             "<h1>" + std::string(texts.refused) + "</h1>\n<p>" +
                                 texts.refused_note + "</p>\n"),
                        "text/html; charset=utf-8");
        return;
    }
    if (!req.get_header_value("Content-Type").starts_with("application/x-www-form-urlencoded")) {
        res.status = 415;
        res.set_header("Cache-Control", "no-store");
        res.set_content("expected an application/x-www-form-urlencoded form\n",
                        "text/plain; charset=utf-8");
        return;
    }
    if (req.body.size() > kMaxFormBody) {
        res.status = 413;
        res.set_header("Cache-Control", "no-store");
        res.set_content("a sign-in form is at most " + std::to_string(kMaxFormBody) + " bytes\n",
                        "text/plain; charset=utf-8");
        return;
    }
    const std::vector<std::pair<std::string, std::string>> fields = iiif::form_fields(req.body);
    auto field = [&fields](std::string_view name) {
        auto found = std::find_if(fields.begin(), fields.end(),
                                  [&](const auto& pair) { return pair.first == name; });
        return found == fields.end() ? std::string() : found->second;
    };
    const std::string api_key = field("api_key");
    const std::string username = field("username");
    const std::string password = field("password");

    iiif::AccessCredential session;
    session.kind = iiif::AccessCredential::Kind::session;
    session.expires = iiif::now_seconds() + config_.access.session_lifetime;
    if (!api_key.empty()) {
        std::optional<std::pair<Account, ApiKey>> holder = directory_.account_of_key(api_key);
        if (!holder) {
            spdlog::warn("auth: unknown API key from {}", address_text(client_address(req)));
            form(res, 401, texts, texts.wrong_key, "");
            return;
        }
        session.subject = holder->first.name;
        session.groups = session_groups(holder->first);
    } else if (!username.empty() && !password.empty()) {
        const std::optional<Account> known = user(username);
        bool matches = false;
        {
            HashingTurn turn(hashing_);
            if (known && !known->password_hash.empty()) {
                matches = password_matches(known->password_hash, password);
            } else {
                password_matches(kUnknownUserHash, password);
            }
        }
        if (!matches) {
            spdlog::warn("auth: wrong password for \"{}\" from {}", loggable(username),
                         address_text(client_address(req)));
            form(res, 401, texts, texts.wrong_password, username);
            return;
        }
        session.subject = known->name;
        session.groups = session_groups(*known);
    } else {
        form(res, 400, texts, texts.missing, username);
        return;
    }
    signed_in(req, res, texts, session);
}

// HTTP/2 may split cookies over several headers.
static std::string joined_cookies(const HttpRequest& req) {
    std::string cookies;
    for (size_t i = 0; i < req.get_header_value_count("Cookie"); ++i)
        cookies += (i == 0 ? "" : "; ") + req.get_header_value("Cookie", i);
    return cookies;
}

std::optional<iiif::AccessCredential> AuthService::session(const HttpRequest& req) const {
    const std::string cookies = joined_cookies(req);
    const std::string_view cookie = iiif::cookie_value(cookies, config_.access.cookie_name);
    if (cookie.empty()) return std::nullopt;
    std::optional<iiif::AccessCredential> verified =
        iiif::verify_credential(cookie, key_, iiif::now_seconds());
    if (!verified || verified->kind != iiif::AccessCredential::Kind::session) return std::nullopt;
    return verified;
}

void AuthService::token(const HttpRequest& req, HttpResponse& res) const {
    const std::string message_id = req.get_param_value("messageId");
    const std::string origin = req.get_param_value("origin");
    const std::int64_t now = iiif::now_seconds();

    Json message(json_object());
    json_object_set_new(message.get(), "@context", json_string(kAuthContext));
    // Null when not UTF-8 (no JSON string can hold it).
    Json message_id_json(json_stringn(message_id.data(), message_id.size()));
    const TokenError* error = nullptr;
    if (message_id.empty() || !message_id_json || origin.empty()) {
        error = &kInvalidRequest;
    } else if (!is_origin(origin)) {
        error = &kInvalidOrigin;
    } else if (!token_origin_allowed(origin)) {
        // A token is a bearer credential: a page of a site the operator does not trust, framing
        // this service while the user's cookie goes with it, must not get one.
        spdlog::info("auth: no access token for {}: not among [access] token_origins", origin);
        error = &kRefusedOrigin;
    } else {
        std::optional<iiif::AccessCredential> session = this->session(req);
        const std::string cookies = joined_cookies(req);
        const std::string_view cookie = iiif::cookie_value(cookies, config_.access.cookie_name);
        iiif::AccessCredential token;
        token.kind = iiif::AccessCredential::Kind::token;
        if (session) {
            token.subject = session->subject;
            token.groups = session->groups;
            token.expires = std::min(session->expires, now + config_.access.token_lifetime);
        } else {
            // Profile external: the address is the credential. No subject: nobody signed in.
            const std::optional<iiif::IpAddress> address = client_address(req);
            const auto access = directory_.catalog_reader().access_settings();
            for (const iiif::AccessPolicy& policy : access->policies)
                if (policy.kind == iiif::PolicyKind::network && address &&
                    std::any_of(
                        policy.networks.begin(), policy.networks.end(),
                        [&](const iiif::Network& network) { return network.contains(*address); }))
                    token.groups.push_back("network:" + policy.name);
            token.expires = now + config_.access.token_lifetime;
        }
        if (session || !token.groups.empty()) {
            json_object_set_new(message.get(), "type", json_string("AuthAccessToken2"));
            json_object_set_new(message.get(), "accessToken",
                                json_string(iiif::sign_credential(token, key_).c_str()));
            json_object_set_new(message.get(), "expiresIn", json_integer(token.expires - now));
        } else if (cookie.empty()) {
            error = &kMissingAspect;
        } else {
            // Authentic but past its time, or not ours at all.
            std::optional<iiif::AccessCredential> old =
                iiif::verify_credential(cookie, key_, std::numeric_limits<std::int64_t>::min());
            error = old && old->kind == iiif::AccessCredential::Kind::session ? &kExpiredAspect
                                                                              : &kInvalidAspect;
        }
    }
    if (error != nullptr) {
        json_object_set_new(message.get(), "type", json_string("AuthAccessTokenError2"));
        json_object_set_new(message.get(), "profile", json_string(error->profile));
        json_object_set_new(message.get(), "heading",
                            language_map(error->heading_en, error->heading_fr));
        json_object_set_new(message.get(), "note", language_map(error->note_en, error->note_fr));
    }
    if (!message_id.empty() && message_id_json)
        json_object_set(message.get(), "messageId", message_id_json.get());
    // Tokens go to the origin alone. An origin that is none cannot be posted to; the errors
    // sent to anyone then ("*") say nothing secret.
    Json target(is_origin(origin) ? json_stringn(origin.data(), origin.size()) : json_string("*"));

    res.status = 200;
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Security-Policy", kTokenPagePolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    // In a block, so that the names shadow no global (window.origin).
    res.set_content(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>IIIF access token</title>\n</head>\n<body>\n<script>\n{\n"
        "const message = " +
            script_json(message.get()) + ";\nconst origin = " + script_json(target.get()) +
            ";\nwindow.parent.postMessage(message, origin);\n}\n</script>\n</body>\n</html>\n",
        "text/html; charset=utf-8");
}

bool AuthService::token_origin_allowed(std::string_view origin) const {
    const std::string compared = origin_of(origin);
    return std::any_of(
        config_.access.token_origins.begin(), config_.access.token_origins.end(),
        [&](const std::string& allowed) { return allowed == "*" || allowed == compared; });
}

void AuthService::logout(const HttpRequest& req, HttpResponse& res) const {
    const AuthTexts& texts = texts_of(req);
    res.status = 200;
    set_page_headers(res, texts);
    res.set_header("Set-Cookie", cookie("", 0));
    res.set_content(page(texts, texts.signed_out,
                         "<h1>" + std::string(texts.signed_out) + "</h1>\n<p>" +
                             texts.signed_out_note + "</p>\n"),
                    "text/html; charset=utf-8");
}

}  // namespace iiifd
