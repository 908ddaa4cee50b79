#include "ingest.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <vips/vips8>

#include "clock.hpp"
#include "iiif_error.hpp"
#include "image_source.hpp"
#include "object_store.hpp"
#include "storage.hpp"
#include "tiff_master.hpp"

namespace iiifd {
namespace {

namespace fs = std::filesystem;
using vips::VImage;

constexpr int kJp2Tile = 1024;
constexpr int kJp2Quality = 45;  // lossy, on jp2ksave's scale (its default is 48)
// Past this many bytes of raw pixels the master may not fit in a classic TIFF (4 GiB).
constexpr std::int64_t kBigTiffRawBytes = std::int64_t{1} << 30;
// A temporary file whose writer cannot be seen from here (another host's, or one named before
// names carried their writer) untouched this long was left by a crash, not by a worker at work.
constexpr std::chrono::seconds kStaleTemporaryAge{600};

// A problem with the deposited file itself: the depositor must fix it, a retry will not.
// A file refused for a reason of its own (FileOutcome::reason's codes), not a failure.
struct Refusal : std::runtime_error {
    Refusal(std::string code_, const std::string& message)
        : std::runtime_error(message), code(std::move(code_)) {}
    std::string code;
};

std::string page_number(int page, int width) {
    char text[16];
    std::snprintf(text, sizeof text, "%0*d", width, page);
    return text;
}

// The depositor's file name as a safe, portable file name: its last component, ASCII letters,
// digits, '.', '-' and '_' only, no leading dot, bounded length. The exact name stays in the
// image record.
std::string sanitised_name(const std::string& original_name) {
    std::string name = fs::path(original_name).filename().string();
    for (char& c : name) {
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
        if (!safe) c = '_';
    }
    while (!name.empty() && name.front() == '.') name.erase(0, 1);
    constexpr size_t kMaxLength = 100;
    if (name.size() > kMaxLength) {
        size_t dot = name.rfind('.');
        std::string extension =
            dot != std::string::npos && name.size() - dot <= 16 ? name.substr(dot) : "";
        name = name.substr(0, kMaxLength - extension.size()) + extension;
    }
    return name.empty() ? "file" : name;
}

bool is_regular_file(const std::string& path) {
    std::error_code error;
    return fs::is_regular_file(path, error);
}

// The first line of a libvips error, enough for a depositor.
std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    return line.empty() ? "unknown libvips error" : line;
}

// sRGB (grey stays grey), 8 bits, no alpha: what a JPEG-compressed TIFF can hold and what every
// viewer shows the same way.
VImage to_display_colour(VImage image) {
    VipsInterpretation interpretation = image.interpretation();
    if (interpretation == VIPS_INTERPRETATION_B_W || interpretation == VIPS_INTERPRETATION_GREY16) {
        image = image.colourspace(VIPS_INTERPRETATION_B_W);
    } else if (image.get_typeof(VIPS_META_ICC_NAME) != 0) {
        try {
            image = image.icc_transform(
                "srgb",
                VImage::option()->set("embedded", true)->set("intent", VIPS_INTENT_PERCEPTUAL));
        } catch (const vips::VError&) {
            // A broken embedded profile: the pixels are still worth keeping.
            vips_error_clear();
            image = image.colourspace(VIPS_INTERPRETATION_sRGB);
        }
    } else {
        image = image.colourspace(VIPS_INTERPRETATION_sRGB);
    }
    if (image.has_alpha())
        image = image.flatten(VImage::option()->set(
            "background", std::vector<double>(static_cast<size_t>(image.bands() - 1), 255.0)));
    if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
    return image;
}

// The master's pixels: the source decoded front to back, upright, in display colour. fail_on
// makes a truncated or corrupt source an error instead of grey rows.
VImage master_pixels(const std::string& source) {
    auto load = [&](VipsAccess access) {
        return VImage::new_from_file(
            source.c_str(),
            VImage::option()->set("access", access)->set("fail_on", VIPS_FAIL_ON_ERROR));
    };
    // Opening reads the header only; an orientation other than upright needs random access to
    // rotate, every other image streams.
    VImage image = load(VIPS_ACCESS_RANDOM);
    if (image.get_typeof(VIPS_META_ORIENTATION) != 0 && image.get_int(VIPS_META_ORIENTATION) > 1)
        image = image.autorot();
    else
        image = load(VIPS_ACCESS_SEQUENTIAL);
    return to_display_colour(image);
}

// Refuses to start a master that may not fit. A JPEG-compressed pyramid, even of noise, stays
// below the raw size of its base, and so does a lossy JPEG 2000.
void check_free_space(const std::string& directory, std::int64_t needed) {
    struct statvfs status;
    if (::statvfs(directory.c_str(), &status) != 0) return;  // the write will say what is wrong
    auto free_bytes =
        static_cast<std::int64_t>(status.f_bavail) * static_cast<std::int64_t>(status.f_frsize);
    if (free_bytes < needed)
        throw std::runtime_error(directory + ": " + std::to_string(free_bytes) +
                                 " bytes free, a master may need " + std::to_string(needed));
}

// libvips' progress of a conversion, reported at most every 250 ms and only when the percent
// changed, so that a job's record in Redis is rewritten a few times a second at most.
//
// libvips emits "eval" on the image being saved (vips_image_set_progress) from the thread that
// runs the save, between the ticks of its pool's threads (vips_threadpool_run; checked with
// 8.14): the report runs on the ingest worker's own thread, with its own Redis connection, while
// that thread waits in the save. The lock keeps it correct should a libvips emit from its pool.
class ConversionProgress {
  public:
    using Report = std::function<void(int percent)>;
    explicit ConversionProgress(const Report& report) : report_(report) {}
    ConversionProgress(const ConversionProgress&) = delete;
    ConversionProgress& operator=(const ConversionProgress&) = delete;
    // libvips may keep the image (its operation cache): no handler may outlive this.
    ~ConversionProgress() { stop_following(); }

