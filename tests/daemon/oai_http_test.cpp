// The OAI-PMH provider of the real iiifd (with a real redis-server) over HTTP at /oai: GET and
// POST, the content type, gzip, the token key file and restarts, the 503 of an overload, the set
// names of [sets], no API key, and the checks of [oai] and [sets] in iiifd.toml.
//
// The catalog is filled before iiifd starts (records written with CatalogWriter, no images
// ingested), with the publication settings iiifd derives from its own configuration.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "catalog.hpp"
#include "catalog_fixtures.hpp"
#include "daemon_config.hpp"
#include "oai_schema.hpp"
#include "oai_xml.hpp"
#include "test_images.hpp"

using namespace daemon_harness;
using oai_schema::valid;
using oai_xml::Xml;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kJan2020 = 1577836800;  // 2020-01-01T00:00:00Z, well before any run

// The harness's configuration names NAAN 99999, shoulder fk4, base URL http://127.0.0.1:8080.
std::string ark(int n) {
    char text[40];
    std::snprintf(text, sizeof text, "ark:/99999/fk4-1%07d-x", n);
    return text;
}

std::string oai_id(int n) {
    return "oai:127.0.0.1:" + ark(n);
}

std::vector<std::string> oai_ids(int first, int count) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) ids.push_back(oai_id(first + i));
    return ids;
}

iiif::ObjectRecord object(int n, std::int64_t datestamp, std::vector<std::string> sets = {}) {
    iiif::ObjectRecord record;
    record.ark = ark(n);
    record.metadata.dc["title"] = {{"Objet " + std::to_string(n), "fr"}};
    record.metadata.sets = std::move(sets);
    record.metadata.license = "https://creativecommons.org/licenses/by/4.0/";
    record.images = {record.ark + "/f1"};
    record.created = record.updated = record.datestamp = datestamp;
    record.state = iiif::RecordState::active;
    return record;
}

// Objects first .. first + count - 1, one a minute from 2020-01-01, in `sets`.
std::vector<iiif::ObjectRecord> series(int first, int count,
                                       const std::vector<std::string>& sets = {}) {
    std::vector<iiif::ObjectRecord> objects;
    for (int i = 0; i < count; ++i) objects.push_back(object(first + i, kJan2020 + 60 * i, sets));
    return objects;
}

// Writes the records into the catalog of a daemon not started yet.
void fill_catalog(const Daemon& iiifd, const std::vector<iiif::ObjectRecord>& objects) {
    fs::create_directories(fs::path(iiifd.catalog_path()).parent_path());
    auto writer = catalog_fixtures::open_writer(iiifd.catalog_path());
    writer->set_publication(
        iiifd::publication_settings(iiifd::load_daemon_config(iiifd.config_path())));
    for (const iiif::ObjectRecord& record : objects) {
        iiif::ImageRecord page;
        page.id = record.images.front();
        page.object = record.ark;
        page.index = 1;
        page.master_path = iiifd.storage_root() + "/master.tif";
        page.source.format = iiif::SourceFormat::tiff;
        page.source.width = 2000;
        page.source.height = 1000;
        page.source.levels = {{1, 2000, 1000, 0, 1}};
        page.state = iiif::RecordState::active;
        writer->put(record, {page});
    }
}

// ---- HTTP with its headers --------------------------------------------------------------------

struct Reply {
    long status = 0;  // 0: no response
    std::string error;
    std::map<std::string, std::string> headers;  // names lower-cased, the last of each
    std::string body;

    std::string header(const std::string& name) const {
        auto found = headers.find(name);
        return found == headers.end() ? "" : found->second;
    }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    static_cast<Reply*>(user)->body.append(data, size * count);
    return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    std::string line(data, size * count);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        value.erase(value.find_last_not_of(" \t\r\n") + 1);
        static_cast<Reply*>(user)->headers[name] = value;
    }
    return size * count;
}

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

enum class Gzip { not_asked, raw, decoded };

