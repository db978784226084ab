// The value parsers of the API and of `drover submit`, each given the whole
// input: RFC 3339 times, durations, memory quantities, array index sets, and
// the CLI's --mem, --array, --time, --dependency and --begin; URL
// percent-encoding and query strings; job names from file names. Checks the
// round trips the store and the API rely on: FormatTime/ParseTime,
// IndexSet::ToString/Parse, PercentEncode/PercentDecode, and that
// JobNameFromFile gives a valid name, and that a compressed hostlist expands
// back to the names it was made from.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/hostlist.h"
#include "api/index_set.h"
#include "api/json_codec.h"
#include "api/url_encoding.h"
#include "api/validation.h"
#include "cmd/drover/submit_options.h"
#include "fuzz_support.h"

using namespace drover;

namespace {

constexpr int64_t kNowMs = 1'800'000'000'000;

// API parsers see only JSON strings, so only valid UTF-8 reaches their
// error messages; answer those as droverd would.
void AnswerIfApi(bool utf8, const Status& status) {
  if (utf8) fuzz::Answer(status);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("TZ", "UTC", 1);  // --begin reads local time
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::Text(data, size);
  const std::string s(text);
  const bool utf8 = fuzz::IsUtf8(text);

  // Times: what the store writes with FormatTime it reads with ParseTime.
  if (auto t = ParseTime(text); t.ok()) {
    std::string formatted = FormatTime(*t);
    auto again = ParseTime(formatted);
    FUZZ_CHECK(again.ok() && *again == *t,
               "FormatTime(ParseTime(\"" + s + "\")) = \"" + formatted + "\" does not read back");
  } else {
    AnswerIfApi(utf8, t.status());
  }

  // Durations and quantities, as JSON strings and, when the input is JSON, as that value.
  Json as_string = utf8 ? Json(s) : Json(nullptr);
  Json as_json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  for (const Json* v : {&as_string, &as_json}) {
    if (v->is_discarded()) continue;
    if (auto q = ParseQuantity(*v); q.ok()) {
      FUZZ_CHECK(*q >= 0, "negative quantity from \"" + s + "\"");
    } else {
      AnswerIfApi(utf8, q.status());
    }
    if (auto d = ParseDuration(*v); d.ok()) {
      FUZZ_CHECK(*d >= 0, "negative duration from \"" + s + "\"");
    } else {
      AnswerIfApi(utf8, d.status());
    }
  }
  if (auto d = ParseSlurmDuration(text); d.ok()) {
    FUZZ_CHECK(*d >= 0, "negative duration from \"" + s + "\"");
  }

  // Hostlists: bounded, and CompressHostlist's text expands to the same names.
  // (The round trip is checked on lists of up to 10,000 names: the logic is
  // the same for longer ones, which only make each run slow.)
  if (auto names = ExpandHostlist(text); !names.ok()) {
    AnswerIfApi(utf8, names.status());
  } else if (names->size() > kMaxHostlistNames) {
    FUZZ_CHECK(false, "hostlist \"" + s + "\" expanded too far");
  } else if (names->size() <= 10'000) {
    std::string compressed = CompressHostlist(*names);
    auto again = ExpandHostlist(compressed);
    FUZZ_CHECK(again.ok(), "hostlist \"" + s + "\" compressed to \"" + compressed +
                               "\", which does not expand: " + again.status().ToString());
    std::vector<std::string> want = *names;
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    std::vector<std::string> got = *again;
    std::sort(got.begin(), got.end());
    FUZZ_CHECK(got == want, "hostlist \"" + s + "\" compressed to \"" + compressed +
                                "\", which expands to other names");
  }

  // Index sets (status.completedIndexes): ToString reads back to the same set.
  if (auto set = IndexSet::Parse(text); set.ok()) {
    std::string written = set->ToString();
    auto again = IndexSet::Parse(written);
    FUZZ_CHECK(again.ok() && *again == *set,
               "IndexSet \"" + s + "\" written as \"" + written + "\" does not read back");
    (void)set->Count();
    if (auto first = set->First()) {
      FUZZ_CHECK(set->Contains(*first), "an index set does not contain its first index");
      (void)set->FirstAbsentFrom(*first);
    }
  } else {
    AnswerIfApi(utf8, set.status());
  }

  // drover submit's option values.
  if (auto m = cli::ParseSlurmMemory(text); m.ok()) {
    FUZZ_CHECK(*m >= 0, "negative --mem from \"" + s + "\"");
  }
  if (auto a = cli::ParseArraySpec(text); a.ok()) {
    FUZZ_CHECK(a->count >= 1 && a->count <= kMaxCompletions && a->parallelism >= 0,
               "--array \"" + s + "\" gave count " + std::to_string(a->count));
  }
  (void)cli::ParseTimeLimit(text);
  if (auto deps = cli::ParseDependencies(text); deps.ok()) {
    FUZZ_CHECK(!deps->empty(), "--dependency \"" + s + "\" gave no dependency");
  }
  (void)cli::ParseBeginTime(text, kNowMs);

  // A job name made from any file name is a valid name.
  std::string name = cli::JobNameFromFile(text);
  Status valid = ValidateName("metadata.name", name);
  FUZZ_CHECK(valid.ok(), "JobNameFromFile(\"" + s + "\") = \"" + name + "\": " + valid.ToString());

  // URLs: what clients encode, the server decodes to the same bytes.
  std::string encoded = PercentEncode(text);
  FUZZ_CHECK(PercentDecode(encoded) == s, "PercentDecode(PercentEncode(x)) != x for \"" + s + "\"");
  (void)PercentDecode(text);
  (void)ParseQueryString(text);
  return 0;
}
