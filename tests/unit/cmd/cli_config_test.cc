#include "cmd/drover/cli_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace drover::cli {
namespace {

TEST(CliConfigPathsTest, FollowXdgAndFallBackToHome) {
  Environment env;
  env.home = "/home/a";
  EXPECT_EQ(ConfigFilePath(env), "/home/a/.config/drover/config");
  EXPECT_EQ(DefaultStateDir(env), "/home/a/.local/share/drover");
  env.xdg_config_home = "/x/cfg";
  env.xdg_data_home = "/x/data";
  EXPECT_EQ(ConfigFilePath(env), "/x/cfg/drover/config");
  EXPECT_EQ(DefaultStateDir(env), "/x/data/drover");
  env.xdg_config_home = "relative";  // XDG: relative values are ignored
  EXPECT_EQ(ConfigFilePath(env), "/home/a/.config/drover/config");
}

TEST(CliConfigTest, SerializeThenParseRoundTrips) {
  CliConfig c{"unix:/s/droverd.sock", "abc123", "/s"};
  auto back = ParseConfig(SerializeConfig(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->server, c.server);
  EXPECT_EQ(back->token, c.token);
  EXPECT_EQ(back->state_dir, c.state_dir);
}

TEST(CliConfigTest, UnknownKeyIsNamed) {
  auto c = ParseConfig("server: http://h:1\nsevrer: x\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().field(), "sevrer");
}

TEST(ResolveServerTest, EnvironmentWinsOverTheFile) {
  CliConfig file{"unix:/s.sock", "filetoken", "/s"};
  Environment env;
  auto r = ResolveServer(env, file);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server, "unix:/s.sock");
  EXPECT_EQ(r->token, "filetoken");

  env.drover_token = "envtoken";
  r = ResolveServer(env, file);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server, "unix:/s.sock");
  EXPECT_EQ(r->token, "envtoken");

  env.drover_server = "http://127.0.0.1:9";
  env.drover_token.reset();
  r = ResolveServer(env, file);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server, "http://127.0.0.1:9");
  EXPECT_EQ(r->token, "");  // the file's token belongs to another server
}

TEST(ResolveServerTest, NothingConfiguredSaysWhatToDo) {
  auto r = ResolveServer(Environment{}, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("drover up"), std::string::npos);
}

TEST(ConfigFileTest, WritesPrivatelyAndReadsBack) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("drover-cfg-" + std::to_string(::getpid()));
  std::string path = (dir / "sub" / "config").string();
  auto missing = ReadConfigFile(path);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(WriteConfigFile(path, {"unix:/a.sock", "t0k3n", "/a"}).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto read = ReadConfigFile(path);
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->token, "t0k3n");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace drover::cli