// GET (no body) or POST (a body) with these headers. Gzip::raw sends Accept-Encoding: gzip and
// keeps the bytes as sent; Gzip::decoded has libcurl ask for gzip and decompress.
Reply request(const std::string& url, const std::vector<std::string>& headers,
              const std::string* post_body = nullptr, Gzip gzip = Gzip::not_asked) {
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    Reply reply;
    curl_slist* list = nullptr;
    for (const std::string& header : headers) list = curl_slist_append(list, header.c_str());
    if (gzip == Gzip::raw) list = curl_slist_append(list, "Accept-Encoding: gzip");
    std::unique_ptr<curl_slist, SlistDeleter> header_list(list);
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, header_list.get());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &reply);
    if (gzip == Gzip::decoded) curl_easy_setopt(curl.get(), CURLOPT_ACCEPT_ENCODING, "gzip");
    if (post_body) {
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, post_body->c_str());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body->size()));
    }
    const CURLcode rc = curl_easy_perform(curl.get());
    if (rc != CURLE_OK) {
        reply.error = curl_easy_strerror(rc);
        return reply;
    }
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

Reply get(const Daemon& iiifd, const std::string& query, Gzip gzip = Gzip::not_asked) {
    return request(iiifd.url("/oai?" + query), {}, nullptr, gzip);
}

Reply post(const Daemon& iiifd, const std::string& body,
           const std::string& type = "application/x-www-form-urlencoded") {
    return request(iiifd.url("/oai"), {"Content-Type: " + type}, &body);
}

std::string without_response_date(const std::string& body) {
    return std::regex_replace(body, std::regex("<responseDate>[^<]*</responseDate>"),
                              "<responseDate/>");
}

// Polls GET Identify until it answers `status` (at most `patience`); the last answer.
Reply identify_until(const Daemon& iiifd, long status,
                     std::chrono::seconds patience = std::chrono::seconds(5)) {
    const auto deadline = Clock::now() + patience;
    Reply reply = get(iiifd, "verb=Identify");
    while (reply.status != status && Clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
        reply = get(iiifd, "verb=Identify");
    }
    return reply;
}

const std::string kSets =
    "[sets.\"fonds\"]\nname = \"Fonds Nadar\"\n"
    "description = \"Lettres et photographies de l'atelier Nadar.\"\n";

// A valid iiifd.toml for --check-config, with `oai` appended.
std::string check_config(const std::string& oai) {
    const std::string path = (test_images::scratch_dir() / "oai-config" / "iiifd.toml").string();
    write_file(path, R"([storage]
root = "/var/lib/iiif"

[redis]
port = 6380

[ark]
naan = "99999"
check_profile = "noid"
default_shoulder = "fk4"

[ark.shoulders.fk4]
name = "Tests"

[public]
base_url = "https://images.example.org"
institution = "Test Library"

[http]
api_keys = ["0123456789abcdef"]

)" + oai);
    CommandResult result = run({IIIFD_PATH, "--check-config", "-c", path});
    return std::to_string(result.exit_code) + " " + result.output;
}

}  // namespace

TEST_CASE("oai http: GET and POST of the same arguments give the same answer", "[oai_http]") {
    RedisServer redis;
    DaemonOptions options;
    options.extra_config = "[oai]\npage_size = 5\n" + kSets;
    Daemon iiifd(redis, options);
    fill_catalog(iiifd, series(1, 12, {"fonds"}));
    iiifd.start();

    const std::string arguments = "verb=ListRecords&metadataPrefix=oai_dc&set=fonds";
    Reply by_get = get(iiifd, arguments);
    Reply by_post = post(iiifd, arguments);
    REQUIRE(by_get.status == 200);
    REQUIRE(by_post.status == 200);
    CHECK(without_response_date(by_post.body) == without_response_date(by_get.body));
    Xml page(by_post.body);
    CHECK(page.identifiers() == oai_ids(1, 5));
    CHECK(valid("http-post-listrecords.xml", by_post.body));

    // The token too, by either method.
    const std::string token = page.token();
    REQUIRE_FALSE(token.empty());
    Reply next_get = get(iiifd, "verb=ListRecords&resumptionToken=" + token);
    Reply next_post = post(iiifd, "verb=ListRecords&resumptionToken=" + token);
    REQUIRE(next_post.status == 200);
    CHECK(without_response_date(next_post.body) == without_response_date(next_get.body));
    CHECK(Xml(next_post.body).identifiers() == oai_ids(6, 5));
}

