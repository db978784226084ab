// Decoding what droverd stored: a store that holds what droverd cannot read
// is a start-up failure naming the object.
#pragma once

#include <string>

#include "api/json_text.h"
#include "api/status.h"
#include "db/store.h"

namespace drover::droverd {

// Decodes one stored object with `from_json` (JobFromJson, ...).
template <typename FromJson>
auto DecodeStored(const db::StoredObject& obj, const char* what, FromJson from_json)
    -> decltype(from_json(Json())) {
  auto json = ParseJson(obj.data);
  if (!json.ok()) {
    return Status::Internal("stored " + std::string(what) + " " + obj.key + ": " +
                            json.status().ToString());
  }
  auto decoded = from_json(*json);
  if (!decoded.ok()) {
    return Status::Internal("stored " + std::string(what) + " " + obj.key + ": " +
                            decoded.status().ToString());
  }
  return decoded;
}

}  // namespace drover::droverd
