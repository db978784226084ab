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
  auto jobs = JobsFromManifest("kind: Deployment\nmetadata: {name: a}\n", "d.yaml", "/");
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.status().field(), "d.yaml: document 1: kind");
}

TEST(JobsFromManifestTest, SyntaxErrorNamesTheSource) {
  auto jobs = JobsFromManifest("kind: Job\nmetadata: [unclosed\n", "bad.yaml", "/");
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.status().field().rfind("bad.yaml", 0), 0u);
}

}  // namespace
}  // namespace drover::cli
