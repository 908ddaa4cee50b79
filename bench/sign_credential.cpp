// bench_sign_credential: prints a credential signed with the access key, as iiifd's auth
// services sign the session cookies and access tokens they hand out (iiif::sign_credential),
// so a benchmark can ask for images under a token policy as a signed-in reader without running
// iiifd and its sign-in page.
//
//   bench_sign_credential --key-file PATH --subject NAME [--group G]... [--kind session|token]
//                         [--lifetime SECONDS]
//
// The key file is the one nginx reads (iiif_access_key_file, iiifd's [access] key_file); it
// must exist. Prints the credential (URL- and cookie-safe text) on one line: the value of the
// cookie named by [access] cookie_name, or of "Authorization: Bearer".
#include <CLI/CLI.hpp>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "access.hpp"
#include "clock.hpp"
#include "signing.hpp"

int main(int argc, char** argv) {
    std::string key_file;
    std::string kind = "session";
    std::int64_t lifetime = 86400;
    iiif::AccessCredential credential;
    CLI::App app{"Prints a session cookie or access token signed with the access key"};
    app.add_option("--key-file", key_file, "the signing key (iiif_access_key_file)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--subject", credential.subject, "who is signed in")->required();
    app.add_option("--group", credential.groups, "a group of the user (repeatable)");
    app.add_option("--kind", kind, "session (the cookie) or token (a bearer access token)")
        ->check(CLI::IsMember({"session", "token"}));
    app.add_option("--lifetime", lifetime, "seconds from now until it expires")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{366} * 86400));
    CLI11_PARSE(app, argc, argv);

    try {
        credential.kind = kind == "session" ? iiif::AccessCredential::Kind::session
                                            : iiif::AccessCredential::Kind::token;
        const std::int64_t now = iiif::now_seconds();
        credential.expires = now + lifetime;
        std::cout << iiif::sign_credential(credential, iiif::load_secret_key(key_file, false))
                  << '\n';
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "bench_sign_credential: " << error.what() << "\n";
    }
    return 1;
}
