// What the services that change an object after its ingest (metadata_update.hpp,
// takedown.hpp) work with, one of it shared by them all.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "catalog.hpp"
#include "daemon_config.hpp"
#include "iiif_error.hpp"
#include "job_queue.hpp"
#include "object_store.hpp"

namespace iiifd {

struct ObjectChanges {
    ObjectChanges(const DaemonConfig& config_, iiif::CatalogWriter& catalog_, RedisPool& redis_)
        : config(config_), catalog(catalog_), redis(redis_), store(config_.storage_root) {}
    ObjectChanges(const ObjectChanges&) = delete;
    ObjectChanges& operator=(const ObjectChanges&) = delete;

    // The object's record; IiifError 404 when the catalog has none.
    iiif::ObjectRecord object(const std::string& ark) const {
        std::optional<iiif::ObjectRecord> record = catalog.reader().object(ark);
        if (!record) throw iiif::IiifError(404, "no object " + ark);
        return std::move(*record);
    }

    const DaemonConfig& config;
    iiif::CatalogWriter& catalog;
    RedisPool& redis;  // for the events stream
    const ObjectStore store;
    // Held while an object is read, rewritten and put, so that two changes of one object (two
    // PATCHes, a PATCH and a withdrawal) do not lose one another's.
    std::mutex mutex;
};

}  // namespace iiifd
