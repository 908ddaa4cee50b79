#include "metadata_update.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "access_config.hpp"
#include "clock.hpp"

namespace iiifd {

iiif::ObjectRecord MetadataUpdate::apply(const std::string& ark, const std::string& patch) {
    auto redis = changes_.redis.lease();
    // The change goes to the events stream: refuse it while that stream cannot be reached.
    redis->command({"PING"});

    std::lock_guard lock(changes_.mutex);
    iiif::ObjectRecord record = changes_.object(ark);
    if (record.state == iiif::RecordState::withdrawn)
        throw iiif::IiifError(409, "the object has been withdrawn");
    record.metadata = iiif::patch_object_metadata(record.metadata, patch);
    check_access_name(*changes_.catalog.reader().access_settings(), record.metadata);
    if (record.metadata.provider.empty()) record.metadata.provider = changes_.config.institution;
    record.updated = record.datestamp = std::max(iiif::now_seconds(), record.datestamp);

    changes_.store.rewrite(record, [&] { changes_.catalog.put(record, {}); });
    announce_change(*redis, changes_.config,
                    CatalogEvent{"object.updated", record.ark, record.datestamp});
    spdlog::info("metadata of {} updated", record.ark);
    return record;
}

}  // namespace iiifd
