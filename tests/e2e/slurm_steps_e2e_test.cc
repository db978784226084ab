// Slurm's allocations and steps end to end: srun inside a batch script runs
// a step on the allocation's nodes, with the SLURM_* a rank reads; srun and
// salloc outside one ask for an allocation and give it back; a failed rank
// stops its step; OpenMPI's mpirun launches its daemons through srun and
// wires one MPI world across two nodes, and srun alone does too (PMIx).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/e2e/cli_runner.h"
#include "tests/e2e/drover_up_fixture.h"
#include "tests/support/wait_for.h"

namespace drover::e2e {
namespace {

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

// The field `n` (0-based) of a space-separated line.
std::string Field(const std::string& line, size_t n) {
  std::istringstream in(line);
  std::string w;
  for (size_t i = 0; i <= n && (in >> w); ++i) {
  }
  return w;
}

// What the Slurm commands need in a task's environment: this build's
// commands first on PATH (the tasks inherit it through --export=ALL).
std::vector<std::string> SlurmPath() {
  const char* path = std::getenv("PATH");
  return {"PATH=" + BinDir() + ":" + (path != nullptr ? path : "/usr/bin:/bin")};
}

TEST_F(CliEndToEndTest, SrunInABatchScriptRunsAStepOnEveryAllocatedNode) {
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  std::ofstream(home_ + "/steps.sh")
      << "#!/bin/bash\n"
         "#SBATCH -N 2 --ntasks-per-node=2\n"
         "#SBATCH -J steps\n"
         "echo \"$SLURM_NTASKS $SLURM_JOB_NUM_NODES $SLURM_TASKS_PER_NODE $SLURM_JOB_NODELIST "
         "$SLURM_JOB_CPUS_PER_NODE $SLURMD_NODENAME\" > out/alloc.txt\n"
         "srun --label bash -c 'echo \"$SLURM_PROCID $SLURM_LOCALID $SLURM_NODEID "
         "$SLURMD_NODENAME $SLURM_STEP_ID $SLURM_STEP_NUM_TASKS $SLURM_STEP_NODELIST "
         "$DROVER_CPUS\"' > out/step0.txt\n"
         "srun -n 1 bash -c 'exit 3'; echo \"rc=$?\" > out/rc.txt\n"
         // A failed rank stops the others (they would print after 60 s).
         "srun -n 2 bash -c 'if [ $SLURM_PROCID = 1 ]; then exit 4; fi; sleep 60; echo "
         "survived' > out/bad.txt; echo \"rc=$?\" >> out/rc.txt\n"
         // A step still running is listed by squeue -s, and ends with the job.
         "srun -N 1 -n 1 sleep 300 &\n"
         "for i in $(seq 100); do squeue -s -h -j $SLURM_JOB_ID > out/squeue-s.txt; "
         "grep -q sleep out/squeue-s.txt && break; sleep 0.1; done\n";
  CliResult r = sbatch.RunWithEnv(
      {"--parsable", "-W", "--env", "DROVER_E2E_HOME=" + home_, "steps.sh"}, SlurmPath());
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string id = std::to_string(ParseSubmittedId(r.out));
  EXPECT_EQ(ReadWholeFile(home_ + "/out/alloc.txt"), "4 2 2(x2) node-[1-2] 2(x2) node-1\n");
  const std::vector<std::string> ranks = SortedLines(ReadWholeFile(home_ + "/out/step0.txt"));
  ASSERT_EQ(ranks.size(), 4u) << ReadWholeFile(home_ + "/out/step0.txt");
  // "LABEL: PROCID LOCALID NODEID NODE STEP NTASKS NODELIST CPUS"
  const char* expected[] = {"0: 0 0 0 node-1 0 4 node-[1-2]", "1: 1 1 0 node-1 0 4 node-[1-2]",
                            "2: 2 0 1 node-2 0 4 node-[1-2]", "3: 3 1 1 node-2 0 4 node-[1-2]"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(ranks[i].rfind(expected[i], 0), 0u) << ranks[i];
  }
  // The two ranks of each node have cores of their own.
  EXPECT_NE(Field(ranks[0], 8), Field(ranks[1], 8));
  EXPECT_NE(Field(ranks[2], 8), Field(ranks[3], 8));
  EXPECT_EQ(ReadWholeFile(home_ + "/out/rc.txt"), "rc=3\nrc=4\n");
  EXPECT_EQ(ReadWholeFile(home_ + "/out/bad.txt"), "");
  const std::string listed = ReadWholeFile(home_ + "/out/squeue-s.txt");
  EXPECT_NE(listed.find(id + ".3"), std::string::npos) << listed;
  EXPECT_NE(listed.find("sleep"), std::string::npos) << listed;
  EXPECT_NE(listed.find("node-1"), std::string::npos) << listed;
  // The job ended with its script, and so did the step that was still running.
  CliResult tasks = Drover({"show", id, "-o", "json"});
  EXPECT_EQ(Json::parse(tasks.out)["status"].value("phase", ""), "Succeeded") << tasks.out;
}

TEST_F(CliEndToEndTest, SrunAndSallocOutsideAnAllocationAskForOneAndGiveItBack) {
  CliRunner srun(BinDir() + "/srun", home_);
  std::vector<std::string> env = SlurmPath();
  env.push_back("DROVER_E2E_HOME=" + home_);
  CliResult two = srun.RunWithEnv({"-N", "2", "-n", "2", "--label", "printenv", "SLURM_PROCID",
                                   "SLURMD_NODENAME", "SLURM_JOB_NUM_NODES"},
                                  env);
  ASSERT_EQ(two.exit_code, 0) << two.Describe();
  EXPECT_EQ(SortedLines(two.out),
            (std::vector<std::string>{"0: 0", "0: 2", "0: node-1", "1: 1", "1: 2", "1: node-2"}))
      << two.out;
  CliResult failed = srun.RunWithEnv({"-n", "1", "sh", "-c", "exit 5"}, env);
  EXPECT_EQ(failed.exit_code, 5) << failed.Describe();
  EXPECT_NE(failed.err.find("srun: error: node-1: task 0: Exited with exit code 5"),
            std::string::npos)
      << failed.err;
  CliResult huge = srun.RunWithEnv({"-N", "3", "true"}, env);
  EXPECT_EQ(huge.exit_code, 1) << huge.Describe();
  EXPECT_NE(huge.err.find("srun: error:"), std::string::npos) << huge.err;

  CliRunner salloc(BinDir() + "/salloc", home_);
  CliResult shell = salloc.RunWithEnv(
      {"-N", "2", "-n", "2", "sh", "-c",
       "echo $SLURM_JOB_NODELIST $SLURM_NTASKS $SLURM_TASKS_PER_NODE; srun hostname | wc -l; "
       "exit 7"},
      env);
  EXPECT_EQ(shell.exit_code, 7) << shell.Describe();
  EXPECT_EQ(shell.out, "node-[1-2] 2 1(x2)\n2\n");
  EXPECT_NE(shell.err.find("salloc: Granted job allocation"), std::string::npos) << shell.err;
  EXPECT_NE(shell.err.find("salloc: Relinquishing job allocation"), std::string::npos);

  // Every allocation was given back: nothing runs, and each ended as its command did.
  CliRunner squeue(BinDir() + "/squeue", home_);
  CliResult all = squeue.Run({"-h", "-t", "all", "-o", "%j %T"});
  ASSERT_EQ(all.exit_code, 0) << all.Describe();
  // (-N 3 on two nodes was refused at submit: no job.)
  EXPECT_EQ(SortedLines(all.out),
            (std::vector<std::string>{"printenv COMPLETED", "sh FAILED", "sh FAILED"}))
      << all.out;
}

TEST_F(CliEndToEndTest, MpirunInsideAnAllocationWiresFourRanksOverTwoNodes) {
  ASSERT_EQ(std::system("command -v mpicc > /dev/null"), 0)
      << "mpicc is missing (scripts/install-deps.sh installs libopenmpi-dev)";
  const std::string program = home_ + "/allreduce";
  ASSERT_EQ(std::system(("mpicc -o " + program + " " DROVER_E2E_MPI_SOURCE).c_str()), 0);
  std::ofstream(home_ + "/mpi.sh") << "#!/bin/bash\n"
                                      "#SBATCH -N 2 --ntasks-per-node=2 -t 2\n"
                                      "mpirun ./allreduce > out/mpirun.txt 2> out/mpirun.err\n";
  std::vector<std::string> env = SlurmPath();
  // These tests run as root; OpenMPI wants that said.
  env.push_back("OMPI_ALLOW_RUN_AS_ROOT=1");
  env.push_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1");
  // The two "nodes" of `drover up` are one host: OpenMPI's shared-memory
  // transport would take ranks of different nodes for neighbours. TCP is
  // what ranks on two real nodes use.
  env.push_back("OMPI_MCA_btl=self,tcp");
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliResult r = sbatch.RunWithEnv({"-W", "--env", "DROVER_E2E_HOME=" + home_, "mpi.sh"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.Describe() << ReadWholeFile(home_ + "/out/mpirun.err");
  const std::vector<std::string> lines = SortedLines(ReadWholeFile(home_ + "/out/mpirun.txt"));
  ASSERT_EQ(lines.size(), 4u) << ReadWholeFile(home_ + "/out/mpirun.txt")
                              << ReadWholeFile(home_ + "/out/mpirun.err");
  std::map<std::string, std::set<std::string>> cpus_by_node;
  for (size_t i = 0; i < 4; ++i) {
    // "rank=R size=4 sum=10 node=N cpus=C": one world of four, 1+2+3+4.
    EXPECT_EQ(lines[i].rfind("rank=" + std::to_string(i) + " size=4 sum=10 node=node-", 0), 0u)
        << lines[i];
    const std::string node = Field(lines[i], 3);
    cpus_by_node[node].insert(Field(lines[i], 4));
  }
  ASSERT_EQ(cpus_by_node.size(), 2u);  // two ranks on each node ...
  for (const auto& [node, cpus] : cpus_by_node) EXPECT_EQ(cpus.size(), 2u) << node;  // ... apart
}

// Direct launch (Slurm's srun --mpi=pmix, srun's default): drover-node's
// PMIx server gives every rank its place in the step, and droverd gathers
// the nodes' fences, so four ranks on two nodes make one world without
// mpirun. Under --mpi=none OpenMPI refuses to start, as under Slurm.
TEST_F(CliEndToEndTest, SrunDirectLaunchMakesOneMpiWorldOfFourRanksOverTwoNodes) {
  ASSERT_EQ(std::system("command -v mpicc > /dev/null"), 0)
      << "mpicc is missing (scripts/install-deps.sh installs libopenmpi-dev)";
  const std::string program = home_ + "/allreduce";
  ASSERT_EQ(std::system(("mpicc -o " + program + " " DROVER_E2E_MPI_SOURCE).c_str()), 0);
  std::ofstream(home_ + "/direct.sh")
      << "#!/bin/bash\n"
         "#SBATCH -N 2 --ntasks-per-node=2 -t 2\n"
         "srun ./allreduce > out/direct.txt 2> out/direct.err || exit 1\n"
         "srun --mpi=pmix_v4 -n 2 ./allreduce > out/two.txt 2>> out/direct.err || exit 2\n"
         "srun --mpi=none -n 2 ./allreduce > out/none.txt 2>&1; echo $? > out/none.rc\n";
  std::vector<std::string> env = SlurmPath();
  // See MpirunInsideAnAllocationWiresFourRanksOverTwoNodes: one host, two "nodes".
  env.push_back("OMPI_MCA_btl=self,tcp");
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliResult r = sbatch.RunWithEnv({"-W", "--env", "DROVER_E2E_HOME=" + home_, "direct.sh"}, env);
  const std::string err = ReadWholeFile(home_ + "/out/direct.err");
  ASSERT_EQ(r.exit_code, 0) << r.Describe() << err;
  const std::vector<std::string> lines = SortedLines(ReadWholeFile(home_ + "/out/direct.txt"));
  ASSERT_EQ(lines.size(), 4u) << ReadWholeFile(home_ + "/out/direct.txt") << err;
  std::map<std::string, std::set<std::string>> cpus_by_node;
  for (size_t i = 0; i < 4; ++i) {
    // One world of four (1+2+3+4), ranks 0-1 on the first node, 2-3 on the second.
    const std::string node = i < 2 ? "node-1" : "node-2";
    EXPECT_EQ(lines[i].rfind("rank=" + std::to_string(i) + " size=4 sum=10 node=" + node, 0), 0u)
        << lines[i];
    cpus_by_node[Field(lines[i], 3)].insert(Field(lines[i], 4));
  }
  ASSERT_EQ(cpus_by_node.size(), 2u);
  for (const auto& [node, cpus] : cpus_by_node) EXPECT_EQ(cpus.size(), 2u) << node;
  // Two ranks on one node: a world of two, its fences gathered on the node.
  EXPECT_EQ(SortedLines(ReadWholeFile(home_ + "/out/two.txt")).size(), 2u);
  for (const std::string& line : SortedLines(ReadWholeFile(home_ + "/out/two.txt"))) {
    EXPECT_NE(line.find(" size=2 sum=3 "), std::string::npos) << line;
  }
  EXPECT_NE(ReadWholeFile(home_ + "/out/none.rc"), "0\n");
  EXPECT_NE(ReadWholeFile(home_ + "/out/none.txt").find("direct launched"), std::string::npos)
      << ReadWholeFile(home_ + "/out/none.txt");
  CliRunner srun(BinDir() + "/srun", home_);
  CliResult bad = srun.Run({"--mpi=pmi2", "true"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "srun: error: Invalid MPI type 'pmi2', --mpi=list for acceptable types\n");
}

// scancel --signal: by default to the job's steps only (the batch shell has
// no USR2 trap, so had it been reached the job would have FAILED); -b to the
// batch script only. The signals end nothing by themselves.
TEST_F(CliEndToEndTest, ScancelSignalReachesStepsByDefaultAndTheBatchScriptWithB) {
  std::ofstream(home_ + "/signals.sh")
      << "#!/bin/bash\n"
         "#SBATCH -n 1\n"
         "trap 'echo batch-usr1 >> out/batch.txt' USR1\n"
         "srun sh -c \"trap 'echo step-usr2 >> out/step.txt; exit 0' USR2; touch out/step-ready;"
         " while :; do sleep 0.1; done\"\n"
         "touch out/step-done\n"
         // -b reaches the shell's children too (the sleep dies of it, as in
         // Slurm), so the script says how it ends.
         "while [ ! -s out/batch.txt ]; do sleep 0.1; done\n"
         "exit 0\n";
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliResult r = sbatch.RunWithEnv({"--parsable", "--env", "DROVER_E2E_HOME=" + home_, "signals.sh"},
                                  SlurmPath());
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const uint64_t id = ParseSubmittedId(r.out);
  const std::string job = std::to_string(id);
  CliRunner scancel(BinDir() + "/scancel", home_);
  CliResult bad = scancel.Run({"-s", "NOSUCH", job});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("scancel: error: Invalid signal"), std::string::npos) << bad.err;

  ASSERT_TRUE(drover::testing::WaitFor(
      [&] { return std::filesystem::exists(home_ + "/out/step-ready"); }, 60s));
  ASSERT_EQ(scancel.Run({"-s", "USR2", job}).exit_code, 0);
  ASSERT_TRUE(drover::testing::WaitFor(
      [&] { return std::filesystem::exists(home_ + "/out/step-done"); }, 30s))
      << "the step did not end on USR2";
  EXPECT_EQ(ReadWholeFile(home_ + "/out/step.txt"), "step-usr2\n");
  CliResult b = scancel.Run({"-v", "--batch", "--signal=SIGUSR1", job});
  ASSERT_EQ(b.exit_code, 0) << b.Describe();
  EXPECT_EQ(b.err, "scancel: Signal 10 to job " + job + " (1 tasks)\n");
  ASSERT_TRUE(WaitForPhase(id, "Succeeded")) << "neither signal may fail or kill the job:\n"
                                             << Drover({"show", job}).out;
  EXPECT_EQ(ReadWholeFile(home_ + "/out/batch.txt"), "batch-usr1\n");
  CliResult late = scancel.Run({"-s", "USR1", job});
  EXPECT_EQ(late.exit_code, 1);
  EXPECT_NE(late.err.find("is not running"), std::string::npos) << late.err;
}

}  // namespace
}  // namespace drover::e2e
