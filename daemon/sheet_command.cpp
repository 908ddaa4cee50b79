#include "sheet_command.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "audit_log.hpp"
#include "directory.hpp"
#include "dublin_core.hpp"
#include "iiif_error.hpp"
#include "local_deposit.hpp"
#include "sheet_import.hpp"

namespace iiifd {
namespace {

namespace fs = std::filesystem;

// The files of a checked row, from the sheet's folder; a missing one is an error of the row.
std::vector<fs::path> row_files(RowCheck& check, const fs::path& base) {
    const fs::path folder = check.folder.empty() ? base : base / check.folder;
    std::vector<std::string> paths;
    if (check.files.empty()) {
        paths.push_back(folder.string());
    } else {
        for (const std::string& file : check.files) paths.push_back((folder / file).string());
    }
    try {
        return local_files(paths);
    } catch (const std::runtime_error& missing) {
        check.errors.push_back(
            {check.files.empty() ? "folder" : "files", missing.what(), "files.missing", {}});
        return {};
    }
}

std::string first_title(const std::string& metadata) {
    const iiif::ObjectMetadata parsed = iiif::parse_object_metadata(metadata);
    auto title = parsed.dc.find("title");
    return title == parsed.dc.end() || title->second.empty() ? "(no title)"
                                                            : title->second.front().value;
}

}  // namespace

int run_sheet_import(const DaemonConfig& config, iiif::CatalogWriter& catalog,
                     const std::string& sheet, bool dry_run, const std::string& institution,
                     std::ostream& out) {
    std::ifstream file(sheet, std::ios::binary);
    if (!file) throw std::runtime_error(sheet + ": cannot be read");
    std::stringstream text;
    text << file.rdbuf();
    auto [headers, rows] = read_sheet_csv(text.str());
    for (const std::string& header : unknown_headers(headers))
        out << "warning: column \"" << header << "\" is none of the template's: ignored\n";
    const fs::path base = fs::path(sheet).parent_path();

    std::vector<RowCheck> checks;
    std::vector<std::vector<fs::path>> files;
    size_t wrong = 0;
    for (const SheetRow& row : rows) {
        RowCheck check = check_sheet_row(*catalog.reader().access_settings(), row);
        files.push_back(check.folder.empty() && check.files.empty() ? std::vector<fs::path>{}
                                                                   : row_files(check, base));
        for (const RowProblem& problem : check.errors)
            out << "row " << check.number << ": error: " << problem.column << ": "
                << problem.message << "\n";
        for (const RowProblem& problem : check.warnings)
            out << "row " << check.number << ": warning: " << problem.column << ": "
                << problem.message << "\n";
        if (check.ok())
            out << "row " << check.number << ": ok: " << first_title(check.metadata) << ", "
                << files.back().size() << " file(s)\n";
        wrong += check.ok() ? 0 : 1;
        checks.push_back(std::move(check));
    }
    out << rows.size() << " row(s), " << wrong << " wrong\n";
    if (wrong > 0 || rows.empty()) {
        if (wrong > 0) out << "nothing deposited: correct the rows above first\n";
        return wrong > 0 ? 1 : 0;
    }
    if (dry_run) return 0;

    AuditLog audit(audit_log_path(config.storage_root));
    Directory directory(config, catalog, audit);
    const Deposits deposits(config, catalog, directory);
    Redis redis(config.redis);
    for (size_t i = 0; i < checks.size(); ++i) {
        IngestJob job = deposit_local_files(
            config, deposits, redis, files[i], iiif::parse_object_metadata(checks[i].metadata),
            checks[i].pages, {"cli", institution, command_line_actor()});
        out << "row " << checks[i].number << ": " << job.ark << " (job " << job.id << ")\n";
    }
    return 0;
}

}  // namespace iiifd
