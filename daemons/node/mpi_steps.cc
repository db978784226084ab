#include "daemons/node/mpi_steps.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "api/base64.h"
#include "api/hostlist.h"
#include "api/http_client.h"

namespace drover::node {
namespace {

// Sets KEY=VALUE in `env`, replacing an earlier KEY (the first one would win).
void SetVariable(std::vector<std::string>* env, const std::string& key, const std::string& value) {
  const std::string prefix = key + "=";
  env->erase(std::remove_if(env->begin(), env->end(),
                            [&](const std::string& kv) { return kv.rfind(prefix, 0) == 0; }),
             env->end());
  env->push_back(prefix + value);
}

Result<PmixStep> LayoutFrom(const Json& pmix, const std::vector<std::string>& argv) {
  PmixStep step;
  try {
    step.job_id = pmix.at("jobId").get<uint64_t>();
    step.step_id = pmix.at("stepId").get<int32_t>();
    auto nodes = ExpandHostlist(pmix.at("nodelist").get<std::string>());
    if (!nodes.ok()) return nodes.status().WithFieldPrefix("pmix");
    auto counts = ExpandCountList(pmix.at("tasksPerNode").get<std::string>());
    if (!counts.ok()) return counts.status().WithFieldPrefix("pmix");
    step.nodes = std::move(*nodes);
    step.tasks_per_node = std::move(*counts);
  } catch (const Json::exception& e) {
    return Status::Invalid("pmix", std::string("malformed step layout: ") + e.what());
  }
  for (const std::string& word : argv) step.argv += (step.argv.empty() ? "" : " ") + word;
  return step;
}

}  // namespace

MpiSteps::MpiSteps(MpiStepsOptions options) : options_(std::move(options)) {}

MpiSteps::~MpiSteps() { Stop(); }

void MpiSteps::Start() {
  auto server = PmixServer::Start(options_.tmpdir, options_.node,
                                  [this](FenceContribution f) { Send(std::move(f)); });
  if (server.ok()) {
    server_ = std::move(*server);
    spdlog::info("PMIx server ready (srun --mpi=pmix steps make one MPI world)");
  } else {
    start_error_ = server.status().message();
    spdlog::warn("no PMIx server on this node, so MPI steps (srun --mpi=pmix) fail here: {}",
                 start_error_);
  }
  sender_ = std::thread([this] { SendLoop(); });
}

void MpiSteps::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (sender_.joinable()) sender_.join();
  server_.reset();
}

Status MpiSteps::PrepareRank(const std::string& task, const Json& pmix,
                             const std::vector<std::string>& argv, uint32_t uid, uint32_t gid,
                             std::vector<std::string>* env) {
  if (server_ == nullptr) {
    return Status::Unavailable("node " + options_.node + " has no PMIx server for this MPI step (" +
                               start_error_ + "); run it with srun --mpi=none, or use mpirun");
  }
  auto step = LayoutFrom(pmix, argv);
  if (!step.ok()) return step.status();
  const int32_t rank = pmix.value("rank", -1);
  auto vars = server_->PrepareRank(*step, rank, uid, gid);
  if (!vars.ok()) return vars.status();
  for (const auto& [key, value] : *vars) SetVariable(env, key, value);
  std::lock_guard<std::mutex> lock(mu_);
  ranks_[task] = {step->Namespace(), rank};
  return Status::Ok();
}

void MpiSteps::RankEnded(const std::string& task) {
  std::pair<std::string, int32_t> rank;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = ranks_.find(task);
    if (it == ranks_.end()) return;
    rank = std::move(it->second);
    ranks_.erase(it);
  }
  if (server_ != nullptr) server_->RankEnded(rank.first, rank.second);
}

void MpiSteps::CompleteFences(const Json& fences) {
  if (!fences.is_array() || server_ == nullptr) return;
  for (const Json& f : fences) {
    try {
      PmixStep step;
      step.job_id = f.at("jobId").get<uint64_t>();
      step.step_id = f.at("stepId").get<int32_t>();
      auto data = Base64Decode(f.at("data").get<std::string>(), "fences.data");
      if (!data.ok()) {
        spdlog::warn("droverd sent a malformed fence: {}", data.status().ToString());
        continue;
      }
      server_->CompleteFence(step.Namespace(), f.at("sequence").get<int64_t>(), *data);
    } catch (const Json::exception& e) {
      spdlog::warn("droverd sent a malformed fence: {}", e.what());
    }
  }
}

void MpiSteps::Send(FenceContribution fence) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    outbox_.push_back(std::move(fence));
  }
  cv_.notify_one();
}

void MpiSteps::SendLoop() {
  HttpClient client(options_.server, options_.token, HttpClientOptions{options_.ca_file});
  const std::string target = "/api/v1/nodes/" + options_.node + "/mpi-fence";
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !outbox_.empty(); });
    if (stopping_) return;
    FenceContribution fence = std::move(outbox_.front());
    outbox_.pop_front();
    lock.unlock();
    const Json body = {{"jobId", fence.job_id},
                       {"stepId", fence.step_id},
                       {"sequence", fence.sequence},
                       {"data", Base64Encode(fence.data)}};
    const std::string what = "fence " + std::to_string(fence.sequence) + " of step " +
                             std::to_string(fence.job_id) + "." + std::to_string(fence.step_id);
    // droverd unreachable: try again until it answers (the ranks wait in
    // the fence meanwhile); any answer it gives is final.
    for (int64_t backoff_ms = 100;; backoff_ms = std::min<int64_t>(backoff_ms * 2, 2'000)) {
      auto r = client.Send("POST", target, body.dump(), std::chrono::seconds(30));
      Status st = r.ok() ? StatusFromResponse(*r) : r.status();
      if (st.ok()) break;
      if (st.code() != StatusCode::kUnavailable) {
        // Sent already (a retry after a lost answer): it completes as usual.
        if (st.code() == StatusCode::kConflict &&
            st.message().find("already") != std::string::npos) {
          break;
        }
        spdlog::warn("{}: {}; its ranks' fence fails", what, st.ToString());
        PmixStep step;
        step.job_id = fence.job_id;
        step.step_id = fence.step_id;
        server_->FailFence(step.Namespace(), fence.sequence);
        break;
      }
      spdlog::warn("{}: {} (trying again)", what, st.ToString());
      std::unique_lock<std::mutex> wait(mu_);
      if (cv_.wait_for(wait, std::chrono::milliseconds(backoff_ms), [this] { return stopping_; })) {
        return;
      }
    }
    lock.lock();
  }
}

}  // namespace drover::node
