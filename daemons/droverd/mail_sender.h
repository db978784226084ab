// MailSender: runs droverd's mail program (jobs.mailProgram, Slurm's
// MailProg) for each job mail, as `PROGRAM -s SUBJECT USER` with an empty
// body and the SLURM_JOB_* variables, one at a time on a thread of its own,
// so a slow mail program holds up nothing else. A mail program that fails,
// or runs past its timeout (then it is killed), is logged; the mail is not
// retried.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "daemons/droverd/job_mail.h"

namespace drover::droverd {

class MailSender {
 public:
  explicit MailSender(std::string program, int64_t timeout_ms = 60'000);
  ~MailSender();  // sends what is queued, then joins
  MailSender(const MailSender&) = delete;
  MailSender& operator=(const MailSender&) = delete;

  // Thread-safe.
  void Send(JobMail mail);
  // How many mails the program took (exited 0) and refused so far.
  int64_t sent() const;
  int64_t failed() const;

 private:
  void Run();
  int RunProgram(const JobMail& mail) const;  // the program's exit status, or -1

  const std::string program_;
  const int64_t timeout_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<JobMail> queue_;
  bool stopping_ = false;
  int64_t sent_ = 0;
  int64_t failed_ = 0;
  std::thread thread_;
};

}  // namespace drover::droverd
