// The OAI-PMH 2.0 data provider: answers the six verbs from the catalog alone, with HTTP 200
// and an OAI-PMH envelope for every answer, errors included (http_api.cpp serves it at /oai,
// GET and POST, and adds gzip and the 503 of an overload).
//
// Lists are paged by keyset: a page is the records after a (datestamp, ARK) position, read
// with one seek in the by_date or by_set index, so it costs the same at the end of a list of
// ten million as at its start; completeListSize comes from the catalog's tallies. The
// resumption token carries the position and the query, signed (resumption_token.hpp): the
// provider keeps nothing between requests. A list without `until` is fixed at the second of
// its first request, so records changed while it is harvested wait for the next harvest
// (from = that responseDate) instead of moving under the harvester.
//
// Identifiers are oai:{repository identifier}:{ARK}. Deleted records are persistent: a
// withdrawn object keeps its header, with status="deleted" and the datestamp of its withdrawal.
// A record harvested from a partner (an object with an origin) carries, after its metadata in
// GetRecord and ListRecords, an <about> with its <provenance> (write_oai_provenance); a deleted
// one, having no metadata, has none.
#pragma once

#include <cstdint>
#include <string>

#include "catalog.hpp"
#include "daemon_config.hpp"
#include "oai_request.hpp"
#include "presentation.hpp"

namespace iiifd {

class OaiProvider {
  public:
    // `token_key`: the secret resumption tokens are signed with (load_token_key).
    OaiProvider(const iiif::CatalogReader& catalog, iiif::PublicationSettings publication,
                OaiConfig config, std::string token_key);

    // The XML response to one request made at `now` (unix seconds).
    std::string respond(const iiif::OaiArguments& arguments, std::int64_t now) const;

    // The provider's base URL: {base_url}{oai_path}.
    std::string base_url() const;

  private:
    friend class OaiAnswer;  // one request's answer (oai_provider.cpp)
    const iiif::CatalogReader& catalog_;
    iiif::PublicationSettings publication_;
    OaiConfig config_;
    std::string token_key_;
};

// The key in `path`: read when the file exists (at least 32 bytes), otherwise 32 random bytes
// written there in hex, mode 0600, first. Several daemons behind one address share tokens by
// sharing the file. Throws std::runtime_error naming the path.
std::string load_token_key(const std::string& path);

}  // namespace iiifd
