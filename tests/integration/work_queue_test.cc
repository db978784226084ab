// "Emails to send": a work-queue Job (parallelism 8, no completions) whose
// workers take items from a SQLite queue of 500 until it is empty, on real
// droverd, drover-node and sqlite3 processes. Every item is sent exactly
// once, a worker that failed before any success is replaced under its own
// number, none is started once one has succeeded, and the Job Succeeds.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "api/quantities.h"
#include "tests/support/local_cluster.h"
#include "tests/support/scoped_tmpfs.h"
#include "tests/support/test_files.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

int64_t TimeOf(const Json& object, const char* field) {
  auto t = ParseTime(object.value(field, ""));
  return t.ok() ? *t : 0;
}

TEST(WorkQueueTest, EightWorkersSendFiveHundredEmailsEachExactlyOnce) {
  LocalClusterOptions options;
  options.nodes = 2;  // 4 cores each: the 8 workers run at once
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  const std::string dir = cluster.dir() + "/emails";
  const std::string db = dir + "/queue.db";
  ASSERT_TRUE(RunShell("mkdir -p " + dir + " && sqlite3 " + db +
                       " 'CREATE TABLE items(id INTEGER PRIMARY KEY, sent_by INTEGER);"
                       " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                       "500) INSERT INTO items(id) SELECT i FROM n;'"));
  // Worker 3 fails once at its start (it is replaced: no worker had
  // succeeded); worker 5 fails at its end, once the test has seen a success
  // (it is not: the queue is empty).
  const std::string script =
      "if [ \"$DROVER_WORKER\" = 3 ] && [ ! -e " + dir + "/failed-3 ]; then touch " + dir +
      "/failed-3; exit 1; fi\n"
      "while :; do\n"
      "  id=$(sqlite3 -cmd '.timeout 60000' " +
      db +
      " \"UPDATE items SET sent_by = $DROVER_WORKER WHERE id = (SELECT id FROM items WHERE "
      "sent_by IS NULL ORDER BY id LIMIT 1) RETURNING id;\") || exit 2\n"
      "  [ -z \"$id\" ] && break\n"
      "  echo \"$id\" >> " +
      dir +
      "/sent-$DROVER_WORKER\n"
      "done\n"
      "if [ \"$DROVER_WORKER\" = 5 ]; then\n"
      "  while [ ! -e " +
      dir +
      "/go ]; do sleep 0.05; done\n"
      "  exit 1\n"
      "fi\n";
  Json job = ShellJob("emails", script);
  job["spec"].erase("completions");
  job["spec"]["parallelism"] = 8;
  job["spec"]["completionMode"] = "NonIndexed";
  auto created = cluster.Submit(job);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const uint64_t id = (*created)["metadata"]["id"];
  EXPECT_FALSE((*created)["spec"].contains("completions")) << "a work queue has none";

  auto job_now = [&] {
    auto j = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id));
    return j.ok() ? *j : Json::object();
  };
  ASSERT_TRUE(WaitFor([&] { return job_now()["status"].value("succeeded", 0) >= 1; }, seconds(120)))
      << job_now().dump();
  std::ofstream(dir + "/go").flush();
  auto ended = cluster.WaitForJob(id, seconds(60));
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  EXPECT_EQ((*ended)["status"]["phase"], "Succeeded") << ended->dump();
  EXPECT_EQ((*ended)["status"]["failed"], 2) << ended->dump();

  // Every item sent once, by someone.
  std::map<int, int> sent;
  int lines = 0;
  for (int w = 0; w < 8; ++w) {
    std::istringstream in(ReadFile(dir + "/sent-" + std::to_string(w)));
    for (std::string item; std::getline(in, item); ++lines) ++sent[std::stoi(item)];
  }
  EXPECT_EQ(lines, 500);
  EXPECT_EQ(sent.size(), 500u);
  EXPECT_EQ(sent.begin()->first, 1);
  EXPECT_EQ(sent.rbegin()->first, 500);

  // 8 workers and one replacement (of worker 3), none started after the first success.
  auto tasks = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  ASSERT_TRUE(tasks.ok());
  std::multiset<int64_t> workers;
  int64_t first_success = 0;
  int64_t last_created = 0;
  for (const Json& t : (*tasks)["items"]) {
    workers.insert(t["spec"]["index"].get<int64_t>());
    last_created = std::max(last_created, TimeOf(t["metadata"], "creationTimestamp"));
    if (t["status"]["phase"] == "Succeeded") {
      const int64_t at = TimeOf(t["status"], "finishTime");
      if (first_success == 0 || at < first_success) first_success = at;
    }
  }
  EXPECT_EQ(workers, (std::multiset<int64_t>{0, 1, 2, 3, 3, 4, 5, 6, 7})) << tasks->dump();
  EXPECT_GT(first_success, 0);
  EXPECT_LE(last_created, first_success) << "a worker was started after one had succeeded";
}

}  // namespace
}  // namespace drover::testing
