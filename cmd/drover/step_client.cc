#include "cmd/drover/step_client.h"

#include <csignal>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include "api/url_encoding.h"
#include "cmd/drover/exit_code.h"

namespace drover::cli {
namespace {

volatile std::sig_atomic_t g_interrupt = 0;

void OnInterrupt(int sig) { g_interrupt = sig; }

// One rank's output as it is read: where the next read starts, and the part
// of a line not printed yet (a label goes before whole lines only).
struct RankOutput {
  int64_t offset = 0;
  std::string partial;
};

void Print(int32_t rank, const std::string& text, bool label, RankOutput& out, bool flush) {
  if (!label) {
    std::cout << text << std::flush;
    return;
  }
  out.partial += text;
  size_t start = 0;
  for (size_t nl; (nl = out.partial.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::cout << rank << ": " << std::string_view(out.partial).substr(start, nl + 1 - start);
  }
  out.partial.erase(0, start);
  if (flush && !out.partial.empty()) {
    std::cout << rank << ": " << out.partial << "\n";
    out.partial.clear();
  }
  std::cout << std::flush;
}

// Reads what rank `rank` wrote since last time.
void Drain(ApiSession& session, const std::string& base, int32_t rank, bool label, RankOutput& out,
           bool flush) {
  for (int round = 0; round < 64; ++round) {  // a burst may take several reads
    auto text = session.GetText(base + "/logs?rank=" + std::to_string(rank) +
                                "&offset=" + std::to_string(out.offset));
    if (!text.ok() || text->empty()) break;
    out.offset += static_cast<int64_t>(text->size());
    Print(rank, *text, label, out, false);
  }
  if (flush) Print(rank, "", label, out, true);
}

int RankExitCode(const Json& task) {
  const Json& st = task["status"];
  const std::string phase = st.value("phase", "");
  if (phase == "Succeeded") return 0;
  if (st.value("signal", 0) != 0) return 128 + st.value("signal", 0);
  const int code = st.value("exitCode", -1);
  return code > 0 ? code : 1;
}

}  // namespace

void CatchInterrupts() {
  struct sigaction sa = {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

int TakeInterrupt() {
  int sig = g_interrupt;
  g_interrupt = 0;
  return sig;
}

int RunStep(ApiSession& session, uint64_t job_id, const StepOptions& options) {
  const std::string job = "/api/v1/jobs/" + std::to_string(job_id);
  Result<Json> created = Status::Unavailable("not asked yet");
  bool said_waiting = false;
  auto delay = std::chrono::milliseconds(50);
  while (true) {
    created = session.PostJson(job + "/steps", options.request);
    // Other steps hold the cores: Slurm's srun waits for them too.
    if (created.ok() || created.status().code() != StatusCode::kUnavailable ||
        created.status().message().find("held by other steps") == std::string::npos) {
      break;
    }
    if (!said_waiting && !options.quiet) {
      std::cerr << options.command << ": Job " << job_id
                << " step creation temporarily disabled, retrying (Requested nodes are busy)\n";
      said_waiting = true;
    }
    if (TakeInterrupt() != 0) return kExitFailed;
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::milliseconds(500));
  }
  if (!created.ok()) {
    std::cerr << options.command << ": error: " << created.status().message() << "\n";
    return kExitFailed;
  }
  const int64_t step = created->value("step", int64_t{0});
  const std::string base = job + "/steps/" + std::to_string(step);
  const size_t ranks = created->value("items", Json::array()).size();
  if (said_waiting && !options.quiet) {
    std::cerr << options.command << ": Step created for StepId=" << job_id << "." << step << "\n";
  }
  std::map<int32_t, RankOutput> outputs;
  bool cancelled = false;
  delay = std::chrono::milliseconds(20);
  while (true) {
    if (int sig = TakeInterrupt(); sig != 0) {
      if (cancelled) return 128 + sig;  // a second one: leave at once
      if (!options.quiet) {
        std::cerr << options.command << ": interrupt (one more within 1 sec to abort)\n"
                  << options.command << ": forcing job termination\n";
      }
      (void)session.PostJson(base + "/cancel", Json::object());
      cancelled = true;
    }
    auto tasks = session.GetJson(job + "/steps?step=" + std::to_string(step));
    if (!tasks.ok()) {
      std::cerr << options.command << ": error: " << tasks.status().message() << "\n";
      return kExitFailed;
    }
    const Json& items = (*tasks)["items"];
    size_t ended = 0;
    for (const Json& t : items) {
      const std::string phase = t["status"].value("phase", "");
      ended += phase != "Assigned" && phase != "Running";
    }
    const bool done = ended == items.size() && items.size() >= ranks;
    for (const Json& t : items) {
      const int32_t rank = t["spec"]["step"].value("rank", 0);
      Drain(session, base, rank, options.label, outputs[rank], done);
    }
    if (done) {
      // The worst rank decides; ranks the step stopped (a bad exit elsewhere,
      // Ctrl-C) only when no rank failed on its own.
      int worst = 0, worst_stopped = 0;
      for (const Json& t : items) {
        const int code = RankExitCode(t);
        if (t["status"].value("terminating", false)) {
          worst_stopped = std::max(worst_stopped, code);
          continue;
        }
        if (code != 0 && !options.quiet) {
          const Json& st = t["status"];
          std::cerr << options.command << ": error: " << t["spec"].value("node", "") << ": task "
                    << t["spec"]["step"].value("rank", 0) << ": "
                    << (st.value("signal", 0) != 0
                            ? "Killed by signal " + std::to_string(st.value("signal", 0))
                            : "Exited with exit code " + std::to_string(code))
                    << "\n";
        }
        worst = std::max(worst, code);
      }
      return worst != 0 ? worst : worst_stopped;
    }
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::milliseconds(200));
  }
}

}  // namespace drover::cli
