#include "api/validation.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace drover {
namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

Status ValidateLabels(const Labels& labels) {
  if (labels.size() > kMaxLabels) {
    return Status::Invalid("metadata.labels", "at most " + std::to_string(kMaxLabels) +
                                                  " labels (got " + std::to_string(labels.size()) +
                                                  ")");
  }
  // Kubernetes' rules: a key is [PREFIX/]NAME, a name (and a value, unless
  // empty) at most 63 characters of [A-Za-z0-9._-] that begin and end with a
  // letter or digit.
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  auto plain = [&](std::string_view v) {
    if (v.empty() || v.size() > 63 || !alnum(v.front()) || !alnum(v.back())) return false;
    for (char c : v) {
      if (!IsNameChar(c)) return false;
    }
    return true;
  };
  for (const auto& [key, value] : labels) {
    std::string field = "metadata.labels." + key;
    const size_t slash = key.find('/');
    const std::string_view name = slash == std::string::npos
                                      ? std::string_view(key)
                                      : std::string_view(key).substr(slash + 1);
    const std::string_view prefix =
        slash == std::string::npos ? std::string_view() : std::string_view(key).substr(0, slash);
    if (!plain(name) || (slash != std::string::npos && (prefix.size() > 253 || !plain(prefix) ||
                                                        prefix.find('/') != std::string::npos))) {
      return Status::Invalid(field,
                             "a label key is [PREFIX/]NAME: NAME at most 63 characters of "
                             "[A-Za-z0-9._-] beginning and ending with a letter or digit, "
                             "PREFIX a DNS name");
    }
    if (!value.empty() && !plain(value)) {
      return Status::Invalid(field,
                             "a label value is empty or at most 63 characters of [A-Za-z0-9._-] "
                             "beginning and ending with a letter or digit");
    }
  }
  return Status::Ok();
}

Status ValidateName(std::string_view field, std::string_view name) {
  if (name.empty()) return Status::Invalid(std::string(field), "must not be empty");
  if (name.size() > kMaxNameLength) {
    return Status::Invalid(std::string(field), "at most " + std::to_string(kMaxNameLength) +
                                                   " characters (got " +
                                                   std::to_string(name.size()) + ")");
  }
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) {
    return Status::Invalid(std::string(field),
                           "\"" + std::string(name) + "\" must start with a letter or digit");
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return Status::Invalid(std::string(field), "\"" + std::string(name) +
                                                     "\" may hold only letters, digits, '.', '_' "
                                                     "and '-'");
    }
  }
  return Status::Ok();
}

namespace {

Status ValidateMail(const MailSpec& mail) {
  static const std::vector<std::string> kTypes = {
      "NONE",           "BEGIN",       "END",        "FAIL",          "REQUEUE",
      "INVALID_DEPEND", "ALL",         "TIME_LIMIT", "TIME_LIMIT_50", "TIME_LIMIT_80",
      "TIME_LIMIT_90",  "ARRAY_TASKS", "STAGE_OUT"};
  for (size_t i = 0; i < mail.types.size(); ++i) {
    if (std::find(kTypes.begin(), kTypes.end(), mail.types[i]) == kTypes.end()) {
      return Status::Invalid("spec.mail.types[" + std::to_string(i) + "]",
                             "unknown mail type \"" + mail.types[i] +
                                 "\" (want BEGIN, END, FAIL, REQUEUE, INVALID_DEPEND, ALL, "
                                 "NONE, TIME_LIMIT[_50|_80|_90], ARRAY_TASKS or STAGE_OUT)");
    }
  }
  // The mail program gets it as an argument: no option, no spaces, no control bytes.
  const std::string& user = mail.user;
  const bool clean = std::none_of(user.begin(), user.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
  });
  if (user.size() > 256 || (!user.empty() && user[0] == '-') || !clean) {
    return Status::Invalid("spec.mail.user",
                           "must be a mail address or user name of at most 256 characters, "
                           "without spaces or a leading '-'");
  }
  return Status::Ok();
}

// An allocation is its own gang: `tasks` slots on `nodes` nodes.

