// GET /api/v1/history: accounting records, as sacct reads them. The live
// records (jobs droverd still runs or finishes) come from the state thread,
// the rest from the job_history table through the HistoryReader; a record
// in both is the live one unless the table's has ended since (it is newer).
//
// Parameters: jobs, users, accounts, partitions, states, names (comma
// lists), since and until (Unix ms: ended at or after, submitted at or
// before), steps=false (jobs and array tasks only), limit.
#include <algorithm>
#include <map>

#include "api/http_client.h"
#include "api/query_params.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/history_reader.h"
#include "daemons/droverd/state_loop.h"

namespace drover::droverd {
namespace {

Result<HistoryQuery> ParseQuery(const QueryParams& params) {
  DROVER_RETURN_IF_ERROR(
      CheckKnownParams(params, {"jobs", "users", "accounts", "partitions", "states", "names",
                                "since", "until", "steps", "limit"}));
  HistoryQuery q;
  for (const std::string& word : QueryList(params, "jobs")) {
    const bool digits =
        !word.empty() && word.size() <= 19 && std::all_of(word.begin(), word.end(), ::isdigit);
    if (!digits) return Status::Invalid("jobs", "\"" + word + "\" is not a job id");
    q.job_ids.push_back(std::stoull(word));
  }
  q.users = QueryList(params, "users");
  q.accounts = QueryList(params, "accounts");
  q.partitions = QueryList(params, "partitions");
  q.names = QueryList(params, "names");
  q.states = QueryList(params, "states");
  for (std::string& s : q.states) std::transform(s.begin(), s.end(), s.begin(), ::toupper);
  auto since = QueryInt(params, "since", 0, 0, INT64_MAX);
  if (!since.ok()) return since.status();
  q.ended_after_ms = *since;
  auto until = QueryInt(params, "until", 0, 0, INT64_MAX);
  if (!until.ok()) return until.status();
  q.submitted_before_ms = *until;
  auto steps = QueryChoice(params, "steps", "true", {"true", "false"});
  if (!steps.ok()) return steps.status();
  q.steps = *steps == "true";
  auto limit = QueryInt(params, "limit", 0, 1, INT64_MAX);
  if (!limit.ok()) return limit.status();
  q.limit = *limit;
  return q;
}

// The table's rows with the live records laid over them, in sacct's order.
std::vector<HistoryRecord> Merge(std::vector<HistoryRecord> stored, std::vector<HistoryRecord> live,
                                 int64_t limit) {
  std::map<std::string, HistoryRecord> by_id;
  for (HistoryRecord& r : stored) by_id.emplace(r.id, std::move(r));
  for (HistoryRecord& r : live) {
    auto it = by_id.find(r.id);
    const bool ended_since = it != by_id.end() && r.end_ms == 0 && it->second.end_ms > 0 &&
                             it->second.state != "REQUEUED";
    if (it == by_id.end()) {
      by_id.emplace(r.id, std::move(r));
    } else if (!ended_since) {
      it->second = std::move(r);
    }
  }
  std::vector<HistoryRecord> out;
  out.reserve(by_id.size());
  for (auto& [id, r] : by_id) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(), HistoryOrder);
  if (limit > 0 && static_cast<int64_t>(out.size()) > limit) out.resize(limit);
  return out;
}

HttpResponse Answer(const std::vector<HistoryRecord>& records) {
  Json items = Json::array();
  for (const HistoryRecord& r : records) items.push_back(ToJson(r));
  return JsonResponse(200, Json{{"items", std::move(items)}});
}

}  // namespace

void HandleHistoryRoute(const ApiContext& ctx, const HttpRequest& req, HttpResponder respond) {
  if (req.method != "GET") return respond(NotFoundResponse(req));
  auto query = ParseQuery(req.query);
  if (!query.ok()) return respond(ErrorResponse(query.status()));
  HistoryReader* reader = ctx.history;
  ctx.loop->PostRead([q = *query, reader, respond](const ClusterState& state) {
    std::vector<HistoryRecord> live = state.LiveHistory(q);
    if (reader == nullptr) return respond(Answer(Merge({}, std::move(live), q.limit)));
    reader->Query(q, [live = std::move(live), limit = q.limit,
                      respond](Result<std::vector<HistoryRecord>> stored) mutable {
      if (!stored.ok()) return respond(ErrorResponse(stored.status()));
      respond(Answer(Merge(std::move(*stored), std::move(live), limit)));
    });
  });
}

}  // namespace drover::droverd
