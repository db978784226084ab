// `drover up --mem-per-node --config`: a local cluster that stands in for a
// real one, with nodes of the asked memory and droverd's queues, checked
// through sbatch as a user would (a batch partition with its MaxTime, memory
// that fits and memory that never can).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>

#include "tests/e2e/cli_runner.h"
#include "tests/e2e/drover_up_fixture.h"

namespace drover::e2e {
namespace {

TEST(UpOptionsTest, MemPerNodeAndConfigMakeAClusterWithThatMemoryAndThoseQueues) {
  const std::string home = MakeTempDir("drv-up-");
  const std::string state = home + "/s";
  std::ofstream(home + "/droverd.yaml") << "scheduler:\n"
                                           "  queues:\n"
                                           "    - name: batch\n"
                                           "      maxTime: \"10:00\"\n";
  CliRunner drover(BinDir() + "/drover", home);
  CliRunner sbatch(BinDir() + "/sbatch", home);
  CliResult up = drover.Run({"up", "--nodes", "1", "--cores-per-node", "2", "--mem-per-node", "2G",
                             "--config", home + "/droverd.yaml", "--state-dir", state},
                            120s);
  struct Down {
    std::function<void()> fn;
    ~Down() { fn(); }
  } down{[&] { drover.Run({"down", "--state-dir", state}, 60s); }};
  ASSERT_EQ(up.exit_code, 0) << up.Describe();
  EXPECT_NE(up.out.find("of 2 cores and 2048 MiB each"), std::string::npos) << up.out;

  CliResult node = drover.Run({"get", "nodes", "node-1", "-o", "json"});
  ASSERT_EQ(node.exit_code, 0) << node.Describe();
  Json shown = Json::parse(node.out, nullptr, false);
  if (shown.contains("items")) shown = shown["items"][0];
  EXPECT_EQ(shown["status"]["topology"]["memory"], int64_t{2} << 30) << node.out;

  CliResult fits = sbatch.Run(
      {"--parsable", "-W", "-p", "batch", "--mem", "1G", "-t", "5", "--wrap", "true"}, 60s);
  EXPECT_EQ(fits.exit_code, 0) << fits.Describe();
  CliResult too_big = sbatch.Run({"-p", "batch", "--mem", "3G", "--wrap", "true"});
  EXPECT_EQ(too_big.exit_code, 1) << too_big.Describe();
  EXPECT_NE(too_big.err.find("sbatch: error:"), std::string::npos) << too_big.Describe();
  CliResult too_long = sbatch.Run({"-p", "batch", "-t", "20", "--wrap", "true"});
  EXPECT_EQ(too_long.exit_code, 1) << too_long.Describe();
  EXPECT_NE(too_long.err.find("maxTime"), std::string::npos) << too_long.Describe();

  CliResult missing =
      drover.Run({"up", "--config", home + "/nope.yaml", "--state-dir", home + "/other"});
  EXPECT_EQ(missing.exit_code, 1) << missing.Describe();
  EXPECT_NE(missing.err.find("cannot read " + home + "/nope.yaml"), std::string::npos)
      << missing.Describe();
}

}  // namespace
}  // namespace drover::e2e
