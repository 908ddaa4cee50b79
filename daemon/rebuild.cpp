#include "rebuild.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "dublin_core.hpp"
#include "object_store.hpp"

namespace iiifd {

namespace fs = std::filesystem;

namespace {

// The catalog emptied, then every object.json read back into it.
RebuildReport rebuild_objects(const DaemonConfig& config, iiif::CatalogWriter& catalog) {
    RebuildReport report;
    catalog.clear();
    const ObjectStore store(config.storage_root);
    const std::string& root = store.root();
    std::error_code error;
    auto canonical = [](const std::string& path) {
        std::error_code ignored;
        return path.empty() ? fs::path() : fs::weakly_canonical(fs::absolute(path), ignored);
    };
    // Deposits waiting in staging or in the hot folder are no objects yet.
    std::vector<fs::path> skipped = {
        canonical(config.staging_dir.empty() ? root + "/staging" : config.staging_dir),
        canonical(config.hot_folder)};

    fs::recursive_directory_iterator walk(root, fs::directory_options::skip_permission_denied,
                                          error);
    if (error) {
        report.problems.push_back(root + ": " + error.message());
        return report;
    }
    for (; walk != fs::recursive_directory_iterator(); walk.increment(error)) {
        if (error) {
            report.problems.push_back(root + ": " + error.message());
            break;
        }
        const fs::directory_entry& entry = *walk;
        std::string name = entry.path().filename().string();
        std::error_code type_error;
        if (entry.is_directory(type_error)) {
            if (ObjectStore::is_object_content(name) || name.starts_with(".") ||
                std::find(skipped.begin(), skipped.end(), canonical(entry.path().string())) !=
                    skipped.end())
                walk.disable_recursion_pending();
            continue;
        }
        if (!ObjectStore::is_object_file(name) || !entry.is_regular_file(type_error)) continue;

        const std::string path = entry.path().string();
        StoredObject stored;
        try {
            stored = ObjectStore::read(path);
        } catch (const std::exception& problem) {
            report.problems.push_back(path + ": " + problem.what());
            continue;
        }
        for (const iiif::ImageRecord& image : stored.images) {
            std::error_code ignored;
            if (!fs::is_regular_file(image.master_path, ignored))
                report.problems.push_back(path + ": " + image.id +
                                          ": master missing: " + image.master_path);
        }
        // One the catalog cannot hold (written before the limits, or by hand) is named, and its
        // object.json left as it is, to be mended and rebuilt again.
        try {
            iiif::check_metadata_limits(stored.object.metadata);
            catalog.put(stored.object, stored.images);
        } catch (const std::exception& problem) {
            report.problems.push_back(path + ": " + stored.object.ark +
                                      ": left out of the catalog: " + problem.what());
            continue;
        }
        report.objects += 1;
        report.images += static_cast<int>(stored.images.size());
    }
    return report;
}

}  // namespace

RebuildReport rebuild_catalog(const DaemonConfig& config, iiif::CatalogWriter& catalog) {
    RebuildReport report;
    // Replicas load a snapshot of the rebuilt catalog rather than every object again.
    catalog.rewrite_whole([&] { report = rebuild_objects(config, catalog); });
    return report;
}

}  // namespace iiifd
