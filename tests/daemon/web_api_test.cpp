// What the web pages ask of the real iiifd (with a real redis-server): the public listing and
// search and the sets (no key), who is signed in and the limits (/api/v1/session), the API used
// with the auth service's session cookie (depositors only, same-origin changes), and each file's
// refusal reason and progress in its job.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "access.hpp"
#include "api_harness.hpp"
#include "signing.hpp"
#include "test_images.hpp"

using namespace daemon_harness;

namespace {

std::string image(const std::string& name) {
    return test_images::save(test_images::quadrants(400, 300), name);
}

std::string text_file(const std::string& name, const std::string& contents) {
    std::string path = (test_images::scratch_dir() / name).string();
    write_file(path, contents);
    return path;
}

// iiifd with an access key, a depositor (alice) and a reader (bob), a set "maps", and `more`
// of iiifd.toml.
DaemonOptions web_options(const std::string& key_file, const std::string& more) {
    DaemonOptions options;
    options.hot_folder = false;
    options.extra_config = "[access]\nkey_file = \"" + key_file +
                           "\"\n"
                           "[sets.\"maps\"]\nname = \"Maps\"\ndescription = \"Maps and plans\"\n" +
                           more;
    return options;
}

// A session cookie as the auth service sets it, signed with `key`.
std::string session_cookie(const std::string& key, const std::string& user,
                           std::vector<std::string> groups, std::int64_t expires) {
    iiif::AccessCredential session;
    session.kind = iiif::AccessCredential::Kind::session;
    session.subject = user;
    session.groups = std::move(groups);
    session.expires = expires;
    return "Cookie: iiif_access=" + iiif::sign_credential(session, key);
}

std::int64_t in_an_hour() {
    return static_cast<std::int64_t>(std::time(nullptr)) + 3600;
}

std::string deposit(Daemon& iiifd, const std::string& name, const std::string& metadata) {
    HttpResponse answer = iiifd.post_object({image(name)}, metadata);
    REQUIRE(answer.status == 202);
    std::string status = iiifd.wait_for_job(json_text(answer.body, "job"));
    REQUIRE(json_text(status, "state") == "done");
    // Datestamps are to the second: the next deposit is a second later, so the order is known.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    return json_text(answer.body, "ark");
}

std::vector<std::string> listed_arks(const std::string& body) {
    std::vector<std::string> arks;
    for (const std::string& object : json_array(body, "objects"))
        arks.push_back(json_text(object, "ark"));
    return arks;
}

struct WebDaemon {
    RedisServer redis;
    std::string key_file = (test_images::scratch_dir() / "web-access.key").string();
    Daemon iiifd;
    explicit WebDaemon(const std::string& more_config = "")
        : iiifd(redis, web_options(key_file, more_config)) {
        std::remove(key_file.c_str());
        iiifd.start();
        iiifd.add_account(R"({"name": "alice", "role": "editor", "groups": ["depositors"]})");
        iiifd.add_account(R"({"name": "bob", "role": "reader", "groups": ["readers"]})");
    }
    std::string key() const { return iiif::load_secret_key(key_file, false); }
    HttpResponse anonymous(const std::string& path) const {
        return http("GET", iiifd.url(path), {});
    }
};

}  // namespace

TEST_CASE("web api: the public listing needs no key, the rest of /api/ still does", "[web_api]") {
    WebDaemon web;
    CHECK(web.anonymous("/api/v1/public/objects").status == 200);
    CHECK(web.anonymous("/api/v1/public/sets").status == 200);
    HttpResponse refused = web.anonymous("/api/v1/objects");
    CHECK(refused.status == 401);
    CHECK(json_text(refused.body, "error") == "missing or invalid API key");
    CHECK(web.anonymous("/api/v1/session").status == 401);
    CHECK(web.anonymous("/api/v1/public").status == 401);
    // Only the public routes themselves: a path that climbs out of them routes nowhere.
    CHECK(web.anonymous("/api/v1/public/%2E%2E/objects").status == 404);
}

TEST_CASE("web api: the public answers are revalidated before each use", "[web_api]") {
    WebDaemon web;
    CHECK(web.anonymous("/api/v1/public/objects").headers.find("Cache-Control: no-cache\r\n") !=
          std::string::npos);
    CHECK(web.anonymous("/api/v1/public/sets").headers.find("Cache-Control: no-cache\r\n") !=
          std::string::npos);
}