TEST_CASE(
    "oai http: a repeated verb is badVerb and any other repeated argument badArgument, by GET "
    "and by POST, even with the same value",
    "[oai_http]") {
    RedisServer redis;
    Daemon iiifd(redis);
    fill_catalog(iiifd, series(1, 2));
    iiifd.start();
    const std::string record = "verb=GetRecord&identifier=" + oai_id(1);
    const std::vector<std::pair<std::string, std::string>> cases{
        {"verb=Identify&verb=Identify", "badVerb"},
        {"verb=Identify&verb=ListSets", "badVerb"},
        {"verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc", "badArgument"},
        {"verb=ListIdentifiers&metadataPrefix=oai_dc&set=fonds&set=fonds", "badArgument"},
        {record + "&identifier=" + oai_id(1) + "&metadataPrefix=oai_dc", "badArgument"},
        {"verb=ListMetadataFormats&identifier=" + oai_id(1) + "&identifier=" + oai_id(1),
         "badArgument"}};
    int n = 0;
    for (const auto& [arguments, code] : cases) {
        INFO(arguments);
        for (const bool by_post : {false, true}) {
            INFO((by_post ? "POST" : "GET"));
            Reply reply = by_post ? post(iiifd, arguments) : get(iiifd, arguments);
            REQUIRE(reply.status == 200);
            Xml xml(reply.body);
            CHECK(xml.errors() == std::vector<std::string>{code});
            // An illegal request echoes no argument, only the base URL.
            CHECK(xml.request().empty());
            CHECK(xml.text("/o:OAI-PMH/o:request") == "http://127.0.0.1:8080/oai");
            CHECK(valid("http-repeated-" + std::to_string(n++) + ".xml", reply.body));
        }
    }

    // A verb in the query of a POST and another in its body are two verbs too.
    const std::string identify = "verb=Identify";
    Reply mixed = request(iiifd.url("/oai?" + identify),
                          {"Content-Type: application/x-www-form-urlencoded"}, &identify);
    CHECK(Xml(mixed.body).errors() == std::vector<std::string>{"badVerb"});

    // Arguments are still decoded as a form: '+' is a space, %XX a byte.
    Reply decoded = get(iiifd, "verb=GetRecord&metadataPrefix=oai%5Fdc&identifier=" +
                                   std::regex_replace(oai_id(1), std::regex(":"), "%3A"));
    CHECK(Xml(decoded.body).errors().empty());
    CHECK(Xml(decoded.body).identifiers() == std::vector<std::string>{oai_id(1)});
    CHECK(Xml(get(iiifd, "verb=Identify+").body).errors() == std::vector<std::string>{"badVerb"});
}

TEST_CASE("oai http: a POST that is not a form is 415 with the reason", "[oai_http]") {
    RedisServer redis;
    DaemonOptions options;
    options.extra_config = "[oai]\nmax_concurrent = 1\n";  // a refusal must give back its place
    Daemon iiifd(redis, options);
    iiifd.start();
    for (const std::string type :
         {"application/json", "text/xml", "multipart/form-data; boundary=x"}) {
        INFO(type);
        Reply reply = post(iiifd, "verb=Identify", type);
        CHECK(reply.status == 415);
        CHECK(json_text(reply.body, "error") ==
              "OAI-PMH requests by POST are application/x-www-form-urlencoded");
    }
    CHECK(post(iiifd, "verb=Identify").status == 200);
}

TEST_CASE("oai http: a POST body over 64 KiB is 413 with the reason", "[oai_http]") {
    RedisServer redis;
    DaemonOptions options;
    options.extra_config = "[oai]\nmax_concurrent = 1\n";
    Daemon iiifd(redis, options);
    iiifd.start();
    Reply reply = post(iiifd, "verb=Identify&x=" + std::string(70 * 1024, 'a'));
    CHECK(reply.status == 413);
    CHECK(json_text(reply.body, "error") == "an OAI-PMH request body is at most 65536 bytes");
    CHECK(identify_until(iiifd, 200).status == 200);
}

