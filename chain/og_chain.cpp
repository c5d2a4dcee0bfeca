// og-chain: puts OpenGrid's contracts on an EVM chain and looks at them — the tool a demo
// or an operator uses before og-schedd settles there.
//   og-chain deploy  deploys the test stablecoin (or uses --token), the provider registry
//                    and the job escrow, with this key as the settlement address; prints
//                    their addresses as JSON
//   og-chain mint    mints test stablecoins (the deployer only)
//   og-chain balance a token balance
//   og-chain commit  a requester funds its OpenGrid wallet: approve, deposit, commit a
//                    budget to JobEscrow until a date
//   og-chain credits / withdraw-credits   a provider's earnings in JobEscrow
// The key comes from --key-file or $OG_CHAIN_KEY (hex), never from the command line;
// --rpc and --deployment default to $OG_CHAIN_RPC and $OG_CHAIN_DEPLOYMENT.
#include <ctime>
#include <fstream>
#include <iostream>

#include "chain/abi.hpp"
#include "chain/chain_config.hpp"
#include "chain/evm_client.hpp"
#include "chain/evm_tx.hpp"
#include "cli/cli_common.hpp"
#include "core/error.hpp"
#include "core/hex.hpp"
#include "core/money.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-chain COMMAND --rpc URL [options]

  deploy  --key-file FILE --artifacts DIR [--token ADDRESS] [--treasury ADDRESS]
          [--unbond-delay SECONDS] [--min-bond AMOUNT] [--out FILE]
          deploys TestStablecoin (unless --token names one), ProviderRegistry and JobEscrow
          from forge's build output DIR (contracts/out), this key being the settlement
          address; prints {"chain_id", "token", "registry", "escrow", "settlement",
          "treasury", "block"} (and writes it to FILE: the --deployment of the others)
  mint    --key-file FILE (--token ADDRESS | --deployment FILE) --to ADDRESS AMOUNT
  balance (--token ADDRESS | --deployment FILE) ADDRESS
  address --key-file FILE                   the key's address
  commit  --key-file FILE --deployment FILE [--days N] AMOUNT
          moves AMOUNT of the key's tokens into its JobEscrow budget for N days (30):
          og-schedd credits the linked OpenGrid wallet (og-wallet link) once it sees it
  credits --deployment FILE ADDRESS         earnings waiting in JobEscrow
  withdraw-credits --key-file FILE --deployment FILE   takes them out to the key's address

The key is hex in FILE (mode 0600) or in $OG_CHAIN_KEY. Amounts are in tokens (6 decimals),
e.g. 12.5.
)";

std::string address_arg(const std::string& flag, const std::string& text) {
  try {
    std::string a = og::evm::from_data(text);
    if (a.size() == 20) return a;
  } catch (const std::exception&) {
  }
  throw og::UsageError(flag + ": \"" + text + "\" is not a 0x-prefixed 20-byte address");
}

std::string creation_code(const std::string& artifacts, const std::string& contract) {
  std::ifstream in(artifacts + "/" + contract + ".sol/" + contract + ".json");
  if (!in) throw og::UsageError("no " + contract + " in " + artifacts + " (run forge build in contracts/)");
  auto artifact = nlohmann::json::parse(in);
  return og::evm::from_data(artifact.at("bytecode").at("object").get<std::string>());
}

uint64_t seconds_arg(const std::string& flag, const std::string& text) {
  if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos)
    throw og::UsageError(flag + ": \"" + text + "\" is not a whole number");
  return std::stoull(text);
}

