// What the harvest runs' tests share (harvest_run_test.cpp, harvest_pages_test.cpp): a storage
// root of a store's own, the partner tests/harvest/fixture_provider.py stands for, quick retry
// rules, and the objects' side of a harvest in process (a catalog, a storage root, a real Redis).
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api_harness.hpp"
#include "daemon_config.hpp"
#include "harvest_objects.hpp"
#include "harvest_run.hpp"
#include "job_queue.hpp"
#include "oai_fixture.hpp"
#include "test_images.hpp"

namespace harvest_harness {

// A storage root of its own for each store, with its staging directory where iiifd.toml's
// default puts it.
inline iiifd::DaemonConfig config_in(const std::string& name) {
    iiifd::DaemonConfig config;
    config.storage_root = (test_images::scratch_dir() / "harvest-run" / name).string();
    config.staging_dir = config.storage_root + "/staging";
    std::filesystem::remove_all(config.storage_root);
    std::filesystem::create_directories(config.storage_root);
    return config;
}

inline iiifd::Partner partner_of(const daemon_harness::Fixture& fixture) {
    iiifd::Partner partner;
    partner.id = "fixture";
    partner.name = "Fixture Library";
    partner.institution = "Fixture Library";
    partner.base_url = fixture.base_url();
    partner.license = iiifd::kDefaultPartnerLicense;
    partner.delay_ms = 0;
    return partner;
}

inline iiifd::HarvestPolicy quick() {
    using namespace std::chrono_literals;
    iiifd::HarvestPolicy policy;
    policy.connect_timeout = 2s;
    policy.request_timeout = 5s;
    policy.max_attempts = 2;
    policy.backoff_initial = 20ms;
    policy.backoff_max = 50ms;
    policy.politeness_delay = 0ms;
    return policy;
}

// The objects' side of a harvest, in process: a catalog, a storage root and a real Redis (for
// the events stream), a partner whose shoulder the catalog may mint on.
struct ObjectsSide {
    daemon_harness::RedisServer redis;
    iiifd::DaemonConfig config;
    std::unique_ptr<iiif::CatalogWriter> catalog;
    std::unique_ptr<iiifd::RedisPool> pool;
    std::unique_ptr<iiifd::ObjectChanges> changes;

    explicit ObjectsSide(const std::string& name) : config(config_in(name)) {
        config.catalog_path = config.storage_root + "/catalog.mdb";
        config.naan = "99999";
        config.default_shoulder = "fk4";
        config.check_profile = iiif::CheckProfile::noid;
        config.shoulders.push_back({"fk4", "Harvests", "", "", ""});
        config.redis.port = redis.port();
        std::string error;
        catalog = iiif::CatalogWriter::open(config.catalog_path, &error);
        INFO(error);
        REQUIRE(catalog);
        pool = std::make_unique<iiifd::RedisPool>(config.redis);
        changes = std::make_unique<iiifd::ObjectChanges>(config, *catalog, *pool);
    }

    // The fixture's partner, on the shoulder the catalog mints on.
    iiifd::Partner partner(const daemon_harness::Fixture& fixture) const {
        iiifd::Partner partner = partner_of(fixture);
        partner.shoulder = "fk4";
        return partner;
    }

    // A full harvest of `partner` into objects.
    iiifd::HarvestRun harvest(const iiifd::Partner& partner) {
        iiifd::HarvestObjects objects(*changes, partner);
        return iiifd::run_harvest(partner, true, iiifd::HarvestStore(config), &objects, quick());
    }

    iiifd::HarvestRun harvest(const daemon_harness::Fixture& fixture) {
        return harvest(partner(fixture));
    }

    // Every object, newest first.
    std::vector<iiif::ObjectRecord> objects() const {
        return catalog->reader().objects_by_date({}, 0, 1000);
    }
};

}  // namespace harvest_harness
