// The JSON codec (api/json_codec.h): ParseJson, then every kind the API and
// the store decode, Job validation, error answers and the store round trip
// (codec_checks.h). Bulk submissions ({"items": [Job, ...]}) are decoded item
// by item, as droverd does.
#include <cstddef>
#include <cstdint>

#include "api/json_codec.h"
#include "codec_checks.h"
#include "fuzz_support.h"

using namespace drover;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto json = ParseJson(fuzz::Text(data, size));
  if (!json.ok()) {
    fuzz::Answer(json.status());
    return 0;
  }
  fuzz::CheckEveryKind(*json);
  if (json->is_object() && json->contains("items") && (*json)["items"].is_array()) {
    const Json& items = (*json)["items"];
    for (size_t i = 0; i < items.size() && i < 16; ++i) fuzz::CheckEveryKind(items[i]);
  }
  return 0;
}