std::string env_or(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

uint64_t amount_arg(const std::string& text) {
  int64_t micros = og::parse_money_micros(text);
  if (micros < 0) throw og::UsageError("amounts cannot be negative");
  return static_cast<uint64_t>(micros);
}

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-chain", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "-h" || args[0] == "--help") {
      std::cout << kHelp;
      return args.empty() ? 2 : 0;
    }
    std::string command = args[0], rpc = env_or("OG_CHAIN_RPC"), key_file, artifacts, token, treasury, to, out,
                delay = "604800", min_bond = "10", deployment_file = env_or("OG_CHAIN_DEPLOYMENT"), days = "30";
    std::vector<std::string> rest;
    for (size_t i = 1; i < args.size(); ++i) {
      if (og::cli::take_value(args, i, "--rpc", "", rpc) || og::cli::take_value(args, i, "--key-file", "", key_file) ||
          og::cli::take_value(args, i, "--artifacts", "", artifacts) || og::cli::take_value(args, i, "--token", "", token) ||
          og::cli::take_value(args, i, "--treasury", "", treasury) || og::cli::take_value(args, i, "--to", "", to) ||
          og::cli::take_value(args, i, "--out", "", out) || og::cli::take_value(args, i, "--unbond-delay", "", delay) ||
          og::cli::take_value(args, i, "--min-bond", "", min_bond) ||
          og::cli::take_value(args, i, "--deployment", "", deployment_file) || og::cli::take_value(args, i, "--days", "", days))
        continue;
      if (args[i].rfind("--", 0) == 0) throw og::UsageError("unknown option " + args[i] + " (see og-chain --help)");
      rest.push_back(args[i]);
    }
    if (command == "address") {
      std::cout << og::evm::to_data(og::evm::address_of(og::evm::read_chain_key(key_file))) << "\n";
      return 0;
    }
    if (rpc.empty()) throw og::UsageError("--rpc URL (or $OG_CHAIN_RPC) is required (e.g. http://127.0.0.1:8545)");
    using namespace og::evm;
    auto deployment = [&] {
      if (deployment_file.empty())
        throw og::UsageError("--deployment FILE (or $OG_CHAIN_DEPLOYMENT) is required: og-chain deploy --out FILE wrote it");
      return read_deployment(deployment_file);
    };
    auto addr = [](const std::string& a) { return abi::word(abi::address_word(a)); };
    auto num = [](uint64_t v) { return abi::word(abi::uint_word(v)); };
    if (token.empty() && !deployment_file.empty() && (command == "mint" || command == "balance"))
      token = to_data(deployment().token);
    if (command == "credits") {
      if (rest.size() != 1) throw og::UsageError("usage: og-chain credits --deployment FILE ADDRESS");
      JsonRpc node(rpc);
      std::string data = abi::encode_call("credits(address)", {addr(address_arg("ADDRESS", rest[0]))});
      std::string answer = from_data(
          node.call("eth_call", {{{"to", to_data(deployment().escrow)}, {"data", to_data(data)}}, "latest"}).get<std::string>());
      std::cout << og::format_money(static_cast<int64_t>(abi::read_uint(answer, 0))) << "\n";
      return 0;
    }
    if (command == "balance") {
      if (token.empty() || rest.size() != 1) throw og::UsageError("usage: og-chain balance --rpc URL (--token ADDRESS | --deployment FILE) ADDRESS");
      JsonRpc node(rpc);
      std::string data = abi::encode_call("balanceOf(address)", {abi::word(abi::address_word(address_arg("ADDRESS", rest[0])))});
      std::string answer = from_data(
          node.call("eth_call", {{{"to", to_data(address_arg("--token", token))}, {"data", to_data(data)}}, "latest"})
              .get<std::string>());
      std::cout << og::format_money(static_cast<int64_t>(abi::read_uint(answer, 0))) << "\n";
      return 0;
    }
    EvmClient client({rpc, og::evm::read_chain_key(key_file)});
    if (command == "mint") {
      if (token.empty() || to.empty() || rest.size() != 1)
        throw og::UsageError("usage: og-chain mint --rpc URL --key-file FILE (--token ADDRESS | --deployment FILE) --to ADDRESS AMOUNT");
      client.transact(address_arg("--token", token),
                      abi::encode_call("mint(address,uint256)", {abi::word(abi::address_word(address_arg("--to", to))),
                                                                 abi::word(abi::uint_word(amount_arg(rest[0])))}),
                      200'000);
      return 0;
    }
    if (command == "commit") {
      if (rest.size() != 1) throw og::UsageError("usage: og-chain commit --key-file FILE --deployment FILE [--days N] AMOUNT");
      Deployment d = deployment();
      uint64_t amount = amount_arg(rest[0]);
      uint64_t until = static_cast<uint64_t>(std::time(nullptr)) + seconds_arg("--days", days) * 86400;
      client.transact(d.token, abi::encode_call("approve(address,uint256)", {addr(d.escrow), num(amount)}), 0);
      client.transact(d.escrow, abi::encode_call("deposit(uint96)", {num(amount)}), 0);
      client.transact(d.escrow, abi::encode_call("commit(uint96,uint64)", {num(amount), num(until)}), 0);
      std::cout << "committed " << og::format_money(static_cast<int64_t>(amount)) << " from " << to_data(client.address())
                << " until " << until << "\n";
      return 0;
    }
    if (command == "withdraw-credits") {
      client.transact(deployment().escrow, abi::encode_call("withdrawCredits()", {}), 0);
      return 0;
    }
    if (command != "deploy")
      throw og::UsageError("unknown command " + command + " (deploy, mint, balance, commit, credits or withdraw-credits)");
    uint64_t first_block = from_quantity(client.rpc().call("eth_blockNumber").get<std::string>());
    if (artifacts.empty()) throw og::UsageError("--artifacts DIR is required: forge's build output (contracts/out)");
    std::string token_address =
        token.empty() ? client.deploy(creation_code(artifacts, "TestStablecoin")) : address_arg("--token", token);
    std::string treasury_address = treasury.empty() ? client.address() : address_arg("--treasury", treasury);
    std::string registry = client.deploy(creation_code(artifacts, "ProviderRegistry") + abi::address_word(token_address) +
                                         abi::address_word(client.address()) +
                                         abi::uint_word(seconds_arg("--unbond-delay", delay)) +
                                         abi::uint_word(amount_arg(min_bond)));
    std::string escrow = client.deploy(creation_code(artifacts, "JobEscrow") + abi::address_word(token_address) +
                                       abi::address_word(client.address()) + abi::address_word(treasury_address));
    nlohmann::json result = {{"chain_id", client.chain_id()},     {"token", to_data(token_address)},
                             {"registry", to_data(registry)},     {"escrow", to_data(escrow)},
                             {"settlement", to_data(client.address())}, {"treasury", to_data(treasury_address)},
                             {"block", first_block}};
    if (!out.empty()) std::ofstream(out) << result.dump(2) << "\n";
    std::cout << result.dump(2) << "\n";
    return 0;
  });
}
