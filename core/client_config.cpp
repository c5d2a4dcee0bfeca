#include "core/client_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.hpp"

namespace og {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string config_dir() {
  std::string home = env_or_empty("HOME");
  return (home.empty() ? std::string("/root") : home) + "/.config/opengrid";
}

std::map<std::string, std::string> read_config_file() {
  std::string path = env_or_empty("OG_CONFIG");
  if (path.empty()) path = config_dir() + "/client.conf";
  std::map<std::string, std::string> values;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::vector<std::string> job_option_defaults() {
  auto file = read_config_file();
  std::vector<std::string> out;
  for (const char* key : {"replicas", "quorum"}) {
    std::string env = "OG_SBATCH_" + std::string(key == std::string("replicas") ? "REPLICAS" : "QUORUM");
    std::string value = !env_or_empty(env.c_str()).empty() ? env_or_empty(env.c_str()) : trim(file[key]);
    if (!value.empty()) out.push_back("--" + std::string(key) + "=" + value);
  }
  return out;
}

std::string read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw UsageError("cannot read credential file " + path +
                     " (check the path given by --token-file, OG_TOKEN_FILE or the config file)");
  std::string token;
  std::getline(in, token);
  token = trim(token);
  if (token.empty()) throw UsageError("credential file " + path + " is empty");
  return token;
}

ClientConfig resolve_client_config(const std::string& cli_url, const std::string& cli_token_file) {
  auto file = read_config_file();
  ClientConfig cfg;
  cfg.url = !cli_url.empty()                       ? cli_url
            : !env_or_empty("OG_SCHEDD_URL").empty() ? env_or_empty("OG_SCHEDD_URL")
                                                     : file["url"];
  if (cfg.url.empty())
    throw UsageError(
        "no scheduler address: pass --url http[s]://HOST:PORT, set OG_SCHEDD_URL, or put "
        "url=... in ~/.config/opengrid/client.conf (og-mesh up prints the variables to set)");

  if (!cli_token_file.empty()) {
    cfg.token = read_token_file(cli_token_file);
  } else if (!env_or_empty("OG_TOKEN").empty()) {
    cfg.token = env_or_empty("OG_TOKEN");
  } else if (!env_or_empty("OG_TOKEN_FILE").empty()) {
    cfg.token = read_token_file(env_or_empty("OG_TOKEN_FILE"));
  } else if (!file["token_file"].empty()) {
    cfg.token = read_token_file(file["token_file"]);
  } else if (std::filesystem::exists(config_dir() + "/token")) {
    cfg.token = read_token_file(config_dir() + "/token");
  } else {
    throw UsageError(
        "no credential: pass --token-file FILE, set OG_TOKEN_FILE, or put token_file=... in "
        "~/.config/opengrid/client.conf (an admin creates one with og-schedd --add-user NAME)");
  }
  cfg.ca_file = !env_or_empty("OG_CA_FILE").empty() ? env_or_empty("OG_CA_FILE") : trim(file["ca_file"]);
  return cfg;
}

std::string key_dir() {
  std::string dir = env_or_empty("OG_KEY_DIR");
  return dir.empty() ? config_dir() + "/keys" : dir;
}

}  // namespace og
