// sacct and drover history on a real cluster: a two-node batch job with
// steps, a failed job and an array, each line with its state, exit code and
// nodes; -X, -s, --format and -P/-p as Slurm prints them.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/e2e/cli_runner.h"
#include "tests/e2e/drover_up_fixture.h"

namespace drover::e2e {
namespace {

std::vector<std::string> SlurmPathEnv() {
  const char* path = std::getenv("PATH");
  return {"PATH=" + BinDir() + ":" + (path != nullptr ? path : "/usr/bin:/bin")};
}

TEST_F(CliEndToEndTest, SacctShowsJobsArrayTasksAndStepsWithTheirStatesAndExitCodes) {
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliRunner sacct(BinDir() + "/sacct", home_);
  std::ofstream(home_ + "/steps.sh") << "#!/bin/bash\n"
                                        "#SBATCH -N 2 --ntasks-per-node=1 -J acct\n"
                                        "srun hostname > /dev/null\n"
                                        "srun -n 1 bash -c 'exit 3'\n"
                                        "exit 0\n";
  CliResult a = sbatch.RunWithEnv({"--parsable", "-W", "steps.sh"}, SlurmPathEnv());
  ASSERT_EQ(a.exit_code, 0) << a.Describe();
  CliResult b = sbatch.Run({"--parsable", "-W", "-J", "bad", "--wrap", "exit 7"});
  CliResult c = sbatch.Run({"--parsable", "-W", "--array=1-3", "-J", "arr", "--wrap",
                            "exit $((SLURM_ARRAY_TASK_ID == 2))"});
  const std::string A = std::to_string(ParseSubmittedId(a.out));
  const std::string B = std::to_string(ParseSubmittedId(b.out));
  const std::string C = std::to_string(ParseSubmittedId(c.out));
  const std::string jobs = A + "," + B + "," + C;

  CliResult all = sacct.Run({"-j", jobs, "-P", "-n", "-o", "jobid,jobname,state,exitcode,nnodes"});
  ASSERT_EQ(all.exit_code, 0) << all.Describe();
  EXPECT_EQ(all.out, A + "|acct|COMPLETED|0:0|2\n" +                                             //
                         A + ".batch|batch|COMPLETED|0:0|1\n" +                                  //
                         A + ".0|hostname|COMPLETED|0:0|2\n" +                                   //
                         A + ".1|bash|FAILED|3:0|1\n" +                                          //
                         B + "|bad|FAILED|7:0|1\n" +                                             //
                         B + ".batch|batch|FAILED|7:0|1\n" +                                     //
                         C + "_1|arr|COMPLETED|0:0|1\n" +                                        //
                         C + "_1.batch|batch|COMPLETED|0:0|1\n" + C + "_2|arr|FAILED|1:0|1\n" +  //
                         C + "_2.batch|batch|FAILED|1:0|1\n" + C + "_3|arr|COMPLETED|0:0|1\n" +  //
                         C + "_3.batch|batch|COMPLETED|0:0|1\n");

  // -X: jobs and array tasks only; -s: by state; a step by its id.
  CliResult x = sacct.Run({"-X", "-j", jobs, "-s", "F", "-P", "-n", "-o", "jobid,state"});
  EXPECT_EQ(x.out, B + "|FAILED\n" + C + "_2|FAILED\n") << x.Describe();
  CliResult step = sacct.Run({"-j", A + ".1," + C + "_3", "-p", "-n", "-o", "jobid,ntasks"});
  EXPECT_EQ(step.out, A + ".1|1|\n" + C + "_3|1|\n" + C + "_3.batch|1|\n") << step.Describe();

  // The default table: Slurm's fields, widths and rule.
  CliResult table = sacct.Run({"-j", B});
  ASSERT_EQ(table.exit_code, 0) << table.Describe();
  EXPECT_EQ(table.out.substr(0, table.out.find('\n', table.out.find('\n') + 1) + 1),
            "JobID           JobName  Partition    Account  AllocCPUS      State ExitCode \n"
            "------------ ---------- ---------- ---------- ---------- ---------- -------- \n");
  EXPECT_NE(table.out.find("\n" + B + std::string(12 - B.size(), ' ') + "        bad"),
            std::string::npos)
      << table.out;

  // Times and usage are there: a start, an end, an elapsed time.
  CliResult times = sacct.Run({"-X", "-j", A, "-P", "-n", "-o", "start,end,elapsed,alloccpus"});
  EXPECT_EQ(times.out.find("Unknown"), std::string::npos) << times.out;
  EXPECT_NE(times.out.find("|00:00:"), std::string::npos) << times.out;
  EXPECT_NE(times.out.find("|2\n"), std::string::npos) << times.out;

  CliResult bad = sacct.Run({"-o", "jobid,nosuchfield"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("Invalid field requested: \"nosuchfield\""), std::string::npos)
      << bad.Describe();

  // drover history: the same records for people.
  CliResult history = Drover({"history", B, C});
  ASSERT_EQ(history.exit_code, 0) << history.Describe();
  EXPECT_NE(history.out.find(C + "_2"), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("FAILED"), std::string::npos) << history.out;
  EXPECT_EQ(history.out.find(".batch"), std::string::npos) << "steps only with --steps";
}

// Slurm's array tasks are independent: one that fails does not stop the
// others. Task 2 runs on until sacct shows task 1 FAILED (so the failure was
// counted while it ran), then succeeds; the array ends FAILED.
TEST_F(CliEndToEndTest, AFailedArrayTaskFailsAloneWhileTheOthersRunToTheirEnd) {
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliRunner sacct(BinDir() + "/sacct", home_);
  std::ofstream(home_ + "/frames.sh")
      << "#!/bin/bash\n"
         "#SBATCH --array=1-2 -J frames\n"
         "if [ \"$SLURM_ARRAY_TASK_ID\" = 1 ]; then exit 4; fi\n"
         "for i in $(seq 600); do\n"
         "  sacct -X -n -P -j \"${SLURM_ARRAY_JOB_ID}_1\" -o state | grep -qx FAILED && exit 0\n"
         "  sleep 0.05\n"
         "done\n"
         "exit 9\n";
  CliResult run = sbatch.RunWithEnv({"--parsable", "-W", "frames.sh"}, SlurmPathEnv());
  EXPECT_EQ(run.exit_code, 4) << "sbatch -W exits with the worst exit code: " << run.Describe();
  const std::string id = std::to_string(ParseSubmittedId(run.out));
  CliResult states = sacct.Run({"-X", "-j", id, "-P", "-n", "-o", "jobid,state,exitcode"});
  EXPECT_EQ(states.out, id + "_1|FAILED|4:0\n" + id + "_2|COMPLETED|0:0\n") << states.Describe();
  CliResult show = Drover({"show", id});
  EXPECT_NE(show.out.find("index 1 failed"), std::string::npos) << show.Describe();
}

// sbatch -d aftercorr: each denoise task runs once its render task
// completed; the one whose render failed is cancelled, the others run.
TEST_F(CliEndToEndTest, AftercorrRunsEachArrayTaskAfterItsCounterpartAndCancelsTheOneThatFailed) {
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliRunner sacct(BinDir() + "/sacct", home_);
  CliResult render = sbatch.Run({"--parsable", "--array=0-3", "-J", "render", "--wrap",
                                 "exit $((SLURM_ARRAY_TASK_ID == 2))"});
  ASSERT_EQ(render.exit_code, 0) << render.Describe();
  const std::string r = std::to_string(ParseSubmittedId(render.out));
  CliResult denoise = sbatch.Run({"--parsable", "-W", "--array=0-3", "-J", "denoise", "-d",
                                  "aftercorr:" + r, "--wrap", "true"});
  const std::string d = std::to_string(ParseSubmittedId(denoise.out));
  CliResult states = sacct.Run({"-X", "-n", "-P", "-j", r + "," + d, "-o", "jobid,state"});
  EXPECT_EQ(states.out, r + "_0|COMPLETED\n" + r + "_1|COMPLETED\n" + r + "_2|FAILED\n" + r +
                            "_3|COMPLETED\n" + d + "_0|COMPLETED\n" + d + "_1|COMPLETED\n" + d +
                            "_[2]|CANCELLED\n" + d + "_3|COMPLETED\n")
      << states.Describe();
  CliResult refused = sbatch.Run({"-d", "aftercorr:" + r, "--wrap", "true"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("aftercorr is for arrays"), std::string::npos) << refused.Describe();
}

}  // namespace
}  // namespace drover::e2e
