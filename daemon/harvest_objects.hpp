// Harvested records made objects (issue 18): the sink of a harvest run (harvest_run.hpp) that
// keeps each record of a partner as one object, under one ARK for life.
//
// - The first time a record's OAI identifier is seen, an ARK is minted on the partner's shoulder
//   and the pair is appended to {storage root}/harvests/{partner}/identifiers.tsv, made durable,
//   before the object is written: after a crash the record finds its ARK again, so nothing is
//   made twice.
// - A page's new and changed records are written together at its end: their ARKs minted in one
//   transaction, noted with one fsync, their object.json files made durable with two syncs
//   (ObjectStore::write_many), the catalog's records put in one transaction, their events sent
//   in one. Writing each alone cost four syncs a record (409 records/s).
// - The object's metadata is the record's, normalised (dc_normalise.hpp), with the partner's
//   institution as provider, the set partner:{id}, and its origin (origin.hpp: the partner, the
//   record's identifier and datestamp, its page at the partner).
// - A record changed at the source updates its object (object.updated); one unchanged leaves it
//   as it is (its dates too, so that harvesters of this portal see no change).
// - A record deleted at the source withdraws its object with the reason "deleted at the source";
//   if it comes back, the object is reinstated. An object withdrawn here for another reason (a
//   rights holder's request) stays withdrawn whatever the partner's feed says.
// - Objects are described objects (no images) for now: fetching the pages a record points to
//   (record_images.hpp) into the ingest is the next step.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harvest_run.hpp"
#include "object_changes.hpp"

namespace iiifd {

class HarvestObjects : public HarvestSink {
  public:
    // Reads the partner's identifiers.tsv; throws std::runtime_error when a line does not read.
    HarvestObjects(ObjectChanges& changes, const Partner& partner);

    SinkOutcome take(const Partner& partner, const HarvestedRecord& record,
                     const NormalisedRecord& normalised) override;
    void page_done() override;

  private:
    // A record to write at the page's end: new (no `ark` yet) or changed.
    struct Pending {
        std::string identifier;
        std::string ark;  // the object's, when it exists
        iiif::ObjectMetadata metadata;
    };

    iiif::ObjectMetadata metadata_of(const HarvestedRecord& record,
                                     const NormalisedRecord& normalised) const;
    void hold(Pending pending);
    void write_pending(std::vector<Pending> pending);

    ObjectChanges& changes_;
    Partner partner_;
    std::string map_path_;
    std::map<std::string, std::string> arks_;  // OAI identifier -> ARK
    std::vector<Pending> pending_;             // new or changed in this page
    std::map<std::string, size_t> pending_at_; // OAI identifier -> its index in pending_
};

}  // namespace iiifd
