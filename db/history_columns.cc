#include "db/history_columns.h"

#include <vector>

namespace drover::db {
namespace {

// Every field with its column, in column order: the one place the mapping
// is written. `visit(name, field)` is called with a (const) reference.
template <typename Record, typename Visit>
void VisitColumns(Record& r, Visit&& visit) {
  visit("id", r.id);
  visit("job_id", r.job_id);
  visit("array_index", r.array_index);
  visit("step", r.step);
  visit("name", r.name);
  visit("user_name", r.user);
  visit("uid", r.uid);
  visit("account", r.account);
  visit("partition_name", r.partition);
  visit("qos", r.qos);
  visit("state", r.state);
  visit("exit_code", r.exit_code);
  visit("signal", r.signal);
  visit("reason", r.reason);
  visit("submit_ms", r.submit_ms);
  visit("eligible_ms", r.eligible_ms);
  visit("start_ms", r.start_ms);
  visit("end_ms", r.end_ms);
  visit("alloc_cpus", r.alloc_cpus);
  visit("alloc_nodes", r.alloc_nodes);
  visit("ntasks", r.ntasks);
  visit("nodelist", r.nodelist);
  visit("req_mem_bytes", r.req_mem_bytes);
  visit("timelimit_s", r.timelimit_s);
  visit("core_seconds", r.core_seconds);
  visit("user_cpu_ms", r.user_cpu_ms);
  visit("system_cpu_ms", r.system_cpu_ms);
  visit("max_rss_kb", r.max_rss_kb);
  visit("restarts", r.restarts);
  visit("work_dir", r.work_dir);
}

template <typename T>
constexpr bool kIsText = std::is_same_v<std::remove_cvref_t<T>, std::string>;
template <typename T>
constexpr bool kIsReal = std::is_same_v<std::remove_cvref_t<T>, double>;

const std::vector<std::string_view>& Columns() {
  static const std::vector<std::string_view> columns = [] {
    std::vector<std::string_view> out;
    HistoryRecord r;
    VisitColumns(r, [&](std::string_view name, auto&) { out.push_back(name); });
    return out;
  }();
  return columns;
}

}  // namespace

std::span<const std::string_view> HistoryColumns() { return Columns(); }

std::string HistoryColumnList() {
  std::string out;
  for (std::string_view c : Columns()) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

void WriteHistoryRow(const HistoryRecord& record, HistoryRowWriter& out) {
  int column = 0;
  VisitColumns(record, [&](std::string_view, const auto& field) {
    using T = decltype(field);
    if constexpr (kIsText<T>) {
      out.Text(column, field);
    } else if constexpr (kIsReal<T>) {
      out.Real(column, field);
    } else {
      out.Int(column, static_cast<int64_t>(field));
    }
    ++column;
  });
}

HistoryRecord ReadHistoryRow(HistoryRowReader& in) {
  HistoryRecord record;
  int column = 0;
  VisitColumns(record, [&](std::string_view, auto& field) {
    using T = std::remove_cvref_t<decltype(field)>;
    if constexpr (kIsText<T>) {
      field = in.Text(column);
    } else if constexpr (kIsReal<T>) {
      field = in.Real(column);
    } else {
      field = static_cast<T>(in.Int(column));
    }
    ++column;
  });
  return record;
}

}  // namespace drover::db
