#include "api/yaml_codec.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <regex>

namespace drover {
namespace {

Json ScalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted: always a string
  if (s == "~" || s == "null" || s == "Null" || s == "NULL" || s.empty()) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  int64_t i = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
  if (ec == std::errc() && ptr == s.data() + s.size()) return i;
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, kFloat)) {
    double d = 0;
    auto [end, error] = std::from_chars(s.data() + (s[0] == '+'), s.data() + s.size(), d);
    // A float that does not fit a double (1e400) stays text; the field's
    // decoder then says it is not a number.
    if (error == std::errc() && end == s.data() + s.size()) return d;
  }
  return s;
}

Result<Json> NodeToJson(const YAML::Node& node, int depth) {
  if (depth > kMaxJsonDepth) {
    return Status::Invalid("", "line " + std::to_string(node.Mark().line + 1) +
                                   ": nesting deeper than " + std::to_string(kMaxJsonDepth) +
                                   " levels");
  }
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Json(nullptr);
    case YAML::NodeType::Scalar:
      if (SanitizeUtf8(node.Scalar()) != node.Scalar()) {
        return Status::Invalid(
            "", "line " + std::to_string(node.Mark().line + 1) + ": text that is not valid UTF-8");
      }
      return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& item : node) {
        auto v = NodeToJson(item, depth + 1);
        if (!v.ok()) return v.status();
        arr.push_back(std::move(*v));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          return Status::Invalid("", "line " + std::to_string(kv.first.Mark().line + 1) +
                                         ": mapping keys must be plain strings");
        }
        auto v = NodeToJson(kv.second, depth + 1);
        if (!v.ok()) return v.status();
        if (obj.contains(kv.first.Scalar())) {
          return Status::Invalid(
              SanitizeUtf8(kv.first.Scalar()),
              "line " + std::to_string(kv.first.Mark().line + 1) + ": duplicate key in a mapping");
        }
        obj[kv.first.Scalar()] = std::move(*v);
      }
      return obj;
    }
  }
  return Json(nullptr);
}

void EmitJson(YAML::Emitter& out, const Json& j) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, v] : j.items()) {
      out << YAML::Key << k << YAML::Value;
      EmitJson(out, v);
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& v : j) EmitJson(out, v);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    out << YAML::DoubleQuoted << j.get<std::string>();
  } else if (j.is_null()) {
    out << YAML::Null;
  } else {
    out << j.dump();
  }
}

// yaml-cpp 0.7 loops forever, allocating, when a document's root is a
// flow collection or quoted scalar followed by ',' (or the document starts
// with ','): "[a],", "{a: 1},", "'x',", ",", also with a tag or anchor
// before the node ("!t 'x',", "&a [1],"). Such text is not valid YAML; it is
// refused here before yaml-cpp sees it.
class RootCommaCheck {
 public:
  explicit RootCommaCheck(std::string_view text) : t_(text) {}

  Status Run() {
    while (true) {
      SkipBlankAndComments();
      if (AtDocumentMarker()) {
        pos_ += 3;
        continue;
      }
      SkipProperties();
      if (pos_ >= t_.size()) return Status::Ok();
      char c = t_[pos_];
      if (c == ',') return Refuse();
      if (c == '[' || c == '{' || c == '"' || c == '\'') {
        // Several flow nodes in a row at the root ("{a: 0} 'b',") hang it too.
        while (pos_ < t_.size() &&
               (t_[pos_] == '[' || t_[pos_] == '{' || t_[pos_] == '"' || t_[pos_] == '\'')) {
          SkipFlowNode();
          SkipBlankAndComments();
          SkipProperties();
        }
        if (pos_ < t_.size() && t_[pos_] == ',') return Refuse();
        if (AtDocumentMarker()) continue;
      }
      // The rest of this document is for yaml-cpp; go on at the next marker.
      if (!NextDocument()) return Status::Ok();
    }
  }

