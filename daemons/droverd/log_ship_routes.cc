// POST /api/v1/nodes/NODE/logs: the built-in log shipper of NODE hands over
// chunks of its tasks' logs (api/log_chunks.h), which go to the log store.
// Each chunk's task must be one droverd knows to run, or have run, on NODE:
// a node's shipper cannot write another node's logs.
#include "api/http_client.h"
#include "api/log_chunks.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/log_store.h"

namespace drover::droverd {

void ShipLogs(const ApiContext& ctx, const std::string& node, HttpRequest& req,
              HttpResponder respond) {
  if (ctx.log_store == nullptr) {
    return respond(ErrorResponse(Status::Unavailable("this droverd keeps no log store")));
  }
  auto chunks = DecodeLogChunks(req.body);
  if (!chunks.ok()) return respond(ErrorResponse(chunks.status()));
  ctx.loop->PostRead(
      [ctx, node, chunks = std::move(*chunks), respond](const ClusterState& state) mutable {
        // acks[i] answers chunks[i]; the store fills in those it takes.
        auto acks = std::make_shared<std::vector<Json>>(chunks.size());
        std::vector<size_t> taken;
        std::vector<LogChunk> to_store;
        for (size_t i = 0; i < chunks.size(); ++i) {
          const Task* task = state.FindTask(chunks[i].task);
          if (task == nullptr || task->spec.node != node) {
            // Forgotten, or never here: the shipper stops sending it.
            (*acks)[i] = {{"task", chunks[i].task},
                          {"size", 0},
                          {"skip", true},
                          {"error", task == nullptr ? "droverd does not know this task"
                                                    : "the task ran on another node"}};
            continue;
          }
          taken.push_back(i);
          to_store.push_back(std::move(chunks[i]));
        }
        auto answer = [acks, respond](std::vector<size_t> taken, std::vector<LogAck> stored) {
          for (size_t k = 0; k < taken.size() && k < stored.size(); ++k) {
            Json a = {{"task", stored[k].task}, {"size", stored[k].size}};
            if (!stored[k].error.empty()) a["error"] = stored[k].error;
            (*acks)[taken[k]] = std::move(a);
          }
          respond(JsonResponse(200, Json{{"acks", std::move(*acks)}}));
        };
        if (to_store.empty()) return answer({}, {});
        bool queued = ctx.log_store->Submit(
            std::move(to_store),
            [answer, taken](std::vector<LogAck> stored) { answer(taken, std::move(stored)); });
        if (!queued) {
          respond(ErrorResponse(
              Status::Unavailable("the log store is busy writing; send again in a moment")));
        }
      });
}

}  // namespace drover::droverd
