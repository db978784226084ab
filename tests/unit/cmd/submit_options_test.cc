#include "cmd/drover/submit_options.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <limits>
#include <optional>

#include "api/validation.h"

namespace drover::cli {
namespace {

std::optional<std::string> NoEnv(const std::string&) { return std::nullopt; }
// The submit time of every BuildJob call: 2026-11-26T12:00:00Z.
constexpr int64_t kNow = 1'795'694'400'000;

TEST(ParseSlurmMemoryTest, PlainNumbersAreMegabytesAndSuffixesAreBinary) {
  struct Case {
    const char* text;
    int64_t bytes;
  };
  for (const Case& c :
       {Case{"512", 512LL << 20}, Case{"0", 0}, Case{"4G", 4LL << 30}, Case{"4g", 4LL << 30},
        Case{"100K", 100LL << 10}, Case{"2M", 2LL << 20}, Case{"1T", 1LL << 40}}) {
    auto r = ParseSlurmMemory(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.bytes) << c.text;
  }
}

TEST(ParseSlurmMemoryTest, RejectsGarbageNamingTheFlag) {
  for (const char* bad : {"", "G", "1.5G", "-1", "4X", "4GB", "99999999999T"}) {
    auto r = ParseSlurmMemory(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "--mem") << bad;
  }
}

TEST(ParseArraySpecTest, RangesFromZeroWithOptionalLimit) {
  auto a = ParseArraySpec("0-99");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->count, 100);
  EXPECT_EQ(a->parallelism, 0);
  auto b = ParseArraySpec("0-99%8");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->count, 100);
  EXPECT_EQ(b->parallelism, 8);
  auto c = ParseArraySpec("0");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->count, 1);
}

TEST(ParseArraySpecTest, ListsStepsAndAnyStartAsSlurmHasThem) {
  struct Case {
    const char* text;
    int64_t count;
    const char* indexes;  // "" = 0..count-1
    int64_t parallelism;
  };
  for (const Case& c :
       {Case{"1,3,5", 3, "1,3,5", 0}, Case{"0-20:5", 5, "0,5,10,15,20", 0},
        Case{"5-9", 5, "5-9", 0}, Case{"1-7:2,100%4", 5, "1,3,5,7,100", 4},
        Case{"0-3,4-9", 10, "", 0}, Case{"3,1,2,0", 4, "", 0}, Case{"7", 1, "7", 0}}) {
    auto a = ParseArraySpec(c.text);
    ASSERT_TRUE(a.ok()) << c.text << ": " << a.status().ToString();
    EXPECT_EQ(a->count, c.count) << c.text;
    EXPECT_EQ(a->indexes.ToString(), c.indexes) << c.text;
    EXPECT_EQ(a->parallelism, c.parallelism) << c.text;
  }
}

TEST(ParseArraySpecTest, RejectsWhatIsNotAnArrayWithAReason) {
  for (const char* bad :
       {"9-0", "0-9%0", "0-9%", "x", "-3", "", "1,,3", "0-9:0", "5:2", "1-x", "0-1000000000"}) {
    auto r = ParseArraySpec(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "--array") << bad;
  }
}