    // Follows the saving of `image`, its 0-100 % mapped onto from-to % of the conversion (a
    // conversion in two passes gives each its half); stops following the image before.
    void follow(VImage& image, int from, int to) {
        if (!report_) return;
        stop_following();
        std::lock_guard lock(mutex_);
        from_ = from;
        to_ = to;
        image_ = image.get_image();
        g_object_ref(image_);
        vips_image_set_progress(image_, TRUE);
        handler_ = g_signal_connect(image_, "eval", G_CALLBACK(&ConversionProgress::on_eval), this);
    }

    // A pass that reports its own percent (0-100), mapped onto from-to % of the conversion;
    // stops following an image.
    std::function<void(int)> pass(int from, int to) {
        stop_following();
        return [this, from, to](int percent) {
            std::lock_guard lock(mutex_);
            reach(from + percent * (to - from) / 100);
        };
    }

  private:
    void stop_following() {
        if (image_ == nullptr) return;
        g_signal_handler_disconnect(image_, handler_);
        vips_image_set_progress(image_, FALSE);
        g_object_unref(image_);
        image_ = nullptr;
    }

    static void on_eval(VipsImage*, VipsProgress* progress, ConversionProgress* self) {
        std::lock_guard lock(self->mutex_);
        self->reach(self->from_ + progress->percent * (self->to_ - self->from_) / 100);
    }

    // Reports `percent` of the conversion, if it went forward and the last report is 250 ms old.
    // Called under the mutex.
    void reach(int percent) {
        if (!report_) return;
        const auto now = std::chrono::steady_clock::now();
        if (percent <= last_ || now - reported_ < std::chrono::milliseconds(250)) return;
        last_ = percent;
        reported_ = now;
        report_(percent);
    }

    const Report& report_;
    std::mutex mutex_;
    int from_ = 0, to_ = 100;
    int last_ = 0;  // what was reported last: 0, the file's progress when it starts converting
    std::chrono::steady_clock::time_point reported_{};
    VipsImage* image_ = nullptr;
    gulong handler_ = 0;
};

// A job that kept nothing leaves no directories behind (only empty ones are removed).
void remove_empty_object_directories(const ObjectFiles& files) {
    std::error_code ignored;
    fs::remove(files.masters, ignored);
    fs::remove(files.originals, ignored);
    fs::remove(files.directory, ignored);
}

// A job's files made into pages of one object (the first half of a job): reads the catalog,
// never writes it.
class ObjectIngest {
  public:
    ObjectIngest(const DaemonConfig& config, const iiif::CatalogReader& catalog,
                 const iiif::Ark& ark)
        : config_(config),
          catalog_(catalog),
          ark_(ark.to_string()),
          files_(ObjectStore(config.storage_root).files(ark)),
          existing_(catalog.object(ark_)) {}

    const std::optional<iiif::ObjectRecord>& existing() const { return existing_; }

