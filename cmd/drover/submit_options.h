// `drover submit`'s options: parsing them from the command line and from a
// script's directives, merging the two (the command line wins), and turning
// the result into a Job. Pure: no I/O, no environment reads (the caller
// passes a lookup for `--env NAME`). The option table, parsing, merging and
// BuildJob live in submit_options.cc; the value parsers in submit_values.cc.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/job.h"
#include "api/status.h"

namespace drover::cli {

// Everything the flags say; unset options stay nullopt so a lower-precedence
// source (a directive) can supply them.
struct SubmitFlags {
  std::optional<std::string> name;
  std::optional<std::string> wrap;
  std::optional<std::string> mem;
  std::optional<std::string> mem_bind;
  std::optional<std::string> dependency;
  std::optional<std::string> begin;
  std::optional<std::string> array;
  std::optional<std::string> time;
  std::optional<std::string> output;
  std::optional<std::string> error;
  std::optional<std::string> queue;
  std::optional<std::string> account;
  std::optional<std::string> chdir;
  std::optional<int64_t> cpus;
  std::optional<int64_t> parallelism;
  std::optional<int64_t> workers;  // a work queue of N
  std::optional<int64_t> completions;
  std::optional<int64_t> priority;
  std::optional<int64_t> nice;
  std::optional<int64_t> backoff_limit;
  std::optional<int64_t> backoff_limit_per_index;  // arrays: retries of each task
  std::optional<int64_t> max_failed_indexes;
  std::optional<int64_t> ntasks_per_node;
  std::optional<int64_t> nodes;
  std::optional<std::string> placement;
  std::optional<int64_t> ntasks;           // Slurm's -n: the script runs once with ntasks x cpus
  std::optional<std::string> mem_per_cpu;  // Slurm's --mem-per-cpu
  std::optional<std::string> qos;
  std::optional<std::string> mail_type;  // Slurm's --mail-type: BEGIN,END,FAIL,...
  std::optional<std::string> mail_user;
  std::optional<std::string> export_env;  // Slurm's --export: ALL (default), NONE, [ALL,]K=V,...
  std::optional<std::string> kill_on_invalid_dep;  // yes | no
  std::optional<std::string> signal;               // Slurm's --signal=[B:]SIG[@SECS]
  std::optional<std::string> nodelist;             // -w: a hostlist
  std::optional<std::string> exclude;              // -x: a hostlist
  std::optional<std::string> constraint;           // -C: features, F&G
  std::optional<std::string> gpu_request;          // "--gres=gpu:2": refused, the cluster has none
  std::optional<bool> requeue;                     // --requeue / --no-requeue
  bool gang = false;
  // Slurm's model (sbatch): the job is an allocation of ntasks slots and the
  // script runs once in it, srun starting steps; set by the frontend.
  bool allocation = false;
  bool hold = false;
  bool exclusive = false;
  bool wait = false;
  bool parsable = false;
  bool help = false;
  bool strict = false;  // an option Drover does not apply is an error, not a warning
  // Slurm options read and not applied ("--mail-type"), for the warning.
  std::vector<std::string> ignored;
  std::vector<std::string> env;         // "K=V" or "K" (value from the submitter's environment)
  std::vector<std::string> positional;  // the script and its arguments
};

// The option table (also printed by --help).
boost::program_options::options_description SubmitOptionsDescription();

// Parses option words. Option parsing stops at the first word that is not an
// option (the script; the rest are its arguments) or at "--". An option given
// twice takes its later value, as in sbatch (--env adds up). sbatch options
// Drover reads but does not apply yet land in `ignored`. Errors are
// InvalidArgument (a usage error): unknown option, missing or malformed value,
// or, when !allow_positional (directives), any non-option word.
Result<SubmitFlags> ParseSubmitFlags(const std::vector<std::string>& words,
                                     bool allow_positional = true);

// `high`'s options where set, else `low`'s; env is low's then high's (later
// entries win); switches are or-ed; positional words come from `high`.
SubmitFlags MergeSubmitFlags(const SubmitFlags& high, const SubmitFlags& low);

// Slurm's --mem: an integer with an optional unit K, M, G or T (binary; no
// unit = M). Returns bytes. "0" is no memory request.
Result<int64_t> ParseSlurmMemory(std::string_view text);

// Slurm's --array: comma-separated indexes and ranges, a range with an
// optional :STEP, and an optional %P at the end (at most P at once):
// "0-99", "1,3,5", "0-20:5", "1-7:2,100%4". parallelism 0 = no cap.
// `indexes` is empty when they are 0..count-1 (an ordinary Indexed Job).
struct ArraySpec {
  int64_t count = 0;
  int64_t parallelism = 0;
  IndexSet indexes;
};
Result<ArraySpec> ParseArraySpec(std::string_view text);

// Slurm's --signal=[{R|B}:]SIG[@SECS]: SIG a name (USR1, SIGUSR1) or number,
// SECS before the time limit (default 60); B: to the batch shell only.
struct WarningSignal {
  int32_t signal = 0;
  int32_t seconds = 60;
  bool shell_only = false;
};
Result<WarningSignal> ParseWarningSignal(std::string_view text);
// A signal as Slurm's commands take it: USR1, SIGUSR1 or 10 (1-64).
Result<int32_t> ParseSignalName(std::string_view text);

// A time limit: Slurm's duration forms, or "UNLIMITED"/"infinite" (= 0).
Result<int64_t> ParseTimeLimit(std::string_view text);

// Slurm's --dependency: "TYPE:JOB[:JOB...][,TYPE:JOB...]" with TYPE one of
// after, afterany, afterok, afternotok; all must hold.
// "?" instead of "," means any of them (sets *any); "singleton" is a
// dependency on the user's earlier jobs of the same name.
Result<std::vector<JobDependency>> ParseDependencies(std::string_view text, bool* any = nullptr);

// Slurm's --begin, as Unix epoch ms: "now", "now+N[s|m|h|d|w]" (also the long
// unit names; no unit = seconds), "YYYY-MM-DD[THH:MM[:SS]]" and "HH:MM[:SS]"
// (today, or tomorrow once that time has passed), in local time.
Result<int64_t> ParseBeginTime(std::string_view text, int64_t now_ms);

// Slurm's -C/--constraint as a node selector: features joined by & (or ,),
// each FEATURE (the label FEATURE=true) or KEY=VALUE. OR (|), counts (*N)
// and brackets are refused, naming them. Errors name --constraint.
Result<Labels> ParseConstraint(std::string_view text);

// A job name derived from a file name: characters outside [A-Za-z0-9._-]
// become '_', leading non-alphanumerics are dropped, at most 253 characters;
// "job" when nothing is left.
std::string JobNameFromFile(std::string_view file_name);

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// What --export gives the job from the submitter's `environ` (KEY=VALUE
// words): ALL (the default) every variable but Drover's and Slurm's own and
// the shell's bookkeeping (PWD, OLDPWD, SHLVL, _); NONE nothing; a list of
// K=V or K (copied) with ALL first adds to everything, without it is all
// that goes. Errors name --export.
Result<std::vector<EnvVar>> ExportedEnvironment(const std::optional<std::string>& spec,
                                                const std::vector<std::string>& environ,
                                                const EnvLookup& lookup_env);

// The options Drover reads from sbatch and does not apply, by name.
const std::vector<std::string>& IgnoredSbatchOptions();

// The job the flags describe. `command` is the argv to run (from --wrap or
// the script); `cwd` (absolute) is the default working directory and the base
// of relative --chdir, --output and --error. Errors are InvalidArgument
// naming the option ("--mem", "--array", ...): a usage error. The result is
// not validated beyond the flags (see api/validation.h). `now_ms` is the
// "now" of --begin.
Result<Job> BuildJob(const SubmitFlags& flags, std::vector<std::string> command,
                     const std::string& default_name, const std::string& cwd,
                     const EnvLookup& lookup_env, int64_t now_ms);

}  // namespace drover::cli
