// Where a client (CLI or worker) finds og-schedd and its credential.
// URL: --url, then OG_SCHEDD_URL, then the config file's `url=`.
// Credential: --token-file, then OG_TOKEN, then OG_TOKEN_FILE, then the config file's
// `token_file=`, then ~/.config/opengrid/token.
// CA for https:// addresses: OG_CA_FILE, then the config file's `ca_file=` (else the
// system's CAs).
// Config file: $OG_CONFIG, else ~/.config/opengrid/client.conf (key=value lines).
#pragma once

#include <string>
#include <vector>

namespace og {

struct ClientConfig {
  std::string url;
  std::string token;
  std::string ca_file;
};

// Throws og::UsageError saying what is missing and how to provide it.
ClientConfig resolve_client_config(const std::string& cli_url, const std::string& cli_token_file);

// og-sbatch's defaults for OpenGrid's verification options, beneath a script's own
// directives and the command line: replicas=N and quorum=K in the config file, or
// OG_SBATCH_REPLICAS / OG_SBATCH_QUORUM in the environment (which win). As option tokens.
std::vector<std::string> job_option_defaults();

// Where the requester's signing key lives: $OG_KEY_DIR, else ~/.config/opengrid/keys.
std::string key_dir();

// Reads a credential file (one line); throws og::UsageError naming the file.
std::string read_token_file(const std::string& path);

}  // namespace og
