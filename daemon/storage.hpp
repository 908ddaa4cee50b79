// The storage root, the durable truth: {root}/{NAAN}/{name}/ holds object.json, originals/ and
// masters/. Every write is atomic: a temporary file in the same directory, fsync, rename,
// fsync of the directory.
#pragma once

#include <chrono>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ark.hpp"

namespace iiifd {

std::string object_directory(const std::string& storage_root, const iiif::Ark& ark);
void write_file_atomically(const std::string& path, std::string_view bytes);
// Many files written as write_file_atomically writes one, made durable together: each written to
// a temporary name, one syncfs(2) of their file system, each renamed into place, one syncfs more
// (for the new names and any directory made just before). Each file is whole, old or new, after
// a crash; not all of them need be new. When one cannot be written none is renamed and the
// temporaries are removed (a rename that fails, which the same directory makes unlikely, leaves
// those renamed before it). Two syncs for the lot instead of two fsyncs a file: a harvest's page
// of records.
void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files);
void copy_file_atomically(const std::string& from, const std::string& to);
// Renames an already-complete temporary file into place (fsyncs it and the directory).
void commit_file(const std::string& temporary, const std::string& path);
// Appends `line` (ending with "\n") to the log file at `path` in one write(2) and fsyncs it,
// creating the file (mode 0640) when missing; IiifError 500 ("{path}: ...") when it cannot.
// Lines appended so are never torn apart by other writers of the same file.
void append_line_durably(const std::string& path, std::string_view line);
std::string sha256_of_file(const std::string& path);  // lowercase hex
void make_directories(const std::string& path);
// fsyncs a directory, so that what was renamed into or out of it lasts; IiifError 500
// ("fsync {path}: ...") when it cannot, an answer for the API's caller.
void fsync_directory(const std::string& path);

// Creates an empty file with a fresh name ".tmp-{host}_{pid}_{random}{suffix}" in `directory`,
// for a writer that wants a path (libvips); commit_file then moves it into place. The name says
// which process writes it ({host}: the host name, its letters, digits, '-' and '.'), so that
// what a killed process left can be told from what a live one is writing, on this host or on
// another that shares the storage root.
std::string create_temporary_file(const std::string& directory, std::string_view suffix = "");
bool is_temporary_name(std::string_view file_name);
// Removes the temporary files of `directory` that no writer will come back to: those of a
// process of this host that has exited (or of an earlier process that had this one's pid), at
// once; those of another host, or named before names carried their writer, once untouched for
// `min_age`. A live process's are left alone. Returns the paths removed.
std::vector<std::string> remove_stale_temporaries(const std::string& directory,
                                                  std::chrono::seconds min_age);
// The same in `root` and every directory under it but `skipped` ones (and what they hold), until
// `stop` is requested.
std::vector<std::string> sweep_stale_temporaries(const std::string& root,
                                                 std::chrono::seconds min_age,
                                                 const std::vector<std::string>& skipped,
                                                 std::stop_token stop = {});

}  // namespace iiifd
