// Status and Result<T>: expected failures as values.
//
// A Status carries a code that separates the kinds of failure callers react to
// differently (bad input, missing object, conflict, does not fit, broken), a
// message a person can act on, and, for invalid input, the field it concerns
// (a JSON path such as "spec.task.resources.cpus").
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace drover {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the request itself is wrong; retrying will not help
  kNotFound,          // the named object does not exist
  kConflict,          // the object exists or is in a state that forbids this
  kUnschedulable,     // valid, but can never fit the cluster as configured
  kUnauthenticated,   // no or bad credentials
  kPermissionDenied,  // authenticated, but not allowed
  kUnavailable,       // try again later (not leader, shutting down, peer down)
  kInternal,          // a bug or an unexpected failure of a dependency
};

// Short lower-case name of a code ("invalid", "not_found", ...), used on the wire.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  static Status Invalid(std::string field, std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message), std::move(field));
  }
  static Status NotFound(std::string message) {
    return Status(StatusCode::kNotFound, std::move(message));
  }
  static Status Conflict(std::string message) {
    return Status(StatusCode::kConflict, std::move(message));
  }
  static Status Unschedulable(std::string field, std::string message) {
    return Status(StatusCode::kUnschedulable, std::move(message), std::move(field));
  }
  static Status Unauthenticated(std::string message) {
    return Status(StatusCode::kUnauthenticated, std::move(message));
  }
  static Status PermissionDenied(std::string message) {
    return Status(StatusCode::kPermissionDenied, std::move(message));
  }
  static Status Unavailable(std::string message) {
    return Status(StatusCode::kUnavailable, std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(StatusCode::kInternal, std::move(message));
  }

  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }

  // "invalid: spec.completions: must be >= 1 (got -3)"
  std::string ToString() const;

  // Prefixes the field path, for errors found in a nested object.
  Status WithFieldPrefix(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace drover

#define DROVER_RETURN_IF_ERROR(expr) \
  do {                               \
    ::drover::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)
