// The HTTP layer's reading of refusals: the status code each kind is answered with, and
// the kind an answer's status stands for (for clients).
#pragma once

#include "core/error.hpp"

namespace og {

int http_status(Refusal kind);
Refusal refusal_of_status(int status);
// A refusal that asking again unchanged will not cure (a 4xx other than 408 and 429).
bool is_final(Refusal kind);

}  // namespace og
