// What clients send in request bodies, decoded and checked. Whatever the bytes, a bad
// body comes back as ApiError 400 naming what is wrong, never as another exception (which
// would be a 500): tests/fuzz/fuzz_request_bodies.cpp holds them to that.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "scheduler/model.hpp"
#include "verify/manifest.hpp"

namespace og {

// The body as a JSON object ({} when empty).
nlohmann::json parse_body(const std::string& text);

// Refuses keys a request may not carry, so a typo is an error and not silently ignored.
void only_fields(const nlohmann::json& body, std::initializer_list<const char*> allowed);

// A JSON number that an integer type T holds exactly: nlohmann would turn -1 into a huge
// unsigned value, 1.5 into 1 and 2^32 into 0 without a word, and a number too large for
// any integer (parsed as a double) into undefined behaviour.
template <typename T>
bool holds_integer(const nlohmann::json& v) {
  using limits = std::numeric_limits<T>;
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(limits::max());
  if (!v.is_number_integer()) return false;
  int64_t x = v.get<int64_t>();
  return x >= static_cast<int64_t>(limits::min()) && (x < 0 || static_cast<uint64_t>(x) <= limits::max());
}

template <typename T>
inline constexpr bool is_integer_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;
template <typename T>
struct integer_list : std::false_type {};
template <typename U>
struct integer_list<std::vector<U>> : std::bool_constant<is_integer_v<U>> {};

// body[name] as a T, or fallback when absent.
template <typename T>
T field(const nlohmann::json& body, const char* name, T fallback) {
  if (!body.contains(name)) return fallback;
  const nlohmann::json& v = body.at(name);
  auto refuse = [&](const std::string& what) {
    return ApiError(Refusal::Invalid, "invalid_field", std::string("field \"") + name + "\" must be " + what);
  };
  auto range = [](auto zero) {
    using U = decltype(zero);
    return "from " + std::to_string(std::numeric_limits<U>::min()) + " to " +
           std::to_string(std::numeric_limits<U>::max());
  };
  if constexpr (is_integer_v<T>) {
    if (!holds_integer<T>(v)) throw refuse("an integer " + range(T{}));
  } else if constexpr (integer_list<T>::value) {
    using U = typename T::value_type;
    if (!v.is_array()) throw refuse("a list of integers");
    for (const auto& e : v)
      if (!holds_integer<U>(e)) throw refuse("a list of integers " + range(U{}));
  }
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception&) {
    throw ApiError(Refusal::Invalid, "invalid_field", std::string("field \"") + name + "\" has the wrong type");
  }
}

// PUT /partitions/NAME: what a worker offers.
Partition decode_partition_offer(const std::string& name, const nlohmann::json& body);

// POST /partitions/NAME/poll: the leases the worker runs, how long it waits, which process it is.
struct PollRequest {
  std::set<uint64_t> running;
  int64_t wait_ms = 0;  // within [0, 1 h]
  uint64_t instance = 0;
  std::optional<std::set<std::string>> cached = {};  // the worker's image and data digests, when it says
};
PollRequest decode_poll(const nlohmann::json& body);

// POST /leases/ID/milestone: a replica's checkpoint digest for a milestone.
struct MilestoneReport {
  uint32_t index = 0;  // 1 or more
  std::string digest;  // SHA-256, hex
};
MilestoneReport decode_milestone(const nlohmann::json& body);

// POST /leases/ID/complete: the outcome, and the outputs' manifest unless CANCELLED.
struct CompletionBody {
  CompletionReport report;  // root and manifest_json are left for the caller
  std::optional<Manifest> manifest;
};
CompletionBody decode_completion(const nlohmann::json& body);

// POST /jobs/ID/update: what scontrol update may change.
JobUpdate decode_job_update(const nlohmann::json& body);

}  // namespace og
