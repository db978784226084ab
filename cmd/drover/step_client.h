// srun's side of a job step: asks droverd for the step, forwards its ranks'
// output (with --label, "R: " before each line), forwards Ctrl-C as the
// step's cancellation, and returns the worst rank's exit code, as Slurm's
// srun does.
#pragma once

#include <cstdint>
#include <string>

#include "api/json_text.h"
#include "api/status.h"
#include "cmd/drover/api_session.h"

namespace drover::cli {

struct StepOptions {
  Json request;                  // the body of POST /api/v1/jobs/ID/steps
  bool label = false;            // --label
  bool quiet = false;            // -Q: no "srun: ..." notes
  const char* command = "srun";  // the name in messages
};

// Starts the step in job `job_id`'s allocation and follows it to its end;
// waits (printing once that it does) while other steps hold the cores.
// Returns srun's exit code: the highest rank exit code, 128+N for a rank a
// signal killed, 1 when the step could not start.
int RunStep(ApiSession& session, uint64_t job_id, const StepOptions& options);

// Installs SIGINT/SIGTERM/SIGHUP handlers that only record the signal, so a
// follow loop can forward it; returns the one received since the last call (0: none).
void CatchInterrupts();
int TakeInterrupt();

}  // namespace drover::cli
