// SHA-256 through OpenSSL (SHA-NI where the CPU has it): for programs that hash gigabytes
// (outputs, layers, data sets). Call once, first thing in main; commands that hash little
// leave it out and never load OpenSSL for it.
#pragma once

namespace og {

void use_openssl_sha256();

}  // namespace og
