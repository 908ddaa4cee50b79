// A change of an object's metadata (the API's PATCH): the keys given replace the object's,
// null removes one. The result is checked first (grammar, length limits, policy); then
// object.json is rewritten (the storage root is the truth), then the catalog (object.json put
// back if it refuses), then an object.updated event. A job of the same object run again later
// (a redelivery) writes the metadata it was deposited with.
#pragma once

#include <string>

#include "catalog.hpp"
#include "object_changes.hpp"

namespace iiifd {

class MetadataUpdate {
  public:
    explicit MetadataUpdate(ObjectChanges& changes) : changes_(changes) {}

    // The object's record once changed by `patch` (a JSON object). RedisUnavailable while the
    // events stream cannot be reached (nothing changed then); IiifError 404 for an unknown
    // object, 409 for a withdrawn one, 400 for bad metadata (a value over its length limit
    // included) or a policy not configured, nothing written then.
    iiif::ObjectRecord apply(const std::string& ark, const std::string& patch);

  private:
    ObjectChanges& changes_;
};

}  // namespace iiifd
