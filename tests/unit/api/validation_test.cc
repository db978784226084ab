#include "api/validation.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

Job ValidJob() {
  Job j;
  j.metadata.name = "render";
  j.spec.task.command = {"/bin/true"};
  return j;
}

TEST(ValidationTest, AcceptsAMinimalJob) { EXPECT_TRUE(ValidateJobSubmission(ValidJob()).ok()); }

struct BadCase {
  const char* what;
  void (*mutate)(Job&);
  const char* field;
};

TEST(ValidationTest, EachRuleNamesItsField) {
  const BadCase cases[] = {
      {"negative completions", [](Job& j) { j.spec.completions = -3; }, "spec.completions"},
      {"zero parallelism", [](Job& j) { j.spec.parallelism = 0; }, "spec.parallelism"},
      {"negative backoff", [](Job& j) { j.spec.backoff_limit = -1; }, "spec.backoffLimit"},
      {"per-index backoff on a non-indexed job", [](Job& j) { j.spec.backoff_limit_per_index = 1; },
       "spec.backoffLimitPerIndex"},
      {"per-index backoff on a gang",
       [](Job& j) {
         j.spec.completion_mode = CompletionMode::kIndexed;
         j.spec.gang = true;
         j.spec.backoff_limit_per_index = 0;
       },
       "spec.backoffLimitPerIndex"},
      {"max failed indexes without a per-index backoff",
       [](Job& j) {
         j.spec.completion_mode = CompletionMode::kIndexed;
         j.spec.max_failed_indexes = 0;
       },
       "spec.maxFailedIndexes"},
      {"max failed indexes above completions",
       [](Job& j) {
         j.spec.completion_mode = CompletionMode::kIndexed;
         j.spec.backoff_limit_per_index = 0;
         j.spec.max_failed_indexes = 2;
       },
       "spec.maxFailedIndexes"},
      {"no command", [](Job& j) { j.spec.task.command.clear(); }, "spec.template.command"},
      {"zero cpus", [](Job& j) { j.spec.task.resources.cpus = 0; }, "spec.template.resources.cpus"},
      {"relative cwd", [](Job& j) { j.spec.task.working_dir = "tmp"; }, "spec.template.workingDir"},
      {"bad env",
       [](Job& j) {
         j.spec.task.env = {{"1X", "v"}};
       },
       "spec.template.env[0].name"},
      {"bad name", [](Job& j) { j.metadata.name = "a b"; }, "metadata.name"},
      {"empty name", [](Job& j) { j.metadata.name = ""; }, "metadata.name"},
      {"gang wider than job",
       [](Job& j) {
         j.spec.gang = true;
         j.spec.parallelism = 4;
       },
       "spec.parallelism"},
      {"bad placement", [](Job& j) { j.spec.placement = "scatter"; }, "spec.placement"},
      {"bad dependency type",
       [](Job& j) {
         j.spec.dependencies = {{"afterall", 3}};
       },
       "spec.dependencies[0].type"},
      {"dependency on job 0",
       [](Job& j) {
         j.spec.dependencies = {{"afterok", 0}};
       },
       "spec.dependencies[0].job"},
      {"bad account", [](Job& j) { j.spec.account = "phys ics"; }, "spec.account"},
      {"bad memory bind", [](Job& j) { j.spec.task.resources.memory_bind = "remote"; },
       "spec.template.resources.memoryBind"},
      {"more nodes than tasks", [](Job& j) { j.spec.nodes = 3; }, "spec.nodes"},
      {"relative stdout", [](Job& j) { j.spec.task.stdout_path = "out"; }, "spec.template.stdout"},
      {"an allocation of no tasks",
       [](Job& j) {
         j.spec.allocation = {AllocationMode::kBatch, 0};
       },
       "spec.allocation.tasks"},
      {"an allocation that is also a gang",
       [](Job& j) {
         j.spec.allocation = {AllocationMode::kBatch, 2};
         j.spec.gang = true;
       },
       "spec.gang"},
      {"an allocation over more nodes than tasks",
       [](Job& j) {
         j.spec.allocation = {AllocationMode::kBatch, 2};
         j.spec.nodes = 3;
       },
       "spec.nodes"},
      {"an allocation that does not fit its nodes",
       [](Job& j) {
         j.spec.allocation = {AllocationMode::kBatch, 9};
         j.spec.nodes = 2;
         j.spec.ntasks_per_node = 4;
       },
       "spec.allocation.tasks"},
      {"an interactive allocation of several runs",
       [](Job& j) {
         j.spec.allocation = {AllocationMode::kInteractive, 2};
         j.spec.completions = 2;
         j.spec.parallelism = 2;
       },
       "spec.allocation.mode"},
      {"a bad node selector",
       [](Job& j) {
         j.spec.node_selector = {{"a b", "x"}};
       },
       "spec.nodeSelector"},
  };
  for (const BadCase& c : cases) {
    Job j = ValidJob();
    c.mutate(j);
    Status s = ValidateJobSubmission(j);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_EQ(s.field(), c.field) << c.what << ": " << s.ToString();
  }
}

}  // namespace
}  // namespace drover
