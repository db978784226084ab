// Job mail (Slurm's --mail-type/--mail-user, MailProg): which mails a job's
// state calls for. Level-triggered: a mail is due when the job is in a state
// its types ask about and the event is not in status.mailed yet; marking it
// there (stored with the batch) keeps a restart from sending it twice.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/job.h"

namespace drover::droverd {

struct JobMail {
  std::string user;     // the address, or the owner's user name
  std::string subject;  // "Drover Job_id=12 Name=render Ended, Run time 00:05:01, COMPLETED"
  // What Slurm gives its MailProg: SLURM_JOB_ID, SLURM_JOB_NAME,
  // SLURM_JOB_USER, SLURM_JOB_MAIL_TYPE (Began, Ended, Failed, ...), SLURM_JOB_STATE.
  std::vector<EnvVar> env;
};

// The mails due for `job` at `now_ms`, with the events marked sent in
// job.status.mailed. TIME_LIMIT_50/80/90 and TIME_LIMIT fall due at that
// share of a running job's time limit; `next_due_ms` (if given) is lowered to
// when the next of those is due, 0 = none.
std::vector<JobMail> TakeDueMails(Job& job, int64_t now_ms, int64_t* next_due_ms = nullptr);

}  // namespace drover::droverd
