#include "core/http_status.hpp"

#include <array>
#include <utility>

namespace og {
namespace {

constexpr std::array<std::pair<Refusal, int>, 12> kStatus{{
    {Refusal::Invalid, 400},
    {Refusal::Unauthenticated, 401},
    {Refusal::Unpaid, 402},
    {Refusal::Forbidden, 403},
    {Refusal::NotFound, 404},
    {Refusal::NotAllowed, 405},
    {Refusal::Conflict, 409},
    {Refusal::TooLarge, 413},
    {Refusal::TooMany, 429},
    {Refusal::Internal, 500},
    {Refusal::Upstream, 502},
    {Refusal::Unavailable, 503},
}};

}  // namespace

int http_status(Refusal kind) {
  for (const auto& [k, status] : kStatus)
    if (k == kind) return status;
  return 500;
}

Refusal refusal_of_status(int status) {
  for (const auto& [kind, s] : kStatus)
    if (s == status) return kind;
  if (status == 408 || status == 504) return Refusal::Unavailable;
  return status >= 400 && status < 500 ? Refusal::Invalid : Refusal::Internal;
}

bool is_final(Refusal kind) {
  return kind != Refusal::TooMany && kind != Refusal::Unavailable && kind != Refusal::Upstream &&
         kind != Refusal::Internal;
}

}  // namespace og
