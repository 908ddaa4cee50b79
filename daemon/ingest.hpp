// The ingest pipeline: one job (one object, its files in page order, its metadata) becomes
// originals kept byte for byte, pyramidal masters, an object.json (object_store.hpp) and
// catalog records.
//
// Idempotent: a job run twice (a worker died after converting, Redis redelivered it) finds the
// pages already in the catalog by the SHA-256 of their originals and does not make a second
// object or a second copy. Crash-safe: every file is written to a temporary name, fsynced and
// renamed; the catalog is written last, so a reader sees a complete object or none.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "catalog.hpp"
#include "daemon_config.hpp"
#include "dublin_core.hpp"

namespace iiifd {

struct DepositFile {
    std::string staged_path;    // where the deposit left the bytes (staging dir)
    std::string original_name;  // file name as the depositor named it
    std::string label{};        // the page's label ("f. 1r"); empty: its number
};

struct IngestJob {
    std::string id;   // job id
    std::string ark;  // the object's ARK, minted when the job was accepted
    std::vector<DepositFile> files;
    iiif::ObjectMetadata metadata;
    std::string origin;  // "api", "hotfolder" or "cli"
    std::int64_t submitted = 0;
    // The institution a new object belongs to (directory.hpp); empty: the home institution. An
    // object that exists keeps its own.
    std::string institution;
    // What the files are to an object that exists (page_changes.hpp): "" (a deposit: they are
    // its pages), "add" (new pages, after the page `target`, at the end when it is empty) or
    // "replace" (one file, the page `target`'s new image). Either makes a new version.
    std::string mode{};
    std::string target{};
};

std::string ingest_job_to_json(const IngestJob& job);
IngestJob ingest_job_from_json(const std::string& text);  // throws std::runtime_error

enum class FileState { queued, converting, done, refused, failed };
std::string_view file_state_name(FileState state);

struct FileOutcome {
    std::string name;  // original name
    FileState state = FileState::queued;
    int page = 0;       // page index once done
    std::string error;  // why it was refused or failed, for the depositor
    // The same as a code a page can translate: not_an_image, damaged, too_large,
    // too_many_pixels, too_many_pages, withdrawn (refused), internal (failed); empty otherwise.
    std::string reason;
    int progress = 0;  // percent: 0 queued, rising while converting, 100 done
    // How long its master took to make (convert_to_master), when one was made by this run.
    std::optional<double> conversion_seconds{};
};

struct IngestResult {
    std::vector<FileOutcome> files;
    bool object_written = false;  // at least one page: the object is in the catalog
};

// Decodes `source` (any accepted format; upright, in sRGB or grey, 8-bit, flattened) and writes
// its master to `target`, a new file in the masters directory: a pyramidal TIFF with JPEG
// tiles in YCbCr 4:2:0 (tiff_master.hpp), or a JPEG 2000, as config.master_format says.
// `report` gets the percent done. Throws vips::VError for a source that cannot be decoded.
void convert_to_master(const std::string& source, const std::string& target,
                       const DaemonConfig& config,
                       const std::function<void(int percent)>& report = {});

// Called as each file changes state, for the job's progress record.
using ProgressFn = std::function<void(size_t file_index, const FileOutcome& outcome)>;

// A file that is no image, damaged, truncated or over a limit is refused (its outcome says why)
// and takes no page: pages number the accepted files in the job's order. Throws (runtime_error,
// or IiifError from the catalog) when the object itself cannot be recorded, having removed the
// masters and originals it wrote (those the catalog does not name); the job is then worth
// retrying. A master is read back before it takes its place: one that cannot be served fails
// its file and leaves nothing.
// An "add" or "replace" job (a change of an object's pages) writes the object under
// `object_lock` when given: the lock the API's changes of objects hold (object_changes.hpp),
// so that a PUT of its pages and the job do not lose one another's.
IngestResult ingest_job(const DaemonConfig& config, iiif::CatalogWriter& catalog,
                        const IngestJob& job, const ProgressFn& progress,
                        std::mutex* object_lock = nullptr);

// ingest_job in its two halves, for a worker that cannot write the catalog (a delivery node's:
// record_handoff.hpp hands the second half to the writer).
//
// A job converted and not recorded yet: each file's outcome, the pages to record in the job's
// order, and the files this run wrote that the catalog does not name (removed should the
// recording fail).
struct ConvertedJob {
    std::vector<FileOutcome> files;
    std::vector<iiif::ImageRecord> images;
    bool all_reused = true;  // every page was found already done: a retry that changes nothing
    std::vector<std::string> written;
};

// Converts and keeps the job's files (masters, originals) on the storage root, reading
// `catalog` for what the object holds already; writes no catalog and no object.json. A file
// refused or failed has its outcome say so; throws only for a job that cannot be ingested at
// all (no object ARK, metadata over the limits).
ConvertedJob convert_job(const DaemonConfig& config, const iiif::CatalogReader& catalog,
                         const IngestJob& job, const ProgressFn& progress);

// Records a converted job that has pages: object.json, then the catalog, as the object is in
// the catalog now (a change of its pages may have come since the conversion). Throws when it
// cannot, having removed `converted.written` (and the object's directories when they are
// empty). `object_lock` as for ingest_job.
void record_converted_job(const DaemonConfig& config, iiif::CatalogWriter& catalog,
                          const IngestJob& job, const ConvertedJob& converted,
                          std::mutex* object_lock = nullptr);

// What a delivery node's worker hands to the writer to record (workers.hpp): the job, its
// conversion, and how long that took; as JSON and back (ingest_json.cpp).
struct HandedOverJob {
    IngestJob job;
    ConvertedJob converted;
    double seconds = 0;
};
std::string handed_over_job_to_json(const HandedOverJob& handed);
HandedOverJob handed_over_job_from_json(const std::string& text);  // throws std::runtime_error

}  // namespace iiifd
