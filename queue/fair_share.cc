#include "queue/fair_share.h"

#include <cmath>

namespace drover::queue {

Status ValidateFairShareConfig(const FairShareConfig& config) {
  if (config.half_life_s <= 0) {
    return Status::Invalid("fairShare.halfLife",
                           "must be > 0 seconds (got " + std::to_string(config.half_life_s) + ")");
  }
  return Status::Ok();
}

double FairShare::DecayTo(int64_t now_ms) const {
  if (now_ms <= last_ms_) return 1.0;
  const double dt_s = static_cast<double>(now_ms - last_ms_) / 1000.0;
  return std::exp2(-dt_s / static_cast<double>(config_.half_life_s));
}

void FairShare::Advance(int64_t now_ms) {
  const double k = DecayTo(now_ms);
  if (k != 1.0) {
    for (auto& [_, u] : assoc_usage_) u *= k;
    for (auto& [_, u] : account_usage_) u *= k;
    total_usage_ *= k;
  }
  if (now_ms > last_ms_) last_ms_ = now_ms;
}

void FairShare::SetShares(const std::string& user, double shares) { user_shares_[user] = shares; }

void FairShare::SetAccountShares(const std::string& account, double shares) {
  account_shares_[account] = shares;
}

double FairShare::UserShares(const std::string& user) const {
  auto it = user_shares_.find(user);
  return it == user_shares_.end() ? 1.0 : it->second;
}

double FairShare::AccountShares(const std::string& account) const {
  auto it = account_shares_.find(account);
  return it == account_shares_.end() ? 1.0 : it->second;
}

void FairShare::AddAssociation(const std::string& user, const std::string& account) {
  assoc_usage_.try_emplace({account, user}, 0.0);
  account_usage_.try_emplace(account, 0.0);
}

void FairShare::AddUsage(const std::string& user, const std::string& account, double core_seconds,
                         int64_t now_ms) {
  Advance(now_ms);
  assoc_usage_[{account, user}] += core_seconds;
  account_usage_[account] += core_seconds;
  total_usage_ += core_seconds;
}

double FairShare::UserUsage(const std::string& user, int64_t now_ms) const {
  double sum = 0;
  for (const auto& [assoc, u] : assoc_usage_) {
    if (assoc.second == user) sum += u;
  }
  return sum * DecayTo(now_ms);
}

double FairShare::AccountUsage(const std::string& account, int64_t now_ms) const {
  auto it = account_usage_.find(account);
  return it == account_usage_.end() ? 0.0 : it->second * DecayTo(now_ms);
}

double FairShare::Factor(const std::string& user, const std::string& account,
                         int64_t now_ms) const {
  (void)now_ms;  // decay multiplies every usage alike: the shares need none
  if (total_usage_ <= 0) return 1.0;
  // The accounts and users that exist: those with usage, those given shares,
  // and the asker.
  double account_shares_sum = 0;
  bool asker_account_seen = false;
  for (const auto& [name, _] : account_usage_) {
    account_shares_sum += AccountShares(name);
    asker_account_seen = asker_account_seen || name == account;
  }
  for (const auto& [name, shares] : account_shares_) {
    if (!account_usage_.count(name)) account_shares_sum += shares;
    asker_account_seen = asker_account_seen || name == account;
  }
  if (!asker_account_seen) account_shares_sum += AccountShares(account);
  double user_shares_sum = 0;
  bool asker_user_seen = false;
  for (auto it = assoc_usage_.lower_bound({account, ""});
       it != assoc_usage_.end() && it->first.first == account; ++it) {
    user_shares_sum += UserShares(it->first.second);
    asker_user_seen = asker_user_seen || it->first.second == user;
  }
  if (!asker_user_seen) user_shares_sum += UserShares(user);
  const double s_account = AccountShares(account);
  const double s_user = UserShares(user);
  if (s_account <= 0 || s_user <= 0 || account_shares_sum <= 0 || user_shares_sum <= 0) {
    return 0.0;
  }

  auto usage_share = [&](double usage) { return usage / total_usage_; };
  auto a = account_usage_.find(account);
  const double u_account = a == account_usage_.end() ? 0.0 : usage_share(a->second);
  auto au = assoc_usage_.find({account, user});
  const double u_user = au == assoc_usage_.end() ? 0.0 : usage_share(au->second);
  const double account_fraction = s_account / account_shares_sum;
  const double user_fraction = s_user / user_shares_sum;
  const double ue_account = u_account + (1.0 - u_account) * account_fraction;
  const double ue_user = u_user + (ue_account - u_user) * user_fraction;
  const double s_norm = account_fraction * user_fraction;
  return std::exp2(-ue_user / s_norm);
}

}  // namespace drover::queue
