// libFuzzer target: the output manifest decoder (a worker's report, a requester's
// og-verify). A bad manifest must come back as og::ApiError; an accepted one has paths
// that stay inside the job directory and survives its own encoding.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "verify/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    og::Manifest m = og::manifest_from_json(j);
    for (const auto& f : m.files)
      if (f.path.empty() || f.path[0] == '/') __builtin_trap();
    if (og::manifest_from_json(og::to_json(m)).root != m.root) __builtin_trap();
  } catch (const og::ApiError&) {
  }
  return 0;
}
