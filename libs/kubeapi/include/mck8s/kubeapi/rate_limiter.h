// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/rate_limiter.h
// -----------------------------------------------------------------------------
//
// A token bucket: `qps` tokens per second refill a bucket of `burst` tokens;
// each request takes one. It is what keeps a controller from flooding the API
// server (client-go's default limiter for a REST client, and the "overall"
// bucket of a work queue's rate limiter).
//
// Reservations may go into debt: Reserve() always takes a token and says how
// long to wait for it, so N concurrent callers are spaced 1/qps apart instead
// of all waking at once. qps <= 0 means "unlimited".
//
// Usage:
//
//   TokenBucket bucket(/*qps=*/20, /*burst=*/30, Clock::Real());
//   absl::Duration waited = bucket.Wait();   // before each request
//
// Thread-safe. The clock is not owned and must outlive the bucket.

#ifndef MCK8S_KUBEAPI_RATE_LIMITER_H_
#define MCK8S_KUBEAPI_RATE_LIMITER_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/kubeapi/clock.h"

namespace mck8s::kubeapi {

class TokenBucket {
 public:
  // The bucket starts full. burst < 1 is treated as 1.
  TokenBucket(double qps, int burst, Clock& clock);

  // Takes a token if one is available now; never blocks.
  bool TryAccept();

  // Takes a token and returns how long the caller must wait before using it
  // (zero when one was available).
  absl::Duration Reserve();

  // Reserve(), then sleeps on the clock for the returned time. Returns the
  // time waited.
  absl::Duration Wait();

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  // Adds the tokens earned since last_ (capped at burst_).
  void Refill(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const double qps_;
  const int burst_;
  Clock& clock_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_RATE_LIMITER_H_