 private:
  Status Refuse() const {
    size_t line = 1;
    for (size_t i = 0; i < pos_ && i < t_.size(); ++i) line += t_[i] == '\n';
    return Status::Invalid("", "malformed YAML at line " + std::to_string(line) +
                                   ": a ',' outside a [...] or {...} collection");
  }
  bool AtLineStart() const { return pos_ == 0 || (pos_ <= t_.size() && t_[pos_ - 1] == '\n'); }
  bool AtDocumentMarker() const {
    return pos_ < t_.size() && AtLineStart() && t_.substr(pos_, 3) == "---" &&
           (pos_ + 3 == t_.size() || std::isspace(static_cast<unsigned char>(t_[pos_ + 3])));
  }
  void SkipLine() {
    while (pos_ < t_.size() && t_[pos_] != '\n') ++pos_;
  }
  void SkipBlankAndComments() {
    while (pos_ < t_.size()) {
      char c = t_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (c == '#' || (c == '%' && AtLineStart())) {
        SkipLine();
      } else {
        return;
      }
    }
  }
  // Node properties: tags ("!t", "!!str", "!<x>") and anchors ("&a"), each
  // up to the next blank or flow indicator (which neither may hold), and the
  // blanks after them.
  void SkipProperties() {
    while (pos_ < t_.size() && (t_[pos_] == '!' || t_[pos_] == '&')) {
      ++pos_;
      while (pos_ < t_.size() && !std::isspace(static_cast<unsigned char>(t_[pos_])) &&
             std::string_view(",[]{}").find(t_[pos_]) == std::string_view::npos) {
        ++pos_;
      }
      SkipBlankAndComments();
    }
  }
  void SkipQuoted(char quote) {
    for (++pos_; pos_ < t_.size(); ++pos_) {
      if (quote == '"' && t_[pos_] == '\\') {
        ++pos_;
      } else if (t_[pos_] == quote) {
        if (quote == '\'' && pos_ + 1 < t_.size() && t_[pos_ + 1] == '\'') {
          ++pos_;  // '' is a quote inside single quotes
          continue;
        }
        ++pos_;
        return;
      }
    }
    pos_ = t_.size();  // unterminated (an escape may have stepped past the end)
  }
  void SkipFlowNode() {
    int depth = 0;
    while (pos_ < t_.size()) {
      char c = t_[pos_];
      if (c == '"' || c == '\'') {
        SkipQuoted(c);
        if (depth == 0) return;
        continue;
      }
      if (c == '#' && (pos_ == 0 || std::isspace(static_cast<unsigned char>(t_[pos_ - 1])))) {
        SkipLine();
        continue;
      }
      if (c == '[' || c == '{') ++depth;
      if (c == ']' || c == '}') {
        if (--depth <= 0) {
          ++pos_;
          return;
        }
      }
      ++pos_;
    }
  }
  bool NextDocument() {
    while (pos_ < t_.size()) {
      SkipLine();
      if (pos_ < t_.size()) ++pos_;
      if (AtDocumentMarker()) return true;
    }
    return false;
  }

  std::string_view t_;
  size_t pos_ = 0;
};

// YAML text is printable Unicode (YAML 1.2, c-printable): control bytes
// other than tab, LF and CR, and invalid UTF-8, are refused up front. Beyond
// the rule, this keeps yaml-cpp from inputs it loops on (found by tests/fuzz).
Status CheckPrintable(std::string_view text) {
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') ++line;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", c);
      return Status::Invalid("", "malformed YAML at line " + std::to_string(line) + ": byte " +
                                     byte + " (YAML text is printable UTF-8)");
    }
  }
  if (SanitizeUtf8(text) != text) {
    return Status::Invalid("", "malformed YAML: the text is not valid UTF-8");
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Json>> ParseYamlDocuments(std::string_view text) {
  DROVER_RETURN_IF_ERROR(CheckPrintable(text));
  DROVER_RETURN_IF_ERROR(RootCommaCheck(text).Run());
  std::vector<Json> docs;
  try {
    for (const YAML::Node& node : YAML::LoadAll(std::string(text))) {
      auto j = NodeToJson(node, 0);
      if (!j.ok()) return j.status();
      if (!j->is_null()) docs.push_back(std::move(*j));
    }
  } catch (const YAML::Exception& e) {
    return Status::Invalid("", "malformed YAML at line " + std::to_string(e.mark.line + 1) +
                                   ", column " + std::to_string(e.mark.column + 1) + ": " +
                                   SanitizeUtf8(e.msg));
  }
  return docs;
}

std::string ToYaml(const Json& json) {
  YAML::Emitter out;
  EmitJson(out, json);
  return std::string(out.c_str()) + "\n";
}

}  // namespace drover
