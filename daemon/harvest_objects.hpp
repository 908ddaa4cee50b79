// Harvested records made objects (issue 18): the sink of a harvest run (harvest_run.hpp) that
// keeps each record of a partner as one object, under one ARK for life.
//
// - The first time a record's OAI identifier is seen, an ARK is minted on the partner's shoulder
//   and the pair is appended to {storage root}/harvests/{partner}/identifiers.tsv, made durable,
//   before the object is written: after a crash the record finds its ARK again, so nothing is
//   made twice. The records new in a page are minted, noted and written together at the page's
//   end (one fsync a page).
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
    struct Pending {
        std::string identifier;
        iiif::ObjectMetadata metadata;
    };

    iiif::ObjectMetadata metadata_of(const HarvestedRecord& record,
                                     const NormalisedRecord& normalised) const;
    void write_new(const std::string& ark, const iiif::ObjectMetadata& metadata);

    ObjectChanges& changes_;
    Partner partner_;
    std::string map_path_;
    std::map<std::string, std::string> arks_;  // OAI identifier -> ARK
    std::vector<Pending> pending_;             // new in this page
};

}  // namespace iiifd
