#include "daemons/node/pmix_server.h"

#include <pmix.h>
#include <pmix_server.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <optional>

namespace drover::node {
namespace {

std::atomic<PmixServer*> g_server{nullptr};

std::string PmixError(const char* what, pmix_status_t rc) {
  return std::string(what) + ": " + PMIx_Error_string(rc);
}

// A list of pmix_info_t built one key at a time, freed with it.
class InfoList {
 public:
  ~InfoList() {
    for (pmix_info_t& i : items_) PMIX_INFO_DESTRUCT(&i);
  }
  void Add(const char* key, const void* value, pmix_data_type_t type) {
    items_.emplace_back();
    PMIX_INFO_CONSTRUCT(&items_.back());
    PMIx_Info_load(&items_.back(), key, value, type);
  }
  void AddString(const char* key, const std::string& v) { Add(key, v.c_str(), PMIX_STRING); }
  void AddUint32(const char* key, uint32_t v) { Add(key, &v, PMIX_UINT32); }
  // Moves `inner` into one PMIX_DATA_ARRAY value under `key` (PMIX_PROC_DATA).
  void AddArray(const char* key, InfoList&& inner) {
    pmix_data_array_t* array = nullptr;
    PMIX_DATA_ARRAY_CREATE(array, inner.items_.size(), PMIX_INFO);
    auto* out = static_cast<pmix_info_t*>(array->array);
    for (size_t i = 0; i < inner.items_.size(); ++i) PMIx_Info_xfer(&out[i], &inner.items_[i]);
    items_.emplace_back();
    PMIX_INFO_CONSTRUCT(&items_.back());
    std::strncpy(items_.back().key, key, PMIX_MAX_KEYLEN);
    items_.back().value.type = PMIX_DATA_ARRAY;
    items_.back().value.data.darray = array;
  }
  pmix_info_t* data() { return items_.data(); }
  size_t size() const { return items_.size(); }

