#include "cmd/drover/script_directives.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace drover::cli {
namespace {

using ::testing::ElementsAre;

TEST(SplitShellWordsTest, HandlesQuotesAndEscapes) {
  auto words = SplitShellWords(R"(--job-name="my job" -o 'out %j.txt' a\ b "q\"x")");
  ASSERT_TRUE(words.ok());
  EXPECT_EQ(*words,
            (std::vector<std::string>{"--job-name=my job", "-o", "out %j.txt", "a b", "q\"x"}));
}

TEST(SplitShellWordsTest, UnterminatedQuoteIsAnError) {
  EXPECT_FALSE(SplitShellWords("--name 'oops").ok());
  EXPECT_FALSE(SplitShellWords("--name \"oops").ok());
}

TEST(ExtractDirectivesTest, ReadsSbatchAndDroverLinesUntilTheFirstCommand) {
  auto d = ExtractDirectives(
      "#!/bin/bash\n"
      "# an ordinary comment\n"
      "\n"
      "#SBATCH --array=0-9\n"
      "#SBATCH -c 2   # two cores\n"
      "#DROVER --gang\n"
      "echo hello\n"
      "#SBATCH --mem=1G\n");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->sbatch, (std::vector<std::string>{"--array=0-9", "-c", "2"}));
  EXPECT_EQ(d->drover, (std::vector<std::string>{"--gang"}));
}

TEST(ExtractDirectivesTest, IgnoresLookalikePrefixes) {
  auto d = ExtractDirectives("#SBATCHX --mem=1\n#DROVERS -c 3\n");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->sbatch.empty());
  EXPECT_TRUE(d->drover.empty());
}

TEST(ExtractDirectivesTest, ErrorNamesTheLine) {
  auto d = ExtractDirectives("#!/bin/sh\n#SBATCH --job-name='x\n");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().field(), "line 2");
}

TEST(ParseShebangTest, SplitsInterpreterAndArgument) {
  auto s = ParseShebang("#!/usr/bin/env python3\nprint(1)\n");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->interpreter, "/usr/bin/env");
  EXPECT_EQ(s->argument, "python3");
  auto plain = ParseShebang("#! /bin/bash\n");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->interpreter, "/bin/bash");
  EXPECT_EQ(plain->argument, "");
  EXPECT_FALSE(ParseShebang("echo hi\n").has_value());
}

TEST(ScriptCommandTest, ShellScriptsRunWithDashC) {
  EXPECT_THAT(ScriptCommand("echo $1\n", "/home/a/job.sh", {"x"}),
              ElementsAre("/bin/sh", "-c", "echo $1\n", "/home/a/job.sh", "x"));
  EXPECT_THAT(ScriptCommand("#!/bin/bash -e\necho\n", "job.sh", {}),
              ElementsAre("/bin/bash", "-e", "-c", "#!/bin/bash -e\necho\n", "job.sh"));
  EXPECT_THAT(ScriptCommand("#!/usr/bin/env bash\necho\n", "job.sh", {}),
              ElementsAre("/usr/bin/env", "bash", "-c", "#!/usr/bin/env bash\necho\n", "job.sh"));
}

// Runs argv and returns its standard output.
std::string RunArgv(const std::vector<std::string>& argv, int* exit_code) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> c;
    for (const auto& a : argv) c.push_back(const_cast<char*>(a.c_str()));
    c.push_back(nullptr);
    execv(c[0], c.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(ScriptCommandTest, ShellCommandRunsTheScriptWithItsArguments) {
  int code = -1;
  std::string out = RunArgv(
      ScriptCommand("#!/bin/sh\necho \"$0:$1:$2\"\nexit 3\n", "job.sh", {"a", "b c"}), &code);
  EXPECT_EQ(out, "job.sh:a:b c\n");
  EXPECT_EQ(code, 3);
}

TEST(ScriptCommandTest, OtherInterpretersGetTheScriptAsAFile) {
  // /bin/cat as the interpreter prints the file it is given: the script itself.
  std::string script = "#!/bin/cat\nline two\n";
  auto argv = ScriptCommand(script, "cat-script", {});
  ASSERT_EQ(argv[0], "/bin/sh");
  int code = -1;
  EXPECT_EQ(RunArgv(argv, &code), script);
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace drover::cli