// Kubernetes' rules for backoffLimitPerIndex and maxFailedIndexes.
Status ValidatePerIndexBackoff(const JobSpec& s) {
  if (s.backoff_limit_per_index < -1) {
    return Status::Invalid(
        "spec.backoffLimitPerIndex",
        "must not be negative (got " + std::to_string(s.backoff_limit_per_index) + ")");
  }
  if (s.max_failed_indexes < -1) {
    return Status::Invalid("spec.maxFailedIndexes", "must not be negative (got " +
                                                        std::to_string(s.max_failed_indexes) + ")");
  }
  if (s.backoff_limit_per_index >= 0 && s.completion_mode != CompletionMode::kIndexed) {
    return Status::Invalid("spec.backoffLimitPerIndex", "needs completionMode Indexed");
  }
  if (s.backoff_limit_per_index >= 0 && s.gang) {
    return Status::Invalid("spec.backoffLimitPerIndex",
                           "a gang's members run and fail together: use backoffLimit");
  }
  if (s.max_failed_indexes >= 0 && s.backoff_limit_per_index < 0) {
    return Status::Invalid("spec.maxFailedIndexes", "needs backoffLimitPerIndex");
  }
  if (s.max_failed_indexes > s.completions) {
    return Status::Invalid("spec.maxFailedIndexes", "must not exceed completions (" +
                                                        std::to_string(s.completions) + "; got " +
                                                        std::to_string(s.max_failed_indexes) + ")");
  }
  return Status::Ok();
}
Status ValidateAllocation(const JobSpec& s) {
  if (!IsAllocation(s)) return Status::Ok();
  const AllocationSpec& a = s.allocation;
  if (a.tasks < 1 || a.tasks > 100'000) {
    return Status::Invalid("spec.allocation.tasks",
                           "must be between 1 and 100000 (got " + std::to_string(a.tasks) + ")");
  }
  if (s.gang) {
    return Status::Invalid("spec.gang",
                           "an allocation is placed all or none already; leave gang off");
  }
  if (s.nodes < 0 || s.nodes > a.tasks) {
    return Status::Invalid("spec.nodes", "must be between 0 and allocation.tasks (" +
                                             std::to_string(a.tasks) + "), got " +
                                             std::to_string(s.nodes));
  }
  if (s.nodes > 0 && s.ntasks_per_node > 0 && int64_t{s.nodes} * s.ntasks_per_node < a.tasks) {
    return Status::Invalid("spec.allocation.tasks",
                           std::to_string(a.tasks) + " tasks do not fit " +
                               std::to_string(s.nodes) + " nodes of at most " +
                               std::to_string(s.ntasks_per_node) + " tasks each (ntasksPerNode)");
  }
  if (a.mode == AllocationMode::kInteractive && (s.completions != 1 || s.parallelism != 1)) {
    return Status::Invalid("spec.allocation.mode",
                           "an Interactive allocation is one allocation: completions and "
                           "parallelism must be 1");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateJobSubmission(const Job& job) {
  DROVER_RETURN_IF_ERROR(ValidateName("metadata.name", job.metadata.name));
  DROVER_RETURN_IF_ERROR(ValidateLabels(job.metadata.labels));
  // Kept with the job and indexed: short, printable (a UUID is 36 bytes).
  if (job.submission_id.size() > 64 ||
      !std::all_of(job.submission_id.begin(), job.submission_id.end(),
                   [](char c) { return c > ' ' && c < 0x7f; })) {
    return Status::Invalid("metadata.submissionId",
                           "must be at most 64 printable ASCII characters without spaces");
  }
  if (Status st = ValidateLabels(job.spec.node_selector); !st.ok()) {
    return Status::Invalid("spec.nodeSelector", st.message());
  }
  const JobSpec& s = job.spec;
  if (s.completions < 1 || s.completions > kMaxCompletions) {
    return Status::Invalid("spec.completions", "must be between 1 and " +
                                                   std::to_string(kMaxCompletions) + " (got " +
                                                   std::to_string(s.completions) + ")");
  }
  if (s.parallelism < 1 || s.parallelism > kMaxParallelism) {
    return Status::Invalid("spec.parallelism", "must be between 1 and " +
                                                   std::to_string(kMaxParallelism) + " (got " +
                                                   std::to_string(s.parallelism) + ")");
  }
  if (s.work_queue && (s.completion_mode != CompletionMode::kNonIndexed || s.gang ||
                       IsAllocation(s) || s.completions != s.parallelism)) {
    return Status::Invalid("spec.completions",
                           "a work queue (parallelism and no completions) is NonIndexed, not a "
                           "gang nor an allocation: give completions for the others");
  }
  if (!s.indexes.empty()) {
    if (s.completion_mode != CompletionMode::kIndexed) {
      return Status::Invalid("spec.indexes", "needs completionMode Indexed");
    }
    if (s.indexes.Count() != s.completions) {
      return Status::Invalid("spec.indexes", "lists " + std::to_string(s.indexes.Count()) +
                                                 " indexes but completions is " +
                                                 std::to_string(s.completions));
    }
    if (*s.indexes.Last() >= kMaxCompletions) {
      return Status::Invalid("spec.indexes",
                             "indexes must be below " + std::to_string(kMaxCompletions));
    }
  }
  if (!s.qos.empty()) DROVER_RETURN_IF_ERROR(ValidateName("spec.qos", s.qos));
  for (const auto* list : {&s.node_list, &s.exclude_nodes}) {
    const char* field = list == &s.node_list ? "spec.nodeList" : "spec.excludeNodes";
    if (list->size() > 10'000) return Status::Invalid(field, "at most 10000 nodes");
    for (const std::string& n : *list) DROVER_RETURN_IF_ERROR(ValidateName(field, n));
  }
  if (s.gang && s.parallelism > s.completions) {
    return Status::Invalid("spec.parallelism",
                           "a gang job starts all its tasks at once, so parallelism (" +
                               std::to_string(s.parallelism) + ") must not exceed completions (" +
                               std::to_string(s.completions) + ")");
  }
  if (s.backoff_limit < 0) {
    return Status::Invalid("spec.backoffLimit",
                           "must not be negative (got " + std::to_string(s.backoff_limit) + ")");
  }
  DROVER_RETURN_IF_ERROR(ValidatePerIndexBackoff(s));
  if (s.nice < -kMaxNice || s.nice > kMaxNice) {
    return Status::Invalid("spec.nice", "must be between " + std::to_string(-kMaxNice) + " and " +
                                            std::to_string(kMaxNice) + " (got " +
                                            std::to_string(s.nice) + ")");
  }
  DROVER_RETURN_IF_ERROR(ValidateName("spec.queue", s.queue));
  if (!s.account.empty()) DROVER_RETURN_IF_ERROR(ValidateName("spec.account", s.account));
  if (s.placement != "compact" && s.placement != "spread") {
    return Status::Invalid("spec.placement",
                           "must be \"compact\" or \"spread\" (got \"" + s.placement + "\")");
  }
  if (s.ntasks_per_node < 0) {
    return Status::Invalid("spec.ntasksPerNode", "must not be negative");
  }
  if (s.begin_time_ms < 0) return Status::Invalid("spec.beginTime", "must not be before 1970");
  for (size_t i = 0; i < s.dependencies.size(); ++i) {
    const JobDependency& d = s.dependencies[i];
    const std::string field = "spec.dependencies[" + std::to_string(i) + "]";
    if (d.type == "singleton") {
      if (d.job_id != 0) return Status::Invalid(field + ".job", "singleton names no job");
      continue;
    }
    if (d.type != "after" && d.type != "afterany" && d.type != "afterok" &&
        d.type != "afternotok" && d.type != "aftercorr") {
      return Status::Invalid(field + ".type",
                             "must be after, afterany, afterok, afternotok, aftercorr or "
                             "singleton (got \"" +
                                 d.type + "\")");
    }
    if (d.type == "aftercorr" && (s.completion_mode != CompletionMode::kIndexed || s.gang)) {
      return Status::Invalid(field + ".type",
                             "aftercorr is for arrays: index N waits for index N of job " +
                                 std::to_string(d.job_id) + " (submit this job with --array)");
    }
    if (d.job_id == 0) return Status::Invalid(field + ".job", "must be a job id (> 0)");
    if (d.delay_s < 0 || d.delay_s > 365 * 86400) {
      return Status::Invalid(field + ".delaySeconds", "must be between 0 and a year (got " +
                                                          std::to_string(d.delay_s) + ")");
    }
    if (d.delay_s != 0 && d.type != "after") {
      return Status::Invalid(
          field + ".delaySeconds",
          "only an \"after\" dependency has a delay (got type \"" + d.type + "\")");
    }
  }
  DROVER_RETURN_IF_ERROR(ValidateMail(s.mail));
  DROVER_RETURN_IF_ERROR(ValidateAllocation(s));
  if (!IsAllocation(s) && (s.nodes < 0 || s.nodes > s.parallelism)) {
    return Status::Invalid("spec.nodes", "must be between 0 and parallelism (" +
                                             std::to_string(s.parallelism) + "), got " +
                                             std::to_string(s.nodes));
  }
  const TaskTemplate& t = s.task;
  const bool interactive = s.allocation.mode == AllocationMode::kInteractive;
  if (!interactive && (t.command.empty() || t.command[0].empty())) {
    return Status::Invalid("spec.template.command", "is required (the program to run)");
  }
  if (t.command.size() + t.args.size() > kMaxArgs) {
    return Status::Invalid("spec.template.args",
                           "too many arguments (at most " + std::to_string(kMaxArgs) + ")");
  }
  if (t.env.size() > kMaxEnvVars) {
    return Status::Invalid("spec.template.env",
                           "at most " + std::to_string(kMaxEnvVars) + " variables");
  }
  for (size_t i = 0; i < t.env.size(); ++i) {
    if (!IsEnvName(t.env[i].first)) {
      return Status::Invalid("spec.template.env[" + std::to_string(i) + "].name",
                             "\"" + t.env[i].first + "\" is not a valid variable name");
    }
  }
  if (!t.working_dir.empty() && t.working_dir[0] != '/') {
    return Status::Invalid("spec.template.workingDir",
                           "must be an absolute path (got \"" + t.working_dir + "\")");
  }
  if (t.resources.cpus < 1 || t.resources.cpus > kMaxCpusPerTask) {
    return Status::Invalid("spec.template.resources.cpus",
                           "must be between 1 and " + std::to_string(kMaxCpusPerTask) + " (got " +
                               std::to_string(t.resources.cpus) + ")");
  }
  if (t.resources.memory_bytes < 0) {
    return Status::Invalid("spec.template.resources.memory", "must not be negative");
  }
  if (t.resources.memory_bind != "none" && t.resources.memory_bind != "local") {
    return Status::Invalid(
        "spec.template.resources.memoryBind",
        "must be \"none\" or \"local\" (got \"" + t.resources.memory_bind + "\")");
  }
  if (t.warning_signal < 0 || t.warning_signal > 64) {
    return Status::Invalid(
        "spec.template.warningSignal.signal",
        "must be a signal number from 1 to 64 (got " + std::to_string(t.warning_signal) + ")");
  }
  if (t.warning_seconds < 0 || t.warning_seconds > 65535) {
    return Status::Invalid(
        "spec.template.warningSignal.secondsBefore",
        "must be between 0 and 65535 (got " + std::to_string(t.warning_seconds) + ")");
  }
  if (t.time_limit_s < 0) {
    return Status::Invalid("spec.template.timeLimit", "must not be negative");
  }
  for (const auto* p : {&t.stdout_path, &t.stderr_path}) {
    if (!p->empty() && (*p)[0] != '/') {
      return Status::Invalid(p == &t.stdout_path ? "spec.template.stdout" : "spec.template.stderr",
                             "must be an absolute path (got \"" + *p + "\")");
    }
  }
  return Status::Ok();
}

}  // namespace drover
