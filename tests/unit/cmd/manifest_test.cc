#include "cmd/drover/manifest.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

constexpr char kTwoJobs[] = R"(apiVersion: drover.io/v1
kind: Job
metadata: {name: render}
spec:
  completions: 10
  parallelism: 2
  completionMode: Indexed
  template:
    command: ["/bin/sh", "-c", "echo $DROVER_TASK_INDEX"]
    stdout: out/%j_%i.txt
---
kind: Job
metadata: {name: comp}
spec:
  template:
    command: [/bin/true]
    workingDir: /work
---
)";

TEST(JobsFromManifestTest, ReadsEveryDocumentAndFillsTheWorkingDirectory) {
  auto jobs = JobsFromManifest(kTwoJobs, "job.yaml", "/home/a");
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].metadata.name, "render");
  EXPECT_EQ((*jobs)[0].spec.completions, 10);
  EXPECT_EQ((*jobs)[0].spec.task.working_dir, "/home/a");
  EXPECT_EQ((*jobs)[0].spec.task.stdout_path, "/home/a/out/%j_%i.txt");
  EXPECT_EQ((*jobs)[1].spec.task.working_dir, "/work");
}

TEST(JobsFromManifestTest, UnknownFieldNamesTheDocumentAndThePath) {
  auto jobs = JobsFromManifest(
      "kind: Job\nmetadata: {name: a}\nspec: {template: {command: [x]}}\n---\n"
      "kind: Job\nmetadata: {name: b}\nspec: {completionz: 3, template: {command: [x]}}\n",
      "job.yaml", "/");
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.status().field(), "job.yaml: document 2: spec.completionz");
}

TEST(JobsFromManifestTest, NegativeCountIsRejectedByValidation) {
  auto jobs = JobsFromManifest(
      "kind: Job\nmetadata: {name: a}\nspec: {completions: -3, template: {command: [x]}}\n",
      "job.yaml", "/");
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.status().field(), "job.yaml: document 1: spec.completions");
}

TEST(JobsFromManifestTest, AcceptsJsonAndLists) {
  auto jobs = JobsFromManifest(
      R"({"kind": "List", "items": [
           {"kind": "Job", "metadata": {"name": "a"}, "spec": {"template": {"command": ["x"]}}},
           {"kind": "Job", "metadata": {"name": "b"}, "spec": {"template": {"command": ["y"]}}}]})",
      "jobs.json", "/");
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[1].metadata.name, "b");
}

TEST(JobsFromManifestTest, OtherKindsAreRefusedByName) {
  auto jobs = JobsFromManifest("kind: Service\nmetadata: {name: a}\n", "d.yaml", "/");
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.status().field(), "d.yaml: document 1: kind");
  EXPECT_NE(jobs.status().message().find("Deployment"), std::string::npos);
}

TEST(ObjectsFromManifestTest, ReadsDeploymentsBesideJobsAndResolvesTheirPaths) {
  auto objects = ObjectsFromManifest(R"(kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: "0%"}}
  nodeSelector: {tier: web}
  template:
    command: [python3, -m, http.server]
    ports: [{name: http}]
---
kind: Job
metadata: {name: render}
spec: {template: {command: [x]}}
)",
                                     "app.yaml", "/home/a");
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  ASSERT_EQ(objects->deployments.size(), 1u);
  ASSERT_EQ(objects->jobs.size(), 1u);
  const Deployment& d = objects->deployments[0];
  EXPECT_EQ(d.spec.replicas, 3);
  EXPECT_EQ(d.spec.strategy.max_surge, (IntOrPercent{1, false}));
  EXPECT_EQ(d.spec.strategy.max_unavailable, (IntOrPercent{0, true}));
  EXPECT_EQ(d.spec.template_.task.working_dir, "/home/a");
  ASSERT_EQ(d.spec.template_.ports.size(), 1u);
  EXPECT_EQ(d.spec.template_.ports[0].name, "http");
  EXPECT_EQ(d.spec.node_selector, (Labels{{"tier", "web"}}));
}

TEST(ObjectsFromManifestTest, BadDeploymentsNameTheFieldAndTheRule) {
  struct Case {
    const char* spec;
    const char* field;
  };
  const Case cases[] = {
      {"replicas: -1\n  template: {command: [x]}", "spec.replicas"},
      {"bogus: 1\n  template: {command: [x]}", "spec.bogus"},
      {"strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}\n  template: {command: [x]}",
       "spec.strategy.rollingUpdate"},
      {"strategy: {rollingUpdate: {maxSurge: \"x%\"}}\n  template: {command: [x]}",
       "spec.strategy.rollingUpdate.maxSurge"},
      {"template: {command: [x], ports: [{name: HTTP}]}", "spec.template.ports[0].name"},
      {"template: {command: [x], ports: [{name: a}, {name: a}]}", "spec.template.ports[1].name"},
      {"template: {command: []}", "spec.template.command"},
      {"strategy: {type: Sideways}\n  template: {command: [x]}", "spec.strategy.type"},
      {"template: {command: [x], ports: [{name: http}], readinessProbe: {httpGet: {port: web}}}",
       "spec.template.readinessProbe.httpGet.port"},
      {"template: {command: [x], livenessProbe: {tcpSocket: {port: http}}}",
       "spec.template.livenessProbe.tcpSocket.port"},
      {"template: {command: [x], readinessProbe: {periodSeconds: 5}}",
       "spec.template.readinessProbe"},
      {"template: {command: [x], livenessProbe: {exec: {command: [/bin/true]}, successThreshold: "
       "2}}",
       "spec.template.livenessProbe.successThreshold"},
      {"template: {command: [x], startupProbe: {exec: {command: [/bin/true]}, periodSeconds: 0}}",
       "spec.template.startupProbe.periodSeconds"},
      {"template: {command: [x], timeLimit: 60}", "spec.template.timeLimit"},
      {"nodeSelector: {\"bad key\": x}\n  template: {command: [x]}", "spec.nodeSelector.bad key"},
  };
  for (const Case& c : cases) {
    std::string text =
        std::string("kind: Deployment\nmetadata: {name: web}\nspec:\n  ") + c.spec + "\n";
    auto objects = ObjectsFromManifest(text, "d.yaml", "/");
    ASSERT_FALSE(objects.ok()) << c.spec;
    EXPECT_EQ(objects.status().field(), std::string("d.yaml: document 1: ") + c.field) << c.spec;
  }
}

TEST(JobsFromManifestTest, SyntaxErrorNamesTheSource) {
  auto jobs = JobsFromManifest("kind: Job\nmetadata: [unclosed\n", "bad.yaml", "/");
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.status().field().rfind("bad.yaml", 0), 0u);
}

}  // namespace
}  // namespace drover::cli
