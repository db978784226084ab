#include "daemons/droverd/step_fences.h"

#include <utility>

namespace drover::droverd {

Result<std::optional<std::string>> StepFences::Contribute(uint64_t job, int32_t step,
                                                          int64_t sequence, const std::string& node,
                                                          const std::set<std::string>& nodes,
                                                          std::string data) {
  const std::string what = "step " + std::to_string(job) + "." + std::to_string(step);
  if (nodes.count(node) == 0) {
    return Status::PermissionDenied("node " + node + " runs no rank of " + what);
  }
  if (sequence < 0) return Status::Invalid("sequence", "must be 0 or more");
  const auto key = std::make_tuple(job, step, sequence);
  Fence& fence = fences_[key];
  if (fence.sent.count(node) != 0) {
    return Status::Conflict("node " + node + " sent fence " + std::to_string(sequence) + " of " +
                            what + " already");
  }
  if (fence.data.size() + data.size() > kMaxFenceBytes) {
    fences_.erase(key);
    return Status::Invalid("data", "fence " + std::to_string(sequence) + " of " + what +
                                       " gathers more than " + std::to_string(kMaxFenceBytes) +
                                       " bytes");
  }
  fence.sent.insert(node);
  fence.data += data;
  if (fence.sent.size() < nodes.size()) return std::optional<std::string>();
  std::string all = std::move(fence.data);
  fences_.erase(key);
  return std::optional<std::string>(std::move(all));
}

void StepFences::ForgetStep(uint64_t job, int32_t step) {
  auto it = fences_.lower_bound(std::make_tuple(job, step, int64_t{0}));
  while (it != fences_.end() && std::get<0>(it->first) == job && std::get<1>(it->first) == step) {
    it = fences_.erase(it);
  }
}

}  // namespace drover::droverd
