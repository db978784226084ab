// Waiting for an event in a test: poll a condition, never sleep a fixed time.
#pragma once

#include <chrono>
#include <thread>

namespace drover::testing {

// Polls `done` every 20 ms until it holds or `timeout` passes; true if it held.
template <typename Condition>
bool WaitFor(Condition done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace drover::testing
