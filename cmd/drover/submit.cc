// drover submit, and sbatch (the same binary called by that name): sbatch's
// interface over POST /api/v1/jobs. As sbatch, it prints "Submitted batch
// job N" and "sbatch: error: ..." (exit 1); as drover submit, drover's words.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "api/validation.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/file_io.h"
#include "cmd/drover/job_requests.h"
#include "cmd/drover/script_directives.h"
#include "cmd/drover/submit_options.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {
namespace {

constexpr char kUsage[] =
    "Usage: drover submit [options] SCRIPT [ARGS...]\n"
    "       drover submit [options] --wrap \"COMMAND\"\n"
    "\n"
    "Submits a batch job, as sbatch does. A script's #SBATCH and #DROVER lines\n"
    "(before its first command) give options too; the command line wins over them.\n"
    "SCRIPT \"-\" reads the script from standard input. Without --wait, prints\n"
    "\"Submitted job ID\".\n"
    "\n"
    "Examples:\n"
    "  drover submit --wrap \"hostname\"\n"
    "  drover submit --array 0-99%8 -c 2 --mem 4G render.sh shot-a1\n"
    "  drover submit --wait job.sh && echo done\n";

// Reads and merges the script's directives under the command line's flags.
Result<SubmitFlags> MergeDirectives(const SubmitFlags& cmdline, const std::string& script_name,
                                    const std::string& text) {
  auto directives = ExtractDirectives(text);
  if (!directives.ok()) {
    return Status::Invalid(script_name + ": " + directives.status().field(),
                           directives.status().message());
  }
  auto sbatch = ParseSubmitFlags(directives->sbatch, false);
  if (!sbatch.ok()) return Status::Invalid(script_name + ": #SBATCH", sbatch.status().message());
  auto drover = ParseSubmitFlags(directives->drover, false);
  if (!drover.ok()) return Status::Invalid(script_name + ": #DROVER", drover.status().message());
  if (sbatch->wrap || drover->wrap) {
    return Status::Invalid(script_name, "--wrap cannot be given in a script's directives");
  }
  return MergeSubmitFlags(cmdline, MergeSubmitFlags(*drover, *sbatch));
}

int PrintWaitResult(const Job& job, bool parsable) {
  bool ok = job.status.phase == JobPhase::kSucceeded;
  if (!parsable) {
    std::cout << "Job " << job.id << " " << JobPhaseName(job.status.phase);
    if (!job.status.message.empty()) std::cout << ": " << job.status.message;
    std::cout << " (" << job.status.succeeded << " succeeded, " << job.status.failed
              << " failed)\n";
  } else if (!ok) {
    std::cerr << "Job " << job.id << " " << JobPhaseName(job.status.phase) << "\n";
  }
  return ok ? kExitOk : kExitFailed;
}

// sbatch -W exits as the job did: the batch script's exit code (the highest
// of an array's), 128+N for a script signal N killed, 1 for a job that
// failed without one (cancelled, say).
int SbatchWaitExitCode(ApiSession& session, const Job& job) {
  if (job.status.phase == JobPhase::kSucceeded) return kExitOk;
  auto tasks = session.GetJson("/api/v1/jobs/" + std::to_string(job.id) + "/tasks");
  int worst = 0;
  if (tasks.ok()) {
    for (const Json& t : (*tasks)["items"]) {
      if (t["spec"].value("part", 0) != 0) continue;  // a placeholder ran nothing
      const Json& st = t["status"];
      if (st.value("signal", 0) != 0) worst = std::max(worst, 128 + st.value("signal", 0));
      worst = std::max(worst, st.value("exitCode", 0));
    }
  }
  return worst != 0 ? worst : kExitFailed;
}

// How errors and the result are worded: drover's, or sbatch's.
struct Frontend {
  bool sbatch = false;
  int Usage(const std::string& message) const {
    if (!sbatch) return ReportUsage("submit", message);
    std::cerr << "sbatch: error: " << message << "\n";
    return kExitFailed;
  }
  int Error(const Status& status) const {
    if (!sbatch) return ReportError(status);
    std::cerr << "sbatch: " << FormatError(status) << "\n";
    return kExitFailed;
  }
  void Warn(const std::string& message) const {
    std::cerr << (sbatch ? "sbatch" : "drover submit") << ": warning: " << message << "\n";
  }
};

std::vector<std::string> SubmitterEnvironment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

int Submit(const Args& args, const Frontend& front) {
  auto parsed = ParseSubmitFlags(args);
  if (!parsed.ok()) return front.Usage(parsed.status().message());
  SubmitFlags flags = std::move(*parsed);
  if (flags.help) {
    std::cout << kUsage << "\n" << SubmitOptionsDescription() << "\n";
    return kExitOk;
  }

  std::string cwd = CurrentDir();
  std::vector<std::string> command;
  std::string default_name;
  if (flags.wrap) {
    if (!flags.positional.empty()) {
      return front.Usage("--wrap takes no script (got \"" + flags.positional[0] + "\")");
    }
    command = {"/bin/sh", "-c", *flags.wrap};
    default_name = "wrap";
  } else {
    if (flags.positional.empty()) return front.Usage("give a SCRIPT or --wrap \"COMMAND\"");
    const std::string path = flags.positional[0];  // a copy: flags is replaced below
    std::string text;
    if (path == "-") {
      text = ReadStdin();
    } else {
      auto read = ReadFile(path);
      if (!read.ok()) return front.Error(Status::Invalid("SCRIPT", read.status().message()));
      text = std::move(*read);
    }
    auto merged = MergeDirectives(flags, path, text);
    if (!merged.ok()) {
      return front.Usage(merged.status().field() + ": " + merged.status().message());
    }
    flags = std::move(*merged);
    std::vector<std::string> script_args(flags.positional.begin() + 1, flags.positional.end());
    std::string script_name = path == "-" ? "stdin" : AbsolutePath(path, cwd);
    command = ScriptCommand(text, script_name, script_args);
    default_name = JobNameFromFile(path == "-" ? "stdin" : BaseName(path));
  }

  for (const std::string& option : flags.ignored) {
    const std::string why = option + " is read but not applied by Drover yet";
    if (flags.strict) return front.Usage(why + " (--strict)");
    front.Warn(why + "; ignored");
  }
  const EnvLookup lookup = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  flags.allocation = front.sbatch;
  auto job = BuildJob(flags, std::move(command), default_name, cwd, lookup, NowMs());
  if (!job.ok()) return front.Usage(job.status().field() + ": " + job.status().message());
  // What the tasks see of the submitter, as sbatch gives it: --export's
  // variables first (--env and Drover's own win over them).
  auto exported = ExportedEnvironment(flags.export_env, SubmitterEnvironment(), lookup);
  if (!exported.ok()) {
    return front.Usage(exported.status().field() + ": " + exported.status().message());
  }
  std::vector<EnvVar>& env = job->spec.task.env;
  exported->emplace_back("SLURM_SUBMIT_DIR", cwd);
  exported->emplace_back("SLURM_SUBMIT_HOST", HostName());
  env.insert(env.begin(), exported->begin(), exported->end());
  // The same rules droverd applies, checked here so a mistake costs no round trip.
  Status valid = ValidateJobSubmission(*job);
  if (!valid.ok()) return front.Error(valid);

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return front.Error(session.status());
  auto created = CreateJob(*session, *job);
  if (!created.ok()) return front.Error(created.status());

  if (flags.parsable) {
    std::cout << created->id << std::endl;
  } else if (!flags.wait) {
    std::cout << (front.sbatch ? "Submitted batch job " : "Submitted job ") << created->id
              << std::endl;
  } else if (front.sbatch) {
    std::cout << "Submitted batch job " << created->id << std::endl;  // -W: then its exit code
  } else {
    std::cout << "Submitted job " << created->id << ", waiting for it to end" << std::endl;
  }
  if (!flags.wait) return kExitOk;
  auto final_job = WaitForJob(*session, created->id);
  if (!final_job.ok()) return front.Error(final_job.status());
  const int code = PrintWaitResult(*final_job, flags.parsable || front.sbatch);
  return front.sbatch ? SbatchWaitExitCode(*session, *final_job) : code;
}

}  // namespace

int RunSubmit(const Args& args) { return Submit(args, Frontend{false}); }

int RunSbatch(const Args& args) { return Submit(args, Frontend{true}); }

}  // namespace drover::cli