TEST_CASE("web api: the listing gives each object's card, newest first, page by page",
          "[web_api]") {
    WebDaemon web;
    const std::string first =
        deposit(web.iiifd, "w1.jpg",
                R"({"title": [{"value": "Carte de l'Île-de-France", "lang": "fr"}],
        "creator": ["Cassini"], "date": ["1789"], "sets": ["maps"],
        "license": "https://creativecommons.org/licenses/by/4.0/"})");
    const std::string second = deposit(web.iiifd, "w2.jpg", R"({"title": "Plan de Lille"})");
    const std::string third = deposit(web.iiifd, "w3.jpg", "");

    HttpResponse all = web.anonymous("/api/v1/public/objects");
    REQUIRE(all.status == 200);
    CHECK(listed_arks(all.body) == std::vector<std::string>{third, second, first});
    const std::string card = json_array(all.body, "objects")[2];
    CHECK(json_array(card, "title") ==
          std::vector<std::string>{R"({"value":"Carte de l'Île-de-France","lang":"fr"})"});
    CHECK(json_array(card, "creator") ==
          std::vector<std::string>{R"({"value":"Cassini","lang":""})"});
    CHECK(json_array(card, "date") == std::vector<std::string>{R"({"value":"1789","lang":""})"});
    CHECK(json_integer(card, "pages") == 1);
    CHECK(json_array(card, "sets") == std::vector<std::string>{"maps"});
    CHECK(json_text(card, "license") == "https://creativecommons.org/licenses/by/4.0/");
    CHECK(json_text(card, "provider") == "Test Library");
    CHECK(json_text(card, "manifest") == "http://127.0.0.1:8080/iiif/3/" + first + "/manifest");
    std::string encoded_page = first + "/f1";
    for (size_t at = 0; (at = encoded_page.find('/', at)) != std::string::npos;)
        encoded_page.replace(at, 1, "%2F");
    CHECK(json_text(card, "thumbnail") ==
          "http://127.0.0.1:8080/iiif/3/" + encoded_page + "/full/!240,240/0/default.jpg");
    CHECK(json_text(card, "landing").starts_with("http://127.0.0.1:8080/"));
    CHECK(json_text(card, "updated").size() == 20);  // YYYY-MM-DDThh:mm:ssZ
    CHECK(json_array(json_array(all.body, "objects")[0], "title").empty());
    CHECK(json_text(all.body, "next_cursor").empty());

    HttpResponse page1 = web.anonymous("/api/v1/public/objects?limit=2");
    CHECK(listed_arks(page1.body) == std::vector<std::string>{third, second});
    const std::string cursor = json_text(page1.body, "next_cursor");
    REQUIRE_FALSE(cursor.empty());
    HttpResponse page2 = web.anonymous("/api/v1/public/objects?limit=2&cursor=" + cursor);
    CHECK(listed_arks(page2.body) == std::vector<std::string>{first});

    CHECK(listed_arks(web.anonymous("/api/v1/public/objects?set=maps").body) ==
          std::vector<std::string>{first});
    CHECK(listed_arks(web.anonymous("/api/v1/public/objects?q=ILE").body) ==
          std::vector<std::string>{first});
    CHECK(listed_arks(web.anonymous("/api/v1/public/objects?q=plan%20lil").body) ==
          std::vector<std::string>{second});
    CHECK(listed_arks(web.anonymous("/api/v1/public/objects?q=rouen").body).empty());

    // A withdrawn object leaves the listing and the search at once.
    HttpResponse withdrawn =
        http("POST", web.iiifd.url("/api/v1/objects/" + second + "/withdraw"), web.iiifd.auth(),
             R"({"reason": "owner's request", "requested_by": "Éditions X"})");
    REQUIRE(withdrawn.status == 200);
    CHECK(listed_arks(web.anonymous("/api/v1/public/objects").body) ==
          std::vector<std::string>{third, first});
    CHECK(listed_arks(web.anonymous("/api/v1/public/objects?q=lille").body).empty());

    HttpResponse sets = web.anonymous("/api/v1/public/sets");
    CHECK(json_array(sets.body, "sets") ==
          std::vector<std::string>{
              R"({"spec":"maps","name":"Maps","description":"Maps and plans","count":1})"});
}

TEST_CASE("web api: a bad listing argument is 400 with its reason", "[web_api]") {
    WebDaemon web;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"limit=0", "limit: an integer from 1 to 100 expected"},
        {"limit=101", "limit: an integer from 1 to 100 expected"},
        {"limit=ten", "limit: an integer from 1 to 100 expected"},
        {"cursor=zz", "cursor: not a cursor this API gave"},
        {"set=a%20b", "set: not a set spec"},
        {"q=" + std::string(201, 'a'), "q: at most 200 bytes"},
        {"q=carte&set=maps", "q: a search takes neither set nor cursor"},
        {"q=carte&cursor=31303030303a", "q: a search takes neither set nor cursor"},
    };
    for (const auto& [query, reason] : cases) {
        INFO(query);
        HttpResponse answer = web.anonymous("/api/v1/public/objects?" + query);
        CHECK(answer.status == 400);
        CHECK(json_text(answer.body, "error") == reason);
    }
}

