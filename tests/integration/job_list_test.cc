// GET /api/v1/jobs in pages: limit and continue walk every job once, in id
// order, with the filters applied server-side.
#include <gtest/gtest.h>

#include <set>

#include "tests/support/local_cluster.h"

namespace drover::testing {
namespace {

// Every id the pages of `query` list, following metadata.continue.
std::vector<uint64_t> Walk(const LocalCluster& cluster, const std::string& query, int* pages) {
  std::vector<uint64_t> ids;
  std::string next;
  *pages = 0;
  do {
    auto page = cluster.Call(
        "GET", "/api/v1/jobs?limit=10" + query + (next.empty() ? "" : "&continue=" + next));
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    ++*pages;
    for (const Json& j : (*page)["items"]) ids.push_back(j["metadata"]["id"].get<uint64_t>());
    next = page->contains("metadata") ? (*page)["metadata"]["continue"].get<std::string>() : "";
  } while (!next.empty() && *pages < 100);
  return ids;
}

TEST(JobListTest, PagesWalkEveryMatchingJobOnceInIdOrder) {
  LocalClusterOptions options;
  options.nodes = 0;  // they stay Pending
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  Json items = Json::array();
  for (int i = 0; i < 25; ++i) items.push_back(ShellJob(i % 5 == 0 ? "odd" : "even", "true"));
  ASSERT_TRUE(cluster.Call("POST", "/api/v1/jobs/bulk", Json{{"items", items}}).ok());
  auto cancelled = cluster.Call("POST", "/api/v1/jobs/1/cancel");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();

  int pages = 0;
  std::vector<uint64_t> all = Walk(cluster, "", &pages);
  ASSERT_EQ(all.size(), 25u);
  EXPECT_EQ(pages, 3);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i + 1) << "in id order, once each";

  std::vector<uint64_t> pending = Walk(cluster, "&phase=Pending", &pages);
  EXPECT_EQ(pending.size(), 24u) << "job 1 was cancelled";
  EXPECT_EQ(std::set<uint64_t>(pending.begin(), pending.end()).size(), 24u);
  EXPECT_EQ(pending.front(), 2u);

  std::vector<uint64_t> named = Walk(cluster, "&name=odd&queue=default", &pages);
  EXPECT_EQ(named, (std::vector<uint64_t>{1, 6, 11, 16, 21}));
  EXPECT_TRUE(Walk(cluster, "&queue=nosuch", &pages).empty());
  // A page that holds the last matching jobs says so: no continue to an empty page.
  auto last_odd = cluster.Call("GET", "/api/v1/jobs?limit=5&name=odd");
  ASSERT_TRUE(last_odd.ok());
  EXPECT_EQ((*last_odd)["items"].size(), 5u);
  EXPECT_FALSE(last_odd->contains("metadata")) << last_odd->dump();
  auto last_page = cluster.Call("GET", "/api/v1/jobs?limit=5&continue=20");
  ASSERT_TRUE(last_page.ok());
  EXPECT_EQ((*last_page)["items"].size(), 5u);
  EXPECT_FALSE(last_page->contains("metadata")) << "jobs 21-25 are the last";
  auto more = cluster.Call("GET", "/api/v1/jobs?limit=5&name=odd&continue=1");
  ASSERT_TRUE(more.ok());
  EXPECT_EQ((*more)["items"].size(), 4u);
  EXPECT_FALSE(more->contains("metadata"));
  auto bad = cluster.Call("GET", "/api/v1/jobs?continue=x");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace drover::testing
