#include "cmd/drover/submit_options.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "api/hostlist.h"
#include "api/json_codec.h"
#include "api/query_params.h"
#include "api/validation.h"
#include "cmd/drover/file_io.h"
#include "cmd/drover/verb_common.h"

namespace drover::cli {
namespace po = boost::program_options;
namespace {

template <typename T>
void CopyIf(const po::variables_map& vm, const char* key, std::optional<T>* out) {
  if (vm.count(key)) *out = vm[key].as<T>();
}

// sbatch options Drover reads and does not apply yet: each is a warning
// naming it (an error with --strict), never a rejected script. Those that
// take a value are listed so the value is not mistaken for the script.
struct IgnoredOption {
  const char* names;  // "long" or "long,s"
  bool takes_value;
};
constexpr IgnoredOption kIgnoredOptions[] = {
    {"comment", true},
    {"open-mode", true},
    {"gres", true},
    {"gpus,G", true},
    {"licenses,L", true},
    {"reservation", true},
    {"distribution,m", true},
    {"threads-per-core", true},
    {"ntasks-per-core", true},
    {"ntasks-per-socket", true},
    {"sockets-per-node", true},
    {"cores-per-socket", true},
    {"hint", true},
    {"propagate", true},
    {"wckey", true},
    {"clusters,M", true},
    {"deadline", true},
    {"tmp", true},
    {"time-min", true},
    {"cpu-freq", true},
    {"mincpus", true},
    {"input,i", true},
    {"acctg-freq", true},
    {"profile", true},
    {"gpus-per-node", true},
    {"gpus-per-task", true},
    {"cpus-per-gpu", true},
    {"mem-per-gpu", true},
    {"gpu-bind", true},

    {"uid", true},
    {"gid", true},
    {"core-spec", true},
    {"switches", true},
    {"delay-boot", true},
    {"network", true},
    {"prefer", true},
    {"export-file", true},
    {"oversubscribe,s", false},
    {"overcommit,O", false},
    {"contiguous", false},
    {"test-only", false},
    {"quiet,Q", false},
    {"verbose,v", false},
    {"spread-job", false},
    {"use-min-nodes", false},
    {"ignore-pbs", false},
    {"no-kill,k", false},
    {"get-user-env", false},
    {"no-requeue-on-fail", false},
};

po::options_description IgnoredOptionsDescription() {
  po::options_description desc("sbatch options read and not applied (a warning each)");
  for (const IgnoredOption& o : kIgnoredOptions) {
    if (o.takes_value) {
      desc.add_options()(o.names, po::value<std::string>(), "");
    } else {
      desc.add_options()(o.names, po::value<std::string>()->implicit_value("")->zero_tokens(), "");
    }
  }
  return desc;
}

std::string LongName(const char* names) {
  std::string n = names;
  return n.substr(0, n.find(','));
}

}  // namespace

const std::vector<std::string>& IgnoredSbatchOptions() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const IgnoredOption& o : kIgnoredOptions) out.push_back("--" + LongName(o.names));
    return out;
  }();
  return names;
}

