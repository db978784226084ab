// The Slurm commands end to end (sbatch, squeue, scancel, sinfo, scontrol:
// the drover binary by those names) against a real `drover up` cluster, as
// a Slurm user types them; each checks what the scripts record.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/e2e/cli_runner.h"
#include "tests/e2e/drover_up_fixture.h"
#include "tests/support/wait_for.h"

namespace drover::e2e {
namespace {

// An ordinary sbatch script, through `sbatch` (this binary by that name):
// later directives win, directives after the first command are ignored, a
// listed array runs only its indexes, options Drover does not apply are
// warned about, the submitter's environment is exported with --export's
// additions, and the SLURM_* variables a script reads are there.
TEST_F(CliEndToEndTest, SbatchRunsAnOrdinaryScriptAsSlurmWould) {
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  std::ofstream(home_ + "/ordinary.sh")
      << "#!/bin/bash\n"
         "#SBATCH --job-name=first\n"
         "#SBATCH -J render   # the later one wins\n"
         "#SBATCH --array=1,3,5%2\n"
         "#SBATCH -c 1 -q normal\n"
         "#SBATCH --mail-type=END -L matlab\n"
         "#SBATCH --export=ALL,STAGE=final\n"
         "echo \"$SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_MIN $SLURM_ARRAY_TASK_MAX "
         "$SLURM_ARRAY_TASK_STEP $SLURM_ARRAY_TASK_COUNT $SLURM_JOB_NAME $SLURM_JOB_QOS "
         "$SLURM_JOB_NUM_NODES $SLURM_JOB_PARTITION $STAGE $E2E_FROM_SUBMITTER\" "
         "> out/ordinary-$SLURM_ARRAY_TASK_ID.txt\n"
         "echo \"$SLURM_SUBMIT_DIR\" > out/submit-dir-$SLURM_ARRAY_TASK_ID.txt\n"
         "#SBATCH --array=0-99\n";
  CliResult r = sbatch.RunWithEnv({"-W", "--env", "DROVER_E2E_HOME=" + home_, "ordinary.sh"},
                                  {"E2E_FROM_SUBMITTER=yes"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out.rfind("Submitted batch job ", 0), 0u) << r.out;
  EXPECT_NE(r.err.find("sbatch: warning: --licenses"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("--mail-type"), std::string::npos) << "applied, not warned about: " << r.err;
  for (int i : {1, 3, 5}) {
    EXPECT_EQ(ReadWholeFile(home_ + "/out/ordinary-" + std::to_string(i) + ".txt"),
              std::to_string(i) + " 1 5 2 3 render normal 1 default final yes\n");
    EXPECT_EQ(ReadWholeFile(home_ + "/out/submit-dir-" + std::to_string(i) + ".txt"), home_ + "\n");
  }
  EXPECT_FALSE(std::filesystem::exists(home_ + "/out/ordinary-0.txt"));
  EXPECT_FALSE(std::filesystem::exists(home_ + "/out/ordinary-2.txt"));

  // A failed script is not run again (as sbatch), and -W exits with its code.
  CliResult failed = sbatch.Run({"--parsable", "-W", "--env", "DROVER_E2E_HOME=" + home_, "--wrap",
                                 "echo ran >> out/runs.txt; exit 3"});
  EXPECT_EQ(failed.exit_code, 3) << failed.Describe();
  EXPECT_EQ(ReadWholeFile(home_ + "/out/runs.txt"), "ran\n");

  // -n 2: the script runs once, with both tasks' cores.
  CliResult ntasks = sbatch.Run({"-W", "-n", "2", "--env", "DROVER_E2E_HOME=" + home_, "--wrap",
                                 "echo $SLURM_NTASKS $SLURM_CPUS_ON_NODE >> out/ntasks.txt"});
  ASSERT_EQ(ntasks.exit_code, 0) << ntasks.Describe();
  EXPECT_EQ(ReadWholeFile(home_ + "/out/ntasks.txt"), "2 2\n");

  // -w and -x choose the nodes; a node that does not exist is refused.
  CliResult on_two = sbatch.Run({"-W", "-w", "node-2", "--env", "DROVER_E2E_HOME=" + home_,
                                 "--wrap", "echo $SLURMD_NODENAME > out/w.txt"});
  ASSERT_EQ(on_two.exit_code, 0) << on_two.Describe();
  EXPECT_EQ(ReadWholeFile(home_ + "/out/w.txt"), "node-2\n");
  CliResult not_one = sbatch.Run({"-W", "-x", "node-1", "--env", "DROVER_E2E_HOME=" + home_,
                                  "--wrap", "echo $SLURMD_NODENAME > out/x.txt"});
  ASSERT_EQ(not_one.exit_code, 0) << not_one.Describe();
  EXPECT_EQ(ReadWholeFile(home_ + "/out/x.txt"), "node-2\n");
  // -C: a feature is a node label FEATURE=true; one no node has is refused.
  ASSERT_EQ(Drover({"label", "node", "node-2", "gpu=true"}).exit_code, 0);
  CliResult featured = sbatch.Run({"-W", "-C", "gpu", "--env", "DROVER_E2E_HOME=" + home_, "--wrap",
                                   "echo $SLURMD_NODENAME > out/c.txt"});
  ASSERT_EQ(featured.exit_code, 0) << featured.Describe();
  EXPECT_EQ(ReadWholeFile(home_ + "/out/c.txt"), "node-2\n");
  CliResult featureless = sbatch.Run({"-C", "infiniband", "--wrap", "true"});
  EXPECT_EQ(featureless.exit_code, 1) << featureless.Describe();
  EXPECT_NE(featureless.err.find("spec.nodeSelector: no node has the labels infiniband=true"),
            std::string::npos)
      << featureless.err;
  CliResult nowhere = sbatch.Run({"-w", "node-9", "--wrap", "true"});
  EXPECT_EQ(nowhere.exit_code, 1) << nowhere.Describe();
  EXPECT_NE(nowhere.err.find("spec.nodeList: no node is named \"node-9\""), std::string::npos)
      << nowhere.err;

  // #SBATCH --hold holds it.
  std::ofstream(home_ + "/held.sh") << "#!/bin/sh\n#SBATCH --hold\ntrue\n";
  CliResult held = sbatch.Run({"--parsable", "held.sh"});
  ASSERT_EQ(held.exit_code, 0) << held.Describe();
  const uint64_t held_id = ParseSubmittedId(held.out);
  Json job = ShowJson(held_id);
  EXPECT_EQ(job["spec"].value("hold", false), true) << job.dump();
  EXPECT_EQ(job["status"]["phase"], "Pending");
  EXPECT_EQ(Drover({"cancel", std::to_string(held_id)}).exit_code, 0);

  // Bad input: sbatch's words and exit code, nothing created.
  CliResult bad = sbatch.Run({"--array=7-3", "--wrap", "true"});
  EXPECT_EQ(bad.exit_code, 1) << bad.Describe();
  EXPECT_EQ(bad.err.rfind("sbatch: error: --array", 0), 0u) << bad.err;
  CliResult gpus = sbatch.Run({"--gres=gpu:1", "--wrap", "nvidia-smi"});
  EXPECT_EQ(gpus.exit_code, 1) << gpus.Describe();
  EXPECT_EQ(gpus.err.rfind("sbatch: error: --gres: \"--gres=gpu:1\": this cluster has no GPUs", 0),
            0u)
      << gpus.err;
  CliResult strict = sbatch.Run({"--strict", "--licenses=matlab", "--wrap", "true"});
  EXPECT_EQ(strict.exit_code, 1) << strict.Describe();
  EXPECT_NE(strict.err.find("--licenses"), std::string::npos) << strict.err;
}

// scancel JOB_TASK and JOB_[TASKS]: those array tasks stop; the others run
// to their end, the job ends CANCELLED, and sacct tells which did what.
TEST_F(CliEndToEndTest, ScancelOfArrayTasksStopsThemAndTheOthersFinish) {
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliResult r = sbatch.Run(
      {"--parsable", "--array=0-4", "--env", "DROVER_E2E_HOME=" + home_, "--wrap",
       "case $SLURM_ARRAY_TASK_ID in 1|3|4) touch out/started-$SLURM_ARRAY_TASK_ID; sleep 600;; "
       "esac; echo $SLURM_ARRAY_TASK_ID >> out/done.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const uint64_t id = ParseSubmittedId(r.out);
  ASSERT_TRUE(drover::testing::WaitFor(
      [&] {
        return std::filesystem::exists(home_ + "/out/started-1") &&
               std::filesystem::exists(home_ + "/out/started-3") &&
               std::filesystem::exists(home_ + "/out/started-4");
      },
      60s));
  CliRunner scancel(BinDir() + "/scancel", home_);
  CliResult bad = scancel.Run({std::to_string(id) + "_7"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("has no array task 7"), std::string::npos) << bad.err;
  CliResult malformed = scancel.Run({std::to_string(id) + "_[1-]"});
  EXPECT_EQ(malformed.exit_code, 1);
  EXPECT_NE(malformed.err.find("Invalid job id"), std::string::npos) << malformed.err;
  CliResult one = scancel.Run({std::to_string(id) + "_4"});
  ASSERT_EQ(one.exit_code, 0) << one.Describe();
  CliResult two = scancel.Run({std::to_string(id) + "_[1,3]"});
  ASSERT_EQ(two.exit_code, 0) << two.Describe();
  ASSERT_TRUE(WaitForPhase(id, "Cancelled"));
  std::ifstream in(home_ + "/out/done.txt");
  std::vector<std::string> done;
  for (std::string line; std::getline(in, line);) done.push_back(line);
  std::sort(done.begin(), done.end());
  EXPECT_EQ(done, (std::vector<std::string>{"0", "2"}));
  EXPECT_EQ(ShowJson(id)["status"]["cancelledIndexes"], "1,3-4");
  CliRunner sacct(BinDir() + "/sacct", home_);
  const std::string j = std::to_string(id);
  CliResult acct = sacct.Run({"-X", "-j", j, "-P", "-n", "-o", "jobid,state"});
  EXPECT_EQ(acct.out, j + "_0|COMPLETED\n" + j + "_1|CANCELLED\n" + j + "_2|COMPLETED\n" + j +
                          "_3|CANCELLED\n" + j + "_4|CANCELLED\n")
      << acct.Describe();
}

// squeue, scancel, sinfo and scontrol by their names, as a Slurm user types them.
TEST_F(CliEndToEndTest, SqueueScancelSinfoAndScontrolAnswerAsSlurmsDo) {
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliRunner squeue(BinDir() + "/squeue", home_);
  CliRunner scancel(BinDir() + "/scancel", home_);
  CliRunner sinfo(BinDir() + "/sinfo", home_);
  CliResult running =
      sbatch.Run({"--parsable", "-J", "longrun", "--env", "DROVER_E2E_HOME=" + home_, "--wrap",
                  "echo ${SLURM_RESTART_COUNT:-0} >> out/restarts.txt; sleep 600"});
  ASSERT_EQ(running.exit_code, 0) << running.Describe();
  const std::string run_id = std::to_string(ParseSubmittedId(running.out));
  CliResult held = sbatch.Run({"--parsable", "-H", "-J", "waiting", "--wrap", "true"});
  ASSERT_EQ(held.exit_code, 0) << held.Describe();
  const std::string held_id = std::to_string(ParseSubmittedId(held.out));
  ASSERT_TRUE(WaitForPhase(std::stoull(run_id), "Running"));

  CliResult q = squeue.Run({});
  ASSERT_EQ(q.exit_code, 0) << q.Describe();
  EXPECT_EQ(q.out.rfind("             JOBID PARTITION     NAME     USER ST", 0), 0u) << q.out;
  EXPECT_NE(q.out.find(run_id + "   default  longrun     root  R"), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("node-"), std::string::npos) << "a running job's nodes: " << q.out;
  EXPECT_NE(q.out.find("(JobHeldUser)"), std::string::npos) << q.out;
  CliResult mine = squeue.Run({"-h", "--me", "-t", "PD", "-o", "%i %j %T"});
  ASSERT_EQ(mine.exit_code, 0) << mine.Describe();
  EXPECT_EQ(mine.out, held_id + " waiting PENDING\n");

  CliResult info = sinfo.Run({});
  ASSERT_EQ(info.exit_code, 0) << info.Describe();
  EXPECT_EQ(info.out.rfind("PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST\n", 0), 0u)
      << info.out;
  EXPECT_NE(info.out.find("node-"), std::string::npos) << info.out;
  CliResult nodes = sinfo.Run({"-N", "-h"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.Describe();
  EXPECT_EQ(std::count(nodes.out.begin(), nodes.out.end(), '\n'), 2) << nodes.out;

  // scontrol requeue: the running job stops and runs again from the start.
  CliRunner scontrol(BinDir() + "/scontrol", home_);
  ASSERT_TRUE(drover::testing::WaitFor(
      [&] { return ReadWholeFile(home_ + "/out/restarts.txt") == "0\n"; }, 30s));
  CliResult requeue = scontrol.Run({"requeue", run_id});
  ASSERT_EQ(requeue.exit_code, 0) << requeue.Describe();
  ASSERT_TRUE(drover::testing::WaitFor(
      [&] { return ReadWholeFile(home_ + "/out/restarts.txt") == "0\n1\n"; }, 30s))
      << ReadWholeFile(home_ + "/out/restarts.txt");
  CliResult pending = scontrol.Run({"requeue", held_id});
  EXPECT_EQ(pending.exit_code, 1);
  EXPECT_NE(pending.err.find("is pending"), std::string::npos) << pending.err;

  CliResult by_name = scancel.Run({"-n", "longrun"});
  EXPECT_EQ(by_name.exit_code, 0) << by_name.Describe();
  EXPECT_EQ(by_name.out, "") << "scancel says nothing when it works";
  ASSERT_TRUE(WaitForPhase(std::stoull(run_id), "Cancelled"));
  EXPECT_EQ(squeue.Run({"-h", "-j", run_id, "-o", "%t"}).out, "CA\n");
  EXPECT_EQ(ShowJson(std::stoull(held_id))["status"]["phase"], "Pending") << "not that one";

  // scontrol: show, update, release, hostnames.
  CliResult show = scontrol.Run({"show", "job", held_id});
  ASSERT_EQ(show.exit_code, 0) << show.Describe();
  EXPECT_EQ(show.out.rfind("JobId=" + held_id + " JobName=waiting\n", 0), 0u) << show.out;
  EXPECT_NE(show.out.find("JobState=PENDING Reason=JobHeldUser"), std::string::npos) << show.out;
  // scontrol update: Slurm's Key=Value, a relative TimeLimit, and a key it does not know.
  CliResult update =
      scontrol.Run({"update", "JobId=" + held_id, "TimeLimit=10", "Nice=50", "Priority=3"});
  ASSERT_EQ(update.exit_code, 0) << update.Describe();
  ASSERT_EQ(scontrol.Run({"update", "job", held_id, "timelimit=+5"}).exit_code, 0);
  EXPECT_EQ(squeue.Run({"-h", "-j", held_id, "-o", "%l"}).out, "15:00\n");
  const Json updated = ShowJson(std::stoull(held_id));
  EXPECT_EQ(updated["spec"]["nice"], 50);
  EXPECT_EQ(updated["spec"]["priority"], 3);
  CliResult unknown = scontrol.Run({"update", "JobId=" + held_id, "Shared=1"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err, "scontrol: error: Update of this parameter is not supported: Shared=1\n");
  EXPECT_EQ(scontrol.Run({"release", held_id}).exit_code, 0);
  ASSERT_TRUE(WaitForPhase(std::stoull(held_id), "Succeeded"));
  EXPECT_NE(scontrol.Run({"show", "job", held_id}).out.find("JobState=COMPLETED"),
            std::string::npos);
  EXPECT_EQ(scontrol.Run({"show", "hostnames", "node-[1-2]"}).out, "node-1\nnode-2\n");
  EXPECT_EQ(scontrol.Run({"show", "hostlist", "node-2,node-1"}).out, "node-[1-2]\n");
  CliResult node = scontrol.Run({"show", "node", "node-1"});
  ASSERT_EQ(node.exit_code, 0) << node.Describe();
  EXPECT_NE(node.out.find("NodeName=node-1 "), std::string::npos) << node.out;
  EXPECT_NE(node.out.find("CPUTot=4"), std::string::npos) << node.out;
  EXPECT_EQ(scontrol.Run({"show", "job", "99999"}).exit_code, 1);

  CliResult none = scancel.Run({});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.err, "scancel: error: No job identification provided\n");
  CliResult bad = squeue.Run({"-o", "%Z"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err.rfind("squeue: error: unknown field %Z", 0), 0u) << bad.err;
}

// --signal=B:USR1@2 with a 3 s limit: the batch shell gets USR1 about 2 s
// before the limit (a checkpoint), then the limit ends it: TIMEOUT, not re-run.
TEST_F(CliEndToEndTest, SignalBeforeTheTimeLimitLetsAScriptCheckpointAndItEndsTimeout) {
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliResult r =
      sbatch.Run({"--parsable", "-W", "-t", "0:03", "--signal=B:USR1@2", "--env",
                  "DROVER_E2E_HOME=" + home_, "--wrap",
                  "echo start >> out/sig.txt; trap 'echo checkpoint >> out/sig.txt' USR1; "
                  "i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done"});
  EXPECT_EQ(r.exit_code, 128 + 15) << r.Describe();  // -W: the limit's SIGTERM ended it
  EXPECT_EQ(ReadWholeFile(home_ + "/out/sig.txt"), "start\ncheckpoint\n") << "once, not re-run";
  CliRunner squeue(BinDir() + "/squeue", home_);
  const std::string id = std::to_string(ParseSubmittedId(r.out));
  EXPECT_EQ(squeue.Run({"-h", "-j", id, "-o", "%T"}).out, "TIMEOUT\n");
}

// Dependencies beyond AND: singleton runs a user's jobs of one name one
// after another; "?" starts once any one holds; --kill-on-invalid-dep=no
// keeps an unsatisfiable job pending and says so.
TEST_F(CliEndToEndTest, SingletonAnyOfAndKeptInvalidDependenciesBehaveAsSlurms) {
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliRunner squeue(BinDir() + "/squeue", home_);
  const std::string marker = "DROVER_E2E_HOME=" + home_;
  CliResult first =
      sbatch.Run({"--parsable", "-J", "nightly", "-d", "singleton", "--env", marker, "--wrap",
                  "echo a >> out/singleton.txt; sleep 1; echo b >> out/singleton.txt"});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();
  CliResult second = sbatch.Run({"--parsable", "-W", "-J", "nightly", "-d", "singleton", "--env",
                                 marker, "--wrap", "echo c >> out/singleton.txt"});
  ASSERT_EQ(second.exit_code, 0) << second.Describe();
  EXPECT_EQ(ReadWholeFile(home_ + "/out/singleton.txt"), "a\nb\nc\n") << "one after the other";

  CliResult fails = sbatch.Run({"--parsable", "-W", "--wrap", "exit 1"});
  ASSERT_EQ(fails.exit_code, 1) << fails.Describe();
  const std::string failed_id = std::to_string(ParseSubmittedId(fails.out));
  const std::string ok_id = std::to_string(ParseSubmittedId(first.out));
  CliResult either =
      sbatch.Run({"--parsable", "-W", "-d", "afterok:" + failed_id + "?afterok:" + ok_id, "--env",
                  marker, "--wrap", "echo either > out/either.txt"});
  ASSERT_EQ(either.exit_code, 0) << either.Describe();
  EXPECT_EQ(ReadWholeFile(home_ + "/out/either.txt"), "either\n");

  CliResult kept = sbatch.Run(
      {"--parsable", "-d", "afterok:" + failed_id, "--kill-on-invalid-dep=no", "--wrap", "true"});
  ASSERT_EQ(kept.exit_code, 0) << kept.Describe();
  const uint64_t kept_id = ParseSubmittedId(kept.out);
  bool said = false;
  for (int i = 0; i < 100 && !said; ++i) {
    said = squeue.Run({"-h", "-j", std::to_string(kept_id), "-o", "%t %r"}).out ==
           "PD DependencyNeverSatisfied\n";
    if (!said) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(said) << squeue.Run({"-h", "-j", std::to_string(kept_id), "-o", "%t %r"}).out;
  CliResult killed = sbatch.Run({"--parsable", "-d", "afterok:" + failed_id, "--wrap", "true"});
  ASSERT_EQ(killed.exit_code, 0) << killed.Describe();
  EXPECT_TRUE(WaitForPhase(ParseSubmittedId(killed.out), "Cancelled")) << "the default: cancelled";
  EXPECT_EQ(Drover({"cancel", std::to_string(kept_id)}).exit_code, 0);
}

// scontrol update TimeLimit= on running jobs: raised by an admin (the cluster's
// owner here), the job runs past its first limit; lowered below what it has
// run, it ends TIMEOUT at once.
TEST_F(CliEndToEndTest, ARunningJobsTimeLimitCanBeRaisedAndLowered) {
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliRunner scontrol(BinDir() + "/scontrol", home_);
  CliRunner sacct(BinDir() + "/sacct", home_);
  CliResult raised = sbatch.Run({"--parsable", "-t", "0:03", "--wrap", "sleep 5; exit 0"});
  ASSERT_EQ(raised.exit_code, 0) << raised.Describe();
  const std::string raised_id = std::to_string(ParseSubmittedId(raised.out));
  CliResult lowered = sbatch.Run({"--parsable", "-t", "30", "--wrap", "sleep 300"});
  ASSERT_EQ(lowered.exit_code, 0) << lowered.Describe();
  const std::string lowered_id = std::to_string(ParseSubmittedId(lowered.out));
  ASSERT_TRUE(WaitForPhase(std::stoull(raised_id), "Running"));
  CliResult raise = scontrol.Run({"update", "JobId=" + raised_id, "TimeLimit=10"});
  ASSERT_EQ(raise.exit_code, 0) << raise.Describe();
  ASSERT_TRUE(WaitForPhase(std::stoull(raised_id), "Succeeded"))
      << "it ran past its first limit of 3 s: " << ShowJson(std::stoull(raised_id)).dump();

  // It has run over 3 s by now (the other job's 5 s passed): 0:01 is past.
  ASSERT_TRUE(WaitForPhase(std::stoull(lowered_id), "Running"));
  CliResult lower = scontrol.Run({"update", "job", lowered_id, "TimeLimit=0:01"});
  ASSERT_EQ(lower.exit_code, 0) << lower.Describe();
  ASSERT_TRUE(WaitForPhase(std::stoull(lowered_id), "Failed"));
  CliResult state = sacct.Run({"-X", "-n", "-P", "-j", lowered_id, "-o", "state,timelimit"});
  EXPECT_EQ(state.out, "TIMEOUT|00:00:01\n") << state.Describe();
}

}  // namespace
}  // namespace drover::e2e
