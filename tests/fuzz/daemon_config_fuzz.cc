// droverd's configuration file (daemons/droverd/daemon_config.h): YAML or
// JSON through the scheduler, queue-policy and config_fields readers. A
// configuration that loads must keep its meaning through scheduler::ToJson
// (what `drover` and the tests write back).
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemons/droverd/daemon_config.h"
#include "fuzz_support.h"
#include "scheduler/config_json.h"

using namespace drover;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto config = droverd::DaemonConfigFromText(std::string(fuzz::Text(data, size)));
  if (!config.ok()) {
    (void)config.status().ToString();  // droverd prints it and exits 2
    return 0;
  }
  Json written = scheduler::ToJson(config->scheduler);
  auto again = scheduler::SchedulerConfigFromJson(written);
  FUZZ_CHECK(again.ok(), "scheduler::ToJson output is refused: " + again.status().ToString() +
                             "\n" + written.dump());
  FUZZ_CHECK(scheduler::ToJson(*again) == written,
             "the scheduler configuration changes through ToJson:\n" + written.dump() + "\n" +
                 scheduler::ToJson(*again).dump());
  return 0;
}
