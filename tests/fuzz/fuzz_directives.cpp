// libFuzzer target: og-sbatch's directive parser on any script text. A bad directive must
// come back as og::UsageError naming its line; anything else escaping is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "jobscripts/directives.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string script(reinterpret_cast<const char*>(data), size);
  try {
    auto parsed = og::jobscripts::parse_job(script, "fuzz.sh", {});
    // What was accepted must be a job og-schedd can take.
    if (parsed.spec.ntasks == 0 || parsed.spec.cpus_per_task == 0) __builtin_trap();
  } catch (const og::UsageError&) {
  }
  return 0;
}
