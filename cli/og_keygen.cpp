// og-keygen: the Ed25519 key a requester signs its job bundles with — created on first use
// under ~/.config/opengrid/keys (private.key, mode 0600), and registered with og-schedd.
#include <cstdlib>
#include <iostream>

#include "cli/cli_common.hpp"
#include "core/client_config.hpp"
#include "core/error.hpp"
#include "core/signature.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-keygen [OPTIONS]

Shows your signing key's public half, creating the key first if there is none.

      --dir=DIR           where the key lives (default $OG_KEY_DIR, else
                          ~/.config/opengrid/keys)
      --register          also record the public key with og-schedd as yours
      --url, --token-file where og-schedd is and the credential (for --register)
)";

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-keygen", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::Connection conn;
    std::string dir = og::key_dir();
    bool do_register = false;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--help" || args[i] == "-h") {
        std::cout << kHelp;
        return 0;
      }
      if (conn.take(args, i)) continue;
      if (og::cli::take_value(args, i, "--dir", "", dir)) continue;
      if (args[i] == "--register") {
        do_register = true;
        continue;
      }
      throw og::UsageError("unrecognized option " + args[i] + " (see og-keygen --help)");
    }
    og::KeyPair key = og::load_or_create_key(dir);
    std::cout << key.public_hex << "\n";
    if (do_register) {
      conn.connect().call("PUT", "/og/v1/users/me/key", {{"public_key", key.public_hex}});
      std::cerr << "og-keygen: registered with og-schedd\n";
    }
    return 0;
  });
}