    // The record of `file` as page `page`; throws Refusal or another exception (a failure).
    // `*converted_in`: how long its master took to make, once it is made.
    iiif::ImageRecord ingest(const DepositFile& file, int page, bool* reused,
                             std::optional<double>* converted_in,
                             const std::function<void(int)>& converting) {
        *reused = false;
        std::string id = ark_ + "/f" + std::to_string(page);
        check_limits(file);
        std::string sha256 = sha256_of_file(file.staged_path);
        std::optional<iiif::ImageRecord> previous = catalog_.image(id);
        if (std::optional<iiif::ImageRecord> done = already_done(previous, page, sha256)) {
            *reused = true;
            return *done;
        }
        prepare_directories();

        std::string master_suffix = config_.master_format == "jp2" ? ".jp2" : ".tif";
        // A page's new image (a replacement) goes beside the one it replaces, which the
        // object's earlier versions name.
        const std::string tag = previous && previous->master_sha256.size() > 0
                                    ? "-v" + std::to_string(previous->version + 1)
                                    : std::string();
        std::string master = files_.masters + "/f" + std::to_string(page) + tag + master_suffix;
        std::string original = files_.originals + "/" + page_number(page, 4) + tag + "-" +
                               sanitised_name(file.original_name);
        // Converting first: a source that cannot be decoded leaves no trace at all.
        std::string temporary = create_temporary_file(files_.masters, master_suffix);
        vips_error_clear();  // VError quotes the whole buffer: leave no older message in it
        try {
            const auto began = std::chrono::steady_clock::now();
            convert_to_master(file.staged_path, temporary, config_, converting);
            *converted_in =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        } catch (const vips::VError& error) {
            vips_error_clear();
            std::error_code ignored;
            fs::remove(temporary, ignored);
            throw Refusal("damaged", "the image cannot be decoded (truncated or corrupt): " +
                                         first_line(error.what()));
        } catch (...) {
            std::error_code ignored;
            fs::remove(temporary, ignored);
            throw;
        }

        iiif::ImageRecord record;
        record.id = id;
        record.object = ark_;
        record.index = page;
        record.master_path = master;
        record.original_path = original;
        record.original_name = file.original_name;
        record.original_sha256 = sha256;
        // The master is read back before it takes its place, and the original kept last: a file
        // that fails on the way leaves neither behind.
        bool original_written = false;
        try {
            try {
                record.source = iiif::probe_source(temporary);
            } catch (const iiif::IiifError& error) {
                throw std::runtime_error(master +
                                         ": the new master cannot be read: " + error.reason);
            }
            record.master_sha256 = sha256_of_file(temporary);
            copy_file_atomically(file.staged_path, original);
            original_written = true;
            if (sha256_of_file(original) != sha256)
                throw std::runtime_error(original + ": the kept copy differs from the deposit");
            record.original_bytes = static_cast<std::int64_t>(fs::file_size(original));
            commit_file(temporary, master);
        } catch (...) {
            std::error_code ignored;
            fs::remove(temporary, ignored);
            if (original_written && !is_recorded(previous, original)) fs::remove(original, ignored);
            throw;
        }
        for (const std::string& path : {original, master}) {
            if (!is_recorded(previous, path)) written_.push_back(path);
        }
        record.version = 1;
        if (previous) {
            // A new master under an old id must not be served from tiles cached for the old one.
            bool same = previous->original_sha256 == record.original_sha256 &&
                        previous->master_sha256 == record.master_sha256;
            record.version = same ? previous->version : previous->version + 1;
            record.policy = previous->policy;
        } else if (existing_) {
            record.policy = existing_->policy;
        }
        return record;
    }

    // The page a new page of an "add" job is: one after every page the object ever had.
    int next_page() const {
        int last = 0;
        for (const auto* list : {&existing_->images, &existing_->removed})
            for (const std::string& id : *list) {
                const std::string name = iiif::page_name(id);
                if (name.size() > 1) last = std::max(last, std::stoi(name.substr(1)));
            }
        return last + 1;
    }

    const std::vector<std::string>& written() const { return written_; }

    // What a crash in an earlier run of this job left: temporary files only, never read.
    void remove_leftovers() {
        for (const std::string& directory : {files_.directory, files_.originals, files_.masters})
            remove_stale_temporaries(directory, kStaleTemporaryAge);
    }

    void remove_empty_directories() { remove_empty_object_directories(files_); }