po::options_description SubmitOptionsDescription() {
  po::options_description desc("Options (also read from #SBATCH / #DROVER lines of the script)");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("wrap", po::value<std::string>(), "run this command with /bin/sh -c instead of a script")
      ("job-name,J", po::value<std::string>(), "job name (default: the script's name, or \"wrap\")")
      ("name", po::value<std::string>(), "same as --job-name")
      ("cpus-per-task,c", po::value<int64_t>(), "cores per task (default 1)")
      ("ntasks,n", po::value<int64_t>(), "Slurm tasks of the allocation (sbatch: the script runs once, on its first node, and srun starts steps; drover submit: the script gets ntasks x cpus-per-task cores on one node)")
      ("cpus", po::value<int64_t>(), "same as --cpus-per-task")
      ("mem", po::value<std::string>(), "memory per task: MB, or with K/M/G/T suffix")
      ("mem-per-cpu", po::value<std::string>(), "memory per core (times the task's cores)")
      ("dependency,d", po::value<std::string>(), "start after other jobs: afterok:JOB[:JOB],afterany:JOB,... (also after, afternotok, aftercorr: array task N after task N of JOB succeeded)")
      ("hold,H", po::bool_switch(), "submit held: nothing starts until `drover release JOB`")
      ("begin,b", po::value<std::string>(), "not before: now+1hour, 16:00, 2026-12-24T18:00")
      ("mem-bind", po::value<std::string>(), "local: memory from the NUMA nodes of the task's cores, accounted there; none (default)")
      ("array,a", po::value<std::string>(), "task indexes 0-N, optionally %P to run at most P at once")
      ("parallelism", po::value<int64_t>(), "at most this many tasks at once; without --completions or --array, a work queue of that many workers (see --workers)")
      ("workers", po::value<int64_t>(), "a work queue: N workers (DROVER_WORKER=0..N-1) take items until the queue is empty; none starts once one has succeeded, and the job succeeds when one has and all have ended")
      ("completions", po::value<int64_t>(), "tasks that must succeed (non-indexed)")
      ("time,t", po::value<std::string>(), "time limit: MM, MM:SS, HH:MM:SS, D-HH[:MM[:SS]]")
      ("output,o", po::value<std::string>(), "stdout file (as Slurm: %j job id, %a index, %x name, %N node, %u user)")
      ("error,e", po::value<std::string>(), "stderr file (same patterns; default: with stdout)")
      ("priority", po::value<int64_t>(), "higher runs first (default 0; admins only)")
      ("nice", po::value<int64_t>()->implicit_value(100),
       "lower this job's priority by N (default 100, as Slurm); negative N is for admins")
      ("backoff-limit", po::value<int64_t>(), "failed tasks run again before the job fails (default 0: as in Slurm, a failed script is not re-run; with --array, failures of all its tasks together)")
      ("backoff-limit-per-index", po::value<int64_t>(), "--array: times each array task runs again after failing, while the others go on (default 0, as Slurm)")
      ("max-failed-indexes", po::value<int64_t>(), "--array: fail the whole array at once when more than N of its tasks have failed")
      ("requeue", po::bool_switch(), "a task lost with its node or preempted runs again (the default)")
      ("no-requeue", po::bool_switch(), "a task lost with its node or preempted fails the job")
      ("kill-on-invalid-dep", po::value<std::string>(), "yes (default): a job whose dependency can never be satisfied is cancelled; no: it stays pending (DependencyNeverSatisfied)")
      ("nodelist,w", po::value<std::string>(), "only on these nodes (a hostlist: node-[1-3])")
      ("exclude,x", po::value<std::string>(), "never on these nodes (a hostlist)")
      ("constraint,C", po::value<std::string>(), "only on nodes with these features: F&G (a feature F is the node label F=true; KEY=VALUE a label)")
      ("qos,q", po::value<std::string>(), "quality of service (recorded; SLURM_JOB_QOS)")
      ("mail-type", po::value<std::string>(), "mail at BEGIN,END,FAIL,INVALID_DEPEND or ALL")
      ("mail-user", po::value<std::string>(), "whom to mail (default: you)")
      ("signal", po::value<std::string>(), "[B:]SIG[@SECS]: send SIG (name or number) SECS (default 60) before the time limit; B: to the batch shell only")
      ("export", po::value<std::string>(), "the environment tasks get: ALL (default: yours), NONE, or [ALL,]K=V,K,...")
      ("queue,p", po::value<std::string>(), "queue (Slurm: partition)")
      ("partition", po::value<std::string>(), "same as --queue")
      ("account,A", po::value<std::string>(), "account charged for fair-share")
      ("gang", po::bool_switch(), "start all tasks of the job at once or none")
      ("exclusive", po::bool_switch(), "whole nodes only")
      ("nodes,N", po::value<int64_t>(), "run on exactly this many nodes (sbatch's allocation, or --gang)")
      ("ntasks-per-node", po::value<int64_t>(), "at most this many of the job's tasks per node")
      ("placement", po::value<std::string>(), "cores of a task: compact (default, one NUMA node first) or spread")
      ("env", po::value<std::vector<std::string>>()->composing(),
       "K=V for the tasks' environment (K alone copies your value); repeatable")
      ("chdir,D", po::value<std::string>(), "working directory (default: the current one)")
      ("wait,W", po::bool_switch(), "wait for the job to end; exit 0 only if it succeeded")
      ("parsable", po::bool_switch(), "print only the job id")
      ("strict", po::bool_switch(), "refuse sbatch options Drover does not apply instead of warning");
  // clang-format on
  return desc;
}

