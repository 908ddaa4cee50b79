// The storage root: paths derived from ARKs, atomic writes, checksums, temporary files; staged
// file names.
#include "storage.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "staging.hpp"
#include "test_images.hpp"

using namespace iiifd;
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh, empty directory under the test process's scratch directory.
std::string fresh_dir(const std::string& name) {
    fs::path dir = test_images::scratch_dir() / ("storage-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir.string();
}

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// The name of a temporary file made in `directory` by a child process that has exited since.
std::string temporary_of_exited_process(const std::string& directory) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::string path = create_temporary_file(directory, ".tif");
        ssize_t ignored = write(fds[1], path.data(), path.size());
        (void)ignored;
        _exit(0);
    }
    close(fds[1]);
    std::string path;
    char buffer[512];
    for (ssize_t got; (got = read(fds[0], buffer, sizeof buffer)) > 0;)
        path.append(buffer, static_cast<size_t>(got));
    close(fds[0]);
    waitpid(child, nullptr, 0);
    return path;
}

}  // namespace

TEST_CASE("an object's directory is {root}/{NAAN}/{name as minted}", "[storage]") {
    iiif::Ark ark = *iiif::parse_ark("ark:/67375/39D-6W3GQPXD-V");
    CHECK(object_directory("/srv/iiif", ark) == "/srv/iiif/67375/39D-6W3GQPXD-V");
    CHECK(object_directory("/srv/iiif/", ark) == "/srv/iiif/67375/39D-6W3GQPXD-V");
}

TEST_CASE("an ARK part that could climb out of the storage root names no directory", "[storage]") {
    CHECK_THROWS_AS(object_directory("/srv/iiif", iiif::Ark{"67375", "..", ""}),
                    std::runtime_error);
    CHECK_THROWS_AS(object_directory("/srv/iiif", iiif::Ark{"", "39D-6W3GQPXD-V", ""}),
                    std::runtime_error);
}

TEST_CASE("an atomic write leaves the content and no temporary file", "[storage]") {
    std::string dir = fresh_dir("atomic");
    std::string path = dir + "/object.json";
    write_file_atomically(path, "first");
    write_file_atomically(path, "second, longer");
    CHECK(read_file(path) == "second, longer");
    CHECK(names_in(dir) == std::vector<std::string>{"object.json"});
}

TEST_CASE("files written together are whole, readable by nginx, and leave no temporary file",
          "[storage]") {
    std::string dir = fresh_dir("together");
    fs::create_directories(dir + "/b");
    write_file_atomically(dir + "/a", "old");
    write_files_atomically({{dir + "/a", "new a"}, {dir + "/b/c", "c"}, {dir + "/d", ""}});
    CHECK(read_file(dir + "/a") == "new a");
    CHECK(read_file(dir + "/b/c") == "c");
    CHECK(read_file(dir + "/d").empty());
    CHECK(names_in(dir) == std::vector<std::string>{"a", "b", "d"});
    CHECK(names_in(dir + "/b") == std::vector<std::string>{"c"});
    struct stat status;
    REQUIRE(::stat((dir + "/b/c").c_str(), &status) == 0);
    CHECK((status.st_mode & 0777) == 0644);
}

TEST_CASE("files written together: when one cannot be written, none is", "[storage]") {
    std::string dir = fresh_dir("together-fail");
    write_file_atomically(dir + "/a", "old");
    CHECK_THROWS_WITH(
        write_files_atomically({{dir + "/a", "new"}, {dir + "/missing/b", "b"}}),
        Catch::Contains(dir + "/missing") && Catch::Contains("No such file or directory"));
    CHECK(read_file(dir + "/a") == "old");
    CHECK(names_in(dir) == std::vector<std::string>{"a"});
}

TEST_CASE("written files are readable by the nginx workers' user", "[storage]") {
    std::string dir = fresh_dir("mode");
    write_file_atomically(dir + "/a", "x");
    struct stat status;
    REQUIRE(::stat((dir + "/a").c_str(), &status) == 0);
    CHECK((status.st_mode & 0777) == 0644);
}

TEST_CASE("an atomic copy is byte for byte and leaves no temporary file", "[storage]") {
    std::string dir = fresh_dir("copy");
    std::string bytes;
    for (unsigned i = 0; i < 3'000'000; ++i) bytes += static_cast<char>(i * 7919u % 251u);
    write_file_atomically(dir + "/from", bytes);
    copy_file_atomically(dir + "/from", dir + "/to");
    CHECK(read_file(dir + "/to") == bytes);
    CHECK(names_in(dir) == std::vector<std::string>{"from", "to"});
}

TEST_CASE("a failed write names the path and the reason", "[storage]") {
    std::string dir = fresh_dir("fail");
    try {
        write_file_atomically(dir + "/missing/file", "x");
        FAIL("no exception");
    } catch (const std::runtime_error& error) {
        std::string what = error.what();
        CHECK(what.find(dir + "/missing") != std::string::npos);
        CHECK(what.find("No such file or directory") != std::string::npos);
    }
    CHECK_THROWS_WITH(copy_file_atomically(dir + "/absent", dir + "/to"),
                      Catch::Contains(dir + "/absent") && Catch::Contains("No such file"));
}

