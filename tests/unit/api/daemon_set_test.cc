// DaemonSet's codec and validation: what droverd will store loads again,
// and each bad manifest is refused naming the field and the rule.
#include "api/daemon_set.h"

#include <gtest/gtest.h>

#include "api/daemon_set_json.h"

namespace drover {
namespace {

Json Manifest() {
  return Json::parse(R"({
    "apiVersion": "drover.io/v1", "kind": "DaemonSet",
    "metadata": {"name": "logs"},
    "spec": {
      "nodeSelector": {"tier": "web"},
      "updateStrategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxUnavailable": "20%", "maxSurge": 0}},
      "minReadySeconds": 3,
      "template": {"command": ["drover-log-shipper"], "workingDir": "/",
                   "ports": [{"name": "metrics"}],
                   "readinessProbe": {"httpGet": {"path": "/healthz", "port": "metrics"}}}}})");
}

TEST(DaemonSetTest, AManifestDecodesValidatesAndRoundTrips) {
  auto ds = DaemonSetFromJson(Manifest());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_TRUE(ValidateDaemonSet(*ds).ok()) << ValidateDaemonSet(*ds).ToString();
  EXPECT_EQ(ds->spec.node_selector, (Labels{{"tier", "web"}}));
  EXPECT_EQ(ds->spec.update_strategy.max_unavailable, (IntOrPercent{20, true}));
  EXPECT_EQ(ds->spec.min_ready_seconds, 3);
  ASSERT_TRUE(ds->spec.template_.readiness_probe.has_value());
  // As droverd would store it: with an owner, a generation and a status.
  ds->generation = 2;
  ds->owner = {"root", 0, 0};
  ds->status = {2, 3, 3, 1, 2, 1, 2, 1, 4};
  auto back = DaemonSetFromJson(ToJson(*ds));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToJson(*back), ToJson(*ds));
  EXPECT_EQ(back->status, ds->status);
  EXPECT_EQ(back->spec.update_strategy, ds->spec.update_strategy);
}

TEST(DaemonSetTest, DefaultsAreKubernetesOnes) {
  Json j = Manifest();
  j["spec"].erase("updateStrategy");
  auto ds = DaemonSetFromJson(j);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->spec.update_strategy.type, DaemonSetUpdateType::kRollingUpdate);
  EXPECT_EQ(ds->spec.update_strategy.max_unavailable, (IntOrPercent{1, false}));
  EXPECT_EQ(ds->spec.update_strategy.max_surge, (IntOrPercent{0, false}));
  EXPECT_EQ(ResolveDaemonFenceposts(ds->spec.update_strategy, 10),
            (std::pair<int64_t, int64_t>{0, 1}));
  DaemonSetUpdateStrategy pct{DaemonSetUpdateType::kRollingUpdate, {25, true}, {10, true}};
  EXPECT_EQ(ResolveDaemonFenceposts(pct, 10), (std::pair<int64_t, int64_t>{1, 3}))
      << "both round up";
}

TEST(DaemonSetTest, BadManifestsNameTheFieldAndTheRule) {
  struct Case {
    const char* what;
    void (*spoil)(Json&);
    const char* field;
  };
  const Case cases[] = {
      {"unknown field", [](Json& j) { j["spec"]["replicas"] = 3; }, "spec.replicas"},
      {"bad strategy type",
       [](Json& j) {
         j["spec"]["updateStrategy"] = {{"type", "Sideways"}};
       },
       "spec.updateStrategy.type"},
      {"rollingUpdate with OnDelete",
       [](Json& j) { j["spec"]["updateStrategy"]["type"] = "OnDelete"; },
       "spec.updateStrategy.rollingUpdate"},
      {"bad percentage",
       [](Json& j) { j["spec"]["updateStrategy"]["rollingUpdate"]["maxSurge"] = "x%"; },
       "spec.updateStrategy.rollingUpdate.maxSurge"},
      {"both 0",
       [](Json& j) {
         j["spec"]["updateStrategy"]["rollingUpdate"] = {{"maxUnavailable", 0}, {"maxSurge", 0}};
       },
       "spec.updateStrategy.rollingUpdate"},
      {"a malformed nodeSelector",
       [](Json& j) {
         j["spec"]["nodeSelector"] = {{"bad key", "x"}};
       },
       "spec.nodeSelector.bad key"},
      {"a probe on a port it does not have",
       [](Json& j) { j["spec"]["template"]["readinessProbe"]["httpGet"]["port"] = "admin"; },
       "spec.template.readinessProbe.httpGet.port"},
      {"a time limit", [](Json& j) { j["spec"]["template"]["timeLimit"] = 60; },
       "spec.template.timeLimit"},
      {"no template", [](Json& j) { j["spec"].erase("template"); }, "spec.template"},
      {"negative minReadySeconds", [](Json& j) { j["spec"]["minReadySeconds"] = -1; },
       "spec.minReadySeconds"},
  };
  for (const Case& c : cases) {
    Json j = Manifest();
    c.spoil(j);
    auto ds = DaemonSetFromJson(j);
    Status st = ds.ok() ? ValidateDaemonSet(*ds) : ds.status();
    ASSERT_FALSE(st.ok()) << c.what;
    EXPECT_EQ(st.field(), c.field) << c.what << ": " << st.ToString();
  }
}

}  // namespace
}  // namespace drover
