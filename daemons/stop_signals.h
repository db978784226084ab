// StopSignals: how a daemon learns it should stop. Block() must run in main()
// before any thread starts, so that every thread inherits the mask and
// SIGTERM/SIGINT wait for Wait() instead of landing on whichever thread they
// hit. SIGPIPE is ignored: a peer that goes away is an error on the write.
#pragma once

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <chrono>

namespace drover::daemons {

class StopSignals {
 public:
  void Block() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    signal(SIGPIPE, SIG_IGN);
  }

  // Returns the signal that asked to stop.
  int Wait() {
    int sig = 0;
    sigwait(&set_, &sig);
    return sig;
  }

  // The signal that asked to stop, or 0 when none came within `timeout`.
  int WaitFor(std::chrono::milliseconds timeout) {
    timespec ts{static_cast<time_t>(timeout.count() / 1000),
                static_cast<long>(timeout.count() % 1000) * 1'000'000};
    const int sig = sigtimedwait(&set_, nullptr, &ts);
    return sig > 0 ? sig : 0;
  }

 private:
  sigset_t set_;
};

}  // namespace drover::daemons
