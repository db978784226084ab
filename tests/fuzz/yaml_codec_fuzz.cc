// The YAML codec (api/yaml_codec.h) and `drover apply -f` manifests
// (cmd/drover/manifest.h): every document is tried as every kind
// (codec_checks.h); a valid Job must survive `drover show -o yaml` followed by
// `drover apply -f` (ToYaml, then ParseYamlDocuments, to the same Job); what
// apply sends (ToJson(job).dump()) must be encodable.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/json_codec.h"
#include "api/validation.h"
#include "api/yaml_codec.h"
#include "cmd/drover/manifest.h"
#include "codec_checks.h"
#include "fuzz_support.h"

using namespace drover;

namespace {

void CheckYamlRoundTrip(const Json& doc) {
  auto job = JobFromJson(doc);
  if (!job.ok()) return;
  Json encoded = ToJson(*job);
  std::string yaml = ToYaml(encoded);
  auto docs = ParseYamlDocuments(yaml);
  FUZZ_CHECK(docs.ok(), "ToYaml output is refused: " + docs.status().ToString() + "\n" + yaml);
  FUZZ_CHECK(docs->size() == 1, "ToYaml output is not one document:\n" + yaml);
  auto again = JobFromJson(docs->front());
  FUZZ_CHECK(again.ok(), "a Job as ToYaml writes it is refused: " + again.status().ToString() +
                             "\n" + yaml);
  FUZZ_CHECK(ToJson(*again) == encoded,
             "a Job changes through ToYaml:\n" + encoded.dump() + "\n" + ToJson(*again).dump());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::Text(data, size);
  auto docs = ParseYamlDocuments(text);
  if (!docs.ok()) {
    fuzz::Answer(docs.status());
  } else {
    for (const Json& doc : *docs) {
      fuzz::CheckEveryKind(doc);
      CheckYamlRoundTrip(doc);
    }
  }
  auto jobs = cli::JobsFromManifest(text, "job.yaml", "/home/fuzz");
  if (jobs.ok()) {
    for (const Job& job : *jobs) {
      (void)ValidateJobSubmission(job);
      (void)ToJson(job).dump();  // the body `drover apply` sends
    }
  }
  return 0;
}