Result<SubmitFlags> ParseSubmitFlags(const std::vector<std::string>& words, bool allow_positional) {
  po::options_description desc = SubmitOptionsDescription();
  desc.add(IgnoredOptionsDescription());
  SubmitFlags flags;
  auto [option_words, positional] = SplitAtCommand(desc, words);
  flags.positional = std::move(positional);
  if (!allow_positional && !flags.positional.empty()) {
    return Status::Invalid(
        "", "unexpected word \"" + flags.positional[0] + "\" (directives hold options only)");
  }
  po::variables_map vm;
  try {
    po::parsed_options parsed = po::command_line_parser(option_words)
                                    .options(desc)
                                    .style(po::command_line_style::unix_style)
                                    .run();
    // Later wins, as in sbatch: keep each option's last occurrence (--env adds up).
    std::map<std::string, size_t> last;
    for (size_t i = 0; i < parsed.options.size(); ++i) last[parsed.options[i].string_key] = i;
    std::vector<po::option> kept;
    for (size_t i = 0; i < parsed.options.size(); ++i) {
      const po::option& o = parsed.options[i];
      if (o.string_key == "env" || last[o.string_key] == i) kept.push_back(o);
    }
    parsed.options = std::move(kept);
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return Status::Invalid("", e.what());
  }
  for (const IgnoredOption& o : kIgnoredOptions) {
    const std::string name = LongName(o.names);
    if (!vm.count(name)) continue;
    // Asking for GPUs (or other generic resources) on a cluster that has none
    // is refused, not ignored: the job would run without what it needs.
    const bool gpus =
        name == "gres" || name == "gpus" || name == "gpus-per-node" || name == "gpus-per-task";
    const std::string value = vm[name].as<std::string>();
    if (gpus && value != "none" && value != "0") {
      flags.gpu_request = "--" + name + "=" + value;
    } else if (!gpus) {
      flags.ignored.push_back("--" + name);
    }
  }
  flags.help = vm.count("help") > 0;
  CopyIf(vm, "wrap", &flags.wrap);
  CopyIf(vm, "name", &flags.name);
  CopyIf(vm, "job-name", &flags.name);
  CopyIf(vm, "cpus", &flags.cpus);
  CopyIf(vm, "cpus-per-task", &flags.cpus);
  CopyIf(vm, "mem", &flags.mem);
  CopyIf(vm, "mem-bind", &flags.mem_bind);
  CopyIf(vm, "dependency", &flags.dependency);
  CopyIf(vm, "begin", &flags.begin);
  flags.hold = vm["hold"].as<bool>();
  CopyIf(vm, "array", &flags.array);
  CopyIf(vm, "parallelism", &flags.parallelism);
  CopyIf(vm, "workers", &flags.workers);
  CopyIf(vm, "completions", &flags.completions);
  CopyIf(vm, "time", &flags.time);
  CopyIf(vm, "output", &flags.output);
  CopyIf(vm, "error", &flags.error);
  CopyIf(vm, "priority", &flags.priority);
  CopyIf(vm, "nice", &flags.nice);
  CopyIf(vm, "backoff-limit", &flags.backoff_limit);
  CopyIf(vm, "backoff-limit-per-index", &flags.backoff_limit_per_index);
  CopyIf(vm, "max-failed-indexes", &flags.max_failed_indexes);
  CopyIf(vm, "nodes", &flags.nodes);
  CopyIf(vm, "ntasks-per-node", &flags.ntasks_per_node);
  CopyIf(vm, "placement", &flags.placement);
  CopyIf(vm, "partition", &flags.queue);
  CopyIf(vm, "account", &flags.account);
  CopyIf(vm, "queue", &flags.queue);
  CopyIf(vm, "chdir", &flags.chdir);
  CopyIf(vm, "ntasks", &flags.ntasks);
  CopyIf(vm, "mem-per-cpu", &flags.mem_per_cpu);
  CopyIf(vm, "qos", &flags.qos);
  CopyIf(vm, "mail-type", &flags.mail_type);
  CopyIf(vm, "mail-user", &flags.mail_user);
  CopyIf(vm, "nodelist", &flags.nodelist);
  CopyIf(vm, "exclude", &flags.exclude);
  CopyIf(vm, "constraint", &flags.constraint);
  CopyIf(vm, "kill-on-invalid-dep", &flags.kill_on_invalid_dep);
  CopyIf(vm, "signal", &flags.signal);
  CopyIf(vm, "export", &flags.export_env);
  if (vm["requeue"].as<bool>() && vm["no-requeue"].as<bool>()) {
    return Status::Invalid("", "--requeue and --no-requeue contradict each other");
  }
  if (vm["requeue"].as<bool>()) flags.requeue = true;
  if (vm["no-requeue"].as<bool>()) flags.requeue = false;
  flags.strict = vm["strict"].as<bool>();
  flags.gang = vm["gang"].as<bool>();
  flags.exclusive = vm["exclusive"].as<bool>();
  flags.wait = vm["wait"].as<bool>();
  flags.parsable = vm["parsable"].as<bool>();
  if (vm.count("env")) flags.env = vm["env"].as<std::vector<std::string>>();
  return flags;
}

