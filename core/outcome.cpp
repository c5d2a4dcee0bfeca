#include "core/outcome.hpp"

#include <array>
#include <utility>

namespace og {
namespace {

constexpr std::array<std::pair<Outcome, std::string_view>, 6> kNames{{
    {Outcome::Completed, "COMPLETED"},
    {Outcome::Failed, "FAILED"},
    {Outcome::Timeout, "TIMEOUT"},
    {Outcome::OutOfMemory, "OUT_OF_MEMORY"},
    {Outcome::Cancelled, "CANCELLED"},
    {Outcome::HandedBack, "HANDED_BACK"},
}};

}  // namespace

std::string_view to_string(Outcome outcome) {
  for (const auto& [o, name] : kNames)
    if (o == outcome) return name;
  return "FAILED";
}

std::optional<Outcome> outcome_from_string(std::string_view text) {
  for (const auto& [o, name] : kNames)
    if (name == text) return o;
  return std::nullopt;
}

}  // namespace og
