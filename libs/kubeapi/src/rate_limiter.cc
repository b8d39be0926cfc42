#include "mck8s/kubeapi/rate_limiter.h"

#include <algorithm>

namespace mck8s::kubeapi {

TokenBucket::TokenBucket(double qps, int burst, Clock& clock)
    : qps_(qps), burst_(std::max(burst, 1)), clock_(clock), tokens_(burst_), last_(clock.Now()) {}

void TokenBucket::Refill(absl::Time now) {
  if (now <= last_) return;
  tokens_ = std::min<double>(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * qps_);
  last_ = now;
}

bool TokenBucket::TryAccept() {
  if (qps_ <= 0) return true;
  absl::MutexLock lock(&mu_);
  Refill(clock_.Now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

absl::Duration TokenBucket::Reserve() {
  if (qps_ <= 0) return absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  Refill(clock_.Now());
  tokens_ -= 1;
  if (tokens_ >= 0) return absl::ZeroDuration();
  // The debt is paid back at qps tokens per second.
  return absl::Seconds(-tokens_ / qps_);
}

absl::Duration TokenBucket::Wait() {
  const absl::Duration wait = Reserve();
  if (wait > absl::ZeroDuration()) clock_.SleepFor(wait);
  return wait;
}

}  // namespace mck8s::kubeapi