  private:
    void check_limits(const DepositFile& file) {
        struct stat status;
        if (::stat(file.staged_path.c_str(), &status) != 0 || !S_ISREG(status.st_mode))
            throw std::runtime_error("the deposited file is missing from staging");
        if (status.st_size > config_.max_file_bytes)
            throw Refusal("too_large", "the file is " + std::to_string(status.st_size) +
                                           " bytes, over the limit of " +
                                           std::to_string(config_.max_file_bytes));
        iiif::SourceInfo source;
        try {
            source = iiif::probe_source(file.staged_path);
        } catch (const iiif::IiifError& error) {
            if (error.status == 415)
                throw Refusal(
                    "not_an_image",
                    "not an image in a format accepted here (JPEG, PNG, TIFF, JPEG 2000, WebP, "
                    "GIF)");
            if (error.status == 404)
                throw std::runtime_error("the deposited file is missing from staging");
            throw Refusal("damaged", "the image is damaged: " + error.reason);
        }
        // Checked on the declared size, before a single pixel is decoded (decompression bombs).
        std::int64_t pixels = std::int64_t{source.width} * source.height;
        if (pixels > config_.max_pixels)
            throw Refusal("too_many_pixels",
                          "the image declares " + std::to_string(source.width) + "x" +
                              std::to_string(source.height) + " = " + std::to_string(pixels) +
                              " pixels, over the limit of " + std::to_string(config_.max_pixels));
    }

    // The record of a page this object already holds for the same original, with its files in
    // place: a retried job reuses it instead of converting again.
    std::optional<iiif::ImageRecord> already_done(const std::optional<iiif::ImageRecord>& previous,
                                                  int page, const std::string& sha256) {
        std::optional<int> known = catalog_.page_for_original(ark_, sha256);
        if (!known || *known != page || !previous || previous->original_sha256 != sha256)
            return std::nullopt;
        if (!is_regular_file(previous->original_path) || !is_regular_file(previous->master_path))
            return std::nullopt;
        if (sha256_of_file(previous->master_path) != previous->master_sha256) return std::nullopt;
        return previous;
    }

    // Whether `path` is a file of the page's record in the catalog (a page ingested again).
    static bool is_recorded(const std::optional<iiif::ImageRecord>& previous,
                            const std::string& path) {
        return previous && (previous->master_path == path || previous->original_path == path);
    }

    void prepare_directories() {
        if (directories_ready_) return;
        make_directories(files_.originals);
        make_directories(files_.masters);
        directories_ready_ = true;
    }

    const DaemonConfig& config_;
    const iiif::CatalogReader& catalog_;
    std::string ark_;
    const ObjectFiles files_;
    std::optional<iiif::ObjectRecord> existing_;
    bool directories_ready_ = false;
    std::vector<std::string> written_;  // files of this run the catalog does not name yet
};

// A converted job's pages recorded in its object (the second half of a job): object.json, then
// the catalog, so that the object becomes visible complete or not at all. Only the writer's
// iiifd records.
class ObjectRecorder {
  public:
    ObjectRecorder(const DaemonConfig& config, iiif::CatalogWriter& catalog, const iiif::Ark& ark)
        : config_(config),
          catalog_(catalog),
          store_(config.storage_root),
          ark_(ark.to_string()),
          existing_(catalog.reader().object(ark_)) {}

    const std::optional<iiif::ObjectRecord>& existing() const { return existing_; }

    void record(const IngestJob& job, const std::vector<iiif::ImageRecord>& images,
                bool all_reused) {
        if (!job.mode.empty()) return record_page_change(job, images);
        // Taken down while its files were converted: the takedown stands.
        if (existing_ && existing_->state == iiif::RecordState::withdrawn)
            throw std::runtime_error(ark_ + ": withdrawn meanwhile; the job's pages are not added");
        iiif::ObjectRecord object;
        object.ark = ark_;
        object.metadata = job.metadata;
        if (object.metadata.provider.empty()) object.metadata.provider = config_.institution;
        for (const iiif::ImageRecord& image : images) object.images.push_back(image.id);
        object.state = iiif::RecordState::active;
        std::int64_t now = iiif::now_seconds();
        object.created = existing_ ? existing_->created : now;
        object.updated = object.datestamp = now;
        object.institution = existing_ ? existing_->institution : job.institution;
        if (existing_) {
            object.policy = existing_->policy;
            // A retried job that changes nothing keeps its dates: harvesters see no update.
            if (all_reused && existing_->images == object.images &&
                existing_->metadata == object.metadata &&
                existing_->state == iiif::RecordState::active) {
                object.updated = existing_->updated;
                object.datestamp = existing_->datestamp;
            }
        }
        store_.write(object, images, [&] { catalog_.put(object, images); });
    }

