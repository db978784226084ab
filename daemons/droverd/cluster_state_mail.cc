// ClusterState's side of job mail: the mails the jobs changed in this batch
// call for (job_mail.h), marked sent in the same batch.
#include "daemons/droverd/cluster_state.h"

namespace drover::droverd {

std::vector<JobMail> ClusterState::TakeMail() {
  std::vector<JobMail> out;
  const std::vector<uint64_t> changed(dirty_jobs_.begin(), dirty_jobs_.end());
  for (uint64_t id : changed) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.spec.mail.types.empty()) continue;
    Job& job = it->second;
    const size_t marked = job.status.mailed.size();
    for (JobMail& m : TakeDueMails(job)) out.push_back(std::move(m));
    if (job.status.mailed.size() != marked) TouchJob(job);
  }
  return out;
}

}  // namespace drover::droverd
