// A partner that is another instance of this platform: its iiifd (with its own Redis and
// catalog) behind its nginx (/oai proxied, as conf/nginx-iiif.conf has it), four objects
// deposited through its API; a portal (another storage root, catalog and Redis) harvests it with
// `iiifd harvest`. Each partner object becomes one portal object with its title and creator, the
// partner's institution as provider and its OAI identifier as origin; an incremental harvest then
// takes the partner's withdrawal and change of title, and nothing else.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"
#include "catalog.hpp"
#include "clock.hpp"
#include "nginx_harness.hpp"
#include "test_images.hpp"

namespace {

constexpr const char* kInstitution = "Bibliothèque de Partenaire-sur-Loire";
constexpr const char* kRepository = "partner.example.org";
constexpr const char* kLicense = "https://creativecommons.org/licenses/by/4.0/";

struct Deposited {
    std::string title;
    std::string creator;
    std::string ark;  // at the partner
    std::string identifier() const { return std::string("oai:") + kRepository + ":" + ark; }
};

// The partner's iiifd names this institution and repository identifier ([public]).
void name_partner(const daemon_harness::Daemon& partner) {
    std::string config = daemon_harness::read_file(partner.config_path());
    const std::string institution = "institution = \"Test Library\"";
    config.replace(config.find(institution), institution.size(),
                   std::string("institution = \"") + kInstitution +
                       "\"\noai_repository_identifier = \"" + kRepository + "\"");
    daemon_harness::write_file(partner.config_path(), config);
}

// `iiifd harvest partner` on the portal (extra arguments: --full): the run's JSON, which the
// command prints alone on its output when it logs errors only.
std::string harvest(const daemon_harness::Daemon& portal, std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {"--log-level", "error", "harvest", "partner"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    const daemon_harness::CommandResult result = portal.run_iiifd(arguments);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    REQUIRE(daemon_harness::json_text(result.output, "status") == "done");
    return result.output;
}

struct Counts {
    long long records, deleted, created, updated, unchanged, withdrawn, failed;
    bool operator==(const Counts&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Counts& c) {
    return out << "{records " << c.records << ", deleted " << c.deleted << ", created " << c.created
               << ", updated " << c.updated << ", unchanged " << c.unchanged << ", withdrawn "
               << c.withdrawn << ", failed " << c.failed << "}";
}

Counts counts_of(const std::string& run) {
    auto count = [&](const char* name) {
        return daemon_harness::json_integer(run, std::string("counts.") + name);
    };
    return {count("records"),   count("deleted"),   count("created"), count("updated"),
            count("unchanged"), count("withdrawn"), count("failed")};
}

// The portal's objects of the partner, by their OAI identifier at the partner.
std::map<std::string, iiif::ObjectRecord> portal_objects(const daemon_harness::Daemon& portal) {
    std::string error;
    auto reader = iiif::CatalogReader::open(portal.catalog_path(), &error);
    INFO(error);
    REQUIRE(reader);
    std::map<std::string, iiif::ObjectRecord> objects;
    for (iiif::ObjectRecord& object : reader->objects_by_date({}, 0, 0, "partner:partner")) {
        REQUIRE(object.metadata.origin.has_value());
        const std::string identifier = object.metadata.origin->identifier;
        CHECK(objects.emplace(identifier, std::move(object)).second);
    }
    CHECK(reader->object_count() == static_cast<std::int64_t>(objects.size()));
    return objects;
}

std::vector<iiif::LangValue> values(const iiif::ObjectRecord& object, const std::string& element) {
    const auto found = object.metadata.dc.find(element);
    return found == object.metadata.dc.end() ? std::vector<iiif::LangValue>{} : found->second;
}

}  // namespace

TEST_CASE(
    "chain: a portal harvests another instance of the platform through its nginx, then takes "
    "its withdrawal and its change of title incrementally",
    "[chain][partner_harvest]") {
    // The partner: iiifd, its Redis and catalog, nginx in front of its /oai.
    daemon_harness::RedisServer partner_redis;
    daemon_harness::DaemonOptions partner_options;
    partner_options.hot_folder = false;
    daemon_harness::Daemon partner(partner_redis, partner_options);
    name_partner(partner);
    partner.start();
    integration::NginxOptions nginx_options;
    nginx_options.iiif_locations = false;
    nginx_options.server_extra = "location = /oai { proxy_pass " + partner.url("/oai") +
                                 "; proxy_http_version 1.1; proxy_set_header Connection \"\"; }";
    integration::Nginx nginx(nginx_options);
    nginx.start();

    std::vector<Deposited> deposited = {{"Plan de Lyon", "Cassini, César-François", ""},
                                        {"Lettre à Jeanne", "Hugo, Victor", ""},
                                        {"Herbier de la vallée", "Rousseau, Jean-Jacques", ""},
                                        {"Carnet de croquis", "Delacroix, Eugène", ""}};
    for (size_t i = 0; i < deposited.size(); ++i) {
        const std::string page = test_images::save(test_images::quadrants(160, 120),
                                                   "partner-" + std::to_string(i) + ".jpg");
        const daemon_harness::HttpResponse deposit = partner.post_object(
            {page}, R"({"title": [{"value": ")" + deposited[i].title +
                        R"(", "lang": "fr"}], "creator": [")" + deposited[i].creator +
                        R"("], "license": ")" + kLicense + R"("})");
        INFO(deposit.body);
        REQUIRE(deposit.status == 202);
        deposited[i].ark = daemon_harness::json_text(deposit.body, "ark");
        REQUIRE(daemon_harness::json_text(
                    partner.wait_for_job(daemon_harness::json_text(deposit.body, "job")),
                    "state") == "done");
    }
    const Deposited& kept = deposited[0];
    const Deposited& withdrawn = deposited[1];
    const Deposited& retitled = deposited[2];
    const Deposited& also_kept = deposited[3];

    // The portal: its own storage root, catalog and Redis; the partner by its nginx's /oai.
    daemon_harness::RedisServer portal_redis;
    daemon_harness::DaemonOptions portal_options;
    portal_options.hot_folder = false;
    portal_options.extra_config = std::string("[partners.\"partner\"]\nname = \"Partenaire\"\n") +
                                  "institution = \"" + kInstitution + "\"\nbase_url = \"" +
                                  nginx.url("/oai") + "\"\ndelay_ms = 0\n";
    const daemon_harness::Daemon portal(portal_redis, portal_options);  // for `iiifd harvest`

    // The next harvest starts a second (the partner's granularity) before this one began; so
    // that its window holds the two records changed below and none of the four deposits, this
    // one begins two seconds after the last deposit's datestamp. (The changes, made after this
    // harvest ends, are in the window whether or not they fall in the second it began.)
    std::map<std::string, std::int64_t> datestamps;  // at the partner, by OAI identifier
    std::int64_t last_deposit = 0;
    {
        std::string error;
        auto reader = iiif::CatalogReader::open(partner.catalog_path(), &error);
        INFO(error);
        REQUIRE(reader);
        for (const Deposited& object : deposited) {
            datestamps[object.identifier()] = reader->object(object.ark)->datestamp;
            last_deposit = std::max(last_deposit, datestamps[object.identifier()]);
        }
    }
    while (iiif::now_seconds() < last_deposit + 2)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));

    // Harvest 1: one object per partner object, as the partner describes it.
    const std::string first = harvest(portal);
    CHECK(counts_of(first) == Counts{4, 0, 4, 0, 0, 0, 0});
    const std::map<std::string, iiif::ObjectRecord> harvested = portal_objects(portal);
    REQUIRE(harvested.size() == 4);
    for (const Deposited& object : deposited) {
        INFO(object.identifier());
        REQUIRE(harvested.count(object.identifier()) == 1);
        const iiif::ObjectRecord& made = harvested.at(object.identifier());
        CHECK(made.state == iiif::RecordState::active);
        CHECK(made.images.empty());  // described objects: pages are not fetched yet
        CHECK(values(made, "title") == std::vector<iiif::LangValue>{{object.title, "fr"}});
        CHECK(values(made, "creator") == std::vector<iiif::LangValue>{{object.creator, ""}});
        CHECK(made.metadata.license == kLicense);
        CHECK(made.metadata.provider == kInstitution);
        CHECK(made.metadata.sets == std::vector<std::string>{"partner:partner"});
        CHECK(made.metadata.origin->partner == "partner");
        CHECK(made.metadata.origin->base_url == nginx.url("/oai"));
        CHECK(made.metadata.origin->datestamp ==
              iiif::format_utc_datetime(datestamps.at(object.identifier())));
        CHECK(made.ark != object.ark);  // minted by the portal
    }

    // At the partner: one object withdrawn, another retitled.
    const daemon_harness::HttpResponse withdrawal = daemon_harness::http(
        "POST", partner.url("/api/v1/objects/" + withdrawn.ark + "/withdraw"), partner.auth(),
        R"({"reason": "rights holder's request", "requested_by": "Famille Hugo"})");
    REQUIRE(withdrawal.status == 200);
    const std::string new_title = "Herbier de la vallée du Rhône";
    REQUIRE(partner
                .patch("/api/v1/objects/" + retitled.ark,
                       R"({"title": [{"value": ")" + new_title + R"(", "lang": "fr"}]})")
                .status == 200);
    const std::int64_t first_started = daemon_harness::json_integer(
        daemon_harness::read_file(portal.storage_root() + "/harvests/partner/state.json"),
        "last_success_started");

    // Harvest 2, incremental: the two changed records only.
    const std::string second = harvest(portal);
    CHECK(daemon_harness::json_text(second, "from") ==
          iiif::format_utc_datetime(first_started - 1));
    CHECK(counts_of(second) == Counts{2, 1, 0, 1, 0, 1, 0});
    const std::map<std::string, iiif::ObjectRecord> after = portal_objects(portal);
    REQUIRE(after.size() == 4);  // no new object
    for (const auto& [identifier, object] : after)
        CHECK(object.ark == harvested.at(identifier).ark);

    const iiif::ObjectRecord& gone = after.at(withdrawn.identifier());
    CHECK(gone.state == iiif::RecordState::withdrawn);
    CHECK(gone.withdrawn_reason == "deleted at the source");
    CHECK(values(gone, "title") == std::vector<iiif::LangValue>{{withdrawn.title, "fr"}});

    const iiif::ObjectRecord& changed = after.at(retitled.identifier());
    CHECK(changed.state == iiif::RecordState::active);
    CHECK(values(changed, "title") == std::vector<iiif::LangValue>{{new_title, "fr"}});
    CHECK(values(changed, "creator") == std::vector<iiif::LangValue>{{retitled.creator, ""}});
    CHECK(changed.updated >= harvested.at(retitled.identifier()).updated);

    for (const Deposited* object : {&kept, &also_kept}) {
        INFO(object->identifier());
        const iiif::ObjectRecord& before = harvested.at(object->identifier());
        const iiif::ObjectRecord& now = after.at(object->identifier());
        CHECK(now.state == iiif::RecordState::active);
        CHECK(now.updated == before.updated);
        CHECK(now.datestamp == before.datestamp);
        CHECK(now.metadata == before.metadata);
    }

    // Harvest 3, full: every record read again, each found as it is; nothing written.
    const std::string third = harvest(portal, {"--full"});
    CHECK(daemon_harness::json_text(third, "from").empty());
    CHECK(counts_of(third) == Counts{4, 1, 0, 0, 4, 0, 0});
    const std::map<std::string, iiif::ObjectRecord> again = portal_objects(portal);
    REQUIRE(again.size() == 4);
    for (const auto& [identifier, object] : again) {
        INFO(identifier);
        CHECK(object.ark == after.at(identifier).ark);
        CHECK(object.state == after.at(identifier).state);
        CHECK(object.updated == after.at(identifier).updated);
        CHECK(object.metadata == after.at(identifier).metadata);
    }
}