TEST_CASE("web api: an object under a restricted policy is listed without a thumbnail",
          "[web_api]") {
    WebDaemon web("[policies.staff]\nkind = \"restricted\"\n");
    const std::string closed =
        deposit(web.iiifd, "r1.jpg", R"({"title": "Registre du personnel", "access": "staff"})");
    const std::string open = deposit(web.iiifd, "r2.jpg", R"({"title": "Plan de Douai"})");
    HttpResponse all = web.anonymous("/api/v1/public/objects");
    REQUIRE(all.status == 200);
    REQUIRE(listed_arks(all.body) == std::vector<std::string>{open, closed});
    const std::vector<std::string> cards = json_array(all.body, "objects");
    CHECK(cards[1].find(R"("thumbnail":null)") != std::string::npos);
    CHECK(json_text(cards[1], "manifest") ==
          "http://127.0.0.1:8080/iiif/3/" + closed + "/manifest");
    CHECK(json_text(cards[0], "thumbnail").ends_with("/full/!240,240/0/default.jpg"));
}

TEST_CASE("web api: a set lists and counts the objects of its subsets too", "[web_api]") {
    WebDaemon web("[sets.\"maps:north\"]\nname = \"Northern maps\"\n");
    const std::string north = deposit(web.iiifd, "n1.jpg", R"({"sets": ["maps:north"]})");
    const std::string maps = deposit(web.iiifd, "n2.jpg", R"({"sets": ["maps"]})");
    const std::string gone = deposit(web.iiifd, "n3.jpg", R"({"sets": ["maps:north"]})");
    deposit(web.iiifd, "n4.jpg", "");
    REQUIRE(http("POST", web.iiifd.url("/api/v1/objects/" + gone + "/withdraw"), web.iiifd.auth(),
                 R"({"reason": "duplicate", "requested_by": "cataloguer"})")
                .status == 200);

    CHECK(listed_arks(web.anonymous("/api/v1/public/objects?set=maps").body) ==
          std::vector<std::string>{maps, north});
    CHECK(listed_arks(web.anonymous("/api/v1/public/objects?set=maps:north").body) ==
          std::vector<std::string>{north});
    CHECK(listed_arks(web.anonymous("/api/v1/public/objects?set=plans").body).empty());
    // Published objects, withdrawn ones included (as OAI-PMH counts them).
    HttpResponse sets = web.anonymous("/api/v1/public/sets");
    REQUIRE(sets.status == 200);
    CHECK(json_array(sets.body, "sets") ==
          std::vector<std::string>{
              R"({"spec":"maps","name":"Maps","description":"Maps and plans","count":3})",
              R"({"spec":"maps:north","name":"Northern maps","description":"","count":2})"});
}

