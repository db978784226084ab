// Jobs as Slurm's commands print them: state names (PENDING, RUNNING,
// COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL) and codes (PD, R, CD,
// F, CA, TO, NF), pending reasons in Slurm's words (JobHeldUser, ...), and
// squeue's -o format: "%[.][-][size]letter" fields among literal text, each
// left-justified (right with '.') and cut to its size. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/job.h"
#include "api/status.h"

namespace drover::cli {

std::string SlurmStateName(const Job& job);
std::string SlurmStateCode(const Job& job);
// Whether a typed state ("PD", "pending", "R", "CD", ... or "all") names job's.
bool SlurmStateMatches(std::string_view typed, const Job& job);
// The reason a pending job waits, as squeue shows it ("None" when none).
std::string SlurmReason(const Job& job);

struct SqueueField {
  std::string literal;  // text printed as is (when letter is 0)
  char letter = 0;
  int size = 0;  // 0: as wide as needed
  bool right = false;
};
// Parses a -o format. Errors name the unknown letter.
Result<std::vector<SqueueField>> ParseSqueueFormat(std::string_view format);
// -O's "JobID,Name:20,State" as the equivalent fields.
Result<std::vector<SqueueField>> ParseSqueueLongFormat(std::string_view format);

// What squeue prints for one job. `nodelist` is the hostlist of its running
// tasks ("" when it runs none).
struct SqueueRow {
  const Job* job = nullptr;
  std::string nodelist;
};
std::string SqueueHeader(const std::vector<SqueueField>& format);
std::string SqueueLine(const std::vector<SqueueField>& format, const SqueueRow& row,
                       int64_t now_ms);

// Slurm's default (squeue) and -l formats.
inline constexpr char kSqueueDefaultFormat[] = "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R";
inline constexpr char kSqueueLongFormat[] = "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %R";

}  // namespace drover::cli
