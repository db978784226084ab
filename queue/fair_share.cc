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
    for (auto& [_, u] : user_usage_) u *= k;
    for (auto& [_, u] : account_usage_) u *= k;
    total_usage_ *= k;
  }
  if (now_ms > last_ms_) last_ms_ = now_ms;
}

void FairShare::SetShares(const std::string& user, double shares) { shares_[user] = shares; }

void FairShare::AddUsage(const std::string& user, const std::string& account, double core_seconds,
                         int64_t now_ms) {
  Advance(now_ms);
  user_usage_[user] += core_seconds;
  if (!account.empty()) account_usage_[account] += core_seconds;
  total_usage_ += core_seconds;
  shares_.try_emplace(user, 1.0);
}

double FairShare::UserUsage(const std::string& user, int64_t now_ms) const {
  auto it = user_usage_.find(user);
  return it == user_usage_.end() ? 0.0 : it->second * DecayTo(now_ms);
}

double FairShare::AccountUsage(const std::string& account, int64_t now_ms) const {
  auto it = account_usage_.find(account);
  return it == account_usage_.end() ? 0.0 : it->second * DecayTo(now_ms);
}

double FairShare::Factor(const std::string& user, int64_t now_ms) const {
  if (total_usage_ <= 0) return 1.0;
  auto u = user_usage_.find(user);
  if (u == user_usage_.end() || u->second <= 0) return 1.0;
  // Decay multiplies every usage alike, so the ratio needs no decay.
  const double usage_share = u->second / total_usage_;
  double total_shares = 0;
  for (const auto& [_, s] : shares_) total_shares += s;
  auto s = shares_.find(user);
  const double mine = s == shares_.end() ? 1.0 : s->second;
  if (s == shares_.end()) total_shares += 1.0;
  if (mine <= 0 || total_shares <= 0) return 0.0;
  (void)now_ms;
  return std::exp2(-usage_share / (mine / total_shares));
}

}  // namespace drover::queue
