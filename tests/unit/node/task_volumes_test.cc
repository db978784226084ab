// An ordinal's directories on a node: made from a launch, removed on
// droverd's word with nothing outside them touched, whatever a task left
// inside (symlinks to files and directories elsewhere, read-only
// directories), and refused when an entry names a path outside.
#include "daemons/node/task_volumes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace drover::node {
namespace {

namespace fs = std::filesystem;

class TaskVolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/drover-volumes-test-XXXXXX";
    root_ = mkdtemp(tmpl);
    fs::create_directories(root_ + "/state");
    fs::create_directories(root_ + "/outside/dir");
    std::ofstream(root_ + "/outside/file") << "keep";
    std::ofstream(root_ + "/outside/dir/inner") << "keep";
  }
  void TearDown() override { fs::remove_all(root_); }

  Json Volumes() const {
    return Json::array({Json{{"name", "data"}, {"env", "DROVER_VOLUME_DATA"}, {"dir", "db-1"}},
                        Json{{"name", "wal"},
                             {"env", "DROVER_VOLUME_WAL"},
                             {"dir", "db-1"},
                             {"root", root_ + "/shared"}}});
  }

  std::string root_;
};

TEST_F(TaskVolumesTest, RemovingAnOrdinalsDirectoriesFollowsNothingATaskPlantedThere) {
  fs::create_directories(root_ + "/shared");
  auto made = MakeTaskVolumes(Volumes(), root_ + "/state", getuid(), getgid());
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_EQ(made->size(), 2u);
  const std::string data = (*made)[0].second;
  EXPECT_EQ(data, root_ + "/state/volumes/db-1/data");
  fs::create_directories(data + "/a/b/c");
  std::ofstream(data + "/a/b/c/file") << "x";
  fs::create_symlink(root_ + "/outside/file", data + "/file-link");
  fs::create_directory_symlink(root_ + "/outside/dir", data + "/a/dir-link");
  fs::create_directory_symlink(root_ + "/outside", (*made)[1].second + "/up");
  ASSERT_EQ(::chmod((data + "/a/b").c_str(), 0500), 0);  // read-only to its owner
  std::ofstream(root_ + "/state/volumes/keep-me") << "another ordinal's";

  Json removal = Volumes();
  for (Json& v : removal) v.erase("env");
  ASSERT_TRUE(RemoveTaskVolumes(removal, root_ + "/state").ok());
  EXPECT_FALSE(fs::exists(root_ + "/state/volumes/db-1"));
  EXPECT_FALSE(fs::exists(root_ + "/shared/db-1"));
  EXPECT_TRUE(fs::exists(root_ + "/state/volumes/keep-me"));
  EXPECT_TRUE(fs::exists(root_ + "/outside/file"));
  EXPECT_TRUE(fs::exists(root_ + "/outside/dir/inner"));
  EXPECT_TRUE(RemoveTaskVolumes(removal, root_ + "/state").ok()) << "gone already is done";
}

TEST_F(TaskVolumesTest, ARemovalNamingAPathOutsideIsRefused) {
  for (const Json& bad :
       {Json{{"name", ".."}, {"dir", "db-1"}}, Json{{"name", "data"}, {"dir", "../outside"}},
        Json{{"name", "data"}, {"dir", "db-1"}, {"root", "relative"}}, Json{{"dir", "db-1"}}}) {
    Status st = RemoveTaskVolumes(Json::array({bad}), root_ + "/state");
    EXPECT_FALSE(st.ok()) << bad.dump();
    EXPECT_EQ(st.field(), "removeVolumes.volumes") << bad.dump();
  }
  EXPECT_TRUE(fs::exists(root_ + "/outside/file"));
}

}  // namespace
}  // namespace drover::node
