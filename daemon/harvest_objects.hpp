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
// - Pages (partners whose images are fetched): the images a record points to (record_images.hpp)
//   are fetched into staging (harvest_pages.hpp) after its object is written, and ingested into
//   it (ingest.hpp: masters, checksums, the catalog) in page order. Their signature (the URLs
//   they came from) is noted in pages.tsv once they are all in: a record whose metadata alone
//   changes keeps its pages, unfetched; one whose pages could not be had stays a described
//   object (or keeps those the ingest took), reported, and is tried again at the next harvest.
// - The record is kept verbatim beside its object (ObjectStore::source_record): source.oai_dc.xml
//   written with object.json, and with a partner's extra format (EDM, MODS...) its records in
//   that format, taken after each list of oai_dc records (take_extra). An extra record names
//   the pages of an object whose oai_dc record names none (pages.tsv notes them as
//   "{prefix}:{signature}", so that the two lists never fetch them in turn).
#pragma once

#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "harvest_pages.hpp"
#include "harvest_run.hpp"
#include "object_changes.hpp"
#include "record_map.hpp"

namespace iiifd {

class HarvestObjects : public HarvestSink {
  public:
    // Once `stop` is requested, a page's records get no more pages fetched (they are fetched at
    // the next harvest): iiifd stops within a record's pages.
    HarvestObjects(ObjectChanges& changes, const Partner& partner, std::stop_token stop = {});

    // Reads the partner's identifiers.tsv and pages.tsv; throws std::runtime_error when a line
    // does not read.
    void begin() override;
    SinkOutcome take(const Partner& partner, const HarvestedRecord& record,
                     const NormalisedRecord& normalised) override;
    void take_extra(const std::string& prefix, const HarvestedRecord& record) override;
    void page_done() override;
    long pages_fetched() const override { return pages_fetched_; }
    std::vector<SkippedRecord> take_page_failures() override;

  private:
    // A record to write at the page's end: new (no `ark` yet) or changed.
    struct Pending {
        std::string identifier;
        std::string ark;  // the object's, when it exists
        iiif::ObjectMetadata metadata;
        bool write_metadata = true;     // false: only its pages are to be had
        std::optional<PagePlan> pages;  // the pages to fetch, when they are
        std::string pages_signature;    // noted in pages.tsv once they are in
        std::string source_xml;         // the record's oai_dc metadata, kept verbatim
    };

    iiif::ObjectMetadata metadata_of(const HarvestedRecord& record,
                                     const NormalisedRecord& normalised,
                                     const PagePlan& plan) const;
    void hold(Pending pending);
    void write_pending(std::vector<Pending>& pending);
    // Fetches the record's pages into staging and ingests them into its object (a failure is
    // reported in failures_, the object staying as it was).
    void ingest_pages(const Pending& record);

    ObjectChanges& changes_;
    Partner partner_;
    std::string map_path_;    // identifiers.tsv
    std::string pages_path_;  // pages.tsv: OAI identifier, the signature of the pages fetched
    RecordMap arks_;          // OAI identifier -> ARK
    RecordMap pages_;         // OAI identifier -> pages_signature
    PageFetchLimits fetch_limits_;
    std::stop_token stop_;
    long pages_fetched_ = 0;
    std::vector<SkippedRecord> failures_;  // records whose pages could not be had
    // Records in the partner's extra format to keep (path, text), at the page's end.
    std::vector<std::pair<std::string, std::string>> extra_sources_;
    std::vector<Pending> pending_;              // new or changed in this page
    std::map<std::string, size_t> pending_at_;  // OAI identifier -> its index in pending_
};

}  // namespace iiifd
