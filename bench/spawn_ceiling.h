// MeasureSpawnCeiling: how many processes this machine can start and reap per
// second, the ceiling any task launcher (and so Drover's whole pipeline) runs
// under. Each of `workers` threads loops posix_spawn + waitpid of
// `/bin/sh -c true` for `seconds`; the result is the total launches/s.
// workers <= 0 means one per online cpu. Thread-safe; starts and joins its own threads.
#pragma once

namespace drover::bench {

double MeasureSpawnCeiling(int workers = 0, double seconds = 2.0);

}  // namespace drover::bench
