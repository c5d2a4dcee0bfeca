#include "chain/chain_config.hpp"

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "chain/json_rpc.hpp"
#include "core/error.hpp"
#include "core/hex.hpp"

namespace og::evm {

std::string read_chain_key(const std::string& file) {
  std::string text;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw UsageError("cannot read the key file " + file);
    std::getline(in, text);
  } else if (const char* env = std::getenv("OG_CHAIN_KEY")) {
    text = env;
  } else {
    throw UsageError("no chain key: give --key-file FILE or set OG_CHAIN_KEY (never on the command line)");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.rfind("0x", 0) == 0) text = text.substr(2);
  auto key = from_hex(text);
  if (!key || key->size() != 32) throw UsageError("the chain key must be 32 bytes of hex");
  return *key;
}

Deployment read_deployment(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read the deployment file " + path + " (og-chain deploy --out FILE writes it)");
  auto j = nlohmann::json::parse(in, nullptr, false);
  auto address = [&](const char* field) {
    try {
      std::string a = from_data(j.at(field).get<std::string>());
      if (a.size() == 20) return a;
    } catch (const std::exception&) {
    }
    throw UsageError(path + ": \"" + field + "\" must be a 0x-prefixed 20-byte address");
  };
  if (j.is_discarded() || !j.is_object()) throw UsageError(path + " is not JSON (og-chain deploy --out FILE writes it)");
  Deployment d;
  d.token = address("token");
  d.registry = address("registry");
  d.escrow = address("escrow");
  d.treasury = address("treasury");
  d.chain_id = j.value("chain_id", uint64_t(0));
  d.block = j.value("block", uint64_t(0));
  return d;
}

}  // namespace og::evm
