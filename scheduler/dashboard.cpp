#include <string>

#include "scheduler/dashboard.hpp"

namespace og {
namespace {

std::string content_type_of(std::string_view path) {
  auto ends_with = [&](std::string_view suffix) { return path.ends_with(suffix); };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace

std::optional<HttpResponse> dashboard_response(const std::string& path) {
  std::string wanted = path == "/" ? "/index.html" : path;
  for (const auto& file : dashboard_files()) {
    if (file.path != wanted) continue;
    HttpResponse r{200, content_type_of(file.path), std::string(file.content), {}};
    // Only our own scripts and styles run, the page cannot be framed, and types are as sent:
    // what the page shows comes from the API and is only ever inserted as text.
    r.headers = {{"Content-Security-Policy",
                  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                  "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Referrer-Policy", "no-referrer"},
                 {"Cache-Control", "no-cache"}};
    return r;
  }
  return std::nullopt;
}

}  // namespace og