TEST_CASE("web api: /api/v1/session says who asks and what the deposit page must know",
          "[web_api]") {
    WebDaemon web;
    HttpResponse by_key = web.iiifd.get("/api/v1/session");
    REQUIRE(by_key.status == 200);
    CHECK(json_text(by_key.body, "via") == "key");
    CHECK(json_text(by_key.body, "user") == "admin");
    CHECK(json_text(by_key.body, "role") == "administrator");
    CHECK(json_integer(by_key.body, "limits.max_files_per_object") == 2000);
    CHECK(json_integer(by_key.body, "limits.max_file_bytes") > 0);
    CHECK(json_array(by_key.body, "sets") ==
          std::vector<std::string>{R"({"spec":"maps","name":"Maps"})"});
    CHECK(json_text(by_key.body, "institution") == "Test Library");

    HttpResponse by_session =
        http("GET", web.iiifd.url("/api/v1/session"),
             {session_cookie(web.key(), "alice", {"depositors"}, in_an_hour())});
    REQUIRE(by_session.status == 200);
    CHECK(json_text(by_session.body, "via") == "session");
    CHECK(json_text(by_session.body, "user") == "alice");
    CHECK(json_text(by_session.body, "role") == "editor");
    CHECK(json_array(by_session.body, "groups") == std::vector<std::string>{"depositors"});
}

TEST_CASE("web api: a depositor's session deposits from the site's own pages only", "[web_api]") {
    WebDaemon web;
    const std::string alice = session_cookie(web.key(), "alice", {"depositors"}, in_an_hour());
    const std::vector<Part> parts = {file_part(image("s1.jpg"))};
    const std::string url = web.iiifd.url("/api/v1/objects");

    HttpResponse same_site = post_multipart(url, {alice, "Origin: http://127.0.0.1:8080"}, parts);
    CHECK(same_site.status == 202);
    CHECK(json_text(web.iiifd.wait_for_job(json_text(same_site.body, "job")), "state") == "done");

    HttpResponse no_origin = post_multipart(url, {alice}, parts);
    CHECK(no_origin.status == 403);
    CHECK(json_text(no_origin.body, "error") == "cross-site request refused");
    HttpResponse other_site = post_multipart(url, {alice, "Origin: https://evil.example"}, parts);
    CHECK(other_site.status == 403);
    CHECK(json_text(other_site.body, "error") == "cross-site request refused");

    // A reader, an expired session, a forged one.
    const std::string bob = session_cookie(web.key(), "bob", {"readers"}, in_an_hour());
    HttpResponse reader = http("GET", web.iiifd.url("/api/v1/session"), {bob});
    CHECK(reader.status == 200);
    CHECK(json_text(reader.body, "role") == "reader");
    HttpResponse reader_deposit =
        post_multipart(url, {bob, "Origin: http://127.0.0.1:8080"}, parts);
    CHECK(reader_deposit.status == 403);
    CHECK(json_text(reader_deposit.body, "error") == "deposit: editors and administrators only");
    HttpResponse expired = http("GET", web.iiifd.url("/api/v1/session"),
                                {session_cookie(web.key(), "alice", {"depositors"}, 1000)});
    CHECK(expired.status == 401);
    HttpResponse forged =
        http("GET", web.iiifd.url("/api/v1/session"),
             {session_cookie(std::string(32, 'k'), "alice", {"depositors"}, in_an_hour())});
    CHECK(forged.status == 401);
    // A session opened with the administrator's API key may deposit too.
    HttpResponse key_session =
        post_multipart(url,
                       {session_cookie(web.key(), "admin", {"api-key"}, in_an_hour()),
                        "Origin: http://127.0.0.1:8080"},
                       parts);
    CHECK(key_session.status == 202);
}

TEST_CASE("web api: each file of a job says why it was refused, and how far it got", "[web_api]") {
    WebDaemon web;
    std::string truncated = read_file(image("whole.jpg"));
    truncated.resize(truncated.size() / 3);
    const std::string damaged = text_file("damaged.jpg", truncated);
    HttpResponse answer = web.iiifd.post_object(
        {image("good.jpg"), text_file("notes.txt", "not an image\n"), damaged});
    REQUIRE(answer.status == 202);
    const std::string status = web.iiifd.wait_for_job(json_text(answer.body, "job"));
    const std::vector<std::string> files = json_array(status, "files");
    REQUIRE(files.size() == 3);
    CHECK(json_text(files[0], "state") == "done");
    CHECK(json_text(files[0], "reason").empty());
    CHECK(json_integer(files[0], "progress") == 100);
    CHECK(json_text(files[1], "state") == "refused");
    CHECK(json_text(files[1], "reason") == "not_an_image");
    CHECK(json_integer(files[1], "progress") == 0);
    CHECK(json_text(files[2], "state") == "refused");
    CHECK(json_text(files[2], "reason") == "damaged");
}
