#include "storage.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "encoding.hpp"
#include "iiif_error.hpp"

namespace iiifd {
namespace {

constexpr std::string_view kTemporaryPrefix = ".tmp-";
constexpr size_t kBufferSize = 1 << 20;
// Masters and originals are read by nginx workers running as another user.
constexpr mode_t kFileMode = 0644;

[[noreturn]] void fail(const std::string& path, const std::string& what, int error = errno) {
    throw std::runtime_error(path + ": " + what + ": " + std::strerror(error));
}

// Closes on scope exit; close() errors after a successful fsync cannot lose data.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

namespace fs = std::filesystem;

// When this process started, as file times count: a temporary file of this process's pid older
// than that was written by an earlier process that had the same pid (a container's pid 1).
const fs::file_time_type kProcessStart = fs::file_time_type::clock::now();

// This host's part of a temporary file's name: the characters of a host name (letters, digits,
// '-' and '.') of its name, so that '_' ends it.
const std::string& host_tag() {
    static const std::string tag = [] {
        char name[256] = {};
        ::gethostname(name, sizeof name - 1);
        std::string kept;
        for (const char c : std::string_view(name)) {
            if ((std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.') &&
                kept.size() < 64)
                kept += c;
        }
        return kept.empty() ? std::string("host") : kept;
    }();
    return tag;
}

enum class Writer { running, gone, unknown };

// Who writes the temporary file `name`, last written at `written`: a process of this host
// (running or gone), or one that cannot be told (another host's, or a name from before names
// carried their writer).
Writer writer_of(std::string_view name, fs::file_time_type written) {
    name.remove_prefix(kTemporaryPrefix.size());
    const std::string& host = host_tag();
    if (!name.starts_with(host) || name.substr(host.size(), 1) != "_") return Writer::unknown;
    name.remove_prefix(host.size() + 1);
    pid_t pid = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (error != std::errc() || pid <= 0 || end == name.data() + name.size() || *end != '_')
        return Writer::unknown;
    if (pid == ::getpid()) return written < kProcessStart ? Writer::gone : Writer::running;
    return ::kill(pid, 0) == 0 || errno == EPERM ? Writer::running : Writer::gone;
}

std::string parent_of(const std::string& path) {
    std::string parent = std::filesystem::path(path).parent_path().string();
    return parent.empty() ? "." : parent;
}

void write_all(int fd, const char* data, size_t size, const std::string& path) {
    while (size > 0) {
        ssize_t written = ::write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR) continue;
            fail(path, "cannot write");
        }
        data += written;
        size -= static_cast<size_t>(written);
    }
}

// Reads up to `size` bytes, fewer only at the end of the file.
size_t read_some(int fd, char* data, size_t size, const std::string& path) {
    for (;;) {
        ssize_t got = ::read(fd, data, size);
        if (got >= 0) return static_cast<size_t>(got);
        if (errno != EINTR) fail(path, "cannot read");
    }
}

void sync_directory(const std::string& directory) {
    Fd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) fail(directory, "cannot open directory");
    if (::fsync(fd.get()) != 0) fail(directory, "cannot fsync directory");
}

// A temporary file open for writing; unlinked unless committed. It is opened without O_TRUNC:
// it is new and empty, and ext4 takes a truncation to size 0 for a rewrite in place and writes
// the file out when it is closed (auto_da_alloc), a wait the fsync of the commit would do anyway
// but one a batch (write_files_atomically) means to share.
class Temporary {
  public:
    explicit Temporary(const std::string& final_path)
        : path_(create_temporary_file(parent_of(final_path))),
          fd_(::open(path_.c_str(), O_WRONLY | O_CLOEXEC)) {
        if (fd_.get() < 0) {
            int error = errno;
            ::unlink(path_.c_str());
            fail(path_, "cannot open", error);
        }
    }
    Temporary(const Temporary&) = delete;
    Temporary& operator=(const Temporary&) = delete;
    ~Temporary() {
        if (!committed_) ::unlink(path_.c_str());
    }
    int fd() const { return fd_.get(); }
    const std::string& path() const { return path_; }
    void commit(const std::string& final_path) {
        commit_file(path_, final_path);
        committed_ = true;
    }

  private:
    std::string path_;
    Fd fd_;
    bool committed_ = false;
};

}  // namespace

std::string object_directory(const std::string& storage_root, const iiif::Ark& ark) {
    // Both parts become path components: nothing may climb out of the storage root.
    auto is_component = [](const std::string& part) {
        return !part.empty() && part != "." && part != ".." &&
               part.find('/') == std::string::npos && part.find('\0') == std::string::npos;
    };
    if (!is_component(ark.naan) || !is_component(ark.name))
        throw std::runtime_error("ARK '" + ark.to_string() + "' cannot name a storage directory");
    std::string root = storage_root;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    return root + "/" + ark.naan + "/" + ark.name;
}

std::string create_temporary_file(const std::string& directory, std::string_view suffix) {
    std::string name = directory + "/" + std::string(kTemporaryPrefix) + host_tag() + "_" +
                       std::to_string(::getpid()) + "_XXXXXX";
    name += suffix;
    int fd = ::mkostemps(name.data(), static_cast<int>(suffix.size()), O_CLOEXEC);
    if (fd < 0) fail(directory, "cannot create a temporary file");
    ::close(fd);
    return name;
}

bool is_temporary_name(std::string_view file_name) {
    return file_name.starts_with(kTemporaryPrefix);
}

