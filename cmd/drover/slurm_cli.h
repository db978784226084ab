// What the Slurm commands share: Slurm's error words, option parsing where
// -h is not --help, and the job and node lookups they make.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/job.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {

// "COMMAND: error: MESSAGE" on stderr; returns Slurm's exit code, 1.
int SlurmError(const char* command, const std::string& message);

// Parses Slurm-style options and positional words ("args"); only --help is
// help. Returns an exit code when the command is done (help, bad options).
std::optional<int> ParseSlurmArgs(const char* command, const char* usage,
                                  po::options_description desc, const Args& args,
                                  po::variables_map* vm);

// A comma list option's items ("" items dropped).
std::set<std::string> CommaList(const po::variables_map& vm, const char* key);

std::string CurrentUserName();

// Jobs from droverd: the live ones, or every job it keeps when `all`.
Result<std::vector<Job>> ListJobs(ApiSession& session, bool all);

// The hostlist of a job's live tasks' nodes ("" when none or unknown).
std::string RunningNodes(ApiSession& session, uint64_t id);

}  // namespace drover::cli
