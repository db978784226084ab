#include "cmd/drover/local_cluster.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "cmd/drover/cluster_record.h"
#include "cmd/drover/file_io.h"
#include "cmd/drover/process_control.h"

namespace drover::cli {
namespace {

TEST(LocalClusterArgvTest, DroverdGetsStoreListenSocketStateAndTokens) {
  StatePaths paths = PathsIn("/s");
  UpOptions o;
  auto argv = DroverdArgv("/b", paths, o, 6817);
  EXPECT_EQ(argv,
            (std::vector<std::string>{"/b/droverd", "--store", "sqlite:/s/drover.db", "--listen",
                                      "127.0.0.1:6817", "--socket", "/s/droverd.sock",
                                      "--state-dir", "/s", "--token-file", "/s/tokens"}));
  o.store = "postgresql://x/y";
  EXPECT_EQ(DroverdArgv("/b", paths, o, 7000)[2], "postgresql://x/y");
}

TEST(LocalClusterArgvTest, NodesGetSyntheticTopologyOnlyWithCoresPerNode) {
  StatePaths paths = PathsIn("/s");
  UpOptions o;
  auto real = NodeArgv("/b", paths, o, 6817, "node-1");
  EXPECT_EQ(real, (std::vector<std::string>{"/b/drover-node", "--server", "http://127.0.0.1:6817",
                                            "--token-file", "/s/nodes/node-1/node.token", "--name",
                                            "node-1", "--state-dir", "/s/nodes/node-1", "--listen",
                                            "127.0.0.1:0"}));
  o.cores_per_node = 4;
  auto synthetic = NodeArgv("/b", paths, o, 6817, "node-2");
  ASSERT_EQ(synthetic.size(), real.size() + 2);
  EXPECT_EQ(synthetic[synthetic.size() - 2], "--topology");
  EXPECT_EQ(synthetic.back(), "synthetic:package:1 core:4 pu:1");
}

TEST(LocalClusterArgvTest, MemPerNodeGivesTheNodesNumaMemoryAndConfigReachesDroverd) {
  StatePaths paths = PathsIn("/s");
  UpOptions o;
  o.mem_per_node_bytes = int64_t{2} << 30;
  o.machine_cores = 6;
  EXPECT_EQ(NodeArgv("/b", paths, o, 6817, "node-1").back(),
            "synthetic:package:1 numa:1(memory=2147483648) core:6 pu:1")
      << "this machine's cores when --cores-per-node is not given";
  o.cores_per_node = 2;
  EXPECT_EQ(NodeArgv("/b", paths, o, 6817, "node-1").back(),
            "synthetic:package:1 numa:1(memory=2147483648) core:2 pu:1");
  o.config_path = "/etc/drover/droverd.yaml";
  auto argv = DroverdArgv("/b", paths, o, 6817);
  ASSERT_GE(argv.size(), 2u);
  EXPECT_EQ(argv[argv.size() - 2], "--config");
  EXPECT_EQ(argv.back(), "/etc/drover/droverd.yaml");
  EXPECT_NE(UpSummary({}, o, "/c").find("of 2 cores and 2048 MiB each"), std::string::npos);
  o.mem_per_node_bytes = 1000;
  EXPECT_EQ(CheckUpOptions(o).field(), "--mem-per-node");
}

TEST(LocalClusterTest, OptionRangesAreChecked) {
  UpOptions o;
  EXPECT_TRUE(CheckUpOptions(o).ok());
  o.nodes = 0;
  EXPECT_EQ(CheckUpOptions(o).field(), "--nodes");
  o = {};
  o.cores_per_node = -1;
  EXPECT_EQ(CheckUpOptions(o).field(), "--cores-per-node");
}

TEST(ClusterRecordTest, RoundTripsThroughJson) {
  ClusterRecord r;
  r.state_dir = "/s";
  r.socket = "unix:/s/droverd.sock";
  r.http = "http://127.0.0.1:6817";
  r.port = 6817;
  r.droverd = {"droverd", {10, "/b/droverd", 123}, "/s/logs/droverd.log"};
  r.nodes.push_back({"node-1", {11, "/b/drover-node", 124}, "/s/logs/node-1.log"});
  auto back = ClusterRecordFromJson(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->droverd.identity.pid, 10);
  EXPECT_EQ(back->nodes.at(0).identity.start_time, 124u);
  auto order = StopOrder(*back);
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order.front().pid, 11);  // nodes before droverd
  EXPECT_EQ(order.back().pid, 10);
}

TEST(TokenFileTest, WritesDroverdsFormat) {
  EXPECT_EQ(TokenFileText({{"sha256:aaaa", "admin", "alice", 1000, 1000},
                           {"bbbb", "node", "node-1", 1000, 1000}}),
            "sha256:aaaa admin alice 1000 1000\nbbbb node node-1\n");
}

TEST(RandomTokenTest, IsLongHexAndDiffers) {
  auto a = RandomToken();
  auto b = RandomToken();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->size(), 64u);
  EXPECT_EQ(a->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(*a, *b);
}

TEST(ProcessControlTest, SpawnedProcessIsRecognisedThenStopped) {
  std::string log = (std::filesystem::temp_directory_path() /
                     ("drover-spawn-" + std::to_string(::getpid()) + ".log"))
                        .string();
  auto p = SpawnDetached({"/bin/sleep", "30"}, log);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(IsSameProcess(*p));
  ProcessIdentity other = *p;
  other.start_time += 1;  // a reused pid has another start time
  EXPECT_FALSE(IsSameProcess(other));
  EXPECT_EQ(StopProcesses({*p}, std::chrono::seconds(5)), 0);  // SIGTERM was enough
  EXPECT_FALSE(IsSameProcess(*p));
  std::filesystem::remove(log);
}

TEST(ProcessControlTest, StopKillsWhatIgnoresSigterm) {
  std::string log = (std::filesystem::temp_directory_path() /
                     ("drover-spawn-term-" + std::to_string(::getpid()) + ".log"))
                        .string();
  // An ignored signal stays ignored across exec, so the sleeps ignore SIGTERM too.
  auto p = SpawnDetached({"/bin/sh", "-c", "trap '' TERM; echo ready; sleep 30; sleep 30"}, log);
  ASSERT_TRUE(p.ok());
  // Wait for the trap to be in place (the shell says so in its log).
  for (int i = 0; i < 500; ++i) {
    auto text = ReadFile(log);
    if (text.ok() && text->find("ready") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(StopProcesses({*p}, std::chrono::milliseconds(200)), 1);
  EXPECT_FALSE(IsSameProcess(*p));
  std::filesystem::remove(log);
}

TEST(PickLoopbackPortTest, FallsBackUnlessStrict) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int taken = ntohs(addr.sin_port);
  auto fallback = PickLoopbackPort(taken, false);
  ASSERT_TRUE(fallback.ok());
  EXPECT_NE(*fallback, taken);
  EXPECT_FALSE(PickLoopbackPort(taken, true).ok());
  ::close(fd);
}

}  // namespace
}  // namespace drover::cli
