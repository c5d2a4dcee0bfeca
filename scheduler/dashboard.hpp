// The web dashboard's static files, compiled into og-schedd (web/static, embedded by
// web/embed_files.cmake), served at / without a credential: they hold no data; the page
// asks the API for everything with the user's token.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http_server.hpp"

namespace og {

struct DashboardFile {
  std::string_view path;  // "/index.html"
  std::string_view content;
};

const std::vector<DashboardFile>& dashboard_files();

// The response for a GET of path ("/" is the index), or nothing when no file has that path.
std::optional<HttpResponse> dashboard_response(const std::string& path);

}  // namespace og
