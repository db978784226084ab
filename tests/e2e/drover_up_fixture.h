// CliEndToEndTest: a real `drover up` cluster (droverd and two drover-node
// with 4-core synthetic topologies) per test, started in a private HOME and
// stopped by `drover down`, which must leave nothing running. Shared by the
// end-to-end tests of drover's own commands and of the Slurm ones.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/cli_runner.h"

namespace drover::e2e {

using Json = nlohmann::json;
using namespace std::chrono_literals;

inline std::string BinDir() {
  const char* build = std::getenv("DROVER_BUILD_DIR");
  return build == nullptr ? std::string() : std::string(build) + "/bin";
}

inline bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

inline uint64_t ParseSubmittedId(const std::string& out) {
  // "Submitted job 42" (possibly followed by ", waiting ...") or a bare id.
  size_t pos = out.find_first_of("0123456789");
  return pos == std::string::npos ? 0 : std::stoull(out.substr(pos));
}

class CliEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string bin = BinDir();
    ASSERT_FALSE(bin.empty()) << "DROVER_BUILD_DIR is not set (run through ctest)";
    ASSERT_TRUE(Executable(bin + "/drover")) << bin << "/drover is missing";
    for (const char* daemon : {"droverd", "drover-node"}) {
      if (!Executable(bin + "/" + daemon)) {
        GTEST_SKIP() << daemon << " is not built in " << bin
                     << "; the CLI cannot be tested end to end";
      }
    }
    home_ = MakeTempDir("drv-e2e-");
    ASSERT_FALSE(home_.empty());
    state_ = home_ + "/s";
    std::filesystem::create_directories(home_ + "/out");
    cli_ = std::make_unique<CliRunner>(bin + "/drover", home_);
    CliResult up = Drover(
        {"up", "--nodes", "2", "--cores-per-node", "4", "--state-dir", state_, "--timeout", "60"});
    ASSERT_EQ(up.exit_code, 0) << up.Describe();
  }

  void TearDown() override {
    if (cli_ != nullptr) {
      // Also after a failed `up`, which must have cleaned up after itself.
      CliResult down = Drover({"down", "--state-dir", state_, "--grace", "5"});
      EXPECT_EQ(down.exit_code, 0) << down.Describe();
      // Every process `up` started (droverd, nodes, supervisors) has HOME in
      // its environment or arguments; every task of these tests carries it too.
      EXPECT_EQ(ProcessesMentioning(home_), std::vector<int>()) << "left running after down";
    }
    // DROVER_E2E_KEEP=1 keeps the cluster's directory (logs, outputs) to debug a failure.
    if (!home_.empty() && !std::getenv("DROVER_E2E_KEEP")) RemoveTree(home_);
  }

  CliResult Drover(const std::vector<std::string>& args, std::chrono::seconds timeout = 120s) {
    return cli_->Run(args, timeout);
  }

  // Submits with the marker env var, so TearDown can find leftovers.
  CliResult Submit(std::vector<std::string> args) {
    std::vector<std::string> full = {"submit", "--env", "DROVER_E2E_HOME=" + home_};
    full.insert(full.end(), args.begin(), args.end());
    return Drover(full);
  }

  Json ShowJson(uint64_t id) {
    CliResult r = Drover({"show", std::to_string(id), "-o", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return r.exit_code == 0 ? Json::parse(r.out) : Json::object();
  }

  // Polls `show -o json` until the job's phase is `phase` (or 60 s pass).
  bool WaitForPhase(uint64_t id, const std::string& phase) {
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      Json job = ShowJson(id);
      if (job.value("status", Json::object()).value("phase", "") == phase) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  std::string home_;
  std::string state_;
  std::unique_ptr<CliRunner> cli_;
};

}  // namespace drover::e2e
