// The YAML codec (api/yaml_codec.h) and `drover apply -f` manifests
// (cmd/drover/manifest.h), as the CLI uses them: only the CLI reads YAML, so
// errors are printed, not answered as JSON. Every document is decoded as
// every kind; a Job that validates is what `drover apply` sends
// (ToJson(job).dump() must work) and must survive `drover show -o yaml`
// followed by `drover apply -f` (ToYaml, then ParseYamlDocuments, to the same
// Job). What droverd then does with the JSON is json_codec's to fuzz.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/json_codec.h"
#include "api/validation.h"
#include "api/yaml_codec.h"
#include "cmd/drover/manifest.h"
#include "fuzz_support.h"

using namespace drover;

namespace {

void CheckDocument(const Json& doc) {
  (void)TaskFromJson(doc);
  (void)NodeFromJson(doc);
  (void)TopologyFromJson(doc, "topology");
  auto job = JobFromJson(doc);
  if (!job.ok()) {
    (void)job.status().ToString();
    return;
  }
  if (!ValidateJobSubmission(*job).ok()) return;
  Json encoded = ToJson(*job);
  (void)encoded.dump();  // the body `drover apply` sends
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
  if (docs.ok()) {
    for (const Json& doc : *docs) CheckDocument(doc);
  } else {
    (void)docs.status().ToString();
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
