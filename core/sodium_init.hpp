// libsodium is made ready once per process, on first use (thread-safe: a function-local
// static), so a command that never signs nor draws randomness never pays for it.
#pragma once

namespace og {

void ensure_sodium();

}  // namespace og