 private:
  std::vector<pmix_info_t> items_;
};

std::string Joined(const std::vector<int32_t>& v, char sep) {
  std::string out;
  for (int32_t x : v) out += (out.empty() ? "" : std::string(1, sep)) + std::to_string(x);
  return out;
}

// The first rank on each node: ranks are dealt to nodes in node order.
std::vector<int32_t> FirstRanks(const PmixStep& step) {
  std::vector<int32_t> first(step.tasks_per_node.size(), 0);
  for (size_t n = 1; n < first.size(); ++n) first[n] = first[n - 1] + step.tasks_per_node[n - 1];
  return first;
}

// Everything a client of `step` may ask libpmix about the job without the
// host: sizes, maps, its peers, and each rank's own place (Slurm's
// pmixp_client.c sets the same keys).
Status JobInfo(const PmixStep& step, int32_t node_id, InfoList* info) {
  const uint32_t size = static_cast<uint32_t>(step.ntasks());
  const std::vector<int32_t> first = FirstRanks(step);
  const uint32_t local_size = static_cast<uint32_t>(step.tasks_per_node[node_id]);
  info->AddString(PMIX_JOBID, std::to_string(step.job_id) + "." + std::to_string(step.step_id));
  info->AddUint32(PMIX_UNIV_SIZE, size);
  info->AddUint32(PMIX_JOB_SIZE, size);
  info->AddUint32(PMIX_MAX_PROCS, size);
  info->AddUint32(PMIX_APP_SIZE, size);
  info->AddUint32(PMIX_LOCAL_SIZE, local_size);
  info->AddUint32(PMIX_NODE_SIZE, local_size);
  info->AddUint32(PMIX_NUM_NODES, static_cast<uint32_t>(step.nodes.size()));
  int appnum = 0;
  info->Add(PMIX_APPNUM, &appnum, PMIX_INT);
  pmix_rank_t leader = 0;
  info->Add(PMIX_APPLDR, &leader, PMIX_PROC_RANK);
  info->AddString(PMIX_APP_ARGV, step.argv);
  std::string hosts;
  for (const std::string& n : step.nodes) hosts += (hosts.empty() ? "" : ",") + n;
  char* regex = nullptr;
  pmix_status_t rc = PMIx_generate_regex(hosts.c_str(), &regex);
  if (rc != PMIX_SUCCESS) return Status::Internal(PmixError("PMIx_generate_regex", rc));
  info->Add(PMIX_NODE_MAP, regex, PMIX_REGEX);
  std::free(regex);
  std::string map;
  for (size_t n = 0; n < step.nodes.size(); ++n) {
    std::vector<int32_t> ranks(step.tasks_per_node[n]);
    std::iota(ranks.begin(), ranks.end(), first[n]);
    map += (n == 0 ? "" : ";") + Joined(ranks, ',');
  }
  char* ppn = nullptr;
  rc = PMIx_generate_ppn(map.c_str(), &ppn);
  if (rc != PMIX_SUCCESS) return Status::Internal(PmixError("PMIx_generate_ppn", rc));
  info->Add(PMIX_PROC_MAP, ppn, PMIX_REGEX);
  std::free(ppn);
  std::vector<int32_t> peers(local_size);
  std::iota(peers.begin(), peers.end(), first[node_id]);
  info->AddString(PMIX_LOCAL_PEERS, Joined(peers, ','));
  info->AddUint32(PMIX_LOCALLDR, static_cast<uint32_t>(first[node_id]));
  for (size_t n = 0; n < step.nodes.size(); ++n) {
    for (int32_t local = 0; local < step.tasks_per_node[n]; ++local) {
      InfoList proc;
      pmix_rank_t rank = static_cast<pmix_rank_t>(first[n] + local);
      proc.Add(PMIX_RANK, &rank, PMIX_PROC_RANK);
      proc.Add(PMIX_APPNUM, &appnum, PMIX_INT);
      proc.AddUint32(PMIX_GLOBAL_RANK, rank);
      proc.AddUint32(PMIX_APP_RANK, rank);
      uint16_t local_rank = static_cast<uint16_t>(local);
      proc.Add(PMIX_LOCAL_RANK, &local_rank, PMIX_UINT16);
      proc.Add(PMIX_NODE_RANK, &local_rank, PMIX_UINT16);
      proc.AddString(PMIX_HOSTNAME, step.nodes[n]);
      proc.AddUint32(PMIX_NODEID, static_cast<uint32_t>(n));
      info->AddArray(PMIX_PROC_DATA, std::move(proc));
    }
  }
  return Status::Ok();
}

// libpmix's callbacks into the host (this node).

pmix_status_t ClientConnected(const pmix_proc_t*, void*, pmix_op_cbfunc_t, void*) {
  return PMIX_SUCCESS;
}

pmix_status_t ClientFinalized(const pmix_proc_t*, void*, pmix_op_cbfunc_t cbfunc, void* cbdata) {
  if (cbfunc != nullptr) cbfunc(PMIX_SUCCESS, cbdata);
  return PMIX_SUCCESS;
}

// MPI_Abort: the rank exits non-zero after this, and the step's
// --kill-on-bad-exit stops the others, as in Slurm.
pmix_status_t Abort(const pmix_proc_t* proc, void*, int status, const char msg[], pmix_proc_t[],
                    size_t, pmix_op_cbfunc_t cbfunc, void* cbdata) {
  spdlog::warn("pmix: {} rank {} aborts with status {}: {}", proc->nspace, proc->rank, status,
               msg != nullptr ? msg : "");
  if (cbfunc != nullptr) cbfunc(PMIX_SUCCESS, cbdata);
  return PMIX_SUCCESS;
}

pmix_status_t FenceNb(const pmix_proc_t procs[], size_t nprocs, const pmix_info_t[], size_t,
                      char* data, size_t ndata, pmix_modex_cbfunc_t cbfunc, void* cbdata) {
  PmixServer* server = PmixServer::instance();
  if (server == nullptr || nprocs == 0) return PMIX_ERR_NOT_SUPPORTED;
  server->OnFence(procs[0].nspace, std::string(data != nullptr ? data : "", ndata),
                  reinterpret_cast<void*>(cbfunc), cbdata);
  return PMIX_SUCCESS;
}

// Every fence collects all data, so a rank never has to ask another node
// for a key directly.
pmix_status_t DirectModex(const pmix_proc_t*, const pmix_info_t[], size_t, pmix_modex_cbfunc_t,
                          void*) {
  return PMIX_ERR_NOT_SUPPORTED;
}

void FreeString(void* s) { delete static_cast<std::string*>(s); }

}  // namespace

std::string PmixStep::Namespace() const {
  return "drover." + std::to_string(job_id) + "." + std::to_string(step_id);
}

int32_t PmixStep::ntasks() const {
  return std::accumulate(tasks_per_node.begin(), tasks_per_node.end(), 0);
}

PmixServer* PmixServer::instance() { return g_server.load(); }

PmixServer::PmixServer(std::string node, FenceSend send)
    : node_(std::move(node)), send_(std::move(send)) {}

Result<std::unique_ptr<PmixServer>> PmixServer::Start(const std::string& tmpdir, std::string node,
                                                      FenceSend send) {
  // libpmix cannot start again after PMIx_server_finalize (it aborts).
  static std::atomic<bool> started{false};
  if (started.exchange(true)) {
    return Status::Conflict("a PMIx server has already run in this process (libpmix allows one)");
  }
  if (::mkdir(tmpdir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Internal("pmix: cannot create " + tmpdir + ": " + std::strerror(errno));
  }
  // The hash store keeps job data in this process: libpmix's shared-memory
  // stores would need files every task user can read.
  ::setenv("PMIX_MCA_gds", "hash", 1);
  static pmix_server_module_t module = [] {
    pmix_server_module_t m;
    std::memset(&m, 0, sizeof m);
    m.client_connected = ClientConnected;
    m.client_finalized = ClientFinalized;
    m.abort = Abort;
    m.fence_nb = FenceNb;
    m.direct_modex = DirectModex;
    return m;
  }();
  std::unique_ptr<PmixServer> server(new PmixServer(std::move(node), std::move(send)));
  InfoList info;
  info.AddString(PMIX_SERVER_TMPDIR, tmpdir);
  g_server.store(server.get());
  pmix_status_t rc = PMIx_server_init(&module, info.data(), info.size());
  if (rc != PMIX_SUCCESS) {
    g_server.store(nullptr);
    return Status::Unavailable(PmixError("PMIx_server_init", rc));
  }
  return server;
}

PmixServer::~PmixServer() {
  PMIx_server_finalize();
  g_server.store(nullptr);
}

Result<std::vector<std::pair<std::string, std::string>>> PmixServer::PrepareRank(
    const PmixStep& step, int32_t rank, uint32_t uid, uint32_t gid) {
  if (step.nodes.empty() || step.nodes.size() != step.tasks_per_node.size()) {
    return Status::Invalid("pmix.nodes", "the step's nodes and tasks per node must pair up");
  }
  const auto here = std::find(step.nodes.begin(), step.nodes.end(), node_);
  if (here == step.nodes.end()) {
    return Status::Invalid("pmix.nodes", "node " + node_ + " is not among the step's nodes");
  }
  const int32_t node_id = static_cast<int32_t>(here - step.nodes.begin());
  const int32_t first = FirstRanks(step)[node_id];
  if (rank < first || rank >= first + step.tasks_per_node[node_id]) {
    return Status::Invalid("pmix.rank", "rank " + std::to_string(rank) + " is not on node " +
                                            node_ + " in the step's layout");
  }
  const std::string nspace = step.Namespace();
  pmix_nspace_t ns;
  PMIX_LOAD_NSPACE(ns, nspace.c_str());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (steps_.count(nspace) == 0) {
      InfoList info;
      DROVER_RETURN_IF_ERROR(JobInfo(step, node_id, &info));
      // Blocking (no callback): libpmix has taken the layout in when it returns.
      pmix_status_t rc = PMIx_server_register_nspace(ns, step.tasks_per_node[node_id], info.data(),
                                                     info.size(), nullptr, nullptr);
      if (rc != PMIX_SUCCESS && rc != PMIX_OPERATION_SUCCEEDED) {
        return Status::Internal(PmixError("PMIx_server_register_nspace", rc));
      }
      steps_[nspace].layout = step;
    }
  }
  pmix_proc_t proc;
  PMIX_LOAD_PROCID(&proc, nspace.c_str(), static_cast<pmix_rank_t>(rank));
  pmix_status_t rc = PMIx_server_register_client(&proc, uid, gid, nullptr, nullptr, nullptr);
  if (rc != PMIX_SUCCESS && rc != PMIX_OPERATION_SUCCEEDED) {
    return Status::Internal(PmixError("PMIx_server_register_client", rc));
  }
  char** env = nullptr;
  rc = PMIx_server_setup_fork(&proc, &env);
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = env; e != nullptr && *e != nullptr; ++e) {
    const std::string kv(*e);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    std::free(*e);
  }
  std::free(env);
  if (rc != PMIX_SUCCESS) return Status::Internal(PmixError("PMIx_server_setup_fork", rc));
  std::lock_guard<std::mutex> lock(mu_);
  steps_[nspace].live_ranks.push_back(rank);
  return out;
}