TEST(ParseSubmitFlagsTest, StopsAtTheScriptAndKeepsItsArguments) {
  auto f = ParseSubmitFlags({"-c", "2", "--mem=4G", "job.sh", "--not-ours", "-c", "9"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->cpus, 2);
  EXPECT_EQ(f->mem, "4G");
  EXPECT_EQ(f->positional, (std::vector<std::string>{"job.sh", "--not-ours", "-c", "9"}));
}

TEST(ParseSubmitFlagsTest, AcceptsShortAttachedAndLongAliases) {
  auto f = ParseSubmitFlags(
      {"-c4", "-J", "x", "--partition", "gpu", "--array", "0-9%2", "--wait", "--wrap", "true"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->cpus, 4);
  EXPECT_EQ(f->name, "x");
  EXPECT_EQ(f->queue, "gpu");
  EXPECT_EQ(f->array, "0-9%2");
  EXPECT_TRUE(f->wait);
  EXPECT_EQ(f->wrap, "true");
  auto g = ParseSubmitFlags({"--cpus-per-task", "3", "--job-name=y"});
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->cpus, 3);
  EXPECT_EQ(g->name, "y");
}

TEST(ParseSubmitFlagsTest, ARepeatedOptionTakesItsLaterValueAsInSbatch) {
  auto f = ParseSubmitFlags({"-c", "1", "-t", "5", "-c", "2", "--env", "A=1", "--env", "B=2"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->cpus, 2);
  EXPECT_EQ(f->time, "5");
  EXPECT_EQ(f->env, (std::vector<std::string>{"A=1", "B=2"}));
}

TEST(ParseSubmitFlagsTest, SlurmShortOptionsTakeTheirValueFromTheNextWord) {
  auto f = ParseSubmitFlags({"-q", "normal", "-a", "1-5", "-n", "4", "--mem-per-cpu", "100M",
                             "--no-requeue", "--export", "NONE", "job.sh"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->qos, "normal");
  EXPECT_EQ(f->array, "1-5");
  EXPECT_EQ(f->ntasks, 4);
  EXPECT_EQ(f->mem_per_cpu, "100M");
  EXPECT_EQ(f->requeue, false);
  EXPECT_EQ(f->export_env, "NONE");
  EXPECT_EQ(f->positional, (std::vector<std::string>{"job.sh"}));
}

TEST(ParseSubmitFlagsTest, SbatchOptionsNotAppliedAreNamedNotRefused) {
  auto f = ParseSubmitFlags({"--mail-type", "END", "--mail-user=me@x", "-L", "matlab",
                             "--test-only", "--signal=B:USR1@30", "job.sh", "arg"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->ignored, (std::vector<std::string>{"--licenses", "--test-only"}));
  EXPECT_EQ(f->mail_type, "END");
  EXPECT_EQ(f->mail_user, "me@x");
  EXPECT_EQ(f->signal, "B:USR1@30");
  EXPECT_EQ(f->positional, (std::vector<std::string>{"job.sh", "arg"})) << "values are not scripts";
  EXPECT_FALSE(f->strict);
  EXPECT_TRUE(ParseSubmitFlags({"--strict"})->strict);
}

TEST(ParseSubmitFlagsTest, CpusIsNotMistakenForCpusPerTask) {
  auto f = ParseSubmitFlags({"--cpus", "5", "--wrap", "true"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->cpus, 5);
}

TEST(ParseSubmitFlagsTest, UnknownOptionIsAUsageError) {
  auto f = ParseSubmitFlags({"--frobnicate", "--wrap", "true"});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
}

TEST(ParseSubmitFlagsTest, DirectivesMayNotHoldWords) {
  EXPECT_FALSE(ParseSubmitFlags({"-c", "2", "stray"}, false).ok());
}

TEST(MergeSubmitFlagsTest, CommandLineWinsOverDirectivesAndEnvAccumulates) {
  auto cmdline = ParseSubmitFlags({"-c", "4", "--env", "A=cmd", "job.sh"});
  auto directives = ParseSubmitFlags({"-c", "2", "--mem", "1G", "--env", "A=dir", "--gang"}, false);
  ASSERT_TRUE(cmdline.ok());
  ASSERT_TRUE(directives.ok());
  SubmitFlags m = MergeSubmitFlags(*cmdline, *directives);
  EXPECT_EQ(m.cpus, 4);
  EXPECT_EQ(m.mem, "1G");
  EXPECT_TRUE(m.gang);
  // Later entries win in a task's env, so the command line's come last.
  EXPECT_EQ(m.env, (std::vector<std::string>{"A=dir", "A=cmd"}));
  EXPECT_EQ(m.positional, (std::vector<std::string>{"job.sh"}));
}

TEST(BuildJobTest, ArrayMakesAnIndexedJob) {
  auto f = ParseSubmitFlags({"--array", "0-99%8", "-c", "2", "--mem", "512", "-t", "1:00:00",
                             "--wrap", "echo $DROVER_TASK_INDEX"});
  ASSERT_TRUE(f.ok());
  auto job = BuildJob(*f, {"/bin/sh", "-c", "echo"}, "wrap", "/home/a", NoEnv, kNow);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->metadata.name, "wrap");
  EXPECT_EQ(job->spec.completion_mode, CompletionMode::kIndexed);
  EXPECT_EQ(job->spec.completions, 100);
  EXPECT_EQ(job->spec.parallelism, 8);
  EXPECT_EQ(job->spec.task.resources.cpus, 2);
  EXPECT_EQ(job->spec.task.resources.memory_bytes, 512LL << 20);
  EXPECT_EQ(job->spec.task.time_limit_s, 3600);
  EXPECT_EQ(job->spec.task.working_dir, "/home/a");
  EXPECT_TRUE(ValidateJobSubmission(*job).ok());
}

TEST(BuildJobTest, ArrayWithoutLimitRunsAllTasksAtOnce) {
  auto f = ParseSubmitFlags({"--array", "0-9"});
  ASSERT_TRUE(f.ok());
  auto job = BuildJob(*f, {"/bin/true"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->spec.parallelism, 10);
  auto p = ParseSubmitFlags({"--array", "0-9", "--parallelism", "3"});
  ASSERT_TRUE(p.ok());
  auto limited = BuildJob(*p, {"/bin/true"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->spec.parallelism, 3);
}

TEST(BuildJobTest, PathsAreResolvedAgainstTheWorkingDirectory) {
  auto f = ParseSubmitFlags({"-D", "sub", "-o", "logs/%j_%i.out", "-e", "/abs/err"});
  ASSERT_TRUE(f.ok());
  auto job = BuildJob(*f, {"/bin/true"}, "x", "/home/a", NoEnv, kNow);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->spec.task.working_dir, "/home/a/sub");
  EXPECT_EQ(job->spec.task.stdout_path, "/home/a/sub/logs/%j_%i.out");
  EXPECT_EQ(job->spec.task.stderr_path, "/abs/err");
}

TEST(BuildJobTest, EnvWithoutValueCopiesTheSubmittersValue) {
  auto f = ParseSubmitFlags({"--env", "A=1", "--env", "HOME"});
  ASSERT_TRUE(f.ok());
  auto lookup = [](const std::string& n) -> std::optional<std::string> {
    if (n == "HOME") return std::string("/home/a");
    return std::nullopt;
  };
  auto job = BuildJob(*f, {"/bin/true"}, "x", "/", lookup, kNow);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->spec.task.env, (std::vector<EnvVar>{{"A", "1"}, {"HOME", "/home/a"}}));
  auto missing = ParseSubmitFlags({"--env", "NOPE"});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(BuildJob(*missing, {"/bin/true"}, "x", "/", lookup, kNow).status().field(), "--env");
}

TEST(BuildJobTest, BadFlagValuesAreNamed) {
  struct Case {
    std::vector<std::string> words;
    const char* field;
  };
  for (const Case& c : {Case{{"--mem", "lots"}, "--mem"}, Case{{"--array", "7-3"}, "--array"},
                        Case{{"--mem", "1G", "--mem-per-cpu", "1G"}, "--mem-per-cpu"},
                        Case{{"-n", "2", "-N", "2"}, "--nodes"}, Case{{"-n", "0"}, "--ntasks"},
                        Case{{"-n", "2", "--gang"}, "--ntasks"}, Case{{"--gres=gpu:2"}, "--gres"},
                        Case{{"-G", "1"}, "--gpus"}, Case{{"--gpus-per-task=1"}, "--gpus-per-task"},
                        Case{{"-t", "1:2:3:4"}, "--time"},
                        Case{{"--array", "0-9", "--completions", "5"}, "--array"}}) {
    auto f = ParseSubmitFlags(c.words);
    ASSERT_TRUE(f.ok());
    auto job = BuildJob(*f, {"/bin/true"}, "x", "/", NoEnv, kNow);
    ASSERT_FALSE(job.ok()) << c.field;
    EXPECT_EQ(job.status().field(), c.field);
  }
}

TEST(BuildJobTest, ZeroCpusIsLeftToValidationWhichNamesTheField) {
  auto f = ParseSubmitFlags({"--cpus", "0"});
  ASSERT_TRUE(f.ok());
  auto job = BuildJob(*f, {"/bin/true"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok());
  Status st = ValidateJobSubmission(*job);
  EXPECT_EQ(st.field(), "spec.template.resources.cpus");
}

TEST(BuildJobTest, PlacementFlagsReachTheSpec) {
  auto f = ParseSubmitFlags({"--exclusive", "-N", "2", "--ntasks-per-node", "4", "--placement",
                             "spread", "--gang", "--completions", "8", "--parallelism", "8"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto job = BuildJob(*f, {"/bin/true"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_TRUE(job->spec.exclusive);
  EXPECT_TRUE(job->spec.gang);
  EXPECT_EQ(job->spec.nodes, 2);
  EXPECT_EQ(job->spec.ntasks_per_node, 4);
  EXPECT_EQ(job->spec.placement, "spread");
  auto bad = ParseSubmitFlags({"--placement", "scatter"});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(BuildJob(*bad, {"/bin/true"}, "x", "/", NoEnv, kNow).status().field(), "--placement");
}

TEST(BuildJobTest, MemBindLocalReachesTheSpec) {
  auto f = ParseSubmitFlags({"--mem", "2G", "--mem-bind", "local"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto job = BuildJob(*f, {"/bin/true"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->spec.task.resources.memory_bind, "local");
  EXPECT_EQ(job->spec.task.resources.memory_bytes, 2LL << 30);
  auto bad = ParseSubmitFlags({"--mem-bind", "map_mem:0"});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(BuildJob(*bad, {"/bin/true"}, "x", "/", NoEnv, kNow).status().field(), "--mem-bind");
}

TEST(ParseDependenciesTest, ReadsSlurmsSyntax) {
  auto deps = ParseDependencies("afterok:12:13,afterany:7");
  ASSERT_TRUE(deps.ok()) << deps.status().ToString();
  ASSERT_EQ(deps->size(), 3u);
  EXPECT_EQ((*deps)[0].type, "afterok");
  EXPECT_EQ((*deps)[0].job_id, 12u);
  EXPECT_EQ((*deps)[1].job_id, 13u);
  EXPECT_EQ((*deps)[2].type, "afterany");
  EXPECT_EQ((*deps)[2].job_id, 7u);
  bool any = true;
  ASSERT_TRUE(ParseDependencies("afterok:1,singleton", &any).ok());
  EXPECT_FALSE(any);
  auto either = ParseDependencies("afterok:1?afternotok:2:3", &any);
  ASSERT_TRUE(either.ok()) << either.status().ToString();
  EXPECT_TRUE(any);
  EXPECT_EQ(either->size(), 3u);
  auto corresponding = ParseDependencies("aftercorr:7");
  ASSERT_TRUE(corresponding.ok()) << corresponding.status().ToString();
  EXPECT_EQ((*corresponding)[0].type, "aftercorr");
  EXPECT_EQ((*corresponding)[0].job_id, 7u);
  auto single = ParseDependencies("singleton");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ((*single)[0].type, "singleton");
  auto delayed = ParseDependencies("after:12+5:13");
  ASSERT_TRUE(delayed.ok()) << delayed.status().ToString();
  EXPECT_EQ((*delayed)[0].job_id, 12u);
  EXPECT_EQ((*delayed)[0].delay_s, 300);
  EXPECT_EQ((*delayed)[1].delay_s, 0);
  for (const char* bad :
       {"", "afterok", "afterok:", "afterok:x", "afterevery:3", "afterok:1?afterany:2,after:3",
        "afterok:-4", "singletons", "afterok:12+5", "after:12+", "after:12+x", "after:+5"}) {
    auto r = ParseDependencies(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "--dependency") << bad;
  }
}

class ParseBeginTimeTest : public ::testing::Test {
 protected:
  // Local time is UTC here so absolute forms have known values.
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_tz_ = tz ? std::optional<std::string>(tz) : std::nullopt;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (saved_tz_) {
      setenv("TZ", saved_tz_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  std::optional<std::string> saved_tz_;
};

TEST_F(ParseBeginTimeTest, RelativeAndAbsoluteForms) {
  EXPECT_EQ(*ParseBeginTime("now", kNow), kNow);
  EXPECT_EQ(*ParseBeginTime("now+90", kNow), kNow + 90'000);
  EXPECT_EQ(*ParseBeginTime("now+2hours", kNow), kNow + 7'200'000);
  EXPECT_EQ(*ParseBeginTime("now+1d", kNow), kNow + 86'400'000);
  // kNow is 12:00 UTC: 16:00 is today, 08:30 is tomorrow.
  EXPECT_EQ(*ParseBeginTime("16:00", kNow), kNow + 4 * 3'600'000);
  EXPECT_EQ(*ParseBeginTime("08:30", kNow), kNow + (20 * 60 + 30) * 60'000LL);
  EXPECT_EQ(*ParseBeginTime("2026-12-24T18:00", kNow), kNow + (28 * 24 + 6) * 3'600'000LL);
  EXPECT_EQ(*ParseBeginTime("2026-11-27", kNow), kNow + 12 * 3'600'000);
  for (const char* bad : {"later", "now-5", "now+", "now+3fortnights", "25:00", "2026-13-01",
                          "2026-11-27T10", "12:00:00x"}) {
    auto r = ParseBeginTime(bad, kNow);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "--begin") << bad;
  }
}

TEST(BuildJobTest, HoldBeginAndDependencyReachTheSpec) {
  auto f = ParseSubmitFlags({"-H", "--begin", "now+60", "-d", "afterok:3", "-A", "physics"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto job = BuildJob(*f, {"/bin/true"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_TRUE(job->spec.hold);
  EXPECT_EQ(job->spec.begin_time_ms, kNow + 60'000);
  ASSERT_EQ(job->spec.dependencies.size(), 1u);
  EXPECT_EQ(job->spec.dependencies[0].job_id, 3u);
  EXPECT_EQ(job->spec.account, "physics");
  EXPECT_TRUE(ValidateJobSubmission(*job).ok());
}

TEST(JobNameFromFileTest, MakesAValidName) {
  EXPECT_EQ(JobNameFromFile("render.sh"), "render.sh");
  EXPECT_EQ(JobNameFromFile(".hidden job!.sh"), "hidden_job_.sh");
  EXPECT_EQ(JobNameFromFile("..."), "job");
  EXPECT_TRUE(ValidateName("n", JobNameFromFile("__x y")).ok());
}

}  // namespace
}  // namespace drover::cli

namespace drover::cli {
namespace {

TEST(ParseSubmitFlagsTest, NiceDefaultsToSlurmsHundredAndReachesTheSpec) {
  auto bare = ParseSubmitFlags({"--nice", "--wrap", "true"});
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_EQ(bare->nice, 100);
  auto given = ParseSubmitFlags({"--nice=7", "--wrap", "true"});
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  auto job = BuildJob(*given, {"/bin/true"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->spec.nice, 7);
  auto huge = ParseSubmitFlags({"--nice=99999999999", "--wrap", "true"});
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(BuildJob(*huge, {"/bin/true"}, "x", "/", NoEnv, kNow).status().field(), "--nice");
}

TEST(BuildJobTest, ABatchScriptIsNotRunAgainUnlessAskedAndRequeueIsRecorded) {
  auto job = BuildJob(*ParseSubmitFlags({}), {"/bin/false"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->spec.backoff_limit, 0) << "as sbatch: a failed script fails the job";
  EXPECT_TRUE(job->spec.requeue) << "a node failure requeues, as Slurm's default";
  auto asked = BuildJob(*ParseSubmitFlags({"--backoff-limit", "3", "--no-requeue", "-q", "high"}),
                        {"/bin/false"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(asked.ok());
  EXPECT_EQ(asked->spec.backoff_limit, 3);
  EXPECT_FALSE(asked->spec.requeue);
  EXPECT_EQ(asked->spec.qos, "high");
}

TEST(BuildJobTest, ArrayTasksFailAloneAsSlurmsDoAndRetryOnlyWhenAsked) {
  auto build = [](std::vector<std::string> words) {
    return BuildJob(*ParseSubmitFlags(words), {"/bin/false"}, "x", "/", NoEnv, kNow);
  };
  auto array = build({"--array=1-10"});
  ASSERT_TRUE(array.ok()) << array.status().ToString();
  EXPECT_EQ(array->spec.backoff_limit_per_index, 0) << "a failed array task is not run again";
  EXPECT_EQ(array->spec.backoff_limit, std::numeric_limits<int32_t>::max())
      << "nor does it fail the other array tasks";
  EXPECT_EQ(array->spec.max_failed_indexes, -1);
  EXPECT_TRUE(ValidateJobSubmission(*array).ok());

  auto retried =
      build({"--array=0-99", "--backoff-limit-per-index", "2", "--max-failed-indexes", "5"});
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->spec.backoff_limit_per_index, 2);
  EXPECT_EQ(retried->spec.max_failed_indexes, 5);
  EXPECT_TRUE(ValidateJobSubmission(*retried).ok());

  auto job_wide = build({"--array=0-9", "--backoff-limit", "3"});
  ASSERT_TRUE(job_wide.ok());
  EXPECT_EQ(job_wide->spec.backoff_limit_per_index, -1) << "Kubernetes' job-wide count, as asked";
  EXPECT_EQ(job_wide->spec.backoff_limit, 3);

  EXPECT_EQ(build({"--backoff-limit-per-index", "1"}).status().field(),
            "--backoff-limit-per-index");
  EXPECT_EQ(build({"--array=0-3", "--max-failed-indexes", "-1"}).status().field(),
            "--max-failed-indexes");
}

TEST(BuildJobTest, WorkersOrParallelismAloneMakeAWorkQueue) {
  auto build = [](std::vector<std::string> words) {
    return BuildJob(*ParseSubmitFlags(words), {"/bin/true"}, "x", "/", NoEnv, kNow);
  };
  auto workers = build({"--workers", "8"});
  ASSERT_TRUE(workers.ok()) << workers.status().ToString();
  EXPECT_TRUE(workers->spec.work_queue);
  EXPECT_EQ(workers->spec.parallelism, 8);
  EXPECT_EQ(workers->spec.completions, 8);
  EXPECT_TRUE(ValidateJobSubmission(*workers).ok());
  auto parallel = build({"--parallelism", "4"});
  ASSERT_TRUE(parallel.ok());
  EXPECT_TRUE(parallel->spec.work_queue) << "Kubernetes' rule";
  EXPECT_FALSE(build({"--parallelism", "4", "--completions", "10"})->spec.work_queue);
  EXPECT_FALSE(build({"--array", "0-9", "--parallelism", "2"})->spec.work_queue);
  EXPECT_EQ(build({"--workers", "4", "--array", "0-3"}).status().field(), "--workers");
}

TEST(BuildJobTest, NtasksGivesTheOneScriptTheirCoresAndMemPerCpuScalesWithThem) {
  auto job = BuildJob(*ParseSubmitFlags({"-n", "4", "-c", "2", "--mem-per-cpu", "100M"}),
                      {"/bin/true"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->spec.completions, 1) << "the script runs once";
  EXPECT_EQ(job->spec.task.resources.cpus, 8);
  EXPECT_EQ(job->spec.task.resources.memory_bytes, 800LL << 20);
  EXPECT_NE(
      std::find(job->spec.task.env.begin(), job->spec.task.env.end(), EnvVar{"SLURM_NTASKS", "4"}),
      job->spec.task.env.end());
}

TEST(BuildJobTest, NodeListAndExcludeAreHostlists) {
  auto job = BuildJob(*ParseSubmitFlags({"-w", "node-[1-2]", "-x", "gpu3"}), {"/bin/true"}, "x",
                      "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->spec.node_list, (std::vector<std::string>{"node-1", "node-2"}));
  EXPECT_EQ(job->spec.exclude_nodes, (std::vector<std::string>{"gpu3"}));
  auto bad = BuildJob(*ParseSubmitFlags({"-w", "node-[1-"}), {"/bin/true"}, "x", "/", NoEnv, kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "--nodelist");
}

TEST(BuildJobTest, ConstraintFeaturesBecomeANodeSelector) {
  auto job =
      BuildJob(*ParseSubmitFlags({"-C", "gpu&rack=r7,fast"}), {"/bin/true"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->spec.node_selector, (Labels{{"gpu", "true"}, {"rack", "r7"}, {"fast", "true"}}));
  for (const char* bad : {"gpu|fast", "[rack1|rack2]", "gpu*2", "gpu&&fast", ""}) {
    auto refused = BuildJob(*ParseSubmitFlags({"-C", bad}), {"/bin/true"}, "x", "/", NoEnv, kNow);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().field(), "--constraint") << bad;
  }
}

TEST(BuildJobTest, AnArrayOfListedIndexesRunsThoseIndexes) {
  auto job =
      BuildJob(*ParseSubmitFlags({"--array", "1,3,5%2"}), {"/bin/true"}, "x", "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->spec.completions, 3);
  EXPECT_EQ(job->spec.parallelism, 2);
  EXPECT_EQ(job->spec.indexes.ToString(), "1,3,5");
  EXPECT_TRUE(ValidateJobSubmission(*job).ok()) << ValidateJobSubmission(*job).ToString();
}

TEST(ExportedEnvironmentTest, AllNoneAndListsAsSbatchsExport) {
  const std::vector<std::string> environ = {"HOME=/home/a",   "PATH=/opt/bin:/bin",  "FOO=1",
                                            "SLURM_JOB_ID=9", "DROVER_TOKEN=secret", "PWD=/x",
                                            "A=b=c"};
  const EnvLookup lookup = [&](const std::string& k) -> std::optional<std::string> {
    for (const std::string& e : environ) {
      if (e.rfind(k + "=", 0) == 0) return e.substr(k.size() + 1);
    }
    return std::nullopt;
  };
  auto all = ExportedEnvironment(std::nullopt, environ, lookup);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<EnvVar>{
                      {"HOME", "/home/a"}, {"PATH", "/opt/bin:/bin"}, {"FOO", "1"}, {"A", "b=c"}}))
      << "ALL by default, without Slurm's, Drover's and the shell's own";
  EXPECT_TRUE(ExportedEnvironment("NONE", environ, lookup)->empty());
  auto some = ExportedEnvironment("FOO,BAR=x", environ, lookup);
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(*some, (std::vector<EnvVar>{{"FOO", "1"}, {"BAR", "x"}})) << "only those without ALL";
  auto more = ExportedEnvironment("ALL,FOO=bar", environ, lookup);
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->size(), 5u);
  EXPECT_EQ(more->back(), (EnvVar{"FOO", "bar"}));
  auto bad = ExportedEnvironment("ALL,,X", environ, lookup);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "--export");
}

TEST(ParseWarningSignalTest, SlurmsSignalForms) {
  struct Case {
    const char* text;
    int32_t signal;
    int32_t seconds;
    bool shell_only;
  };
  for (const Case& c : {Case{"USR1", SIGUSR1, 60, false}, Case{"B:USR1@30", SIGUSR1, 30, true},
                        Case{"SIGTERM@120", SIGTERM, 120, false}, Case{"10@5", 10, 5, false},
                        Case{"R:USR2", SIGUSR2, 60, false}}) {
    auto w = ParseWarningSignal(c.text);
    ASSERT_TRUE(w.ok()) << c.text << ": " << w.status().ToString();
    EXPECT_EQ(w->signal, c.signal) << c.text;
    EXPECT_EQ(w->seconds, c.seconds) << c.text;
    EXPECT_EQ(w->shell_only, c.shell_only) << c.text;
  }
  for (const char* bad : {"", "BOGUS", "USR1@", "USR1@-3", "X:USR1", "99", "0"}) {
    auto w = ParseWarningSignal(bad);
    ASSERT_FALSE(w.ok()) << bad;
    EXPECT_EQ(w.status().field(), "--signal") << bad;
  }
  auto job = BuildJob(*ParseSubmitFlags({"--signal", "B:USR1@30", "-t", "5"}), {"/bin/true"}, "x",
                      "/", NoEnv, kNow);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->spec.task.warning_signal, SIGUSR1);
  EXPECT_EQ(job->spec.task.warning_seconds, 30);
  EXPECT_TRUE(job->spec.task.warning_shell_only);
}

}  // namespace
}  // namespace drover::cli