SubmitFlags MergeSubmitFlags(const SubmitFlags& high, const SubmitFlags& low) {
  SubmitFlags out = high;
  auto fill = [](auto& dst, const auto& src) {
    if (!dst && src) dst = src;
  };
  fill(out.name, low.name);
  fill(out.wrap, low.wrap);
  fill(out.mem, low.mem);
  fill(out.mem_bind, low.mem_bind);
  fill(out.dependency, low.dependency);
  fill(out.begin, low.begin);
  out.hold = high.hold || low.hold;
  fill(out.array, low.array);
  fill(out.time, low.time);
  fill(out.output, low.output);
  fill(out.error, low.error);
  fill(out.queue, low.queue);
  fill(out.account, low.account);
  fill(out.chdir, low.chdir);
  fill(out.cpus, low.cpus);
  fill(out.parallelism, low.parallelism);
  fill(out.workers, low.workers);
  fill(out.completions, low.completions);
  fill(out.priority, low.priority);
  fill(out.nice, low.nice);
  fill(out.backoff_limit, low.backoff_limit);
  fill(out.backoff_limit_per_index, low.backoff_limit_per_index);
  fill(out.max_failed_indexes, low.max_failed_indexes);
  fill(out.nodes, low.nodes);
  fill(out.ntasks_per_node, low.ntasks_per_node);
  fill(out.placement, low.placement);
  fill(out.ntasks, low.ntasks);
  fill(out.mem_per_cpu, low.mem_per_cpu);
  fill(out.qos, low.qos);
  fill(out.nodelist, low.nodelist);
  fill(out.exclude, low.exclude);
  fill(out.constraint, low.constraint);
  fill(out.kill_on_invalid_dep, low.kill_on_invalid_dep);
  fill(out.signal, low.signal);
  fill(out.gpu_request, low.gpu_request);
  fill(out.export_env, low.export_env);
  fill(out.requeue, low.requeue);
  out.strict = high.strict || low.strict;
  out.ignored = low.ignored;
  out.ignored.insert(out.ignored.end(), high.ignored.begin(), high.ignored.end());
  out.gang = high.gang || low.gang;
  out.exclusive = high.exclusive || low.exclusive;
  out.wait = high.wait || low.wait;
  out.parsable = high.parsable || low.parsable;
  out.help = high.help || low.help;
  out.env = low.env;
  out.env.insert(out.env.end(), high.env.begin(), high.env.end());
  return out;
}

namespace {

Result<int32_t> NonNegativeInt32(const char* flag, int64_t value) {
  if (value < 0 || value > std::numeric_limits<int32_t>::max()) {
    return Status::Invalid(flag, "must be between 0 and " +
                                     std::to_string(std::numeric_limits<int32_t>::max()) +
                                     " (got " + std::to_string(value) + ")");
  }
  return static_cast<int32_t>(value);
}

// Slurm's array tasks are independent: a failed one fails alone, the others
// go on, and the array ends FAILED once all have ended. A task runs again
// only if asked (--backoff-limit-per-index); --backoff-limit alone keeps
// Kubernetes' job-wide count, where any task's failure may fail the array.
Status ApplyPerIndexBackoff(const SubmitFlags& flags, JobSpec& spec) {
  const bool array = flags.array.has_value() && !flags.gang;
  if (!array) {
    for (auto [flag, given] :
         {std::pair{"--backoff-limit-per-index", flags.backoff_limit_per_index.has_value()},
          std::pair{"--max-failed-indexes", flags.max_failed_indexes.has_value()}}) {
      if (given) {
        return Status::Invalid(flag, flags.gang
                                         ? "a gang's tasks fail together: use --backoff-limit"
                                         : "is for --array jobs only");
      }
    }
    return Status::Ok();
  }
  if (flags.backoff_limit && !flags.backoff_limit_per_index && !flags.max_failed_indexes) {
    return Status::Ok();
  }
  spec.backoff_limit_per_index = 0;
  if (flags.backoff_limit_per_index) {
    auto n = NonNegativeInt32("--backoff-limit-per-index", *flags.backoff_limit_per_index);
    if (!n.ok()) return n.status();
    spec.backoff_limit_per_index = *n;
  }
  if (flags.max_failed_indexes) {
    auto n = NonNegativeInt32("--max-failed-indexes", *flags.max_failed_indexes);
    if (!n.ok()) return n.status();
    spec.max_failed_indexes = *n;
  }
  if (!flags.backoff_limit) spec.backoff_limit = std::numeric_limits<int32_t>::max();
  return Status::Ok();
}

}  // namespace

