// Base64 (RFC 4648, with padding): binary data in JSON, such as the PMIx
// fence data drover-node and droverd pass between nodes.
#pragma once

#include <string>
#include <string_view>

#include "api/status.h"

namespace drover {

std::string Base64Encode(std::string_view bytes);
// Errors: `field` is not base64 (its length, or a character outside the alphabet).
Result<std::string> Base64Decode(std::string_view text, const std::string& field);

}  // namespace drover
