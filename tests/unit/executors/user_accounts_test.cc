#include "executors/user_accounts.h"

#include <gtest/gtest.h>

namespace drover::executors {
namespace {

TEST(UserAccountsTest, RootIsFoundWithItsHomeAndShell) {
  auto root = LookupUser(0);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->name, "root");
  EXPECT_EQ(root->home, "/root");
  EXPECT_FALSE(root->shell.empty());
  // A second lookup comes from the cache and says the same.
  auto again = LookupUser(0);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->name, root->name);
}

TEST(UserAccountsTest, AnUnknownUidIsNotFound) {
  EXPECT_FALSE(LookupUser(3'999'999'999u).has_value());
  EXPECT_FALSE(LookupUser(3'999'999'999u).has_value());
}

}  // namespace
}  // namespace drover::executors
