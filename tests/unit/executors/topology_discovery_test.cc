// DiscoverTopology against real hwloc: this machine, synthetic descriptions
// and XML files exported by hwloc itself.
#include "executors/topology_discovery.h"

#include <gtest/gtest.h>
#include <hwloc.h>

#include "tests/unit/executors/test_dirs.h"

namespace drover::executors {
namespace {

using testing::ReadFile;
using testing::TempDir;

constexpr char kTwoSocket[] = "package:2 numa:2 core:8 pu:2";

// Exports a synthetic topology to an XML file with hwloc.
void ExportSyntheticXml(const std::string& desc, const std::string& path) {
  hwloc_topology_t topo;
  ASSERT_EQ(hwloc_topology_init(&topo), 0);
  ASSERT_EQ(hwloc_topology_set_synthetic(topo, desc.c_str()), 0);
  ASSERT_EQ(hwloc_topology_load(topo), 0);
  ASSERT_EQ(hwloc_topology_export_xml(topo, path.c_str(), 0), 0);
  hwloc_topology_destroy(topo);
}

void ExpectSameMachine(const NodeTopology& a, const NodeTopology& b) {
  EXPECT_EQ(a.packages, b.packages);
  EXPECT_EQ(a.numa_nodes, b.numa_nodes);
  EXPECT_EQ(a.memory_bytes, b.memory_bytes);
  EXPECT_EQ(a.numa_memory_bytes, b.numa_memory_bytes);
  ASSERT_EQ(a.cores.size(), b.cores.size());
  for (size_t i = 0; i < a.cores.size(); ++i) {
    EXPECT_EQ(a.cores[i].id, b.cores[i].id);
    EXPECT_EQ(a.cores[i].package, b.cores[i].package);
    EXPECT_EQ(a.cores[i].numa, b.cores[i].numa);
    EXPECT_EQ(a.cores[i].pus, b.cores[i].pus);
  }
}

TEST(TopologyDiscoveryTest, SyntheticTwoSocketNodeHasRightCoresPackagesAndNuma) {
  Result<NodeTopology> topo = DiscoverTopology(std::string("synthetic:") + kTwoSocket);
  ASSERT_TRUE(topo.ok()) << topo.status().ToString();
  EXPECT_EQ(topo->source, std::string("synthetic:") + kTwoSocket);
  EXPECT_EQ(topo->packages, 2);
  EXPECT_EQ(topo->numa_nodes, 4);
  ASSERT_EQ(topo->cores.size(), 32u);
  size_t pus = 0;
  for (size_t i = 0; i < topo->cores.size(); ++i) {
    const CoreInfo& core = topo->cores[i];
    SCOPED_TRACE("core " + std::to_string(i));
    EXPECT_EQ(core.id, static_cast<int32_t>(i));
    EXPECT_EQ(core.package, static_cast<int32_t>(i / 16));
    EXPECT_EQ(core.numa, static_cast<int32_t>(i / 8));
    EXPECT_EQ(core.pus,
              (std::vector<int32_t>{static_cast<int32_t>(2 * i), static_cast<int32_t>(2 * i + 1)}));
    pus += core.pus.size();
  }
  EXPECT_EQ(pus, 64u);
  ASSERT_EQ(topo->numa_memory_bytes.size(), 4u);
  int64_t sum = 0;
  for (int64_t bytes : topo->numa_memory_bytes) {
    EXPECT_GT(bytes, 0);
    sum += bytes;
  }
  EXPECT_EQ(topo->memory_bytes, sum);
}

TEST(TopologyDiscoveryTest, QuotedSyntheticDescriptionIsAccepted) {
  Result<NodeTopology> topo = DiscoverTopology("synthetic:\"package:1 core:4 pu:1\"");
  ASSERT_TRUE(topo.ok()) << topo.status().ToString();
  EXPECT_EQ(topo->cores.size(), 4u);
  EXPECT_EQ(topo->numa_nodes, 1);
}

TEST(TopologyDiscoveryTest, XmlExportedByHwlocRoundTrips) {
  TempDir dir;
  std::string xml = dir.File("node.xml");
  ExportSyntheticXml(kTwoSocket, xml);
  Result<NodeTopology> from_xml = DiscoverTopology("xml:" + xml);
  ASSERT_TRUE(from_xml.ok()) << from_xml.status().ToString();
  EXPECT_EQ(from_xml->source, "xml:" + xml);
  Result<NodeTopology> synthetic = DiscoverTopology(std::string("synthetic:") + kTwoSocket);
  ASSERT_TRUE(synthetic.ok());
  ExpectSameMachine(*from_xml, *synthetic);
}

TEST(TopologyDiscoveryTest, TopologyWithoutMemoryGetsTheDefaultPerNumaNode) {
  TempDir dir;
  std::string xml = dir.File("node.xml");
  ExportSyntheticXml("package:1 numa:2 core:2 pu:1", xml);
  // Remove every memory figure from the file.
  std::string text = ReadFile(xml);
  for (const std::string attr : {" local_memory=\"", " total_memory=\""}) {
    for (size_t at; (at = text.find(attr)) != std::string::npos;) {
      text.erase(at, text.find('"', at + attr.size()) + 1 - at);
    }
  }
  for (size_t at; (at = text.find("<page_type")) != std::string::npos;) {
    text.erase(at, text.find("/>", at) + 2 - at);
  }
  { std::ofstream(xml) << text; }
  Result<NodeTopology> topo = DiscoverTopology("xml:" + xml);
  ASSERT_TRUE(topo.ok()) << topo.status().ToString();
  EXPECT_EQ(topo->numa_memory_bytes,
            (std::vector<int64_t>{kDefaultNumaMemoryBytes, kDefaultNumaMemoryBytes}));
  EXPECT_EQ(topo->memory_bytes, 2 * kDefaultNumaMemoryBytes);
}

TEST(TopologyDiscoveryTest, ThisMachineHasCoresWithPus) {
  for (const char* spec : {"", "hwloc"}) {
    Result<NodeTopology> topo = DiscoverTopology(spec);
    ASSERT_TRUE(topo.ok()) << topo.status().ToString();
    EXPECT_EQ(topo->source, "hwloc");
    ASSERT_FALSE(topo->cores.empty());
    for (const CoreInfo& core : topo->cores) {
      EXPECT_FALSE(core.pus.empty());
      EXPECT_LT(core.numa, topo->numa_nodes);
      EXPECT_LT(core.package, topo->packages);
    }
    EXPECT_GT(topo->memory_bytes, 0);
  }
}

TEST(TopologyDiscoveryTest, BadSpecsAreInvalidAndNameTheAcceptedForms) {
  for (const char* spec : {"gpu:4", "synthetic:", "xml:"}) {
    Result<NodeTopology> topo = DiscoverTopology(spec);
    ASSERT_FALSE(topo.ok()) << spec;
    EXPECT_EQ(topo.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(topo.status().field(), "topology");
    EXPECT_NE(topo.status().message().find(spec), std::string::npos);
    EXPECT_NE(topo.status().message().find("synthetic:"), std::string::npos);
    EXPECT_NE(topo.status().message().find("xml:"), std::string::npos);
  }
  Result<NodeTopology> bad_desc = DiscoverTopology("synthetic:socketz:2 pu:2");
  ASSERT_FALSE(bad_desc.ok());
  EXPECT_EQ(bad_desc.status().code(), StatusCode::kInvalidArgument);
  Result<NodeTopology> missing = DiscoverTopology("xml:/no/such/node.xml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/no/such/node.xml"), std::string::npos);
}

TEST(CpuListStringTest, CompressesRuns) {
  EXPECT_EQ(CpuListString({0, 1, 2, 3, 8}), "0-3,8");
  EXPECT_EQ(CpuListString({}), "");
  EXPECT_EQ(CpuListString({5, 3, 4, 4}), "3-5");
  EXPECT_EQ(CpuListString({7}), "7");
  EXPECT_EQ(CpuListString({1, 3, 5, 6}), "1,3,5-6");
}

}  // namespace
}  // namespace drover::executors