void PmixServer::RankEnded(const std::string& nspace, int32_t rank) {
  bool last = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = steps_.find(nspace);
    if (it == steps_.end()) return;
    auto& live = it->second.live_ranks;
    auto r = std::find(live.begin(), live.end(), rank);
    if (r == live.end()) return;
    live.erase(r);
    if (live.empty()) {
      last = true;
      steps_.erase(it);
      for (auto f = fences_.begin(); f != fences_.end();) {
        f = f->first.first == nspace ? fences_.erase(f) : std::next(f);
      }
    }
  }
  pmix_proc_t proc;
  PMIX_LOAD_PROCID(&proc, nspace.c_str(), static_cast<pmix_rank_t>(rank));
  PMIx_server_deregister_client(&proc, nullptr, nullptr);
  if (last) {
    pmix_nspace_t ns;
    PMIX_LOAD_NSPACE(ns, nspace.c_str());
    PMIx_server_deregister_nspace(ns, nullptr, nullptr);
  }
}

void PmixServer::OnFence(const std::string& nspace, std::string data, void* cbfunc, void* cbdata) {
  FenceContribution out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = steps_.find(nspace);
    if (it == steps_.end()) {
      reinterpret_cast<pmix_modex_cbfunc_t>(cbfunc)(PMIX_ERR_NOT_FOUND, nullptr, 0, cbdata, nullptr,
                                                    nullptr);
      return;
    }
    RegisteredStep& step = it->second;
    out.job_id = step.layout.job_id;
    out.step_id = step.layout.step_id;
    out.sequence = step.next_fence++;
    out.nodes = static_cast<int32_t>(step.layout.nodes.size());
    if (out.nodes > 1) fences_[{nspace, out.sequence}] = {cbfunc, cbdata};
  }
  if (out.nodes <= 1) {  // this node is the whole step
    auto* held = new std::string(std::move(data));
    reinterpret_cast<pmix_modex_cbfunc_t>(cbfunc)(PMIX_SUCCESS, held->data(), held->size(), cbdata,
                                                  FreeString, held);
    return;
  }
  out.data = std::move(data);
  send_(std::move(out));
}

std::optional<std::pair<void*, void*>> PmixServer::TakeFence(const std::string& nspace,
                                                             int64_t sequence) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = fences_.find({nspace, sequence});
  if (it == fences_.end()) return std::nullopt;
  std::pair<void*, void*> callback = it->second;
  fences_.erase(it);
  return callback;
}

void PmixServer::FailFence(const std::string& nspace, int64_t sequence) {
  auto callback = TakeFence(nspace, sequence);
  if (!callback) return;
  reinterpret_cast<pmix_modex_cbfunc_t>(callback->first)(PMIX_ERROR, nullptr, 0, callback->second,
                                                         nullptr, nullptr);
}

void PmixServer::CompleteFence(const std::string& nspace, int64_t sequence,
                               const std::string& data) {
  auto callback = TakeFence(nspace, sequence);
  if (!callback) return;
  auto* held = new std::string(data);
  reinterpret_cast<pmix_modex_cbfunc_t>(callback->first)(PMIX_SUCCESS, held->data(), held->size(),
                                                         callback->second, FreeString, held);
}

}  // namespace drover::node