TEST_CASE(
    "oai http: a client that goes away before the end of its POST body gives back its "
    "place",
    "[oai_http]") {
    RedisServer redis;
    DaemonOptions options;
    options.extra_config = "[oai]\nmax_concurrent = 1\nretry_after = 7\n";
    Daemon iiifd(redis, options);
    iiifd.start();
    {
        RawConnection gone(iiifd.port());
        REQUIRE(
            gone.send_text("POST /oai HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\n"
                           "Content-Length: 40\r\n\r\nverb=Ident"));
        // The half-sent request takes the one place once the server has read its headers: on a
        // loaded machine that may take a while (a whole test suite on two cores).
        REQUIRE(identify_until(iiifd, 503, 30s).status == 503);
    }
    // Well before the server's deadlines: the closed connection ends the request.
    const auto closed = Clock::now();
    CHECK(identify_until(iiifd, 200).status == 200);
    CHECK(Clock::now() - closed < 3s);
}

TEST_CASE(
    "oai http: every answer, errors included, is 200 text/xml in UTF-8 that varies with "
    "Accept-Encoding",
    "[oai_http]") {
    RedisServer redis;
    Daemon iiifd(redis);
    fill_catalog(iiifd, series(1, 2));
    iiifd.start();
    for (const std::string query :
         {"verb=Identify", "verb=ListIdentifiers&metadataPrefix=oai_dc", "verb=Nothing",
          "verb=GetRecord&identifier=oai:127.0.0.1:ark:/99999/"
          "fk4-19999999-x&metadataPrefix=oai_dc"}) {
        INFO(query);
        Reply reply = get(iiifd, query);
        CHECK(reply.status == 200);
        CHECK(reply.header("content-type") == "text/xml; charset=utf-8");
        CHECK(reply.header("vary") == "Accept-Encoding");
        CHECK(reply.header("content-encoding") == "");
        CHECK(reply.body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    }
    CHECK(Xml(get(iiifd, "verb=Nothing").body).errors() == std::vector<std::string>{"badVerb"});
}

TEST_CASE("oai http: with Accept-Encoding gzip the answer is gzip-compressed, and plain without",
          "[oai_http]") {
    RedisServer redis;
    Daemon iiifd(redis);
    fill_catalog(iiifd, series(1, 20));
    iiifd.start();
    const std::string query = "verb=ListRecords&metadataPrefix=edm";

    Reply raw = get(iiifd, query, Gzip::raw);
    REQUIRE(raw.status == 200);
    CHECK(raw.header("content-encoding") == "gzip");
    CHECK(raw.header("vary") == "Accept-Encoding");
    CHECK(raw.header("content-type") == "text/xml; charset=utf-8");
    REQUIRE(raw.body.size() > 2);
    CHECK(raw.body.substr(0, 2) == "\x1f\x8b");

    Reply decoded = get(iiifd, query, Gzip::decoded);
    REQUIRE(decoded.status == 200);
    CHECK(decoded.header("content-encoding") == "gzip");
    Reply plain = get(iiifd, query);
    REQUIRE(plain.status == 200);
    CHECK(plain.header("content-encoding") == "");
    CHECK(raw.body.size() < plain.body.size());
    CHECK(without_response_date(decoded.body) == without_response_date(plain.body));
    CHECK(Xml(decoded.body).identifiers() == oai_ids(1, 20));
    CHECK(valid("http-gzip-decoded.xml", decoded.body));
}

TEST_CASE("oai http: the token key is made at {root}/oai-token.key, readable by its owner alone",
          "[oai_http]") {
    RedisServer redis;
    Daemon iiifd(redis);
    const std::string path = iiifd.storage_root() + "/oai-token.key";
    CHECK_FALSE(fs::exists(path));
    iiifd.start();
    struct stat info {};
    REQUIRE(stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 07777) == 0600);
    const std::string key = read_file(path);
    CHECK(std::regex_match(key, std::regex("[0-9a-f]{64}\n")));

    CHECK(iiifd.stop() == 0);
    iiifd.start();
    CHECK(read_file(path) == key);
}

