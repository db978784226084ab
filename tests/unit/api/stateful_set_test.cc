// StatefulSet validation: each bad spec is refused naming the field and the
// rule; what droverd keeps of a set survives its JSON.
#include "api/stateful_set.h"

#include <gtest/gtest.h>

#include <functional>

#include "api/stateful_set_json.h"

namespace drover {
namespace {

StatefulSet Db() {
  StatefulSet ss;
  ss.metadata.name = "db";
  ss.spec.replicas = 3;
  ss.spec.template_.task.command = {"postgres"};
  ss.spec.volume_templates = {{"data", VolumeTemplate::Kind::kNodeLocal, ""},
                              {"wal", VolumeTemplate::Kind::kShared, "/shared/db"}};
  ss.spec.update_strategy.partition = 2;
  return ss;
}

TEST(StatefulSetTest, AGoodSpecPassesAndVolumesHaveTheirEnvNames) {
  EXPECT_TRUE(ValidateStatefulSet(Db()).ok()) << ValidateStatefulSet(Db()).ToString();
  EXPECT_EQ(VolumeEnvName("data-dir.v2"), "DROVER_VOLUME_DATA_DIR_V2");
  StatefulSet parallel = Db();
  parallel.spec.pod_management_policy = PodManagementPolicy::kParallel;
  parallel.spec.update_strategy = {StatefulSetUpdateType::kOnDelete, 0, {1, false}};
  EXPECT_TRUE(ValidateStatefulSet(parallel).ok());
}

TEST(StatefulSetTest, BadSpecsNameTheFieldAndTheRule) {
  struct Case {
    const char* what;
    std::function<void(StatefulSet&)> spoil;
    const char* field;
  };
  const Case cases[] = {
      {"a partition larger than replicas",
       [](StatefulSet& s) { s.spec.update_strategy.partition = 4; },
       "spec.updateStrategy.rollingUpdate.partition"},
      {"a negative partition", [](StatefulSet& s) { s.spec.update_strategy.partition = -1; },
       "spec.updateStrategy.rollingUpdate.partition"},
      {"maxUnavailable 0",
       [](StatefulSet& s) {
         s.spec.update_strategy.max_unavailable = {0, false};
       },
       "spec.updateStrategy.rollingUpdate.maxUnavailable"},
      {"negative replicas", [](StatefulSet& s) { s.spec.replicas = -1; }, "spec.replicas"},
      {"a shared volume with a relative root",
       [](StatefulSet& s) { s.spec.volume_templates[1].path = "shared/db"; },
       "spec.volumeTemplates[1].path"},
      {"a shared volume climbing out of its root",
       [](StatefulSet& s) { s.spec.volume_templates[1].path = "/shared/../etc"; },
       "spec.volumeTemplates[1].path"},
      {"a node-local volume with a path",
       [](StatefulSet& s) { s.spec.volume_templates[0].path = "/data"; },
       "spec.volumeTemplates[0].path"},
      {"a volume named twice", [](StatefulSet& s) { s.spec.volume_templates[1].name = "data"; },
       "spec.volumeTemplates[1].name"},
      {"a volume name with capitals",
       [](StatefulSet& s) { s.spec.volume_templates[0].name = "Data"; },
       "spec.volumeTemplates[0].name"},
      {"a bad nodeSelector",
       [](StatefulSet& s) {
         s.spec.node_selector = {{"bad key", "x"}};
       },
       "spec.nodeSelector.bad key"},
      {"a time limit", [](StatefulSet& s) { s.spec.template_.task.time_limit_s = 60; },
       "spec.template.timeLimit"},
      {"a name too long for its ordinals",
       [](StatefulSet& s) { s.metadata.name = std::string(181, 'a'); }, "metadata.name"},
  };
  for (const Case& c : cases) {
    StatefulSet s = Db();
    c.spoil(s);
    Status st = ValidateStatefulSet(s);
    ASSERT_FALSE(st.ok()) << c.what;
    EXPECT_EQ(st.field(), c.field) << c.what << ": " << st.ToString();
  }
}

TEST(StatefulSetTest, ADeletingSetAndItsOrdinalDirectoriesSurviveTheirJson) {
  StatefulSet ss = Db();
  ss.spec.retention = {VolumeRetention::kDelete, VolumeRetention::kDelete};
  ss.deletion_time_ms = 1'700'000'000'123;
  ss.status.volume_ordinals = {0, 1, 2};
  ss.status.removing_volumes = {2};
  ss.status.volume_nodes = {{0, "n1"}};
  auto back = StatefulSetFromJson(ToJson(ss));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->deletion_time_ms, ss.deletion_time_ms);
  EXPECT_EQ(back->spec.retention, ss.spec.retention);
  EXPECT_EQ(back->status, ss.status);
  Json bad = ToJson(ss);
  bad["status"]["removingVolumes"] = {"two"};
  EXPECT_EQ(StatefulSetFromJson(bad).status().field(), "status.removingVolumes");
}

TEST(StatefulSetTest, AnOrdinalsVolumesNameItsDirectoryAndSharedRoots) {
  const Json volumes = OrdinalVolumesJson(Db(), 2);
  ASSERT_EQ(volumes.size(), 2u);
  EXPECT_EQ(volumes[0], (Json{{"name", "data"}, {"env", "DROVER_VOLUME_DATA"}, {"dir", "db-2"}}));
  EXPECT_EQ(volumes[1]["root"], "/shared/db");
  EXPECT_EQ(OrdinalName("db", 2), "db-2");
}

}  // namespace
}  // namespace drover
