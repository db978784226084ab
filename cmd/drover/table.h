// Table: left-aligned columns for people, kubectl style (upper-case
// headers, columns separated by three spaces, no borders).
#pragma once

#include <string>
#include <vector>

namespace drover::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // A row with fewer cells than headers is padded with empty cells; extra
  // cells are a bug (asserted).
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // The headers and every row, each line ending in '\n', trailing spaces
  // trimmed. Widths count UTF-8 code points, not bytes.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace drover::cli
