// The job requests several verbs share: create, fetch, wait for the end.
#pragma once

#include <cstdint>

#include "api/job.h"
#include "api/status.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/job_view.h"

namespace drover::cli {

// POST /api/v1/jobs with the job's metadata and spec (never its status);
// returns the stored job, with its id. It carries a submission id (a new one
// unless the job has one) and is retried for up to 30 s while droverd is
// unavailable, so a failover or a store outage costs a wait, not a lost or
// doubled job.
Result<Job> CreateJob(ApiSession& session, const Job& job);

// The id of the job `ref` names: its id, or the one job of that name
// (NotFound when there is none; InvalidArgument naming the ids when several
// jobs share it).
Result<uint64_t> ResolveJobId(ApiSession& session, const JobRef& ref);

// GET /api/v1/jobs/{id}, decoded.
Result<Job> FetchJob(ApiSession& session, uint64_t id);

// Polls the job until its phase is terminal and returns it. Polling starts
// at 50 ms and backs off to 1 s. A droverd that stops answering for a while
// (a restart) is waited for up to `unreachable_grace_s`.
Result<Job> WaitForJob(ApiSession& session, uint64_t id, int unreachable_grace_s = 60);

}  // namespace drover::cli
