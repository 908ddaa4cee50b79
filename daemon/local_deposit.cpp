#include "local_deposit.hpp"

#include <algorithm>
#include <stdexcept>
#include <system_error>

#include "page_labels.hpp"
#include "staging.hpp"
#include "storage.hpp"

namespace iiifd {

namespace fs = std::filesystem;

std::vector<fs::path> local_files(const std::vector<std::string>& paths) {
    std::vector<fs::path> files;
    for (const std::string& path : paths) {
        std::error_code error;
        if (fs::is_directory(path, error)) {
            std::vector<fs::path> inside;
            for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
                std::string name = entry.path().filename().string();
                if (name.front() != '.' && entry.is_regular_file(error))
                    inside.push_back(entry.path());
            }
            std::sort(inside.begin(), inside.end());
            files.insert(files.end(), inside.begin(), inside.end());
        } else if (fs::is_regular_file(path, error)) {
            files.emplace_back(path);
        } else {
            throw std::runtime_error(path + ": no such file or directory");
        }
    }
    if (files.empty()) throw std::runtime_error("no file to deposit");
    return files;
}

IngestJob deposit_local_files(const DaemonConfig& config, const Deposits& deposits, Redis& redis,
                              const std::vector<fs::path>& files, iiif::ObjectMetadata metadata,
                              const std::string& pages_json, const DepositSource& source) {
    if (files.size() > static_cast<size_t>(config.max_files_per_object))
        throw std::runtime_error(std::to_string(files.size()) + " files, over the limit of " +
                                 std::to_string(config.max_files_per_object) + " per object");
    deposits.check(metadata);
    const std::string job_id = new_job_id();
    const std::string staging = job_staging_dir(config, job_id);
    try {
        make_directories(staging);
        std::vector<DepositFile> staged;
        for (size_t i = 0; i < files.size(); ++i) {
            const std::string name = files[i].filename().string();
            std::string path = staging + "/" + staged_file_name(i + 1, name);
            copy_file_atomically(files[i].string(), path);
            staged.push_back({path, deposit_file_name(name)});
        }
        if (!pages_json.empty()) apply_page_labels(pages_json, staged);
        return deposits.accept(redis, job_id, staged, std::move(metadata), source);
    } catch (...) {
        std::error_code ignored;
        fs::remove_all(staging, ignored);
        throw;
    }
}

}  // namespace iiifd
