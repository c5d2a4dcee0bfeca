// libFuzzer target: the request bodies og-schedd decodes for workers and requesters
// (partition offers, polls, milestones, completions, job updates). The first byte picks
// the decoder, the rest is the body (for a partition offer: its name, a newline, the
// body). Whatever the bytes, only og::ApiError may come out (a 400, never a 500), and
// what is accepted keeps the decoder's promises.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/job_spec.hpp"
#include "core/sha256.hpp"
#include "scheduler/request_bodies.hpp"

namespace {

void check(bool promise) {
  if (!promise) __builtin_trap();
}

void decode(uint8_t which, const std::string& text) {
  switch (which % 5) {
    case 0: {
      auto newline = text.find('\n');
      std::string name = text.substr(0, newline);
      std::string body = newline == std::string::npos ? "" : text.substr(newline + 1);
      og::Partition p = og::decode_partition_offer(name, og::parse_body(body));
      check(p.cpus > 0 && p.price_micros >= 0 && p.gpu_price_micros >= 0 && og::isolation_rank(p.isolation) >= 0);
      check(!p.name.empty() && p.name.size() <= 64);
      const auto& gpus = p.gpu->gpu_devices;
      check(gpus.empty() || gpus.size() == p.gpus);
      uint64_t seen = 0;
      for (const auto& g : gpus) {
        const uint32_t index = g.index;
        check(index < og::kMaxGpuDevices && ((seen >> index) & 1) == 0 && !g.model.empty());
        seen |= uint64_t{1} << index;
      }
      break;
    }
    case 1: {
      og::PollRequest poll = og::decode_poll(og::parse_body(text));
      check(poll.wait_ms >= 0 && poll.wait_ms <= 3'600'000);
      break;
    }
    case 2: {
      og::MilestoneReport m = og::decode_milestone(og::parse_body(text));
      check(m.index > 0 && og::is_sha256_hex(m.digest));
      break;
    }
    case 3: {
      og::CompletionBody c = og::decode_completion(og::parse_body(text));
      check(c.manifest.has_value() == og::has_outputs(c.report.outcome));
      if (c.manifest)
        for (const auto& f : c.manifest->files) check(!f.path.empty() && f.path[0] != '/');
      break;
    }
    case 4: {
      og::JobUpdate u = og::decode_job_update(og::parse_body(text));
      check(!u.nice || (*u.nice >= -2147483645 && *u.nice <= 2147483645));
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  try {
    decode(data[0], std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  } catch (const og::ApiError&) {
  }
  return 0;
}
