// Percent-encoding of URL paths and query strings (RFC 3986), shared by the
// HTTP server and its clients.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace drover {

// Splits "a=1&b=x%20y" into a map, percent-decoding keys and values.
std::map<std::string, std::string> ParseQueryString(std::string_view query);
std::string PercentDecode(std::string_view text);
// Encodes everything but unreserved characters and '/'.
std::string PercentEncode(std::string_view text);

}  // namespace drover
