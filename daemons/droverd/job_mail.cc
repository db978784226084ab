#include "daemons/droverd/job_mail.h"

#include <algorithm>

#include "api/slurm_state.h"

namespace drover::droverd {
namespace {

bool Has(const std::vector<std::string>& list, const std::string& word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

std::string Duration(int64_t ms) { return SlurmDuration(ms / 1000); }

// Slurm's TIME_LIMIT mail types (not part of ALL), and its words for them.
struct TimeLimitMail {
  const char* type;
  int64_t percent;
  const char* what;
};
constexpr TimeLimitMail kTimeLimitMails[] = {
    {"TIME_LIMIT_50", 50, "Reached 50% of time limit"},
    {"TIME_LIMIT_80", 80, "Reached 80% of time limit"},
    {"TIME_LIMIT_90", 90, "Reached 90% of time limit"},
    {"TIME_LIMIT", 100, "Reached time limit"},
};

}  // namespace

std::vector<JobMail> TakeDueMails(Job& job, int64_t now_ms, int64_t* next_due_ms) {
  std::vector<JobMail> out;
  const std::vector<std::string>& types = job.spec.mail.types;
  if (types.empty()) return out;
  const auto wants = [&](const char* type) { return Has(types, type) || Has(types, "ALL"); };
  const auto send = [&](const char* event, const std::string& mail_type, const std::string& what) {
    job.status.mailed.push_back(event);
    JobMail m;
    m.user = job.spec.mail.user.empty() ? job.owner.user : job.spec.mail.user;
    const std::string id = std::to_string(job.id);
    m.subject = "Drover Job_id=" + id + " Name=" + job.metadata.name + " " + what;
    m.env = {{"SLURM_JOB_ID", id},
             {"SLURM_JOB_NAME", job.metadata.name},
             {"SLURM_JOB_USER", job.owner.user},
             {"SLURM_JOB_MAIL_TYPE", mail_type},
             {"SLURM_JOB_STATE", SlurmJobState(job)}};
    out.push_back(std::move(m));
  };
  const JobStatus& st = job.status;
  const bool ended = IsTerminal(st.phase);
  if (st.start_time_ms > 0 && !Has(st.mailed, "BEGIN") && !Has(st.mailed, "END")) {
    if (wants("BEGIN")) {
      send("BEGIN", "Began",
           "Began, Queued time " + Duration(st.start_time_ms - job.metadata.creation_time_ms));
    } else {
      job.status.mailed.push_back("BEGIN");  // not wanted: never due later either
    }
  }
  const int64_t limit_s = job.spec.task.time_limit_s;
  if (!ended && st.start_time_ms > 0 && limit_s > 0) {
    for (const TimeLimitMail& m : kTimeLimitMails) {
      if (!Has(types, m.type) || Has(st.mailed, m.type)) continue;
      const int64_t due = st.start_time_ms + limit_s * 10 * m.percent;  // ms
      if (now_ms >= due) {
        send(m.type, m.what,
             std::string(m.what) + ", Run time " + Duration(now_ms - st.start_time_ms));
      } else if (next_due_ms != nullptr && (*next_due_ms == 0 || due < *next_due_ms)) {
        *next_due_ms = due;
      }
    }
  }
  if (!ended || Has(st.mailed, "END")) return out;
  const bool dependency = st.phase == JobPhase::kCancelled &&
                          st.message.find("can never be satisfied") != std::string::npos;
  const std::string state = SlurmJobState(job);
  const std::string run_time =
      "Run time " + Duration(st.start_time_ms > 0 ? st.completion_time_ms - st.start_time_ms : 0);
  if (dependency && wants("INVALID_DEPEND")) {
    send("END", "Ended", "Dependency failed, " + state);
  } else if (st.phase == JobPhase::kFailed && wants("FAIL")) {
    send("END", "Failed", "Failed, " + run_time + ", " + state);
  } else if (wants("END")) {
    send("END", "Ended", "Ended, " + run_time + ", " + state);
  } else {
    job.status.mailed.push_back("END");
  }
  return out;
}

}  // namespace drover::droverd