std::vector<std::string> remove_stale_temporaries(const std::string& directory,
                                                  std::chrono::seconds min_age) {
    std::vector<std::string> removed;
    std::error_code error;
    fs::directory_iterator entries(directory, error);
    if (error) return removed;  // no directory yet: nothing was left
    const auto now = fs::file_time_type::clock::now();
    for (const fs::directory_entry& entry : entries) {
        const std::string name = entry.path().filename().string();
        if (!is_temporary_name(name) || !entry.is_regular_file(error)) continue;
        const auto written = entry.last_write_time(error);
        if (error) continue;
        const Writer writer = writer_of(name, written);
        if (writer == Writer::gone || (writer == Writer::unknown && now - written >= min_age)) {
            if (fs::remove(entry.path(), error)) removed.push_back(entry.path().string());
        }
    }
    return removed;
}

std::vector<std::string> sweep_stale_temporaries(const std::string& root,
                                                 std::chrono::seconds min_age,
                                                 const std::vector<std::string>& skipped,
                                                 std::stop_token stop) {
    // Paths compared as written from a canonical start: the walk follows no symbolic link.
    auto canonical = [](const std::string& path) {
        std::error_code ignored;
        return fs::weakly_canonical(fs::absolute(path), ignored);
    };
    std::vector<fs::path> skip;
    for (const std::string& path : skipped)
        if (!path.empty()) skip.push_back(canonical(path));
    const fs::path start = canonical(root);
    std::vector<std::string> removed = remove_stale_temporaries(start.string(), min_age);
    std::error_code error;
    fs::recursive_directory_iterator walk(start, fs::directory_options::skip_permission_denied,
                                          error);
    for (; !error && walk != fs::recursive_directory_iterator(); walk.increment(error)) {
        if (stop.stop_requested()) break;
        std::error_code type_error;
        if (walk->is_symlink(type_error) || !walk->is_directory(type_error)) continue;
        if (std::find(skip.begin(), skip.end(), walk->path()) != skip.end()) {
            walk.disable_recursion_pending();
            continue;
        }
        std::vector<std::string> here = remove_stale_temporaries(walk->path().string(), min_age);
        removed.insert(removed.end(), here.begin(), here.end());
    }
    return removed;
}

void commit_file(const std::string& temporary, const std::string& path) {
    {
        Fd fd(::open(temporary.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd.get() < 0) fail(temporary, "cannot open");
        if (::fchmod(fd.get(), kFileMode) != 0) fail(temporary, "cannot chmod");
        if (::fsync(fd.get()) != 0) fail(temporary, "cannot fsync");
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0)
        fail(path, "cannot rename " + temporary + " to it");
    sync_directory(parent_of(path));
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
    Temporary temporary(path);
    write_all(temporary.fd(), bytes.data(), bytes.size(), temporary.path());
    temporary.commit(path);
}

void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files) {
    if (files.empty()) return;
    std::vector<std::string> temporaries;
    auto sync_all = [&] {
        Fd fd(::open(parent_of(files.front().first).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (fd.get() < 0) fail(parent_of(files.front().first), "cannot open directory");
        if (::syncfs(fd.get()) != 0) fail(parent_of(files.front().first), "cannot syncfs");
    };
    size_t renamed = 0;
    try {
        for (const auto& [path, bytes] : files) {
            temporaries.push_back(create_temporary_file(parent_of(path)));
            Fd fd(::open(temporaries.back().c_str(), O_WRONLY | O_CLOEXEC));
            if (fd.get() < 0) fail(temporaries.back(), "cannot open");
            write_all(fd.get(), bytes.data(), bytes.size(), temporaries.back());
            if (::fchmod(fd.get(), kFileMode) != 0) fail(temporaries.back(), "cannot chmod");
        }
        sync_all();
        for (; renamed < files.size(); ++renamed) {
            if (::rename(temporaries[renamed].c_str(), files[renamed].first.c_str()) != 0)
                fail(files[renamed].first, "cannot rename " + temporaries[renamed] + " to it");
        }
        sync_all();
    } catch (...) {
        for (size_t i = renamed; i < temporaries.size(); ++i) ::unlink(temporaries[i].c_str());
        throw;
    }
}

void copy_file_atomically(const std::string& from, const std::string& to) {
    Fd source(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (source.get() < 0) fail(from, "cannot open");
    Temporary temporary(to);
    std::vector<char> buffer(kBufferSize);
    while (size_t got = read_some(source.get(), buffer.data(), buffer.size(), from))
        write_all(temporary.fd(), buffer.data(), got, temporary.path());
    temporary.commit(to);
}

void append_line_durably(const std::string& path, std::string_view line) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) throw iiif::IiifError(500, path + ": " + std::strerror(errno));
    const bool written =
        ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
        ::fsync(fd) == 0;
    ::close(fd);
    if (!written) throw iiif::IiifError(500, path + ": cannot append");
}

std::string sha256_of_file(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) fail(path, "cannot open");
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    EVP_MD_CTX_free);
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1)
        throw std::runtime_error(path + ": cannot start SHA-256");
    std::vector<char> buffer(kBufferSize);
    while (size_t got = read_some(fd.get(), buffer.data(), buffer.size(), path))
        if (EVP_DigestUpdate(context.get(), buffer.data(), got) != 1)
            throw std::runtime_error(path + ": SHA-256 failed");
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context.get(), digest, &length) != 1)
        throw std::runtime_error(path + ": SHA-256 failed");
    return iiif::hex_encode(digest, length);
}

void make_directories(const std::string& path) {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) throw std::runtime_error(path + ": cannot create directory: " + error.message());
}

void fsync_directory(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        int error = errno;
        if (fd >= 0) ::close(fd);
        throw iiif::IiifError(500, "fsync " + path + ": " + std::strerror(error));
    }
    ::close(fd);
}

}  // namespace iiifd
