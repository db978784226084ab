// sacct and `drover history`: the accounting records droverd keeps (its live
// jobs, and the job_history table beyond jobs.retention), with sacct's
// options and output, or a Drover table.
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "api/history.h"
#include "api/query_params.h"
#include "api/url_encoding.h"
#include "cmd/drover/api_session.h"
#include "cmd/drover/exit_code.h"
#include "cmd/drover/sacct_format.h"
#include "cmd/drover/slurm_cli.h"
#include "cmd/drover/submit_options.h"
#include "cmd/drover/table.h"
#include "cmd/drover/text_format.h"
#include "cmd/drover/verb_common.h"
#include "cmd/drover/verbs.h"

namespace drover::cli {
namespace {

int64_t MidnightToday(int64_t now_ms) {
  const time_t t = static_cast<time_t>(now_ms / 1000);
  struct tm local;
  localtime_r(&t, &local);
  local.tm_hour = local.tm_min = local.tm_sec = 0;
  local.tm_isdst = -1;
  return static_cast<int64_t>(mktime(&local)) * 1000;
}

// sacct's -S/-E times: --begin's forms, plus "now-N[unit]" and
// midnight/today; a bare time of day is today's, even when still to come.
Result<int64_t> ParseSacctTime(const std::string& text, int64_t now_ms, const char* option) {
  if (text == "midnight" || text == "today") return MidnightToday(now_ms);
  if (text.rfind("now-", 0) == 0) {
    auto ahead = ParseBeginTime("now+" + text.substr(4), now_ms);
    if (!ahead.ok()) return Status::Invalid(option, ahead.status().message());
    return now_ms - (*ahead - now_ms);
  }
  auto t = ParseBeginTime(text, now_ms);
  if (!t.ok()) return Status::Invalid(option, t.status().message());
  const bool time_of_day =
      text.find('-') == std::string::npos && text.find(':') != std::string::npos;
  return time_of_day && *t > now_ms ? *t - 86'400'000 : *t;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

Result<std::vector<HistoryRecord>> FetchHistory(ApiSession& session, const HistoryQuery& q) {
  std::string target = "/api/v1/history?steps=" + std::string(q.steps ? "true" : "false");
  const auto param = [&](const char* name, const std::string& value) {
    if (!value.empty()) target += std::string("&") + name + "=" + PercentEncode(value);
  };
  std::vector<std::string> ids;
  for (uint64_t id : q.job_ids) ids.push_back(std::to_string(id));
  param("jobs", Joined(ids));
  param("users", Joined(q.users));
  param("accounts", Joined(q.accounts));
  param("partitions", Joined(q.partitions));
  param("states", Joined(q.states));
  param("names", Joined(q.names));
  if (q.ended_after_ms > 0) param("since", std::to_string(q.ended_after_ms));
  if (q.submitted_before_ms > 0) param("until", std::to_string(q.submitted_before_ms));
  if (q.limit > 0) param("limit", std::to_string(q.limit));
  auto answer = session.GetJson(target);
  if (!answer.ok()) return answer.status();
  std::vector<HistoryRecord> out;
  const Json items = answer->value("items", Json::array());
  for (size_t i = 0; i < items.size(); ++i) {
    auto r = HistoryRecordFromJson(items[i], "items[" + std::to_string(i) + "]");
    if (!r.ok())
      return Status::Internal("droverd sent a malformed record: " + r.status().ToString());
    out.push_back(std::move(*r));
  }
  return out;
}

// -j's words: a job ("12"), an array task ("12_3"), a step ("12.0",
// "12_3.batch"). The server selects by job id; the rest is matched here.
struct JobSelector {
  uint64_t job = 0;
  std::string rest;  // "" (the whole job), "_3", ".0", "_3.batch"
};

Result<std::vector<JobSelector>> ParseJobSelectors(const std::string& list) {
  std::vector<JobSelector> out;
  for (const std::string& word : SplitCommaList(list)) {
    size_t digits = 0;
    while (digits < word.size() && std::isdigit(static_cast<unsigned char>(word[digits]))) {
      ++digits;
    }
    if (digits == 0 || digits > 19 ||
        (digits < word.size() && word[digits] != '_' && word[digits] != '.')) {
      return Status::Invalid("--jobs", "\"" + word + "\" is not a job id (want 12, 12_3 or 12.0)");
    }
    out.push_back({std::stoull(word.substr(0, digits)), word.substr(digits)});
  }
  return out;
}

bool Selected(const std::vector<JobSelector>& selectors, const HistoryRecord& r) {
  if (selectors.empty()) return true;
  const std::string id_rest = r.id.substr(std::to_string(r.job_id).size());
  for (const JobSelector& s : selectors) {
    if (s.job != r.job_id) continue;
    if (s.rest.empty()) return true;
    // "12_3" selects the array task and its steps; "12.0" exactly that step.
    if (id_rest == s.rest) return true;
    if (s.rest[0] == '_' && id_rest.rfind(s.rest + ".", 0) == 0) return true;
  }
  return false;
}

}  // namespace

int RunSacct(const Args& args) {
  po::options_description desc("sacct options");
  // clang-format off
  desc.add_options()
      ("jobs,j", po::value<std::string>(), "jobs, array tasks or steps: 12,13_2,14.0")
      ("user,u", po::value<std::string>(), "these users' jobs (default: your own)")
      ("allusers,a", po::bool_switch(), "every user's jobs")
      ("accounts,A", po::value<std::string>(), "these accounts' jobs")
      ("partition,r", po::value<std::string>(), "these partitions' jobs")
      ("name", po::value<std::string>(), "jobs of these names")
      ("state,s", po::value<std::string>(), "in these states: CD,F,CA,TO,OOM,NF,PD,R,RQ")
      ("starttime,S", po::value<std::string>(), "ended at or after (default: midnight)")
      ("endtime,E", po::value<std::string>(), "submitted at or before (default: now)")
      ("allocations,X", po::bool_switch(), "jobs and array tasks only, no steps")
      ("format,o", po::value<std::string>(), "fields: jobid,jobname%30,state (--helpformat)")
      ("brief,b", po::bool_switch(), "jobid,state,exitcode")
      ("long,l", po::bool_switch(), "many fields")
      ("parsable,p", po::bool_switch(), "fields joined by |, with a trailing |")
      ("parsable2,P", po::bool_switch(), "fields joined by |")
      ("delimiter", po::value<std::string>(), "the -p/-P delimiter")
      ("noheader,n", po::bool_switch(), "no header")
      ("helpformat,e", po::bool_switch(), "list the fields")
      ("duplicates,D", po::bool_switch(), "accepted: a requeued job's record is its last run")
      ("allclusters,L", po::bool_switch(), "accepted: there is one cluster")
      ("units", po::value<std::string>(), "accepted: MaxRSS is in K");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseSlurmArgs("sacct", "sacct [options]", desc, args, &vm)) return *exit;
  if (!PositionalArgs(vm).empty()) {
    return SlurmError("sacct", "unexpected argument \"" + PositionalArgs(vm).front() + "\"");
  }
  if (vm["helpformat"].as<bool>()) {
    int n = 0;
    for (const std::string& name : SacctFieldNames()) {
      std::cout << name
                << (++n % 5 == 0 ? "\n" : std::string(20 - std::min<size_t>(19, name.size()), ' '));
    }
    if (n % 5 != 0) std::cout << "\n";
    return kExitOk;
  }
  std::string format = kSacctDefaultFormat;
  if (const char* env = std::getenv("SACCT_FORMAT"); env != nullptr && *env != '\0') format = env;
  if (vm["brief"].as<bool>()) format = kSacctBriefFormat;
  if (vm["long"].as<bool>()) format = kSacctLongFormat;
  if (vm.count("format")) format = vm["format"].as<std::string>();
  auto fields = ParseSacctFormat(format);
  if (!fields.ok()) return SlurmError("sacct", fields.status().message());
  SacctStyle style;
  style.parsable = vm["parsable"].as<bool>() || vm["parsable2"].as<bool>();
  style.trailing_delimiter = vm["parsable"].as<bool>();
  if (vm.count("delimiter")) style.delimiter = vm["delimiter"].as<std::string>();

