// Typed reads of URL query parameters. A parameter that is present must be
// well-formed and in range: "limit=abc", "limit=-1" or "offset=1e3" is an
// InvalidArgument naming the parameter, never a silent default.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/status.h"

namespace drover {

using QueryParams = std::map<std::string, std::string>;

// The integer value of `name` in [min, max], `fallback` when absent.
Result<int64_t> QueryInt(const QueryParams& query, const std::string& name, int64_t fallback,
                         int64_t min, int64_t max);

// The value of `name` when it is one of `allowed`, `fallback` when absent.
Result<std::string> QueryChoice(const QueryParams& query, const std::string& name,
                                const std::string& fallback,
                                std::initializer_list<const char*> allowed);

// The items of a comma list ("a,b,,c" -> a b c: empty items dropped), as
// query parameters and the Slurm commands' options write lists.
std::vector<std::string> SplitCommaList(std::string_view text);
// The comma list parameter `name` (none when absent).
std::vector<std::string> QueryList(const QueryParams& query, const std::string& name);

// InvalidArgument naming the first parameter not in `known`.
Status CheckKnownParams(const QueryParams& query, std::initializer_list<const char*> known);

}  // namespace drover
