#include "cmd/drover/job_requests.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include "api/json_codec.h"
#include "api/random_uuid.h"
#include "api/url_encoding.h"

namespace drover::cli {

Result<Job> CreateJob(ApiSession& session, const Job& job) {
  Json body = ToJson(job);
  body.erase("status");
  // A submission id makes the retry below safe: a droverd that took the
  // first attempt (and died, or was too slow to answer) answers the next
  // with the same job. Retried: droverd unreachable, a standby, a store
  // that cannot take changes for now (a failover, a PostgreSQL restart).
  if (job.submission_id.empty()) body["metadata"]["submissionId"] = RandomUuid();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  Result<Json> json = session.PostJson("/api/v1/jobs", body);
  for (int wait_ms = 200;
       !json.ok() && json.status().code() == StatusCode::kUnavailable &&
       std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms) < give_up;
       wait_ms = std::min(wait_ms * 2, 2000)) {
    if (wait_ms == 200) {
      std::cerr << "drover: " << json.status().message() << "; retrying for up to 30 s\n";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    json = session.PostJson("/api/v1/jobs", body);
  }
  if (!json.ok()) return json.status();
  auto created = JobFromJson(*json);
  if (!created.ok()) {
    return Status::Internal("droverd's answer is not a Job: " + created.status().ToString());
  }
  return created;
}

Result<uint64_t> ResolveJobId(ApiSession& session, const JobRef& ref) {
  if (ref.id != 0) return ref.id;
  auto list = session.GetJson("/api/v1/jobs?name=" + PercentEncode(ref.name));
  if (!list.ok()) return list.status();
  std::vector<uint64_t> ids;
  for (const Json& item : list->value("items", Json::array())) {
    ids.push_back(item["metadata"].value("id", uint64_t{0}));
  }
  if (ids.empty()) return Status::NotFound("no job is named \"" + ref.name + "\"");
  if (ids.size() > 1) {
    std::string which;
    for (uint64_t id : ids) which += (which.empty() ? "" : ", ") + std::to_string(id);
    return Status::Invalid("JOB", std::to_string(ids.size()) + " jobs are named \"" + ref.name +
                                      "\" (ids " + which + "); give the id");
  }
  return ids[0];
}

Result<Job> FetchJob(ApiSession& session, uint64_t id) {
  auto json = session.GetJson("/api/v1/jobs/" + std::to_string(id));
  if (!json.ok()) return json.status();
  return JobFromJson(*json);
}

Result<Job> WaitForJob(ApiSession& session, uint64_t id, int unreachable_grace_s) {
  using Clock = std::chrono::steady_clock;
  auto delay = std::chrono::milliseconds(50);
  std::optional<Clock::time_point> unreachable_since;
  while (true) {
    auto job = FetchJob(session, id);
    if (job.ok()) {
      unreachable_since.reset();
      if (IsTerminal(job->status.phase)) return job;
    } else if (job.status().code() == StatusCode::kUnavailable) {
      if (!unreachable_since) unreachable_since = Clock::now();
      if (Clock::now() - *unreachable_since > std::chrono::seconds(unreachable_grace_s)) {
        return job.status();
      }
    } else {
      return job.status();
    }
    // The API has no watch for jobs yet; poll, backing off for long jobs.
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(1));
  }
}

}  // namespace drover::cli
