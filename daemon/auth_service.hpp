// IIIF Authorization Flow 2.0 (https://iiif.io/api/auth/2.0/): the services that hand out the
// signed credentials the module checks on image and probe requests (iiif::verify_credential),
// under {public base URL}/auth, which nginx proxies to iiifd. Every answer is an HTML page in
// English or French (Accept-Language), with Cache-Control: no-store.
//
//   GET  /auth/login?origin=       the access service, profile active: a sign-in form (user
//                                  name and password, or an API key). Behind a trusted single
//                                  sign-on proxy that names the user ([access]
//                                  remote_user_header), signed in at once instead.
//   POST /auth/login               application/x-www-form-urlencoded `username` and `password`,
//                                  or `api_key` (an account's, which the session
//                                  is then made for): 200, the session cookie and a page that closes
//                                  its window; 401 and the form again when they are wrong (400
//                                  when missing); 403 when an Origin header names another site.
//   GET  /auth/token?messageId=&origin=
//                                  the access token service, in the viewer's iframe: a page that
//                                  posts an AuthAccessToken2 to the viewer's window for the
//                                  session cookie or, profile external, for an address inside a
//                                  network policy's networks; else an AuthAccessTokenError2.
//                                  Only to the origins of [access] token_origins: others get
//                                  invalidOrigin.
//   GET  /auth/logout              the logout service: the session cookie cleared.
#pragma once

#include <optional>
#include <semaphore>
#include <string>

#include "access.hpp"
#include "daemon_config.hpp"
#include "directory.hpp"
#include "http_message.hpp"

namespace iiifd {

struct AuthTexts;  // what the pages say, in one language

class AuthService {
  public:
    // Reads the signing key shared with nginx, creating config.access.key_file (32 random
    // bytes, mode 0600) when it does not exist; throws std::runtime_error when it cannot.
    // Accounts are the directory's (directory.hpp): a session's subject is an account's name,
    // its groups the account's, an administrator's also kApiKeyGroup (who sees every image),
    // an editor's also the editor group of their institution (who see its images).
    AuthService(const DaemonConfig& config, const Directory& directory);
    AuthService(const AuthService&) = delete;
    AuthService& operator=(const AuthService&) = delete;

    void login_form(const HttpRequest& req, HttpResponse& res) const;
    void login(const HttpRequest& req, HttpResponse& res);
    void token(const HttpRequest& req, HttpResponse& res) const;
    void logout(const HttpRequest& req, HttpResponse& res) const;
    // The request's session (its cookie, signed with the key and unexpired), if it has one.
    std::optional<iiif::AccessCredential> session(const HttpRequest& req) const;
    // "scheme://host[:port]" of the public base URL: the Origin of the site's own pages.
    const std::string& public_origin() const { return public_origin_; }

  private:
    // The enabled account `name`, if there is one.
    std::optional<Account> user(std::string_view name) const;
    bool trusted(const std::optional<iiif::IpAddress>& address) const;
    // Whether [access] token_origins lets the token service post a token to `origin`.
    bool token_origin_allowed(std::string_view origin) const;
    std::optional<iiif::IpAddress> client_address(const HttpRequest& req) const;
    std::optional<std::string> remote_user(const HttpRequest& req) const;
    std::string cookie(std::string_view value, std::int64_t max_age) const;
    void signed_in(const HttpRequest& req, HttpResponse& res, const AuthTexts& texts,
                   const iiif::AccessCredential& session) const;
    void form(HttpResponse& res, int status, const AuthTexts& texts, std::string_view message,
              std::string_view username) const;
    std::string page(const AuthTexts& texts, std::string_view title, std::string_view body) const;

    const DaemonConfig& config_;
    const Directory& directory_;
    const std::string key_;
    const std::string public_origin_;  // scheme://host[:port] of the public base URL
    const bool secure_;                // the public base URL is https
    // Each password check takes some 64 MiB for a tenth of a second: a few at a time, so that a
    // burst of sign-ins waits rather than exhausts memory.
    std::counting_semaphore<2> hashing_{2};
};

// "scheme://host[:port]" as a browser's Origin header or the IIIF origin parameter has it: no
// path, no user, a port of 1 to 65535.
bool is_origin(std::string_view text);
// "scheme://host[:port]" of `url` lowercased, without the scheme's default port (:80, :443):
// what an Origin header is compared as. Empty when `url` has no such beginning.
std::string origin_of(std::string_view url);

}  // namespace iiifd
