// Catalogs for the tests: a fresh catalog.mdb in a scratch directory of its own, and a writer
// on it.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "catalog.hpp"
#include "test_images.hpp"

namespace catalog_fixtures {

// The path of catalog.mdb in the scratch directory `prefix` + `name`, emptied. Each test file
// has its prefix, so that two files' tests of the same name never share a catalog.
inline std::string catalog_path(const std::string& prefix, const std::string& name) {
    const std::filesystem::path dir = test_images::scratch_dir() / (prefix + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return (dir / "catalog.mdb").string();
}

// A writer on the catalog at `path`; the test stops, with the reason, when it cannot be opened.
inline std::unique_ptr<iiif::CatalogWriter> open_writer(const std::string& path) {
    std::string error;
    auto writer = iiif::CatalogWriter::open(path, &error);
    INFO(error);
    REQUIRE(writer);
    return writer;
}

}  // namespace catalog_fixtures
