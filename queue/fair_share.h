// FairShare: decayed usage per user and account (core-seconds, exponential
// decay with a configurable half-life) and the classic Slurm fair-share factor
// F = 2^(-U/S): U the entity's share of all decayed usage, S its share of all
// shares (equal shares unless set). Deterministic: time is passed in, never read.
// Not thread-safe; droverd's state thread (or drover-sim) owns one.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "api/status.h"

namespace drover::queue {

struct FairShareConfig {
  int64_t half_life_s = 7 * 24 * 3600;  // usage halves every half-life
};

Status ValidateFairShareConfig(const FairShareConfig& config);

class FairShare {
 public:
  explicit FairShare(FairShareConfig config = {}) : config_(config) {}

  // Shares of a user (default 1 for every user seen).
  void SetShares(const std::string& user, double shares);

  // Records core_seconds of use by (user, account) at now_ms; earlier usage
  // decays first. now_ms must not go backwards (older times count as now).
  void AddUsage(const std::string& user, const std::string& account, double core_seconds,
                int64_t now_ms);

  // Decayed usage at now_ms.
  double UserUsage(const std::string& user, int64_t now_ms) const;
  double AccountUsage(const std::string& account, int64_t now_ms) const;

  // The fair-share factor of a user in (0, 1]: 1 with no usage, 0.5 when its
  // usage share equals its share of shares, falling as it uses more.
  double Factor(const std::string& user, int64_t now_ms) const;

 private:
  double DecayTo(int64_t now_ms) const;  // multiplier from last_ms_ to now_ms
  void Advance(int64_t now_ms);

  FairShareConfig config_;
  int64_t last_ms_ = 0;  // usage values below are as of this time
  std::map<std::string, double> user_usage_;
  std::map<std::string, double> account_usage_;
  std::map<std::string, double> shares_;
  double total_usage_ = 0;
};

}  // namespace drover::queue
