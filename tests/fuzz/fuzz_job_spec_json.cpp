// libFuzzer target: the job spec decoder behind POST /og/v1/jobs. Bad JSON is refused by
// the parser; a bad spec must come back as og::ApiError (a 400), and an accepted spec
// must survive its own encoding unchanged.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/job_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    og::JobSpec spec = og::job_spec_from_json(j);
    if (og::to_json(og::job_spec_from_json(og::to_json(spec))) != og::to_json(spec)) __builtin_trap();
  } catch (const og::ApiError&) {
  }
  return 0;
}
