// Takedown: an object withdrawn, reinstated or purged, whoever asks (the API today; a CLI or a
// harvester would call the same).
//
// The order is the rule. object.json first (the storage root is the truth, and `iiifd rebuild`
// keeps the state), then the catalog (at once: images 410, manifests gone, the ARK's
// tombstone, the OAI record deleted), then a line in {storage root}/withdrawals.log and the
// event (object.withdrawn, .reinstated, .purged) that the tile caches of every node follow
// (cache_purger.hpp). A withdrawal then moves the masters to quarantine (object_store.hpp); a
// reinstatement brings them back first. A purge, of a withdrawn object only, deletes the
// quarantined masters and the originals for good: the object stays a tombstone, and can no
// longer be reinstated.
#pragma once

#include <cstdint>
#include <string>

#include "catalog.hpp"
#include "object_changes.hpp"

namespace iiifd {

enum class TakedownAction { withdraw, reinstate, purge };

struct TakedownRequest {
    std::string reason;        // why (the tombstone's text for a withdrawal)
    std::string requested_by;  // at whose request
    // Who acted, as withdrawals.log records it ("key"): ApiCaller::actor.
    std::string actor;
};

class Takedown {
  public:
    explicit Takedown(ObjectChanges& changes) : changes_(changes) {}

    // The object's record once changed. Refused before anything changes: RedisUnavailable
    // while the events stream cannot be reached; IiifError 404 for an unknown object, 409 for
    // a pending one, the withdrawal of a withdrawn one, the reinstatement or purge of one not
    // withdrawn, the reinstatement of a purged one.
    iiif::ObjectRecord apply(TakedownAction action, const std::string& ark,
                             const TakedownRequest& request);

  private:
    void check_allowed(TakedownAction action, const iiif::ObjectRecord& record,
                       const ObjectFiles& files) const;
    // Withdraws or reinstates; returns its time.
    std::int64_t change_state(TakedownAction action, const iiif::ObjectRecord& record,
                              const ObjectFiles& files, const std::string& reason);
    void log(const std::string& event, const iiif::ObjectRecord& record,
             const TakedownRequest& request) const;

    ObjectChanges& changes_;
};

}  // namespace iiifd
