// `iiifd import SHEET.csv [--dry-run] [--institution ID]`: the documents a spreadsheet
// describes (sheet_import.hpp), one per row, their folders and files relative to the sheet.
// Every row is checked first and reported ("row 3: error: licence: unknown licence: \"CC-XYZ\"");
// nothing is deposited when a row is wrong, nor with --dry-run; otherwise each row is
// deposited as `iiifd ingest` deposits (local_deposit.hpp) and its ARK printed.
#pragma once

#include <ostream>
#include <string>

#include "catalog.hpp"
#include "daemon_config.hpp"

namespace iiifd {

// The exit status: 0 when every row is right (and, without dry_run, deposited), 1 otherwise.
int run_sheet_import(const DaemonConfig& config, iiif::CatalogWriter& catalog,
                     const std::string& sheet, bool dry_run, const std::string& institution,
                     std::ostream& out);

}  // namespace iiifd
