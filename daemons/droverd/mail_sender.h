// MailSender: runs droverd's mail program (jobs.mailProgram, Slurm's
// MailProg) for each job mail, as `PROGRAM -s SUBJECT USER` with an empty
// body and the SLURM_JOB_* variables, one at a time on a thread of its own,
// so a slow mail program holds up nothing else. A mail program that fails,
// or runs past its timeout (then it is killed), is logged; the mail is not
// retried.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "daemons/droverd/job_mail.h"
#include "daemons/droverd/serial_worker.h"

namespace drover::droverd {

class MailSender {
 public:
  explicit MailSender(std::string program, int64_t timeout_ms = 60'000)
      : program_(std::move(program)), timeout_ms_(timeout_ms) {}

  // Thread-safe.
  void Send(JobMail mail);
  // How many mails the program took (exited 0) and refused so far.
  int64_t sent() const;
  int64_t failed() const;

 private:
  int RunProgram(const JobMail& mail) const;  // the program's exit status, or -1

  const std::string program_;
  const int64_t timeout_ms_;
  mutable std::mutex mu_;
  int64_t sent_ = 0;     // guarded by mu_
  int64_t failed_ = 0;   // guarded by mu_
  SerialWorker worker_;  // last: it sends what is queued before the rest goes
};

}  // namespace drover::droverd
