// srun and salloc: Slurm's interactive commands over Drover's allocations.
//
// Inside an allocation (SLURM_JOB_ID set, as in a batch script or a salloc
// shell), srun starts a job step in it. Outside one, it asks for an
// interactive allocation, runs the step in it and gives the allocation back
// when the step ends, as Slurm's srun does. salloc asks for the allocation
// and runs a command (a shell by default) on this host with the allocation
// described in SLURM_*, giving it back when the command exits.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "api/hostlist.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/file_io.h"
#include "cmd/drover/job_requests.h"
#include "cmd/drover/slurm_cli.h"
#include "cmd/drover/step_client.h"
#include "cmd/drover/submit_options.h"
#include "scheduler/step_placement.h"

namespace drover::cli {
namespace {

const char kSrunUsage[] = "srun [OPTIONS] PROGRAM [ARGS...]";
const char kSallocUsage[] = "salloc [OPTIONS] [COMMAND [ARGS...]]";

// The options of the allocation itself, shared by srun and salloc.
po::options_description AllocationOptions() {
  po::options_description d("Allocation");
  d.add_options()("ntasks,n", po::value<int64_t>(), "tasks")(
      "nodes,N", po::value<int64_t>(), "nodes")("ntasks-per-node", po::value<int64_t>(),
                                                "tasks per node")(
      "cpus-per-task,c", po::value<int64_t>(), "cores per task")(
      "mem", po::value<std::string>(), "memory per task (MB, or K/M/G/T)")(
      "mem-per-cpu", po::value<std::string>(), "memory per core")(
      "time,t", po::value<std::string>(), "time limit")("partition,p", po::value<std::string>(),
                                                        "queue")(
      "account,A", po::value<std::string>(), "account")("qos,q", po::value<std::string>(),
                                                        "QoS (recorded)")(
      "job-name,J", po::value<std::string>(), "job name")("nodelist,w", po::value<std::string>(),
                                                          "only these nodes (a hostlist)")(
      "exclude,x", po::value<std::string>(), "never these nodes")(
      "constraint,C", po::value<std::string>(), "only nodes with these features (F&G)")(
      "exclusive", po::bool_switch(),
      "whole nodes (srun in an allocation: cores of its own, the default)")(
      "quiet,Q", po::bool_switch(), "no notes on stderr")("verbose,v", po::bool_switch(),
                                                          "accepted");
  return d;
}

po::options_description StepOptionsDescription() {
  po::options_description d("Step");
  d.add_options()("overlap", po::bool_switch(), "share cores with other steps")(
      "cpu-bind", po::value<std::string>(),
      "none: a node's ranks share its cores; else each rank its own (cores)")(
      "cpu_bind", po::value<std::string>(), "the old spelling of --cpu-bind")(
      "kill-on-bad-exit,K", po::value<int>()->implicit_value(1),
      "1 (default): a failed rank stops the step; 0: the others go on")(
      "mpi", po::value<std::string>(),
      "pmix (default, or SLURM_MPI_TYPE): the ranks make one MPI world; none; list")(
      "label,l", po::bool_switch(), "prefix each output line with its rank")(
      "unbuffered,u", po::bool_switch(), "accepted (output is forwarded as it is read)")(
      "export", po::value<std::string>(), "ALL (default), NONE, [ALL,]K=V,...")(
      "chdir,D", po::value<std::string>(), "working directory of the ranks")(
      "jobid", po::value<uint64_t>(), "the allocation to run in (default: SLURM_JOB_ID)")(
      "wait,W", po::value<int64_t>(), "accepted");
  return d;
}

struct Parsed {
  po::variables_map vm;
  std::vector<std::string> command;
};

std::optional<int> Parse(const char* name, const char* usage, po::options_description desc,
                         const Args& args, Parsed* out) {
  desc.add_options()("help", "show this help");
  auto [options, command] = SplitAtCommand(desc, args);
  Status st = StoreVerbArgs(desc, options, false, &out->vm);
  if (!st.ok()) return SlurmError(name, st.message());
  if (out->vm.count("help")) {
    std::cout << "Usage: " << usage << "\n\n" << desc << "\n";
    return kExitOk;
  }
  out->command = std::move(command);
  return std::nullopt;
}

template <class T>
std::optional<T> Opt(const po::variables_map& vm, const char* key) {
  if (!vm.count(key)) return std::nullopt;
  return vm[key].as<T>();
}

// The interactive allocation the options ask for.
Result<Job> AllocationJob(const po::variables_map& vm, const std::vector<std::string>& command) {
  SubmitFlags flags;
  flags.allocation = true;
  flags.ntasks = Opt<int64_t>(vm, "ntasks");
  flags.nodes = Opt<int64_t>(vm, "nodes");
  flags.ntasks_per_node = Opt<int64_t>(vm, "ntasks-per-node");
  flags.cpus = Opt<int64_t>(vm, "cpus-per-task");
  flags.mem = Opt<std::string>(vm, "mem");
  flags.mem_per_cpu = Opt<std::string>(vm, "mem-per-cpu");
  flags.time = Opt<std::string>(vm, "time");
  flags.queue = Opt<std::string>(vm, "partition");
  flags.account = Opt<std::string>(vm, "account");
  flags.qos = Opt<std::string>(vm, "qos");
  flags.name = Opt<std::string>(vm, "job-name");
  flags.nodelist = Opt<std::string>(vm, "nodelist");
  flags.exclude = Opt<std::string>(vm, "exclude");
  flags.constraint = Opt<std::string>(vm, "constraint");
  flags.exclusive = vm["exclusive"].as<bool>();
  const std::string cwd = CurrentDir();
  const std::string default_name = command.empty() ? "interactive" : BaseName(command[0]);
  auto job = BuildJob(
      flags, command.empty() ? std::vector<std::string>{"interactive"} : command, default_name, cwd,
      [](const std::string&) { return std::nullopt; }, NowMs());
  if (!job.ok()) return job.status();
  job->spec.allocation.mode = AllocationMode::kInteractive;
  job->spec.requeue = false;  // a node lost under an interactive allocation ends it
  return job;
}

// Waits for the allocation to start, as srun and salloc do, saying so once.
Result<Job> WaitForAllocation(ApiSession& session, uint64_t id, const char* name, bool quiet,
                              bool* said_waiting) {
  bool& said = *said_waiting;
  auto delay = std::chrono::milliseconds(20);
  while (true) {
    auto job = FetchJob(session, id);
    if (!job.ok()) return job.status();
    if (job->status.phase == JobPhase::kRunning) return job;
    if (IsTerminal(job->status.phase)) {
      return Status::Conflict("job " + std::to_string(id) + " " +
                              std::string(JobPhaseName(job->status.phase)) +
                              (job->status.message.empty() ? "" : ": " + job->status.message));
    }
    if (!said && !quiet) {
      std::cerr << name << ": Pending job allocation " << id << "\n"
                << name << ": job " << id << " queued and waiting for resources\n";
      said = true;
    }
    if (TakeInterrupt() != 0) {
      (void)session.PostJson("/api/v1/jobs/" + std::to_string(id) + "/cancel", Json::object());
      return Status::Conflict("Job allocation " + std::to_string(id) + " has been revoked");
    }
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::milliseconds(500));
  }
}

// Requests an interactive allocation and waits for it.
Result<Job> Allocate(ApiSession& session, const po::variables_map& vm,
                     const std::vector<std::string>& command, const char* name, bool quiet) {
  auto job = AllocationJob(vm, command);
  if (!job.ok()) return job.status();
  auto created = CreateJob(session, *job);
  if (!created.ok()) return created.status();
  bool waited = false;
  auto running = WaitForAllocation(session, created->id, name, quiet, &waited);
  if (!running.ok()) return running.status();
  if (waited && !quiet)
    std::cerr << name << ": job " << created->id << " has been allocated resources\n";
  return running;
}

void Relinquish(ApiSession& session, uint64_t id, int exit_code) {
  (void)session.PostJson("/api/v1/jobs/" + std::to_string(id) + "/complete",
                         Json{{"exitCode", exit_code}});
}

// --mpi, else SLURM_MPI_TYPE, else pmix (Slurm's MpiDefault, as sites set
// it): "pmix" or "none". pmix_v3 and the like name the same server.
Result<std::string> MpiType(const po::variables_map& vm) {
  std::string type = "pmix";
  if (const char* env = std::getenv("SLURM_MPI_TYPE"); env != nullptr && *env != '\0') type = env;
  if (vm.count("mpi")) type = vm["mpi"].as<std::string>();
  if (type == "none") return type;
  if (type == "pmix" ||
      (type.rfind("pmix_v", 0) == 0 && type.size() == 7 && type[6] >= '2' && type[6] <= '5')) {
    return std::string("pmix");
  }
  return Status::Invalid("mpi", "Invalid MPI type '" + type + "', --mpi=list for acceptable types");
}

Json StepRequestFrom(const po::variables_map& vm, const std::vector<std::string>& command,
                     int64_t allocation_tasks, int64_t allocation_nodes, const std::string& mpi) {
  int64_t ntasks = 0;
  if (vm.count("ntasks")) {
    ntasks = vm["ntasks"].as<int64_t>();
  } else if (vm.count("ntasks-per-node")) {
    ntasks = vm["ntasks-per-node"].as<int64_t>() *
             (vm.count("nodes") ? vm["nodes"].as<int64_t>() : allocation_nodes);
  } else if (vm.count("nodes")) {
    ntasks = std::max(vm["nodes"].as<int64_t>(), vm.count("nodes") ? 0 : allocation_tasks);
  } else {
    ntasks = allocation_tasks;
  }
  Json r = {{"ntasks", std::max<int64_t>(1, ntasks)}, {"command", command}};
  if (vm.count("nodes")) r["nodes"] = vm["nodes"].as<int64_t>();
  if (vm.count("ntasks-per-node")) r["ntasksPerNode"] = vm["ntasks-per-node"].as<int64_t>();
  if (vm.count("cpus-per-task")) r["cpusPerTask"] = vm["cpus-per-task"].as<int64_t>();
  r["overlap"] = vm["overlap"].as<bool>();
  std::string bind;
  if (vm.count("cpu-bind")) bind = vm["cpu-bind"].as<std::string>();
  if (vm.count("cpu_bind")) bind = vm["cpu_bind"].as<std::string>();
  r["cpuBind"] = bind.find("none") != std::string::npos ? "none" : "cores";
  if (vm.count("kill-on-bad-exit")) r["killOnBadExit"] = vm["kill-on-bad-exit"].as<int>() != 0;
  r["mpi"] = mpi;
  const std::string cwd = CurrentDir();
  r["workingDir"] = vm.count("chdir") ? AbsolutePath(vm["chdir"].as<std::string>(), cwd) : cwd;
  std::vector<std::string> environ_words;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) environ_words.emplace_back(*e);
  auto env = ExportedEnvironment(Opt<std::string>(vm, "export"), environ_words,
                                 [](const std::string& k) -> std::optional<std::string> {
                                   const char* v = std::getenv(k.c_str());
                                   if (v == nullptr) return std::nullopt;
                                   return std::string(v);
                                 });
  Json pairs = Json::array();
  if (env.ok()) {
    for (const auto& [k, v] : *env) pairs.push_back({k, v});
  }
  r["env"] = std::move(pairs);
  return r;
}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr) return fallback;
  char* end = nullptr;
  long long n = std::strtoll(v, &end, 10);
  return end != v && *end == '\0' && n > 0 ? n : fallback;
}