TEST_CASE("a committed temporary file takes its place", "[storage]") {
    std::string dir = fresh_dir("commit");
    std::string temporary = create_temporary_file(dir, ".tif");
    CHECK(is_temporary_name(fs::path(temporary).filename().string()));
    CHECK(temporary.ends_with(".tif"));
    std::ofstream(temporary, std::ios::binary) << "master";
    commit_file(temporary, dir + "/f1.tif");
    CHECK(read_file(dir + "/f1.tif") == "master");
    CHECK(names_in(dir) == std::vector<std::string>{"f1.tif"});
}

TEST_CASE("SHA-256 of a file is its lowercase hex digest", "[storage]") {
    std::string dir = fresh_dir("sha");
    write_file_atomically(dir + "/abc", "abc");
    CHECK(sha256_of_file(dir + "/abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    write_file_atomically(dir + "/empty", "");
    CHECK(sha256_of_file(dir + "/empty") ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // Longer than one read buffer: "a" a million times (FIPS 180-2 test vector).
    write_file_atomically(dir + "/million", std::string(1'000'000, 'a'));
    CHECK(sha256_of_file(dir + "/million") ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("stale temporary files are removed, fresh ones and others kept", "[storage]") {
    std::string dir = fresh_dir("stale");
    std::string stale = create_temporary_file(dir);
    std::string fresh = create_temporary_file(dir);
    write_file_atomically(dir + "/f1.tif", "master");
    fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
    fs::last_write_time(dir + "/f1.tif", fs::file_time_type::clock::now() - std::chrono::hours(2));
    remove_stale_temporaries(dir, std::chrono::minutes(10));
    CHECK_FALSE(fs::exists(stale));
    CHECK(fs::exists(fresh));
    CHECK(fs::exists(dir + "/f1.tif"));
}

TEST_CASE("a temporary file of an exited writer is removed at once, a running one's kept",
          "[storage]") {
    std::string dir = fresh_dir("writers");
    std::string exited = temporary_of_exited_process(dir);
    std::string running = create_temporary_file(dir, ".tif");
    // Another host's writer, and one from before names carried their writer: only their age
    // tells.
    write_file_atomically(dir + "/.tmp-othernode_4242_a1B2c3.tif", "another node's master");
    write_file_atomically(dir + "/.tmp-x7Yz9q.tif", "an older iiifd's master");
    CHECK(names_in(dir).size() == 4);

    remove_stale_temporaries(dir, std::chrono::minutes(10));
    CHECK_FALSE(fs::exists(exited));
    CHECK(fs::exists(running));
    std::vector<std::string> kept = {".tmp-othernode_4242_a1B2c3.tif", ".tmp-x7Yz9q.tif",
                                     fs::path(running).filename().string()};
    std::sort(kept.begin(), kept.end());
    CHECK(names_in(dir) == kept);
}

TEST_CASE("make_directories creates every missing parent", "[storage]") {
    std::string dir = fresh_dir("mkdir");
    make_directories(dir + "/a/b/c");
    CHECK(fs::is_directory(dir + "/a/b/c"));
    make_directories(dir + "/a/b/c");  // existing: no error
    write_file_atomically(dir + "/file", "x");
    CHECK_THROWS_AS(make_directories(dir + "/file/sub"), std::runtime_error);
}

TEST_CASE(
    "a deposited file's name is its last component, valid UTF-8, without control or format "
    "characters",
    "[storage]") {
    CHECK(deposit_file_name("C:\\scans\\p1.tif") == "p1.tif");
    CHECK(deposit_file_name("../../etc/passwd") == "passwd");
    CHECK(deposit_file_name("caf\xE9.jpg") == "caf\xEF\xBF\xBD.jpg");
    CHECK(deposit_file_name("a\tb\x7F\x01.png") == "ab.png");
    // C1 controls (U+0085, U+009B), a right-to-left override (U+202E), a zero-width space
    // (U+200B) and a line separator (U+2028) go too; other characters stay.
    CHECK(deposit_file_name("a\xC2\x85"
                            "b\xC2\x9B"
                            "c.png") == "abc.png");
    CHECK(deposit_file_name("photo\xE2\x80\xAEgpj.exe") == "photogpj.exe");
    CHECK(deposit_file_name("a\xE2\x80\x8B"
                            "b\xE2\x80\xA8"
                            "c.tif") == "abc.tif");
    CHECK(deposit_file_name("\xC3\xA9t\xC3\xA9 \xE6\x9D\xB1.jpg") ==
          "\xC3\xA9t\xC3\xA9 \xE6\x9D\xB1.jpg");
    CHECK(deposit_file_name(std::string("a\0b.png", 7)) ==
          "a\xEF\xBF\xBD"
          "b.png");
    CHECK(deposit_file_name("Vue d\xE2\x80\x99"
                            "ensemble.jpg") ==
          "Vue d\xE2\x80\x99"
          "ensemble.jpg");
    for (const char* nothing : {"", "..", ".", "dir/", "\x01\x02"}) {
        INFO(nothing);
        CHECK(deposit_file_name(nothing) == "file");
    }
    // At most 200 bytes, the end kept, never half a character: the cut falls inside the é.
    const std::string long_name =
        std::string(199, 'a') + "\xC3\xA9" + std::string(195, 'b') + ".jpg";
    CHECK(deposit_file_name(long_name) == std::string(195, 'b') + ".jpg");
    CHECK(staged_file_name(3, "caf\xE9.jpg") == "3-caf\xEF\xBF\xBD.jpg");
}
