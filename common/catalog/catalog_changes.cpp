// The catalog's change log (catalog_changes.hpp): a change written down and read back, and the
// commit that numbers it.
#include "catalog_changes.hpp"

#include <string>

#include "clock.hpp"
#include "iiif_error.hpp"

namespace iiif::catalog_detail {
namespace {

void append_u32be(std::string& out, size_t value) {
    if (value > 0xFFFFFFFFu) throw IiifError(500, "catalog: a record too large for the change log");
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((value >> shift) & 0xFF));
}

// The bytes after a u32be length at `*at`, moving past them; false when cut short.
bool read_counted(std::string_view in, size_t* at, std::string_view* out) {
    if (in.size() - *at < 4) return false;
    size_t length = 0;
    for (int i = 0; i < 4; ++i) length = (length << 8) | static_cast<unsigned char>(in[*at + i]);
    *at += 4;
    if (in.size() - *at < length) return false;
    *out = in.substr(*at, length);
    *at += length;
    return true;
}

std::int64_t parse_number(std::string_view text) {
    std::int64_t number = 0;
    for (char digit : text) {
        if (digit < '0' || digit > '9') throw IiifError(500, "catalog: a corrupt change number");
        number = number * 10 + (digit - '0');
    }
    return number;
}

}  // namespace

void encode_operation(std::string& out, char operation, unsigned database, std::string_view key,
                      std::string_view value) {
    out.push_back(operation);
    out.push_back(static_cast<char>(database));
    if (operation == kClearOperation) return;
    append_u32be(out, key.size());
    out.append(key);
    if (operation != kPutOperation) return;
    append_u32be(out, value.size());
    out.append(value);
}

bool next_operation(std::string_view change, size_t* at, Operation* operation) {
    if (*at == change.size()) return false;
    auto corrupt = [] { return IiifError(500, "catalog: a change cut short or corrupt"); };
    if (change.size() - *at < 2) throw corrupt();
    operation->operation = change[*at];
    operation->database = static_cast<unsigned char>(change[*at + 1]);
    *at += 2;
    operation->key = {};
    operation->value = {};
    if (operation->database >= kReplicatedCount) throw corrupt();
    switch (operation->operation) {
        case kClearOperation:
            return true;
        case kEraseOperation:
            if (!read_counted(change, at, &operation->key)) throw corrupt();
            return true;
        case kPutOperation:
            if (!read_counted(change, at, &operation->key) ||
                !read_counted(change, at, &operation->value))
                throw corrupt();
            return true;
        default:
            throw corrupt();
    }
}

ReplicationPosition position_in_meta(const Txn& txn, MDB_dbi meta) {
    ReplicationPosition position;
    if (auto epoch = txn.find(meta, kReplicationEpochKey)) position.epoch = std::string(*epoch);
    if (auto seq = txn.find(meta, kReplicationSeqKey)) position.seq = parse_number(*seq);
    return position;
}

std::int64_t seal_change(Txn& txn, const ChangeLog& log, const std::string& change) {
    if (!txn.find(log.meta, kReplicationEpochKey)) return 0;
    const std::optional<std::string_view> last = txn.find(log.meta, kReplicationSeqKey);
    const std::int64_t number = (last ? parse_number(*last) : 0) + 1;
    // Noted in `change` (it is this transaction's): the replica's position moves with it.
    txn.put(log.meta, kReplicationSeqKey, std::to_string(number));
    std::string key, record;
    append_u64be(key, number);
    append_u64be(record, now_milliseconds());
    record += change;
    txn.put(log.changes, key, record);  // `changes` is not replicated: not noted
    return number;
}

}  // namespace iiif::catalog_detail
