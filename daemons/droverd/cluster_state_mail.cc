// ClusterState's side of job mail: the mails the jobs changed in this batch
// call for (job_mail.h), marked sent in the same batch, and the times a
// running job's TIME_LIMIT mails fall due.
#include <set>

#include "daemons/droverd/cluster_state.h"

namespace drover::droverd {

std::vector<JobMail> ClusterState::TakeMail(int64_t now_ms) {
  std::vector<JobMail> out;
  // The jobs changed in this batch, and those a time-limit mail fell due for.
  std::set<uint64_t> ids(dirty_jobs_.begin(), dirty_jobs_.end());
  const auto due_end = mail_times_.upper_bound(now_ms);
  for (auto it = mail_times_.begin(); it != due_end; ++it) ids.insert(it->second);
  mail_times_.erase(mail_times_.begin(), due_end);
  for (uint64_t id : ids) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.spec.mail.types.empty()) continue;
    Job& job = it->second;
    const size_t marked = job.status.mailed.size();
    int64_t next_due_ms = 0;
    for (JobMail& m : TakeDueMails(job, now_ms, &next_due_ms)) out.push_back(std::move(m));
    if (job.status.mailed.size() != marked) TouchJob(job);
    if (next_due_ms > 0) AddTimeOnce(mail_times_, next_due_ms, id);
  }
  return out;
}

}  // namespace drover::droverd
