// The storage root, the durable truth: {root}/{NAAN}/{name}/ holds object.json, originals/ and
// masters/. Every write is atomic: a temporary file in the same directory, fsync, rename,
// fsync of the directory.
#pragma once

#include <string>
#include <string_view>

#include "ark.hpp"

namespace iiifd {

std::string object_directory(const std::string& storage_root, const iiif::Ark& ark);
void write_file_atomically(const std::string& path, std::string_view bytes);
void copy_file_atomically(const std::string& from, const std::string& to);
// Renames an already-complete temporary file into place (fsyncs it and the directory).
void commit_file(const std::string& temporary, const std::string& path);
std::string sha256_of_file(const std::string& path);  // lowercase hex
void make_directories(const std::string& path);

}  // namespace iiifd