Result<Job> BuildJob(const SubmitFlags& flags, std::vector<std::string> command,
                     const std::string& default_name, const std::string& cwd,
                     const EnvLookup& lookup_env, int64_t now_ms) {
  Job job;
  job.metadata.name = flags.name.value_or(default_name);
  JobSpec& spec = job.spec;
  TaskTemplate& t = spec.task;
  t.command = std::move(command);

  if (flags.array && flags.completions) {
    return Status::Invalid("--array", "--array and --completions both set the number of tasks");
  }
  if (flags.array) {
    auto array = ParseArraySpec(*flags.array);
    if (!array.ok()) return array.status();
    spec.completion_mode = CompletionMode::kIndexed;
    spec.completions = array->count;
    spec.indexes = array->indexes;
    // Slurm runs every array task the resources allow unless %P caps it.
    spec.parallelism =
        array->parallelism > 0 ? array->parallelism : std::min(array->count, kMaxParallelism);
  }
  if (flags.completions) spec.completions = *flags.completions;
  if (flags.parallelism) spec.parallelism = *flags.parallelism;
  if (flags.workers && (flags.array || flags.completions || flags.parallelism)) {
    return Status::Invalid("--workers",
                           "a work queue has no --array, --completions or "
                           "--parallelism: --workers N says how many");
  }
  // As Kubernetes: parallelism and no completions is a work queue.
  if (flags.workers || (flags.parallelism && !flags.completions && !flags.array)) {
    spec.work_queue = true;
    spec.parallelism = flags.workers.value_or(spec.parallelism);
    spec.completions = spec.parallelism;
  }
  if (flags.priority) {
    if (*flags.priority < std::numeric_limits<int32_t>::min() ||
        *flags.priority > std::numeric_limits<int32_t>::max()) {
      return Status::Invalid("--priority", "out of range");
    }
    spec.priority = static_cast<int32_t>(*flags.priority);
  }
  if (flags.nice) {
    if (*flags.nice < -kMaxNice || *flags.nice > kMaxNice) {
      return Status::Invalid("--nice", "must be between " + std::to_string(-kMaxNice) + " and " +
                                           std::to_string(kMaxNice));
    }
    spec.nice = static_cast<int32_t>(*flags.nice);
  }
  // As in Slurm, a failed batch script is not run again unless asked
  // (manifests keep Kubernetes' default of 6).
  spec.backoff_limit = 0;
  if (flags.requeue) spec.requeue = *flags.requeue;
  if (flags.gpu_request) {
    const std::string option = flags.gpu_request->substr(0, flags.gpu_request->find('='));
    return Status::Invalid(option, "\"" + *flags.gpu_request +
                                       "\": this cluster has no GPUs or other generic resources "
                                       "to give (Drover does not schedule them yet); nothing was "
                                       "submitted");
  }
  if (flags.qos) spec.qos = *flags.qos;
  if (flags.mail_type) {
    // Slurm's names, any case; NONE means no mail.
    for (std::string word : SplitCommaList(*flags.mail_type)) {
      std::transform(word.begin(), word.end(), word.begin(), ::toupper);
      if (word != "NONE") spec.mail.types.push_back(word);
    }
  }
  if (flags.mail_user) spec.mail.user = *flags.mail_user;
  for (auto [flag, text, list] : {std::tuple{"--nodelist", &flags.nodelist, &spec.node_list},
                                  std::tuple{"--exclude", &flags.exclude, &spec.exclude_nodes}}) {
    if (!*text) continue;
    auto names = ExpandHostlist(**text);
    if (!names.ok()) return Status::Invalid(flag, names.status().message());
    *list = std::move(*names);
  }
  if (flags.constraint) {
    auto selector = ParseConstraint(*flags.constraint);
    if (!selector.ok()) return selector.status();
    spec.node_selector = std::move(*selector);
  }
  if (flags.kill_on_invalid_dep) {
    if (*flags.kill_on_invalid_dep != "yes" && *flags.kill_on_invalid_dep != "no") {
      return Status::Invalid("--kill-on-invalid-dep",
                             "must be yes or no (got \"" + *flags.kill_on_invalid_dep + "\")");
    }
    spec.kill_on_invalid_dependency = *flags.kill_on_invalid_dep == "yes";
  }
  if (flags.signal) {
    auto warning = ParseWarningSignal(*flags.signal);
    if (!warning.ok()) return warning.status();
    t.warning_signal = warning->signal;
    t.warning_seconds = warning->seconds;
    t.warning_shell_only = warning->shell_only;
  }
  if (flags.backoff_limit) {
    if (*flags.backoff_limit < std::numeric_limits<int32_t>::min() ||
        *flags.backoff_limit > std::numeric_limits<int32_t>::max()) {
      return Status::Invalid("--backoff-limit", "out of range");
    }
    spec.backoff_limit = static_cast<int32_t>(*flags.backoff_limit);
  }
  DROVER_RETURN_IF_ERROR(ApplyPerIndexBackoff(flags, spec));
  if (flags.queue) spec.queue = *flags.queue;
  if (flags.account) spec.account = *flags.account;
  spec.gang = flags.gang;
  spec.exclusive = flags.exclusive;
  for (auto [flag, value, field] :
       {std::tuple{"--nodes", flags.nodes, &spec.nodes},
        std::tuple{"--ntasks-per-node", flags.ntasks_per_node, &spec.ntasks_per_node}}) {
    if (!value) continue;
    if (*value < 0 || *value > std::numeric_limits<int32_t>::max()) {
      return Status::Invalid(flag, "must not be negative (got " + std::to_string(*value) + ")");
    }
    *field = static_cast<int32_t>(*value);
  }
  if (flags.placement) {
    if (*flags.placement != "compact" && *flags.placement != "spread") {
      return Status::Invalid("--placement",
                             "must be compact or spread (got \"" + *flags.placement + "\")");
    }
    spec.placement = *flags.placement;
  }

  if (flags.cpus) {
    // Out-of-range values are left to validation, which names the field;
    // only values that do not fit the field at all are refused here.
    if (*flags.cpus < std::numeric_limits<int32_t>::min() ||
        *flags.cpus > std::numeric_limits<int32_t>::max()) {
      return Status::Invalid("--cpus", "value " + std::to_string(*flags.cpus) + " is out of range");
    }
    t.resources.cpus = static_cast<int32_t>(*flags.cpus);
  }
  if (flags.ntasks && (*flags.ntasks < 1 || *flags.ntasks > 100'000)) {
    return Status::Invalid(
        "--ntasks", "must be between 1 and 100000 (got " + std::to_string(*flags.ntasks) + ")");
  }
  if (flags.allocation && !flags.gang) {
    // Slurm's batch model: an allocation of ntasks slots of cpus-per-task
    // cores (-N nodes, --ntasks-per-node); the script runs once, on its
    // first node, and srun starts steps in it.
    spec.allocation.mode = AllocationMode::kBatch;
    int64_t tasks = 1;
    if (flags.ntasks) {
      tasks = *flags.ntasks;
    } else if (flags.nodes && flags.ntasks_per_node) {
      tasks = *flags.nodes * *flags.ntasks_per_node;
    } else if (flags.nodes) {
      tasks = *flags.nodes;
    }
    if (tasks > 100'000) return Status::Invalid("--ntasks", "more than 100000 tasks");
    spec.allocation.tasks = static_cast<int32_t>(tasks);
    t.env.emplace_back("SLURM_NTASKS", std::to_string(tasks));
  } else if (flags.ntasks) {
    // The script runs once with ntasks x cpus-per-task cores on one node
    // (drover submit's own; sbatch makes an allocation instead).
    if (flags.gang || flags.array) {
      return Status::Invalid("--ntasks", flags.gang ? "cannot be given with --gang (a gang's tasks "
                                                      "are its --parallelism)"
                                                    : "cannot be given with --array yet");
    }
    if (flags.nodes && *flags.nodes > 1) {
      return Status::Invalid("--nodes", "-n over " + std::to_string(*flags.nodes) +
                                            " nodes is sbatch's allocation (sbatch -N N -n M, "
                                            "then srun); use --gang -N N to run the script on "
                                            "each node");
    }
    spec.nodes = 0;
    t.resources.cpus = static_cast<int32_t>(
        std::min<int64_t>(std::numeric_limits<int32_t>::max(), *flags.ntasks * t.resources.cpus));
    t.env.emplace_back("SLURM_NTASKS", std::to_string(*flags.ntasks));
    t.env.emplace_back("SLURM_NPROCS", std::to_string(*flags.ntasks));
  }
  if (flags.mem && flags.mem_per_cpu) {
    return Status::Invalid("--mem-per-cpu", "--mem and --mem-per-cpu exclude each other");
  }
  if (flags.mem) {
    auto mem = ParseSlurmMemory(*flags.mem);
    if (!mem.ok()) return mem.status();
    t.resources.memory_bytes = *mem;
  }
  if (flags.mem_per_cpu) {
    auto mem = ParseSlurmMemory(*flags.mem_per_cpu);
    if (!mem.ok()) return Status::Invalid("--mem-per-cpu", mem.status().message());
    if (*mem > std::numeric_limits<int64_t>::max() / std::max(1, t.resources.cpus)) {
      return Status::Invalid("--mem-per-cpu", "too large");
    }
    t.resources.memory_bytes = *mem * std::max(1, t.resources.cpus);
  }
  spec.hold = flags.hold;
  if (flags.dependency) {
    auto deps = ParseDependencies(*flags.dependency, &spec.dependency_any);
    if (!deps.ok()) return deps.status();
    spec.dependencies = std::move(*deps);
  }
  if (flags.begin) {
    auto begin = ParseBeginTime(*flags.begin, now_ms);
    if (!begin.ok()) return begin.status();
    spec.begin_time_ms = *begin;
  }
  if (flags.mem_bind) {
    if (*flags.mem_bind != "local" && *flags.mem_bind != "none") {
      return Status::Invalid("--mem-bind",
                             "must be local or none (got \"" + *flags.mem_bind + "\")");
    }
    t.resources.memory_bind = *flags.mem_bind;
  }
  if (flags.time) {
    auto limit = ParseTimeLimit(*flags.time);
    if (!limit.ok()) return limit.status();
    t.time_limit_s = *limit;
  }
  t.working_dir = flags.chdir ? AbsolutePath(*flags.chdir, cwd) : cwd;
  if (flags.output) t.stdout_path = AbsolutePath(*flags.output, t.working_dir);
  if (flags.error) t.stderr_path = AbsolutePath(*flags.error, t.working_dir);
  for (const std::string& e : flags.env) {
    size_t eq = e.find('=');
    if (eq == 0) return Status::Invalid("--env", "\"" + e + "\" has no variable name");
    if (eq == std::string::npos) {
      auto value = lookup_env(e);
      if (!value) {
        return Status::Invalid("--env",
                               "\"" + e + "\" is not set here (use --env " + e + "=VALUE)");
      }
      t.env.emplace_back(e, *value);
    } else {
      t.env.emplace_back(e.substr(0, eq), e.substr(eq + 1));
    }
  }
  // The API carries text as UTF-8: a script saved in Latin-1 is refused here,
  // naming what holds the bytes, rather than sent mangled.
  auto utf8 = [](const std::string& text) { return SanitizeUtf8(text) == text; };
  for (const std::string& word : t.command) {
    if (!utf8(word))
      return Status::Invalid("script", "is not valid UTF-8 (convert it: iconv -t UTF-8)");
  }
  for (const std::string& word : t.args) {
    if (!utf8(word)) return Status::Invalid("args", "an argument is not valid UTF-8");
  }
  for (const auto& [name, value] : t.env) {
    if (!utf8(name) || !utf8(value)) {
      return Status::Invalid("--env", "variable " + SanitizeUtf8(name) + " is not valid UTF-8");
    }
  }
  for (const auto* text : {&job.metadata.name, &t.working_dir, &t.stdout_path, &t.stderr_path,
                           &spec.queue, &spec.account}) {
    if (!utf8(*text))
      return Status::Invalid("", "\"" + SanitizeUtf8(*text) + "\" is not valid UTF-8");
  }
  return job;
}

}  // namespace drover::cli
