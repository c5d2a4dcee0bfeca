// TLS for the quick commands (og-sbatch, og-squeue, ...): og-tls.so, beside the program,
// loaded on the first https:// address, so that plain HTTP never loads OpenSSL. Linked in
// their stead of tls_connection.cpp (http_connection.hpp).
#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#include <string>

#include "core/http_connection.hpp"

namespace og::http_detail {
namespace {

std::string load_error;  // why og-tls.so could not be loaded, once it was tried

std::unique_ptr<Connection> unavailable(const std::string&, const std::string&, std::string& error) {
  error = load_error;
  return nullptr;
}

TlsFactory load() {
  char exe[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  std::string dir = n > 0 ? std::string(exe, static_cast<size_t>(n)) : std::string();
  dir = dir.substr(0, dir.rfind('/') + 1);
  std::string path = dir + "og-tls.so";
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    load_error = "https:// needs " + path + ", which could not be loaded (" + (why ? why : "?") +
                 "): build it with the commands (make), or use og-schedd's http:// address on its host";
    return &unavailable;
  }
  auto entry = reinterpret_cast<TlsFactory (*)()>(::dlsym(handle, "og_tls_factory_v1"));
  if (!entry) {
    load_error = path + " is not OpenGrid's TLS module (no og_tls_factory_v1)";
    return &unavailable;
  }
  return entry();
}

}  // namespace

TlsFactory tls_factory() {
  static const TlsFactory factory = load();  // once, and only where an https:// address is used
  return factory;
}

}  // namespace og::http_detail