// The allocation's shape, from its tasks (one per node): nodes and cores.
struct AllocationShape {
  std::vector<std::string> nodes;
  std::vector<int32_t> slots, cores;
};

AllocationShape ShapeOf(ApiSession& session, const Job& job) {
  AllocationShape shape;
  auto tasks = session.GetJson("/api/v1/jobs/" + std::to_string(job.id) + "/tasks");
  if (!tasks.ok()) return shape;
  const int32_t cpus = std::max(1, job.spec.task.resources.cpus);
  std::vector<std::pair<int32_t, const Json*>> parts;
  for (const Json& t : (*tasks)["items"]) {
    const std::string phase = t["status"].value("phase", "");
    if (phase == "Running" || phase == "Assigned")
      parts.push_back({t["spec"].value("part", 0), &t});
  }
  std::sort(parts.begin(), parts.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (const auto& [part, t] : parts) {
    const int32_t n = static_cast<int32_t>((*t)["spec"]["cores"].size());
    shape.nodes.push_back((*t)["spec"].value("node", ""));
    shape.cores.push_back(n);
    shape.slots.push_back(n / cpus);
  }
  return shape;
}

}  // namespace

int RunSrun(const Args& args) {
  po::options_description desc;
  desc.add(AllocationOptions()).add(StepOptionsDescription());
  Parsed p;
  if (auto done = Parse("srun", kSrunUsage, desc, args, &p)) return *done;
  if (p.vm.count("mpi") && p.vm["mpi"].as<std::string>() == "list") {
    std::cout << "MPI types are...\nnone\npmix\npmix_v4\n";
    return 0;
  }
  auto mpi = MpiType(p.vm);
  if (!mpi.ok()) return SlurmError("srun", mpi.status().message());
  if (p.command.empty()) return SlurmError("srun", "no executable given (srun PROGRAM [ARGS...])");
  const bool quiet = p.vm["quiet"].as<bool>();
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return SlurmError("srun", session.status().message());
  CatchInterrupts();
  StepOptions options;
  options.label = p.vm["label"].as<bool>();
  options.quiet = quiet;
  uint64_t job_id = p.vm.count("jobid") ? p.vm["jobid"].as<uint64_t>()
                                        : static_cast<uint64_t>(EnvInt("SLURM_JOB_ID", 0));
  if (job_id != 0) {  // a step in the allocation we are in
    options.request = StepRequestFrom(p.vm, p.command, EnvInt("SLURM_NTASKS", 1),
                                      EnvInt("SLURM_JOB_NUM_NODES", 1), *mpi);
    return RunStep(*session, job_id, options);
  }
  auto job = Allocate(*session, p.vm, p.command, "srun", quiet);
  if (!job.ok()) return SlurmError("srun", job.status().message());
  const AllocationShape shape = ShapeOf(*session, *job);
  options.request = StepRequestFrom(p.vm, p.command, job->spec.allocation.tasks,
                                    static_cast<int64_t>(shape.nodes.size()), *mpi);
  const int code = RunStep(*session, job->id, options);
  Relinquish(*session, job->id, code);
  return code;
}

