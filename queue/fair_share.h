// FairShare: decayed usage (core-seconds, exponential decay with a
// configurable half-life) per account and per association (account, user),
// and Slurm's classic fair-share factor over the two-level tree root ->
// accounts -> users:
//
//   S_norm  = S_acct / sum(S of accounts) * S_user / sum(S of users in the account)
//   UE_acct = U_acct + (1 - U_acct) * S_acct / sum(S of accounts)
//   UE_user = U_user + (UE_acct - U_user) * S_user / sum(S of users in the account)
//   F       = 2^(-UE_user / S_norm)
//
// U are shares of all decayed usage; S raw shares (1 unless set). A user who
// used little in an account that used a lot ranks below a user who used as
// little in an account that used little, as in Slurm. Jobs without an account
// share the account "" . Deterministic: time is passed in, never read. Not
// thread-safe; droverd's state thread (or drover-sim) owns one.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "api/status.h"

namespace drover::queue {

struct FairShareConfig {
  int64_t half_life_s = 7 * 24 * 3600;  // usage halves every half-life
};

Status ValidateFairShareConfig(const FairShareConfig& config);

class FairShare {
 public:
  explicit FairShare(FairShareConfig config = {}) : config_(config) {}

  // Raw shares of a user (within each of its accounts) and of an account
  // (among accounts); 1 for every one not set.
  void SetShares(const std::string& user, double shares);
  void SetAccountShares(const std::string& account, double shares);

  // Makes `user` a member of `account` (Slurm's association) before it has
  // used anything, so that the users of an account are the same whoever asks.
  void AddAssociation(const std::string& user, const std::string& account);

  // Records core_seconds of use by `user` in `account` at now_ms; earlier
  // usage decays first. now_ms must not go backwards (older times count as now).
  void AddUsage(const std::string& user, const std::string& account, double core_seconds,
                int64_t now_ms);

  // Decayed usage at now_ms (a user's over all its accounts).
  double UserUsage(const std::string& user, int64_t now_ms) const;
  double AccountUsage(const std::string& account, int64_t now_ms) const;

  // The fair-share factor of `user` in `account`, in (0, 1]; 1 while nobody
  // has used anything.
  double Factor(const std::string& user, const std::string& account, int64_t now_ms) const;

 private:
  double DecayTo(int64_t now_ms) const;  // multiplier from last_ms_ to now_ms
  void Advance(int64_t now_ms);
  double UserShares(const std::string& user) const;
  double AccountShares(const std::string& account) const;

  FairShareConfig config_;
  int64_t last_ms_ = 0;  // usage values below are as of this time
  std::map<std::pair<std::string, std::string>, double> assoc_usage_;  // (account, user)
  std::map<std::string, double> account_usage_;
  std::map<std::string, double> user_shares_;
  std::map<std::string, double> account_shares_;
  double total_usage_ = 0;
};

}  // namespace drover::queue
