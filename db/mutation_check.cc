#include "db/mutation_check.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace drover::db {

bool IsStorableText(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* end = p + text.size();
  while (p < end) {
    // Fast path: JSON is mostly ASCII; check 8 bytes at a time.
    if (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      const uint64_t has_high = word & 0x8080808080808080ULL;
      const uint64_t has_zero = (word - 0x0101010101010101ULL) & ~word & 0x8080808080808080ULL;
      if (has_high == 0 && has_zero == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char c = *p;
    if (c == 0) return false;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t min;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, min = 0x10000, cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

namespace {

std::string Field(size_t index, std::string_view name) {
  return "batch[" + std::to_string(index) + "]." + std::string(name);
}

Status CheckRecord(size_t i, const HistoryRecord* r) {
  if (r == nullptr) return Status::Invalid(Field(i, "record"), "is missing");
  if (r->id.empty()) return Status::Invalid(Field(i, "record.id"), "must not be empty");
  for (const std::string* text : {&r->id, &r->step, &r->name, &r->user, &r->account, &r->partition,
                                  &r->qos, &r->state, &r->reason, &r->nodelist, &r->work_dir}) {
    if (!IsStorableText(*text)) {
      return Status::Invalid(Field(i, "record"),
                             "text must be UTF-8 without NUL bytes (record " + r->id + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckBatch(const std::vector<Mutation>& batch) {
  for (size_t i = 0; i < batch.size(); ++i) {
    const Mutation& m = batch[i];
    if (m.op == Mutation::Op::kPruneHistory) continue;
    if (m.op == Mutation::Op::kRecordHistory) {
      DROVER_RETURN_IF_ERROR(CheckRecord(i, m.record.get()));
      continue;
    }
    if (m.kind.empty()) return Status::Invalid(Field(i, "kind"), "must not be empty");
    if (m.key.empty()) {
      return Status::Invalid(Field(i, "key"), "must not be empty (kind \"" + m.kind + "\")");
    }
    if (!IsStorableText(m.kind)) {
      return Status::Invalid(Field(i, "kind"), "must be UTF-8 without NUL bytes");
    }
    if (!IsStorableText(m.key)) {
      return Status::Invalid(Field(i, "key"),
                             "must be UTF-8 without NUL bytes (kind \"" + m.kind + "\")");
    }
    if (m.op == Mutation::Op::kPut && !IsStorableText(m.data)) {
      return Status::Invalid(Field(i, "data"), "must be UTF-8 without NUL bytes (" + m.kind + "/" +
                                                   m.key + ", " + std::to_string(m.data.size()) +
                                                   " bytes)");
    }
  }
  return Status::Ok();
}

}  // namespace drover::db
