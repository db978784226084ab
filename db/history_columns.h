// The job_history table's columns and how a HistoryRecord maps onto them, in
// one place for both backends: each binds or reads a row through the small
// cell interfaces below, in the order of HistoryColumns().
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "api/history.h"

namespace drover::db {

std::span<const std::string_view> HistoryColumns();
// "id, job_id, ..." in column order.
std::string HistoryColumnList();

class HistoryRowWriter {
 public:
  virtual ~HistoryRowWriter() = default;
  virtual void Int(int column, int64_t value) = 0;
  virtual void Real(int column, double value) = 0;
  virtual void Text(int column, const std::string& value) = 0;
};
class HistoryRowReader {
 public:
  virtual ~HistoryRowReader() = default;
  virtual int64_t Int(int column) = 0;
  virtual double Real(int column) = 0;
  virtual std::string Text(int column) = 0;
};

void WriteHistoryRow(const HistoryRecord& record, HistoryRowWriter& out);
HistoryRecord ReadHistoryRow(HistoryRowReader& in);

}  // namespace drover::db
