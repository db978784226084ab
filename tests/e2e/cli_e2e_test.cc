// The drover CLI end to end: `drover up` starts a real droverd and two real
// drover-node processes (synthetic 4-core topologies), the CLI submits real
// programs through the API, and `drover down` leaves nothing running.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/e2e/cli_runner.h"
#include "tests/e2e/drover_up_fixture.h"

namespace drover::e2e {
namespace {

TEST_F(CliEndToEndTest, UpListsTwoReadyNodesOfFourCores) {
  CliResult nodes = Drover({"nodes", "-o", "json"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.Describe();
  Json list = Json::parse(nodes.out);
  ASSERT_EQ(list["items"].size(), 2u) << nodes.out;
  for (const Json& n : list["items"]) {
    EXPECT_EQ(n["status"]["phase"], "Ready");
    EXPECT_EQ(n["status"]["topology"]["cores"].size(), 4u);
  }
  CliResult table = Drover({"nodes"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("node-1"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("0/4"), std::string::npos) << table.out;
}

TEST_F(CliEndToEndTest, WrapJobRunsAndWaitReportsSuccess) {
  CliResult r = Submit({"--wait", "-D", home_, "--wrap", "echo hello > out/hello.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("Succeeded"), std::string::npos) << r.out;
  EXPECT_EQ(ReadWholeFile(home_ + "/out/hello.txt"), "hello\n");
}

TEST_F(CliEndToEndTest, ArrayJobRunsEveryIndexAndIsVisibleInQueueShowAndLogs) {
  CliResult r = Submit({"--array", "0-9", "--wait", "-J", "frames", "-D", home_, "--wrap",
                        "echo $DROVER_TASK_INDEX > out/frame-$DROVER_TASK_INDEX.txt; "
                        "echo rendered frame $DROVER_TASK_INDEX"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  uint64_t id = ParseSubmittedId(r.out);
  ASSERT_NE(id, 0u) << r.out;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ReadWholeFile(home_ + "/out/frame-" + std::to_string(i) + ".txt"),
              std::to_string(i) + "\n");
  }

  CliResult queue = Drover({"queue", "--all", "-o", "json"});
  ASSERT_EQ(queue.exit_code, 0) << queue.Describe();
  bool found = false;
  Json listed = Json::parse(queue.out);
  for (const Json& job : listed["items"]) {
    if (job["metadata"]["id"] == id) {
      found = true;
      EXPECT_EQ(job["metadata"]["name"], "frames");
      EXPECT_EQ(job["status"]["phase"], "Succeeded");
      EXPECT_EQ(job["status"]["succeeded"], 10);
      EXPECT_EQ(job["spec"]["completionMode"], "Indexed");
    }
  }
  EXPECT_TRUE(found) << queue.out;
  // Finished jobs are not in the default (pending and running) view.
  CliResult active = Drover({"queue"});
  ASSERT_EQ(active.exit_code, 0);
  EXPECT_EQ(active.out.find(" frames "), std::string::npos) << active.out;

  CliResult show = Drover({"show", std::to_string(id)});
  ASSERT_EQ(show.exit_code, 0) << show.Describe();
  EXPECT_NE(show.out.find("State: Succeeded"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("Completions: 10"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("CompletedIndexes: 0-9"), std::string::npos) << show.out;

  CliResult logs = Drover({"logs", std::to_string(id) + "/3"});
  ASSERT_EQ(logs.exit_code, 0) << logs.Describe();
  EXPECT_EQ(logs.out, "rendered frame 3\n");
  CliResult slurm_style = Drover({"logs", std::to_string(id) + "_7"});
  EXPECT_EQ(slurm_style.out, "rendered frame 7\n") << slurm_style.Describe();
  CliResult follow = Drover({"logs", "-f", std::to_string(id) + "/5"}, 30s);
  EXPECT_EQ(follow.out, "rendered frame 5\n") << follow.Describe();
}

TEST_F(CliEndToEndTest, LogsFollowStreamsUntilTheTaskEnds) {
  CliResult r =
      Submit({"--parsable", "--wrap", "for i in 1 2 3 4; do echo tick $i; sleep 0.2; done"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::string id = std::to_string(ParseSubmittedId(r.out));
  CliResult follow = Drover({"logs", "-f", id}, 60s);
  EXPECT_EQ(follow.exit_code, 0) << follow.Describe();
  EXPECT_EQ(follow.out, "tick 1\ntick 2\ntick 3\ntick 4\n");
}

TEST_F(CliEndToEndTest, ScriptDirectivesAreHonoured) {
  std::string script = home_ + "/job.sh";
  std::FILE* f = std::fopen(script.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "#!/bin/sh\n#SBATCH --array=0-2\n#SBATCH -J scripted\n"
      "echo \"$1 $DROVER_TASK_INDEX\" > out/script-$DROVER_TASK_INDEX.txt\n",
      f);
  std::fclose(f);
  CliResult r = Submit({"--wait", "job.sh", "arg1"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ReadWholeFile(home_ + "/out/script-" + std::to_string(i) + ".txt"),
              "arg1 " + std::to_string(i) + "\n");
  }
  Json job = ShowJson(ParseSubmittedId(r.out));
  EXPECT_EQ(job["metadata"]["name"], "scripted");
}

TEST_F(CliEndToEndTest, FailingJobMakesWaitExitOne) {
  CliResult r = Submit({"--wait", "--backoff-limit", "0", "--wrap", "exit 3"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.out.find("Failed"), std::string::npos) << r.out;
  Json job = ShowJson(ParseSubmittedId(r.out));
  EXPECT_EQ(job["status"]["phase"], "Failed");
}

TEST_F(CliEndToEndTest, CancelEndsARunningJobCancelled) {
  CliResult r = Submit({"--parsable", "--wrap", "sleep 1000"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  uint64_t id = ParseSubmittedId(r.out);
  ASSERT_TRUE(WaitForPhase(id, "Running"));
  CliResult cancel = Drover({"cancel", std::to_string(id)});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.Describe();
  ASSERT_TRUE(WaitForPhase(id, "Cancelled"));
  // Cancelling a finished job is refused, with the server's reason.
  CliResult again = Drover({"cancel", std::to_string(id)});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_NE(again.err.find("error:"), std::string::npos) << again.err;
}

TEST_F(CliEndToEndTest, HeldJobAndItsDependentRunAfterRelease) {
  CliResult held = Submit({"--parsable", "--hold", "--wrap", "echo first > out/first.txt"});
  ASSERT_EQ(held.exit_code, 0) << held.Describe();
  uint64_t id = ParseSubmittedId(held.out);
  CliResult dependent = Submit({"--parsable", "-d", "afterok:" + std::to_string(id), "--wrap",
                                "cat out/first.txt > out/second.txt"});
  ASSERT_EQ(dependent.exit_code, 0) << dependent.Describe();
  uint64_t second = ParseSubmittedId(dependent.out);
  ASSERT_TRUE(WaitForPhase(id, "Pending"));
  CliResult show = Drover({"show", std::to_string(second)});
  EXPECT_NE(show.out.find("Dependency: afterok:" + std::to_string(id)), std::string::npos)
      << show.out;
  CliResult release = Drover({"release", std::to_string(id)});
  ASSERT_EQ(release.exit_code, 0) << release.Describe();
  ASSERT_TRUE(WaitForPhase(second, "Succeeded"));
  EXPECT_EQ(ReadWholeFile(home_ + "/out/second.txt"), "first\n");
  // A dependency on a job that does not exist is refused with the field.
  CliResult orphan = Submit({"-d", "afterok:99999", "--wrap", "true"});
  EXPECT_EQ(orphan.exit_code, 1) << orphan.Describe();
  EXPECT_NE(orphan.err.find("spec.dependencies[0].job"), std::string::npos) << orphan.err;
}

TEST_F(CliEndToEndTest, BadInputGetsClearErrorsAndExitCodes) {
  CliResult unknown = Drover({"submit", "--no-such-flag", "--wrap", "true"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.Describe();
  EXPECT_NE(unknown.err.find("no-such-flag"), std::string::npos) << unknown.err;

  CliResult zero = Drover({"submit", "--cpus", "0", "--wrap", "true"});
  EXPECT_EQ(zero.exit_code, 1) << zero.Describe();
  EXPECT_NE(zero.err.find("spec.template.resources.cpus"), std::string::npos) << zero.err;

  CliResult huge = Drover({"submit", "--cpus", "10000", "--wrap", "true"});
  EXPECT_EQ(huge.exit_code, 1) << huge.Describe();
  EXPECT_NE(huge.err.find("unschedulable"), std::string::npos) << huge.err;
  EXPECT_NE(huge.err.find("spec.template.resources.cpus"), std::string::npos) << huge.err;

  CliResult missing = Drover({"cancel", "999999"});
  EXPECT_EQ(missing.exit_code, 1) << missing.Describe();
  EXPECT_NE(missing.err.find("999999"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;

  CliResult show_missing = Drover({"show", "999999"});
  EXPECT_EQ(show_missing.exit_code, 1) << show_missing.Describe();

  // Nothing of the refused submissions reached the queue.
  CliResult queue = Drover({"queue", "--all", "-o", "json"});
  ASSERT_EQ(queue.exit_code, 0) << queue.Describe();
  EXPECT_EQ(Json::parse(queue.out)["items"].size(), 0u) << queue.out;
}

TEST_F(CliEndToEndTest, ApplyCreatesTheJobsOfAManifest) {
  std::string manifest = home_ + "/jobs.yaml";
  std::FILE* f = std::fopen(manifest.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "apiVersion: drover.io/v1\nkind: Job\nmetadata: {name: applied}\n"
      "spec:\n  completions: 2\n  parallelism: 2\n  completionMode: Indexed\n"
      "  template:\n    command: [/bin/sh, -c, 'echo a > out/applied-$DROVER_TASK_INDEX']\n"
      "---\n"
      "kind: Job\nmetadata: {name: second}\nspec: {template: {command: [/bin/true]}}\n",
      f);
  std::fclose(f);
  CliResult r = Drover({"apply", "-f", "jobs.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("job/applied created (id "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("job/second created (id "), std::string::npos) << r.out;
  uint64_t id = ParseSubmittedId(r.out.substr(r.out.find("(id ")));
  ASSERT_TRUE(WaitForPhase(id, "Succeeded"));
  EXPECT_EQ(ReadWholeFile(home_ + "/out/applied-1"), "a\n");

  CliResult bad = Drover({"apply", "-f", "-"});  // stdin is /dev/null: no objects
  EXPECT_EQ(bad.exit_code, 1) << bad.Describe();
}

TEST_F(CliEndToEndTest, TheCliIsWhoItIsAndAdminsIssueAndRevokeTokens) {
  // `up` gives the CLI no token: on the socket it is its own user (here root,
  // an admin).
  EXPECT_EQ(ReadWholeFile(home_ + "/.config/drover/config").find("token"), std::string::npos);
  ASSERT_EQ(std::system("id drover-alice >/dev/null 2>&1 || useradd -m drover-alice"), 0);
  CliResult made = Drover({"token", "create", "--user", "drover-alice", "-o", "json"});
  ASSERT_EQ(made.exit_code, 0) << made.Describe();
  Json token = Json::parse(made.out);
  EXPECT_EQ(token["role"], "user");
  EXPECT_NE(token["uid"], 0);
  CliResult listed = Drover({"token", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.Describe();
  EXPECT_NE(listed.out.find(token["id"].get<std::string>()), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find(token["token"].get<std::string>()), std::string::npos)
      << "the secret is never listed";

  // Over TCP with alice's token, the CLI acts as alice.
  Json cluster = Json::parse(ReadWholeFile(state_ + "/cluster.json"));
  const std::vector<std::string> as_alice = {"DROVER_SERVER=" + cluster["http"].get<std::string>(),
                                             "DROVER_TOKEN=" + token["token"].get<std::string>()};
  const std::string out = "/tmp/drv-e2e-alice-" + std::to_string(getpid()) + ".out";
  CliResult submitted = cli_->RunWithEnv({"submit", "--env", "DROVER_E2E_HOME=" + home_, "--chdir",
                                          "/tmp", "-o", out, "--wait", "--wrap", "id -un"},
                                         as_alice);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.Describe();
  uint64_t id = ParseSubmittedId(submitted.out);
  EXPECT_EQ(ShowJson(id)["metadata"]["owner"]["user"], "drover-alice");
  CliResult logs = cli_->RunWithEnv({"logs", std::to_string(id)}, as_alice);
  EXPECT_EQ(logs.out, "drover-alice\n") << logs.Describe();
  std::remove(out.c_str());
  // Alice may not cancel root's job, nor issue tokens.
  CliResult held = Submit({"--hold", "--wrap", "true"});
  ASSERT_EQ(held.exit_code, 0) << held.Describe();
  CliResult cancel =
      cli_->RunWithEnv({"cancel", std::to_string(ParseSubmittedId(held.out))}, as_alice);
  EXPECT_EQ(cancel.exit_code, 1) << cancel.Describe();
  EXPECT_NE(cancel.err.find("owner"), std::string::npos) << cancel.err;
  EXPECT_EQ(cli_->RunWithEnv({"token", "list"}, as_alice).exit_code, 1);

  // Once revoked, the token is refused.
  CliResult revoked = Drover({"token", "revoke", token["id"].get<std::string>()});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.Describe();
  CliResult refused = cli_->RunWithEnv({"queue"}, as_alice);
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_NE(refused.err.find("unknown bearer token"), std::string::npos) << refused.err;
}

TEST_F(CliEndToEndTest, AdminsLabelAndCordonNodesAndPlacementFollows) {
  CliResult nodes = Drover({"nodes", "-o", "json"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.Describe();
  Json items = Json::parse(nodes.out)["items"];
  ASSERT_EQ(items.size(), 2u);
  const std::string a = items[0]["metadata"]["name"], b = items[1]["metadata"]["name"];
  auto labels_of = [&](const std::string& node) {
    CliResult r = Drover({"get", "nodes", node, "-o", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return r.exit_code == 0 ? Json::parse(r.out)["metadata"].value("labels", Json::object())
                            : Json::object();
  };

  CliResult set = Drover({"label", "node", a, "tier=fast", "zone=a"});
  ASSERT_EQ(set.exit_code, 0) << set.Describe();
  EXPECT_EQ(labels_of(a)["tier"], "fast");
  // A label with a value changes only with --overwrite; a refusal changes nothing.
  CliResult clash = Drover({"label", "node", a, "tier=slow", "zone-"});
  EXPECT_EQ(clash.exit_code, 1) << clash.Describe();
  EXPECT_NE(clash.err.find("already has a value (fast)"), std::string::npos) << clash.err;
  EXPECT_EQ(labels_of(a)["zone"], "a");
  CliResult bad = Drover({"label", "node", a, "bad key=x"});
  EXPECT_EQ(bad.exit_code, 1) << bad.Describe();
  EXPECT_NE(bad.err.find("metadata.labels.bad key"), std::string::npos) << bad.err;
  EXPECT_EQ(Drover({"label", "node", a, "tier"}).exit_code, 2) << "neither KEY=VALUE nor KEY-";
  CliResult overwrite = Drover({"label", "node/" + a, "tier=gold", "zone-", "--overwrite"});
  ASSERT_EQ(overwrite.exit_code, 0) << overwrite.Describe();
  Json now = labels_of(a);
  EXPECT_EQ(now["tier"], "gold");
  EXPECT_FALSE(now.contains("zone"));
  EXPECT_TRUE(now.contains("drover.io/cores")) << "the agent's own labels stay";
  EXPECT_EQ(Drover({"label", "node", "no-such-node", "x=y"}).exit_code, 1);
  // Several nodes at once, as kubectl label nodes A B KEY=VALUE.
  CliResult both = Drover({"label", "nodes", a, b, "rack=r1"});
  ASSERT_EQ(both.exit_code, 0) << both.Describe();
  EXPECT_EQ(labels_of(a)["rack"], "r1");
  EXPECT_EQ(labels_of(b)["rack"], "r1");
  ASSERT_EQ(Drover({"label", "nodes", a, b, "rack-"}).exit_code, 0);
  EXPECT_FALSE(labels_of(b).contains("rack"));

  // A Deployment selecting the label runs only on that node.
  const std::string manifest = home_ + "/gold.yaml";
  {
    std::ofstream f(manifest);
    f << "kind: Deployment\nmetadata: {name: gold}\nspec:\n  replicas: 2\n"
         "  nodeSelector: {tier: gold}\n  template:\n"
         "    command: [sleep, '300']\n    env: {DROVER_E2E_HOME: '"
      << home_ << "'}\n";
  }
  CliResult applied = Drover({"apply", "-f", manifest});
  ASSERT_EQ(applied.exit_code, 0) << applied.Describe();
  CliResult rolled = Drover({"rollout", "status", "deployment/gold", "--timeout", "60"});
  ASSERT_EQ(rolled.exit_code, 0) << rolled.Describe();
  CliResult tasks = Drover({"get", "tasks", "-l", "deployment=gold", "-o", "json"});
  ASSERT_EQ(tasks.exit_code, 0) << tasks.Describe();
  int on_gold = 0;
  const Json listed_tasks = Json::parse(tasks.out);
  for (const Json& t : listed_tasks["items"]) {
    if (t["spec"].value("owner", Json::object()).value("name", "") != "gold") continue;
    if (t["status"]["phase"] == "Running") {
      EXPECT_EQ(t["spec"]["node"], a);
      ++on_gold;
    }
  }
  EXPECT_EQ(on_gold, 2) << tasks.out;
  // describe node: its labels and the replicas it holds.
  CliResult described = Drover({"describe", "node", a});
  ASSERT_EQ(described.exit_code, 0) << described.Describe();
  EXPECT_NE(described.out.find("tier=gold"), std::string::npos) << described.out;
  // Its two replicas, beside the built-in daemons every node runs.
  size_t gold_lines = 0;
  for (size_t at = 0; (at = described.out.find("deployment/gold", at)) != std::string::npos; ++at) {
    ++gold_lines;
  }
  EXPECT_EQ(gold_lines, 2u) << described.out;
  EXPECT_NE(described.out.find("daemonset/drover-log-shipper"), std::string::npos) << described.out;
  EXPECT_EQ(Drover({"describe", "node/no-such-node"}).exit_code, 1);
  ASSERT_EQ(Drover({"delete", "deployment/gold"}).exit_code, 0);

  // Cordoned nodes take no new task; what waits runs once one is uncordoned.
  ASSERT_EQ(Drover({"cordon", a}).exit_code, 0);
  ASSERT_EQ(Drover({"cordon", b}).exit_code, 0);
  CliResult listed = Drover({"nodes"});
  EXPECT_NE(listed.out.find("Cordoned"), std::string::npos) << listed.out;
  EXPECT_NE(Drover({"describe", "node/" + a}).out.find("Ready,Cordoned"), std::string::npos);
  CliResult waiting = Submit({"--wrap", "true"});
  ASSERT_EQ(waiting.exit_code, 0) << waiting.Describe();
  const uint64_t id = ParseSubmittedId(waiting.out);
  // A pass has looked at it (it has a pending reason) and left it waiting.
  Json job;
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       std::chrono::steady_clock::now() < deadline;) {
    job = ShowJson(id);
    if (!job["status"].value("reasons", Json::array()).empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(job["status"]["phase"], "Pending") << job.dump();
  EXPECT_FALSE(job["status"].value("reasons", Json::array()).empty()) << job.dump();
  ASSERT_EQ(Drover({"uncordon", b}).exit_code, 0);
  EXPECT_TRUE(WaitForPhase(id, "Succeeded"));
  ASSERT_EQ(Drover({"uncordon", a}).exit_code, 0);
  // A drain waits until nothing runs there (here: nothing did).
  CliResult drained = Drover({"drain", b, "--timeout", "60"});
  ASSERT_EQ(drained.exit_code, 0) << drained.Describe();
  EXPECT_NE(drained.out.find("node/" + b + " drained"), std::string::npos) << drained.out;
  EXPECT_NE(Drover({"nodes"}).out.find("Drained"), std::string::npos);
  ASSERT_EQ(Drover({"uncordon", b}).exit_code, 0);

  // Only admins change nodes.
  ASSERT_EQ(std::system("id drover-alice >/dev/null 2>&1 || useradd -m drover-alice"), 0);
  CliResult made = Drover({"token", "create", "--user", "drover-alice", "-o", "json"});
  ASSERT_EQ(made.exit_code, 0) << made.Describe();
  Json cluster = Json::parse(ReadWholeFile(state_ + "/cluster.json"));
  const std::vector<std::string> as_alice = {
      "DROVER_SERVER=" + cluster["http"].get<std::string>(),
      "DROVER_TOKEN=" + Json::parse(made.out)["token"].get<std::string>()};
  for (const std::vector<std::string>& verb :
       {std::vector<std::string>{"label", "node", a, "mine=yes"}, {"cordon", a}, {"drain", a}}) {
    CliResult refused = cli_->RunWithEnv(verb, as_alice);
    EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
    EXPECT_NE(refused.err.find("only an admin"), std::string::npos) << refused.err;
  }
  EXPECT_FALSE(labels_of(a).contains("mine"));
}

TEST_F(CliEndToEndTest, AJobIsReferredToByItsNameWhileTheNameIsUnique) {
  CliResult first = Submit({"--hold", "-J", "nightly", "--wrap", "true"});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();
  const uint64_t id = ParseSubmittedId(first.out);
  CliResult shown = Drover({"show", "nightly", "-o", "json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.Describe();
  EXPECT_EQ(Json::parse(shown.out)["metadata"]["id"], id);
  CliResult got = Drover({"get", "jobs", "nightly", "-o", "json"});
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  EXPECT_EQ(Json::parse(got.out)["metadata"]["id"], id);
  // A second job of that name: the name no longer says which, and nothing happens.
  CliResult second = Submit({"--hold", "-J", "nightly", "--wrap", "true"});
  ASSERT_EQ(second.exit_code, 0) << second.Describe();
  CliResult ambiguous = Drover({"release", "nightly"});
  EXPECT_EQ(ambiguous.exit_code, 1) << ambiguous.Describe();
  EXPECT_NE(ambiguous.err.find("2 jobs are named \"nightly\""), std::string::npos) << ambiguous.err;
  EXPECT_EQ(ShowJson(id)["spec"].value("hold", false), true) << "still held";
  CliResult missing = Drover({"cancel", "no-such-job"});
  EXPECT_EQ(missing.exit_code, 1) << missing.Describe();
  EXPECT_NE(missing.err.find("no job is named \"no-such-job\""), std::string::npos) << missing.err;
  // By id each is still reachable.
  ASSERT_EQ(Drover({"cancel", std::to_string(id), std::to_string(ParseSubmittedId(second.out))})
                .exit_code,
            0);
}

// examples/email-workers.yaml as its comment says to run it: a work queue of
// 4 workers sends each of the 200 mails once, and the Job succeeds.
TEST_F(CliEndToEndTest, TheEmailWorkersExampleSendsEveryMailOnce) {
  CliResult r =
      Drover({"apply", "-f", std::string(DROVER_E2E_EXAMPLES) + "/email-workers.yaml", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::ifstream in(home_ + "/sent.log");
  std::set<std::string> rcpts;
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    rcpts.insert(line.substr(line.find(" sent to ") + 9));
  }
  EXPECT_EQ(lines, 200);
  EXPECT_EQ(rcpts.size(), 200u);
}

TEST_F(CliEndToEndTest, SecondUpOnTheSameStateDirIsRefused) {
  CliResult again = Drover({"up", "--nodes", "1", "--state-dir", state_});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_NE(again.err.find("already running"), std::string::npos) << again.err;
}

TEST_F(CliEndToEndTest, DownStopsRunningTasksToo) {
  CliResult r = Submit({"--parsable", "--array", "0-3", "--wrap", "sleep 1000"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_TRUE(WaitForPhase(ParseSubmittedId(r.out), "Running"));
  // TearDown runs `drover down` and checks that no process is left.
}

}  // namespace
}  // namespace drover::e2e

namespace drover::e2e {
namespace {

// The CLI's behaviour when no cluster is there: clear messages and the
// documented exit codes (2 usage, 3 unreachable). Needs only the drover binary.
class CliWithoutClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string drover = BinDir() + "/drover";
    ASSERT_TRUE(Executable(drover)) << drover << " is missing";
    home_ = MakeTempDir("drv-cli-");
    cli_ = std::make_unique<CliRunner>(drover, home_);
  }
  void TearDown() override { RemoveTree(home_); }

  std::string home_;
  std::unique_ptr<CliRunner> cli_;
};

TEST_F(CliWithoutClusterTest, EveryVerbHasHelp) {
  for (const char* verb :
       {"up", "down", "submit", "apply", "queue", "ls", "show", "cancel", "hold", "release",
        "nodes", "logs", "token", "label", "cordon", "uncordon", "drain"}) {
    CliResult r = cli_->Run({verb, "--help"});
    EXPECT_EQ(r.exit_code, 0) << verb << ": " << r.Describe();
    EXPECT_NE(r.out.find("Usage: drover"), std::string::npos) << verb << ": " << r.out;
  }
  EXPECT_EQ(cli_->Run({"--help"}).exit_code, 0);
}

TEST_F(CliWithoutClusterTest, UsageErrorsExitTwo) {
  EXPECT_EQ(cli_->Run({}).exit_code, 2);
  EXPECT_EQ(cli_->Run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(cli_->Run({"queue", "--bogus"}).exit_code, 2);
  EXPECT_EQ(cli_->Run({"queue", "-o", "xml"}).exit_code, 2);
  EXPECT_EQ(cli_->Run({"show"}).exit_code, 2);
  EXPECT_EQ(cli_->Run({"logs", "a b"}).exit_code, 2);  // neither an id nor a name
  EXPECT_EQ(cli_->Run({"submit"}).exit_code, 2);       // neither script nor --wrap
  CliResult mem = cli_->Run({"submit", "--mem", "lots", "--wrap", "true"});
  EXPECT_EQ(mem.exit_code, 2) << mem.Describe();
  EXPECT_NE(mem.err.find("--mem"), std::string::npos) << mem.err;
}

TEST_F(CliWithoutClusterTest, NoClusterConfiguredSaysHowToStartOne) {
  CliResult r = cli_->Run({"queue"});
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  EXPECT_NE(r.err.find("no cluster configured: run `drover up` or set DROVER_SERVER"),
            std::string::npos)
      << r.err;
}

TEST_F(CliWithoutClusterTest, UnreachableServerExitsThree) {
  // A config naming a socket nobody listens on.
  std::filesystem::create_directories(home_ + "/.config/drover");
  std::FILE* f = std::fopen((home_ + "/.config/drover/config").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(("server: unix:" + home_ + "/nobody.sock\n").c_str(), f);
  std::fclose(f);
  CliResult r = cli_->Run({"nodes"});
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  EXPECT_NE(r.err.find("cannot reach droverd"), std::string::npos) << r.err;
  CliResult down = cli_->Run({"down"});  // nothing recorded: nothing to stop
  EXPECT_EQ(down.exit_code, 0) << down.Describe();
}

}  // namespace
}  // namespace drover::e2e
