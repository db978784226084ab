// drover-sim's workload readers (cmd/sim/workload.h): Standard Workload Format
// traces and Drover JSON job lists, with and without a machine size. Checks
// the replay rules the header promises: jobs sorted by submit time then id,
// estimate >= runtime, 0 < procs <= machine.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cmd/sim/workload.h"
#include "fuzz_support.h"

using namespace drover;

namespace {

void CheckWorkload(const Result<sim::Workload>& w, int64_t machine, const char* what) {
  if (!w.ok()) return;
  int64_t limit = machine > 0 ? machine : w->max_procs;
  for (size_t i = 0; i < w->jobs.size(); ++i) {
    const sim::TraceJob& j = w->jobs[i];
    FUZZ_CHECK(j.runtime_s >= 0 && j.estimate_s >= j.runtime_s && j.procs > 0 &&
                   (limit <= 0 || j.procs <= limit),
               std::string(what) + ": job " + std::to_string(j.id) + " breaks the replay rules");
    if (i > 0) {
      const sim::TraceJob& p = w->jobs[i - 1];
      FUZZ_CHECK(p.submit_s < j.submit_s || (p.submit_s == j.submit_s && p.id <= j.id),
                 std::string(what) + ": jobs out of order");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::Text(data, size);
  CheckWorkload(sim::ParseSwf(text), 0, "ParseSwf");
  CheckWorkload(sim::ParseSwf(text, 64), 64, "ParseSwf(64)");
  CheckWorkload(sim::ParseJobList(text), 0, "ParseJobList");
  return 0;
}