  private:
    // An "add" or "replace" job's pages put into the object as a new version of it
    // (page_changes.hpp): the others kept as they are, those taken out before kept too.
    void record_page_change(const IngestJob& job, const std::vector<iiif::ImageRecord>& images) {
        // As it is now, not as the job found it: a change of its pages may have come between.
        std::optional<iiif::ObjectRecord> now = catalog_.reader().object(ark_);
        if (!now || now->state != iiif::RecordState::active)
            throw std::runtime_error(ark_ + ": no longer there to take new pages");
        iiif::ObjectRecord object = std::move(*now);
        std::vector<iiif::ImageRecord> written;
        std::vector<std::string> order;
        const std::string target_id = ark_ + "/" + job.target;
        // Pages this job added already (its recording done twice: the writer stopped before
        // Redis had the outcome) are added once.
        if (job.mode == "add")
            std::erase_if(object.images, [&](const std::string& id) {
                return std::any_of(images.begin(), images.end(),
                                   [&](const iiif::ImageRecord& added) { return added.id == id; });
            });
        for (const std::string& id : object.images) {
            if (job.mode == "replace" && id == target_id) {
                // The page keeps its label unless the job gave it another.
                iiif::ImageRecord page = images.front();
                if (page.label.empty())
                    if (std::optional<iiif::ImageRecord> old = catalog_.reader().image(id))
                        page.label = old->label;
                written.push_back(std::move(page));
            } else {
                std::optional<iiif::ImageRecord> kept = catalog_.reader().image(id);
                if (!kept) throw std::runtime_error("catalog: no record of " + id);
                written.push_back(std::move(*kept));
            }
            order.push_back(id);
            if (job.mode == "add" && id == target_id)
                for (const iiif::ImageRecord& added : images) order.push_back(added.id);
        }
        if (job.mode == "add") {
            if (job.target.empty())
                for (const iiif::ImageRecord& added : images) order.push_back(added.id);
            written.insert(written.end(), images.begin(), images.end());
        }
        for (const std::string& id : object.removed)
            if (std::optional<iiif::ImageRecord> gone = catalog_.reader().image(id))
                written.push_back(std::move(*gone));
        store_.keep_version(object);
        object.images = std::move(order);
        object.version += 1;
        object.updated = object.datestamp = std::max(iiif::now_seconds(), object.datestamp);
        store_.write(object, written, [&] { catalog_.put(object, written); });
    }

    const DaemonConfig& config_;
    iiif::CatalogWriter& catalog_;
    const ObjectStore store_;
    std::string ark_;
    std::optional<iiif::ObjectRecord> existing_;
};

// The object a job is about; throws for a job that names none.
iiif::Ark object_ark(const IngestJob& job) {
    std::optional<iiif::Ark> ark = iiif::parse_ark(job.ark);
    if (!ark || !ark->qualifier.empty())
        throw std::runtime_error("ingest job " + job.id + ": '" + job.ark + "' is no object ARK");
    return *ark;
}

}  // namespace

void convert_to_master(const std::string& source, const std::string& target,
                       const DaemonConfig& config, const std::function<void(int percent)>& report) {
    VImage image = master_pixels(source);
    ConversionProgress progress(report);
    std::int64_t raw_bytes = std::int64_t{image.width()} * image.height() * image.bands();
    std::string directory = fs::path(target).parent_path().string();
    if (config.master_format == "jp2") {
        check_free_space(directory, raw_bytes);
        progress.follow(image, 0, 100);
        image.jp2ksave(target.c_str(), VImage::option()
                                           ->set("tile_width", kJp2Tile)
                                           ->set("tile_height", kJp2Tile)
                                           ->set("Q", kJp2Quality)
                                           ->set("lossless", false));
        return;
    }
    // Decoded first into an uncompressed temporary file (libvips' own format, mapped back in):
    // every error of the source surfaces here, and the pyramid's levels read it at random.
    check_free_space(directory, 2 * raw_bytes);
    std::string decoded = create_temporary_file(directory, ".v");
    try {
        progress.follow(image, 0, 50);
        image.write_to_file(decoded.c_str());
        const VImage pixels = VImage::new_from_file(decoded.c_str());
        write_tiff_master(
            pixels, target,
            {config.master_jpeg_quality, config.master_tile_size, raw_bytes > kBigTiffRawBytes},
            progress.pass(50, 100));
    } catch (...) {
        std::error_code ignored;
        fs::remove(decoded, ignored);
        throw;
    }
    fs::remove(decoded);
}

