// sacct's output: its fields (Slurm's names, widths and alignment; a
// negative width is left-justified), --format lists ("jobid,jobname%30"),
// the fixed-width table with its dashed rule, and the -p/-P parsable forms.
// Pure: `now_ms` is the end of what has not ended yet.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/history.h"
#include "api/status.h"

namespace drover::cli {

struct SacctField {
  std::string name;  // as Slurm spells it: "JobID", "AllocCPUS"
  int width = 10;    // negative: left-justified
};

// Slurm's default, --brief and --long lists.
inline constexpr char kSacctDefaultFormat[] =
    "jobid,jobname,partition,account,alloccpus,state,exitcode";
inline constexpr char kSacctBriefFormat[] = "jobid,state,exitcode";
inline constexpr char kSacctLongFormat[] =
    "jobid,jobidraw,jobname,partition,maxrss,alloccpus,elapsed,state,exitcode,user,uid,account,"
    "qos,submit,eligible,start,end,timelimit,cputime,cputimeraw,totalcpu,usercpu,systemcpu,"
    "nnodes,ntasks,nodelist,reqmem,workdir";

// Every field name sacct knows here, for --helpformat.
std::vector<std::string> SacctFieldNames();

// Parses a comma list of fields, each with an optional "%WIDTH". Errors name
// the unknown field as sacct does ("Invalid field requested: \"foo\"").
Result<std::vector<SacctField>> ParseSacctFormat(std::string_view format);

struct SacctStyle {
  bool parsable = false;            // -p/-P: fields joined by `delimiter`
  bool trailing_delimiter = false;  // -p: a delimiter after the last field too
  std::string delimiter = "|";
};

// The header line(s): names, and for the table the dashed rule. Each ends in '\n'.
std::string SacctHeader(const std::vector<SacctField>& fields, const SacctStyle& style);
std::string SacctLine(const std::vector<SacctField>& fields, const SacctStyle& style,
                      const HistoryRecord& record, int64_t now_ms);

// sacct's durations: "00:00:05", "01:02:03", "2-03:04:05".
std::string SacctDuration(int64_t seconds);
// TotalCPU's form: "00:01.234" under an hour, then as SacctDuration.
std::string SacctCpuTime(int64_t ms);
// Local time "2026-12-03T12:04:46"; "Unknown" for 0.
std::string SacctDate(int64_t unix_ms);

// -s/--state words (codes or names, any case) as the names records carry.
// Errors name the unknown state.
Result<std::vector<std::string>> ParseSacctStates(std::string_view list);

}  // namespace drover::cli
