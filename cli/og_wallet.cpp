// og-wallet: your funds on the mesh — balance, faucet deposits (embedded ledger),
// withdrawals and history; with og-schedd settling on chain, the link between your name
// and your chain address (signed with your chain key, which never leaves this machine).
#include <cstdio>
#include <iostream>

#include "chain/chain_config.hpp"
#include "chain/evm_tx.hpp"
#include "chain/json_rpc.hpp"
#include "cli/cli_common.hpp"
#include "core/error.hpp"
#include "core/time_util.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-wallet [OPTIONS] COMMAND

  balance                 what you hold, what your jobs have locked in escrow, your bond
  deposit AMOUNT          add funds (the embedded ledger's faucet, where og-schedd runs
                          with --faucet LIMIT; an admin funds any wallet with -u NAME)
  withdraw AMOUNT         take funds out
  history [-n N]          the last N movements in and out of your wallet (default 20)
  earnings [--days N]     a provider's pay (after the protocol fee) per day over the last
                          N days (default 30), the jobs that paid, what was slashed
  unbond                  take your provider bond back: your partitions are drained, and
                          the bond returns after og-schedd's unbond delay
  link [--key-file FILE]  (og-schedd --ledger evm) link your name to your chain address:
                          budgets it commits fund your wallet, your earnings are paid to
                          it. The key is read from FILE or $OG_CHAIN_KEY and only signs.

  -u, --user=NAME         another user's wallet (admins only)
      --request-id=ID     makes a retried deposit or withdrawal happen once
  -h, --noheader          no header line
      --json              the API's JSON
      --url, --token-file where og-schedd is and the credential
)";

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-wallet", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::ListingOptions listing;
    std::string user, request_id, count = "20", key_file, days = "30";
    std::vector<std::string> words;
    for (size_t i = 0; i < args.size(); ++i) {
      if (listing.take(args, i, kHelp)) continue;
      if (og::cli::take_value(args, i, "--user", "-u", user)) continue;
      if (og::cli::take_value(args, i, "--request-id", "", request_id)) continue;
      if (og::cli::take_value(args, i, "--count", "-n", count)) continue;
      if (og::cli::take_value(args, i, "--key-file", "", key_file)) continue;
      if (og::cli::take_value(args, i, "--days", "", days)) continue;
      if (!args[i].empty() && args[i][0] == '-')
        throw og::UsageError("unrecognized option " + args[i] + " (see og-wallet --help)");
      words.push_back(args[i]);
    }
    if (words.empty()) throw og::UsageError("say what to do: balance, deposit, withdraw, history or earnings (see og-wallet --help)");
    const std::string& cmd = words[0];
    auto client = listing.conn.connect();
    nlohmann::json answer;
    if (cmd == "balance" && words.size() == 1) {
      answer = client.call("GET", "/og/v1/wallet?user=" + og::url_encode(user));
    } else if ((cmd == "deposit" || cmd == "withdraw") && words.size() == 2) {
      nlohmann::json body = {{"amount", words[1]}};
      if (!request_id.empty()) body["request_id"] = request_id;
      if (!user.empty()) body["user"] = user;
      answer = client.call("POST", "/og/v1/wallet/" + cmd, body);
    } else if (cmd == "link" && words.size() == 1) {
      std::string key = og::evm::read_chain_key(key_file);
      std::string address = og::evm::to_data(og::evm::address_of(key));
      auto message = client.call("GET", "/og/v1/wallet/chain-link?address=" + address).value("message", "");
      // Sign only a link of our own name to our own address, whatever og-schedd sent.
      std::string name = client.call("GET", "/og/v1/wallet").value("name", "");
      std::string expected = "OpenGrid: pay and credit the account " + name + " at " + address + " (chain ";
      if (name.empty() || message.rfind(expected, 0) != 0 || message.find('\n') != std::string::npos)
        throw og::UsageError("og-schedd asked to sign an unexpected message; not signing: " + message.substr(0, 200));
      answer = client.call("POST", "/og/v1/wallet/chain-link",
                           {{"address", address}, {"signature", og::evm::to_data(og::evm::sign_message(message, key))}});
    } else if (cmd == "unbond" && words.size() == 1) {
      answer = client.call("POST", "/og/v1/wallet/unbond", nlohmann::json::object());
    } else if (cmd == "history" && words.size() == 1) {
      answer = client.call("GET", "/og/v1/wallet/history?user=" + og::url_encode(user) + "&limit=" + og::url_encode(count));
      if (listing.json) {
        std::cout << answer.dump(2) << "\n";
        return 0;
      }
      if (listing.header) std::cout << "TIME                 AMOUNT        FROM                 TO                   MEMO\n";
      for (const auto& e : answer["entries"]) {
        auto pad = [](std::string s, size_t w) { return s.size() < w ? s + std::string(w - s.size(), ' ') : s + " "; };
        std::cout << pad(og::iso8601_utc(e.value("time", int64_t{0})).substr(0, 19), 21) << pad(e.value("amount", ""), 14)
                  << pad(e.value("from", ""), 21) << pad(e.value("to", ""), 21) << e.value("memo", "") << "\n";
      }
      return 0;
    } else if (cmd == "earnings" && words.size() == 1) {
      answer = client.call("GET", "/og/v1/wallet/earnings?user=" + og::url_encode(user) + "&days=" + og::url_encode(days));
      if (listing.json) {
        std::cout << answer.dump(2) << "\n";
        return 0;
      }
      if (listing.header) std::cout << "DAY         EARNED        JOBS  SLASHED\n";
      for (const auto& d : answer["days"]) {
        if (d.value("earned", "") == "0.000000" && d.value("slashed", "") == "0.000000") continue;
        std::printf("%-11s %-13s %5zu  %s\n", d.value("day", "").c_str(), d.value("earned", "").c_str(),
                    d.value("jobs", size_t{0}), d.value("slashed", "").c_str());
      }
      size_t jobs = answer.value("jobs", size_t{0});
      std::cout << "earned " << answer.value("earned", "") << " from " << jobs << (jobs == 1 ? " job" : " jobs")
                << " in the last " << days << " days; slashed " << answer.value("slashed", "") << "\n";
      return 0;
    } else {
      throw og::UsageError("unknown command \"" + cmd + "\" or wrong arguments (see og-wallet --help)");
    }
    if (listing.json) {
      std::cout << answer.dump(2) << "\n";
      return 0;
    }
    std::cout << "wallet " << answer.value("name", "") << ": balance " << answer.value("balance", "")
              << ", in escrow " << answer.value("escrow", "") << ", bond " << answer.value("bond", "");
    if (answer.value("unbonding", "0.000000") != "0.000000")
      std::cout << ", unbonding " << answer.value("unbonding", "") << " (back at "
                << og::iso8601_utc(answer.value("unbond_at", int64_t{0})).substr(0, 19) << ")";
    std::cout << "\n";
    if (answer.contains("chain")) {
      const auto& c = answer["chain"];
      std::string address = c.value("address", "");
      if (address.empty()) {
        std::cout << "on chain: no address linked (og-wallet link)\n";
      } else {
        std::cout << "on chain: " << address << " budget " << c.value("budget", "") << ", earnings to withdraw "
                  << c.value("credits", "") << "; payments on their way " << c.value("payments_pending", 0);
        if (c.value("payments_held", 0) > 0) std::cout << ", held " << c.value("payments_held", 0);
        std::cout << "\n";
        if (!c.value("last_error", "").empty()) std::cout << "  last chain error: " << c.value("last_error", "") << "\n";
      }
    }
    return 0;
  });
}