std::string_view file_state_name(FileState state) {
    switch (state) {
        case FileState::queued:
            return "queued";
        case FileState::converting:
            return "converting";
        case FileState::done:
            return "done";
        case FileState::refused:
            return "refused";
        case FileState::failed:
            return "failed";
    }
    return "unknown";
}

ConvertedJob convert_job(const DaemonConfig& config, const iiif::CatalogReader& catalog,
                         const IngestJob& job, const ProgressFn& progress) {
    const iiif::Ark ark = object_ark(job);
    // Before anything is written: a job queued by an iiifd that did not check the limits cannot
    // be recorded, and must not leave files it cannot record.
    iiif::check_metadata_limits(job.metadata);
    ObjectIngest object(config, catalog, ark);
    object.remove_leftovers();

    ConvertedJob converted;
    auto report = [&](size_t index) {
        if (progress) progress(index, converted.files[index]);
    };
    for (size_t i = 0; i < job.files.size(); ++i) {
        converted.files.push_back({job.files[i].original_name, FileState::queued, 0, {}, {}, 0});
        report(i);
    }

    bool withdrawn = object.existing() && object.existing()->state == iiif::RecordState::withdrawn;
    std::vector<iiif::ImageRecord>& images = converted.images;
    for (size_t i = 0; i < job.files.size(); ++i) {
        FileOutcome& outcome = converted.files[i];
        outcome.state = FileState::converting;
        report(i);
        try {
            if (withdrawn) throw Refusal("withdrawn", "the object has been withdrawn");
            if (images.size() >= static_cast<size_t>(config.max_files_per_object))
                throw Refusal("too_many_pages", "the object already has the maximum of " +
                                                    std::to_string(config.max_files_per_object) +
                                                    " pages");
            // Pages count accepted files only, so a retried job numbers them the same way.
            int page = static_cast<int>(images.size()) + 1;
            if (!job.mode.empty()) {
                if (!object.existing()) throw Refusal("withdrawn", "the object does not exist");
                page = job.mode == "replace" ? std::stoi(job.target.substr(1))
                                             : object.next_page() + static_cast<int>(images.size());
            }
            bool reused = false;
            const auto converting = [&](int percent) {
                outcome.progress = percent;
                report(i);
            };
            images.push_back(object.ingest(job.files[i], page, &reused, &outcome.conversion_seconds,
                                           converting));
            if (images.back().label != job.files[i].label) {
                images.back().label = job.files[i].label;
                reused = false;
            }
            converted.all_reused = converted.all_reused && reused;
            outcome.state = FileState::done;
            outcome.page = page;
            outcome.progress = 100;
        } catch (const Refusal& refusal) {
            outcome.state = FileState::refused;
            outcome.error = refusal.what();
            outcome.reason = refusal.code;
        } catch (const std::exception& error) {
            outcome.state = FileState::failed;
            outcome.error = error.what();
            outcome.reason = "internal";
        }
        report(i);
    }

    if (images.empty() && !object.existing()) object.remove_empty_directories();
    converted.written = object.written();
    return converted;
}

void record_converted_job(const DaemonConfig& config, iiif::CatalogWriter& catalog,
                          const IngestJob& job, const ConvertedJob& converted,
                          std::mutex* object_lock) {
    const iiif::Ark ark = object_ark(job);
    std::unique_lock<std::mutex> held;
    if (object_lock != nullptr && !job.mode.empty()) held = std::unique_lock(*object_lock);
    ObjectRecorder recorder(config, catalog, ark);
    try {
        if (converted.images.empty()) throw std::runtime_error("no page to record");
        recorder.record(job, converted.images, converted.all_reused);
    } catch (...) {
        // Not recorded: no page of this run is part of the object, and none of its files stays.
        std::error_code ignored;
        for (const std::string& path : converted.written) fs::remove(path, ignored);
        if (!recorder.existing())
            remove_empty_object_directories(ObjectStore(config.storage_root).files(ark));
        throw;
    }
}

IngestResult ingest_job(const DaemonConfig& config, iiif::CatalogWriter& catalog,
                        const IngestJob& job, const ProgressFn& progress, std::mutex* object_lock) {
    ConvertedJob converted = convert_job(config, catalog.reader(), job, progress);
    IngestResult result;
    result.files = std::move(converted.files);
    if (converted.images.empty()) return result;
    record_converted_job(config, catalog, job, converted, object_lock);
    result.object_written = true;
    return result;
}

}  // namespace iiifd
