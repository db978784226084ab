#include "cmd/drover/slurm_job_format.h"

#include <algorithm>
#include <cctype>

#include "api/slurm_state.h"
#include "api/task.h"
#include "cmd/drover/text_format.h"

namespace drover::cli {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Slurm's timestamps: local "2026-12-02T03:04:05"; "N/A" for none.
std::string SlurmTime(int64_t unix_ms) {
  if (unix_ms <= 0) return "N/A";
  std::string t = FormatLocalTime(unix_ms);  // "2026-12-02 03:04:05"
  t[10] = 'T';
  return t;
}

struct Letter {
  char letter;
  const char* header;
  const char* long_name;  // for -O
};
constexpr Letter kLetters[] = {
    {'i', "JOBID", "jobid"},
    {'A', "JOBID", "jobarrayid"},
    {'j', "NAME", "name"},
    {'u', "USER", "username"},
    {'T', "STATE", "state"},
    {'t', "ST", "statecompact"},
    {'M', "TIME", "timeused"},
    {'l', "TIME_LIMIT", "timelimit"},
    {'D', "NODES", "numnodes"},
    {'C', "CPUS", "numcpus"},
    {'R', "NODELIST(REASON)", "reasonlist"},
    {'r', "REASON", "reason"},
    {'P', "PARTITION", "partition"},
    {'S', "START_TIME", "starttime"},
    {'e', "END_TIME", "endtime"},
    {'V', "SUBMIT_TIME", "submittime"},
    {'a', "ACCOUNT", "account"},
    {'q', "QOS", "qos"},
    {'N', "NODELIST", "nodelist"},
    {'Q', "PRIORITY", "priority"},
    {'y', "NICE", "nice"},
    {'K', "ARRAY_TASK_ID", "arraytaskid"},
};

const Letter* FindLetter(char c) {
  for (const Letter& l : kLetters) {
    if (l.letter == c) return &l;
  }
  return nullptr;
}

std::string Fit(std::string value, const SqueueField& f) {
  if (f.size <= 0) return value;
  const size_t size = static_cast<size_t>(f.size);
  if (value.size() > size) value.resize(size);
  std::string pad(size - value.size(), ' ');
  return f.right ? pad + value : value + pad;
}

std::string JobIdCell(const Job& job) {
  std::string id = std::to_string(job.id);
  if (job.spec.completion_mode != CompletionMode::kIndexed) return id;
  // An array as squeue shows its pending part: ID_[indexes%throttle].
  std::string indexes = job.spec.indexes.empty() ? "0-" + std::to_string(job.spec.completions - 1)
                                                 : job.spec.indexes.ToString();
  if (job.spec.parallelism < job.spec.completions) {
    indexes += "%" + std::to_string(job.spec.parallelism);
  }
  return id + "_[" + indexes + "]";
}

std::string Value(char letter, const SqueueRow& row, int64_t now_ms) {
  const Job& job = *row.job;
  const JobSpec& s = job.spec;
  const JobStatus& st = job.status;
  switch (letter) {
    case 'i':
    case 'A':
      return JobIdCell(job);
    case 'j':
      return job.metadata.name;
    case 'u':
      return job.owner.user.empty() ? std::to_string(job.owner.uid) : job.owner.user;
    case 'T':
      return SlurmStateName(job);
    case 't':
      return SlurmStateCode(job);
    case 'M': {
      if (st.start_time_ms == 0) return "0:00";
      const int64_t end = st.completion_time_ms != 0 ? st.completion_time_ms : now_ms;
      return FormatElapsed((end - st.start_time_ms) / 1000);
    }
    case 'l':
      return FormatTimeLimit(s.task.time_limit_s);
    case 'D':
      return std::to_string(std::max<int32_t>(1, s.nodes));
    case 'C':
      return std::to_string(static_cast<int64_t>(s.task.resources.cpus) *
                            (s.gang ? s.parallelism : 1));
    case 'R':
      if (st.phase == JobPhase::kPending) return "(" + SlurmReason(job) + ")";
      return row.nodelist.empty() ? "(None)" : row.nodelist;
    case 'r':
      return SlurmReason(job);
    case 'P':
      return s.queue;
    case 'S':
      return SlurmTime(st.phase == JobPhase::kPending ? st.estimated_start_ms : st.start_time_ms);
    case 'e':
      return SlurmTime(st.completion_time_ms);
    case 'V':
      return SlurmTime(job.metadata.creation_time_ms);
    case 'a':
      return s.account.empty() ? "(null)" : s.account;
    case 'q':
      return s.qos.empty() ? "normal" : s.qos;
    case 'N':
      return row.nodelist;
    case 'Q':
      return std::to_string(s.priority - s.nice);
    case 'y':
      return std::to_string(s.nice);
    case 'K':
      return s.completion_mode == CompletionMode::kIndexed
                 ? JobIdCell(job).substr(std::to_string(job.id).size() + 1)
                 : "N/A";
  }
  return "";
}

}  // namespace

