// `drover submit SCRIPT` (cmd/drover/script_directives.h, submit_options.h):
// the script's #SBATCH / #DROVER directives through option parsing, merging
// and BuildJob to ValidateJobSubmission and the JSON body the CLI sends, as
// cmd/drover/submit.cc does; also the "#!" line and the argv that runs the
// script.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/json_codec.h"
#include "api/validation.h"
#include "cmd/drover/script_directives.h"
#include "cmd/drover/submit_options.h"
#include "fuzz_support.h"

using namespace drover;

namespace {

constexpr int64_t kNowMs = 1'800'000'000'000;  // a fixed "now" for --begin

std::optional<std::string> LookupEnv(const std::string& name) {
  if (name == "HOME") return std::string("/home/fuzz");
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(fuzz::Text(data, size));
  (void)cli::ParseShebang(text);
  std::vector<std::string> command = cli::ScriptCommand(text, "/home/fuzz/job.sh", {"arg"});
  FUZZ_CHECK(!command.empty(), "ScriptCommand gave no argv");

  auto directives = cli::ExtractDirectives(text);
  if (!directives.ok()) return 0;
  auto sbatch = cli::ParseSubmitFlags(directives->sbatch, /*allow_positional=*/false);
  if (!sbatch.ok()) return 0;
  auto drover = cli::ParseSubmitFlags(directives->drover, /*allow_positional=*/false);
  if (!drover.ok()) return 0;
  cli::SubmitFlags flags = cli::MergeSubmitFlags(*drover, *sbatch);
  auto job = cli::BuildJob(flags, command, cli::JobNameFromFile("job.sh"), "/home/fuzz",
                           LookupEnv, kNowMs);
  if (!job.ok()) return 0;
  if (!ValidateJobSubmission(*job).ok()) return 0;
  (void)ToJson(*job).dump();  // the body `drover submit` sends
  return 0;
}