int RunSalloc(const Args& args) {
  po::options_description desc = AllocationOptions();
  Parsed p;
  if (auto done = Parse("salloc", kSallocUsage, desc, args, &p)) return *done;
  const bool quiet = p.vm["quiet"].as<bool>();
  std::vector<std::string> command = p.command;
  if (command.empty()) {
    const char* shell = std::getenv("SHELL");
    command = {shell != nullptr && *shell != '\0' ? shell : "/bin/sh"};
  }
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return SlurmError("salloc", session.status().message());
  CatchInterrupts();
  auto job = Allocate(*session, p.vm, command, "salloc", quiet);
  if (!job.ok()) return SlurmError("salloc", job.status().message());
  if (!quiet) std::cerr << "salloc: Granted job allocation " << job->id << "\n";
  const AllocationShape shape = ShapeOf(*session, *job);
  const std::string id = std::to_string(job->id);
  const std::string hostlist = CompressHostlist(shape.nodes);
  const std::string nnodes = std::to_string(shape.nodes.size());
  const std::string ntasks = std::to_string(job->spec.allocation.tasks);
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"SLURM_JOB_ID", id},
           {"SLURM_JOBID", id},
           {"SLURM_JOB_NAME", job->metadata.name},
           {"SLURM_JOB_NODELIST", hostlist},
           {"SLURM_NODELIST", hostlist},
           {"SLURM_JOB_NUM_NODES", nnodes},
           {"SLURM_NNODES", nnodes},
           {"SLURM_NTASKS", ntasks},
           {"SLURM_NPROCS", ntasks},
           {"SLURM_TASKS_PER_NODE", scheduler::SlurmCountList(shape.slots)},
           {"SLURM_JOB_CPUS_PER_NODE", scheduler::SlurmCountList(shape.cores)},
           {"SLURM_CPUS_PER_TASK", std::to_string(job->spec.task.resources.cpus)},
           {"SLURM_SUBMIT_DIR", CurrentDir()},
           {"SLURM_CLUSTER_NAME", "drover"}}) {
    setenv(k.c_str(), v.c_str(), 1);
  }
  const pid_t child = fork();
  if (child == 0) {
    std::vector<char*> argv;
    for (std::string& w : command) argv.push_back(w.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::cerr << "salloc: error: cannot run " << command[0] << ": " << std::strerror(errno) << "\n";
    _exit(127);
  }
  int status = 0;
  int code = 1;
  while (child > 0) {
    const pid_t r = waitpid(child, &status, 0);
    if (r == child) {
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (r < 0 && errno != EINTR) break;
    if (int sig = TakeInterrupt(); sig != 0 && sig != SIGINT)
      kill(child, sig);  // Ctrl-C is the shell's
  }
  if (!quiet) std::cerr << "salloc: Relinquishing job allocation " << job->id << "\n";
  Relinquish(*session, job->id, code);
  return code;
}

}  // namespace drover::cli