TEST_CASE("oai http: a resumption token issued before a restart of iiifd is accepted after it",
          "[oai_http]") {
    RedisServer redis;
    DaemonOptions options;
    options.extra_config = "[oai]\npage_size = 5\n";
    Daemon iiifd(redis, options);
    fill_catalog(iiifd, series(1, 12));
    iiifd.start();
    Xml first(get(iiifd, "verb=ListRecords&metadataPrefix=oai_dc").body);
    CHECK(first.identifiers() == oai_ids(1, 5));
    const std::string token = first.token();
    REQUIRE_FALSE(token.empty());

    CHECK(iiifd.stop() == 0);
    iiifd.start();
    Reply after = get(iiifd, "verb=ListRecords&resumptionToken=" + token);
    REQUIRE(after.status == 200);
    Xml second(after.body);
    CHECK(second.errors().empty());
    CHECK(second.identifiers() == oai_ids(6, 5));
    CHECK(second.text("/o:OAI-PMH/o:ListRecords/o:resumptionToken/@cursor") == "5");
    CHECK(second.text("/o:OAI-PMH/o:ListRecords/o:resumptionToken/@completeListSize") == "12");
}

TEST_CASE(
    "oai http: beyond max_concurrent requests under way, /oai answers 503 with Retry-After "
    "until one ends",
    "[oai_http]") {
    RedisServer redis;
    DaemonOptions options;
    options.extra_config = "[oai]\npage_size = 5\nmax_concurrent = 1\nretry_after = 7\n";
    Daemon iiifd(redis, options);
    fill_catalog(iiifd, series(1, 3));
    iiifd.start();

    // A POST whose body is slow to come holds the one admission from its headers on. The
    // first probe can reach iiifd before the POST's headers and still hold the admission when
    // they are read (it is given back once its answer is sent, after the client has it): the
    // POST is then refused at once, its connection closed, and it is sent again.
    const std::string body = "verb=ListIdentifiers&metadataPrefix=oai_dc";
    std::unique_ptr<RawConnection> slow;
    Reply refused;
    for (int attempt = 0; attempt < 5 && refused.status != 503; ++attempt) {
        slow = std::make_unique<RawConnection>(iiifd.port());
        REQUIRE(
            slow->send_text("POST /oai HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 10)));
        refused = identify_until(iiifd, 503, 2s);
        if (refused.status != 503) REQUIRE(slow->closed_within(1s));
    }
    REQUIRE(refused.status == 503);
    CHECK(refused.header("retry-after") == "7");
    CHECK(refused.body == "too many OAI-PMH requests at once: retry after 7 seconds\n");
    CHECK(get(iiifd, "verb=ListSets").status == 503);

    REQUIRE(slow->send_text(body.substr(10)));
    const std::string response = slow->read_to_end(10s);
    REQUIRE(response.starts_with("HTTP/1.1 200 "));
    const size_t end_of_headers = response.find("\r\n\r\n");
    REQUIRE(end_of_headers != std::string::npos);
    const std::string answer = response.substr(end_of_headers + 4);
    CHECK(Xml(answer).identifiers() == oai_ids(1, 3));
    CHECK(valid("http-slow-post.xml", answer));

    Reply admitted = identify_until(iiifd, 200);
    CHECK(admitted.status == 200);
    CHECK(Xml(admitted.body).errors().empty());
}

TEST_CASE("oai http: ListSets names the sets of [sets] with their descriptions", "[oai_http]") {
    RedisServer redis;
    DaemonOptions options;
    options.extra_config = kSets + "[sets.\"maps\"]\nname = \"Cartes\"\n";
    Daemon iiifd(redis, options);
    fill_catalog(iiifd, series(1, 2, {"fonds:letters"}));
    iiifd.start();
    Reply reply = get(iiifd, "verb=ListSets");
    REQUIRE(reply.status == 200);
    Xml xml(reply.body);
    CHECK(xml.texts("//o:set/o:setSpec") ==
          std::vector<std::string>{"fonds", "fonds:letters", "maps"});
    CHECK(xml.texts("//o:set/o:setName") ==
          std::vector<std::string>{"Fonds Nadar", "fonds:letters", "Cartes"});
    CHECK(xml.texts("//o:set[o:setSpec='fonds']/o:setDescription//dc:title") ==
          std::vector<std::string>{"Fonds Nadar"});
    CHECK(xml.texts("//o:set[o:setSpec='fonds']/o:setDescription//dc:description") ==
          std::vector<std::string>{"Lettres et photographies de l'atelier Nadar."});
    CHECK(xml.texts("//o:set[o:setSpec='maps']/o:setDescription").empty());
    CHECK(valid("http-listsets.xml", reply.body));
}

TEST_CASE("oai http: ListSets names a partner's set after the partner, unless [sets] names it",
          "[oai_http]") {
    RedisServer redis;
    DaemonOptions options;
    options.extra_config =
        "[partners.\"bm-lyon\"]\nname = \"Bibliothèque municipale de Lyon\"\n"
        "base_url = \"https://numelyo.example.org/oai\"\nschedule_hours = 0\n"
        "[partners.\"amis\"]\nname = \"Les Amis\"\nbase_url = \"https://amis.example.org/oai\"\n"
        "schedule_hours = 0\n"
        "[sets.\"partner:amis\"]\nname = \"Fonds des Amis\"\n";
    Daemon iiifd(redis, options);
    iiifd.start();
    Reply reply = get(iiifd, "verb=ListSets");
    REQUIRE(reply.status == 200);
    Xml xml(reply.body);
    CHECK(xml.texts("//o:set/o:setSpec") ==
          std::vector<std::string>{"partner", "partner:amis", "partner:bm-lyon"});
    CHECK(xml.texts("//o:set/o:setName") ==
          std::vector<std::string>{"partner", "Fonds des Amis", "Bibliothèque municipale de Lyon"});
    CHECK(valid("http-listsets-partners.xml", reply.body));
}

TEST_CASE("oai http: /oai needs no API key while /api/ still does", "[oai_http]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    Reply oai = get(iiifd, "verb=Identify");
    CHECK(oai.status == 200);
    CHECK(Xml(oai.body).text("/o:OAI-PMH/o:Identify/o:baseURL") == "http://127.0.0.1:8080/oai");
    CHECK(request(iiifd.url("/api/v1/objects"), {}).status == 401);
    CHECK(iiifd.get("/api/v1/objects").status == 200);
}

TEST_CASE("oai http: iiifd --check-config names the faulty key of [oai] or [sets]", "[oai_http]") {
    CHECK(check_config("[oai]\nrepository_name = \"Images\"\nadmin_email = [\"a@example.org\"]\n"
                       "page_size = 50\nmax_concurrent = 2\nretry_after = 30\n" +
                       kSets) == "0 ok\n");
    CHECK(check_config("[oai]\npage_sise = 50\n") ==
          "1 iiifd.toml: [oai] page_sise: unknown key\n");
    CHECK(check_config("[oai]\nadmin_email = \"curator at example.org\"\n") ==
          "1 iiifd.toml: [oai] admin_email: \"curator at example.org\" is no e-mail address\n");
    CHECK(check_config("[oai]\npage_size = 0\n") ==
          "1 iiifd.toml: [oai] page_size: must be between 1 and 10000\n");
    CHECK(check_config("[sets.\"fonds letters\"]\nname = \"Lettres\"\n") ==
          "1 iiifd.toml: [sets.fonds letters]: not a set spec (segments of letters, digits and "
          "-_.!~*'() separated by ':')\n");
    CHECK(check_config("[sets.\"fonds\"]\ndescription = \"Sans nom\"\n") ==
          "1 iiifd.toml: [sets.fonds] name: required\n");
}
