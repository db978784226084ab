#include "api/json_text.h"

#include <set>
#include <vector>

namespace drover {
namespace {

// The first byte offset at which `text` nests objects and arrays deeper than
// `limit`, or npos. Strings are skipped, so brackets inside them do not count.
size_t FindExcessiveNesting(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string_view::npos;
}

struct DuplicateKey {
  std::string key;
};
struct TooManyValues {};

}  // namespace

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    bool valid = len != 0 && i + len <= text.size();
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; valid && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
    if (valid &&
        ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
         (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))) {
      valid = false;
    }
    if (valid) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

Result<Json> ParseJson(std::string_view text, size_t max_values) {
  size_t deep = FindExcessiveNesting(text, kMaxJsonDepth);
  if (deep != std::string_view::npos) {
    return Status::Invalid("", "malformed JSON: nesting deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels at byte " +
                                   std::to_string(deep + 1));
  }
  // Keys seen per open object, to refuse duplicates while parsing.
  std::vector<std::set<std::string>> keys;
  size_t values = 0;
  auto callback = [&keys, &values, max_values](int /*depth*/, Json::parse_event_t event,
                                               Json& parsed) {
    if ((event == Json::parse_event_t::value || event == Json::parse_event_t::object_start ||
         event == Json::parse_event_t::array_start) &&
        ++values > max_values) {
      throw TooManyValues{};
    }
    switch (event) {
      case Json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) {
          throw DuplicateKey{parsed.get<std::string>()};
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text, callback);
  } catch (const TooManyValues&) {
    return Status::Invalid(
        "", "malformed JSON: more than " + std::to_string(max_values) + " values in one document");
  } catch (const DuplicateKey& d) {
    return Status::Invalid(d.key, "duplicate key in a JSON object");
  } catch (const Json::parse_error& e) {
    // nlohmann's message quotes the offending input, which may be any bytes.
    return Status::Invalid("", "malformed JSON: " + SanitizeUtf8(e.what()));
  } catch (const Json::out_of_range& e) {
    return Status::Invalid(
        "", "malformed JSON: a number is out of range (" + SanitizeUtf8(e.what()) + ")");
  } catch (const Json::exception& e) {
    return Status::Invalid("", "malformed JSON: " + SanitizeUtf8(e.what()));
  }
}

std::string DumpJson(const Json& json, int indent) {
  return json.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace drover