std::string SlurmStateName(const Job& job) { return SlurmJobState(job); }

std::string SlurmStateCode(const Job& job) {
  const std::string name = SlurmStateName(job);
  if (name == "PENDING") return "PD";
  if (name == "RUNNING") return "R";
  if (name == "COMPLETED") return "CD";
  if (name == "CANCELLED") return "CA";
  if (name == "TIMEOUT") return "TO";
  if (name == "NODE_FAIL") return "NF";
  if (name == "OUT_OF_MEMORY") return "OOM";
  if (name == "FAILED") return "F";
  return "?";
}

bool SlurmStateMatches(std::string_view typed, const Job& job) {
  const std::string t = Lower(typed);
  return t == "all" || t == Lower(SlurmStateName(job)) || t == Lower(SlurmStateCode(job));
}

std::string SlurmReason(const Job& job) {
  if (job.status.phase != JobPhase::kPending || job.status.reasons.empty()) return "None";
  const std::string& r = job.status.reasons.front();
  if (r == "Held") return "JobHeldUser";
  if (r == "Dependency" && job.status.message.find("can never be satisfied") != std::string::npos) {
    return "DependencyNeverSatisfied";
  }
  if (r == "QueueLimit") return "PartitionJobLimit";
  if (r == "UserLimit") return "AssocMaxJobsLimit";
  return r;  // Priority, Resources, Dependency, BeginTime, Reservation: Slurm's words too
}

Result<std::vector<SqueueField>> ParseSqueueFormat(std::string_view format) {
  std::vector<SqueueField> out;
  std::string literal;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      literal += format[i];
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '%') {
      literal += '%';
      ++i;
      continue;
    }
    if (!literal.empty()) out.push_back({std::move(literal), 0, 0, false});
    literal.clear();
    SqueueField f;
    size_t j = i + 1;
    if (j < format.size() && format[j] == '.') {
      f.right = true;
      ++j;
    } else if (j < format.size() && format[j] == '-') {
      ++j;  // left, the default
    }
    while (j < format.size() && std::isdigit(static_cast<unsigned char>(format[j]))) {
      f.size = std::min(f.size * 10 + (format[j] - '0'), 1000);
      ++j;
    }
    if (j >= format.size()) return Status::Invalid("--format", "a field has no letter at its end");
    if (FindLetter(format[j]) == nullptr) {
      return Status::Invalid("--format", std::string("unknown field %") + format[j] +
                                             " (known: %i %j %u %T %t %M %l %D %C %R %P %S %e "
                                             "%V %a %q %N %Q %y %K %r %A)");
    }
    f.letter = format[j];
    out.push_back(f);
    i = j;
  }
  if (!literal.empty()) out.push_back({std::move(literal), 0, 0, false});
  return out;
}

Result<std::vector<SqueueField>> ParseSqueueLongFormat(std::string_view format) {
  std::vector<SqueueField> out;
  while (!format.empty()) {
    std::string_view item = format.substr(0, format.find(','));
    format.remove_prefix(std::min(format.size(), item.size() + 1));
    SqueueField f;
    f.size = 20;  // -O's default width
    const size_t colon = item.find(':');
    if (colon != std::string_view::npos) {
      std::string_view size = item.substr(colon + 1);
      if (!size.empty() && size[0] == '.') {
        f.right = true;
        size.remove_prefix(1);
      }
      f.size = 0;
      for (char c : size) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
          return Status::Invalid("--Format", "bad size in \"" + std::string(item) + "\"");
        }
        f.size = std::min(f.size * 10 + (c - '0'), 1000);
      }
      item = item.substr(0, colon);
    }
    const std::string name = Lower(item);
    for (const Letter& l : kLetters) {
      if (name == l.long_name) f.letter = l.letter;
    }
    if (f.letter == 0) {
      return Status::Invalid("--Format", "unknown field \"" + std::string(item) + "\"");
    }
    if (!out.empty()) out.push_back({" ", 0, 0, false});
    out.push_back(f);
  }
  return out;
}

std::string SqueueHeader(const std::vector<SqueueField>& format) {
  std::string out;
  for (const SqueueField& f : format) {
    out += f.letter == 0 ? f.literal : Fit(FindLetter(f.letter)->header, f);
  }
  return out;
}

std::string SqueueLine(const std::vector<SqueueField>& format, const SqueueRow& row,
                       int64_t now_ms) {
  std::string out;
  for (const SqueueField& f : format) {
    out += f.letter == 0 ? f.literal : Fit(Value(f.letter, row, now_ms), f);
  }
  return out;
}

}  // namespace drover::cli