  const int64_t now = NowMs();
  HistoryQuery q;
  std::vector<JobSelector> selectors;
  if (vm.count("jobs")) {
    auto parsed = ParseJobSelectors(vm["jobs"].as<std::string>());
    if (!parsed.ok()) return SlurmError("sacct", parsed.status().message());
    selectors = std::move(*parsed);
    for (const JobSelector& s : selectors) q.job_ids.push_back(s.job);
  }
  for (const std::string& u : CommaList(vm, "user")) q.users.push_back(u);
  for (const std::string& a : CommaList(vm, "accounts")) q.accounts.push_back(a);
  for (const std::string& p : CommaList(vm, "partition")) q.partitions.push_back(p);
  for (const std::string& n : CommaList(vm, "name")) q.names.push_back(n);
  // Slurm's default: your own jobs, unless root, --allusers, -u or -j.
  if (q.users.empty() && q.job_ids.empty() && !vm["allusers"].as<bool>() && geteuid() != 0) {
    q.users.push_back(CurrentUserName());
  }
  if (vm.count("state")) {
    auto states = ParseSacctStates(vm["state"].as<std::string>());
    if (!states.ok()) return SlurmError("sacct", states.status().message());
    q.states = std::move(*states);
  }
  if (vm.count("starttime")) {
    auto t = ParseSacctTime(vm["starttime"].as<std::string>(), now, "--starttime");
    if (!t.ok()) return SlurmError("sacct", t.status().message());
    q.ended_after_ms = *t;
  } else if (q.job_ids.empty()) {
    q.ended_after_ms = MidnightToday(now);  // Slurm's default window: today
  }
  if (vm.count("endtime")) {
    auto t = ParseSacctTime(vm["endtime"].as<std::string>(), now, "--endtime");
    if (!t.ok()) return SlurmError("sacct", t.status().message());
    q.submitted_before_ms = *t;
  }
  q.steps = !vm["allocations"].as<bool>();

  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return SlurmError("sacct", FormatError(session.status()));
  auto records = FetchHistory(*session, q);
  if (!records.ok()) return SlurmError("sacct", FormatError(records.status()));
  std::string out = vm["noheader"].as<bool>() ? "" : SacctHeader(*fields, style);
  for (const HistoryRecord& r : *records) {
    if (Selected(selectors, r)) out += SacctLine(*fields, style, r, now);
  }
  std::cout << out;
  return kExitOk;
}

int RunHistory(const Args& args) {
  static const VerbInfo info{
      "history", "drover history [JOB...] [--user U | --all] [--since T] [--state S]",
      "Finished and running jobs, array tasks and steps, from droverd's accounting history\n"
      "(kept beyond jobs.retention; sacct reads the same records)."};
  po::options_description desc("history options");
  // clang-format off
  desc.add_options()
      ("user", po::value<std::string>(), "these users' jobs (default: your own)")
      ("all", po::bool_switch(), "every user's jobs")
      ("since", po::value<std::string>(), "ended at or after: now-2days, 2026-12-01 (default: a week)")
      ("state", po::value<std::string>(), "in these states: COMPLETED,FAILED,CD,F,...")
      ("steps", po::bool_switch(), "steps and batch scripts too")
      ("limit", po::value<int64_t>(), "at most this many records")
      ("output,o", po::value<std::string>()->default_value("table"), "table or json");
  // clang-format on
  po::variables_map vm;
  if (auto exit = ParseVerbArgs(info, desc, args, true, &vm)) return *exit;
  const int64_t now = NowMs();
  HistoryQuery q;
  for (const std::string& word : PositionalArgs(vm)) {
    auto selectors = ParseJobSelectors(word);
    if (!selectors.ok()) return ReportUsage("history", selectors.status().message());
    for (const JobSelector& s : *selectors) q.job_ids.push_back(s.job);
  }
  for (const std::string& u : CommaList(vm, "user")) q.users.push_back(u);
  if (q.users.empty() && q.job_ids.empty() && !vm["all"].as<bool>()) {
    q.users.push_back(CurrentUserName());
  }
  if (vm.count("state")) {
    auto states = ParseSacctStates(vm["state"].as<std::string>());
    if (!states.ok()) return ReportUsage("history", states.status().message());
    q.states = std::move(*states);
  }
  if (vm.count("since")) {
    auto t = ParseSacctTime(vm["since"].as<std::string>(), now, "--since");
    if (!t.ok()) return ReportUsage("history", t.status().message());
    q.ended_after_ms = *t;
  } else if (q.job_ids.empty()) {
    q.ended_after_ms = now - 7 * 86'400'000LL;
  }
  q.steps = vm["steps"].as<bool>();
  if (vm.count("limit")) q.limit = std::max<int64_t>(1, vm["limit"].as<int64_t>());
  const std::string output = vm["output"].as<std::string>();
  if (output != "table" && output != "json") {
    return ReportUsage("history", "--output: want table or json (got \"" + output + "\")");
  }
  auto session = ApiSession::FromEnvironment();
  if (!session.ok()) return ReportError(session.status());
  auto records = FetchHistory(*session, q);
  if (!records.ok()) return ReportError(records.status());
  if (output == "json") {
    Json items = Json::array();
    for (const HistoryRecord& r : *records) items.push_back(ToJson(r));
    std::cout << Json{{"items", std::move(items)}}.dump(2) << "\n";
    return kExitOk;
  }
  Table table(
      {"ID", "NAME", "USER", "STATE", "EXIT", "START", "ELAPSED", "CPUS", "MAXRSS", "NODES"});
  for (const HistoryRecord& r : *records) {
    const int64_t end = r.end_ms > 0 ? r.end_ms : now;
    table.AddRow({r.id, r.name, r.IsStep() ? "" : r.user, r.state,
                  std::to_string(r.exit_code) + (r.signal ? ":" + std::to_string(r.signal) : ""),
                  FormatLocalTime(r.start_ms),
                  r.start_ms > 0 ? FormatElapsed((end - r.start_ms) / 1000) : "",
                  std::to_string(r.alloc_cpus),
                  r.max_rss_kb > 0 ? FormatBytes(r.max_rss_kb * 1024) : "", r.nodelist});
  }
  std::cout << table.Render();
  return kExitOk;
}

}  // namespace drover::cli
