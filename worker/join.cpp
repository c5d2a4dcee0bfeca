#include "worker/join.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/money.hpp"

namespace og {

JoinPlan prepare_to_join(const WorkerOptions& options, std::optional<int64_t> max_bond_micros) {
  HttpClient client(options.url, options.token, options.ca_file);
  auto me = client.call("GET", "/og/v1/ping");
  if (me.value("role", "") != "worker")
    throw UsageError("the credential given is " + me.value("user", std::string("?")) + "'s, a " + me.value("role", std::string("?")) +
                     " credential; a provider joins with a worker credential (an admin makes one: og-schedd --add-user NAME --role worker)");
  auto terms = client.call("GET", "/og/v1/terms");
  JoinPlan plan;
  plan.provider = me.value("user", std::string());
  plan.payments = terms.value("payments", false);
  if (!plan.payments) return plan;
  plan.bond_micros = parse_money_micros(terms.value("bond_per_partition", std::string("0")));
  if (max_bond_micros && plan.bond_micros > *max_bond_micros)
    throw UsageError("this mesh asks a bond of " + format_money(plan.bond_micros) + " for each partition, more than --bond " +
                     format_money(*max_bond_micros) + " allows");
  if (plan.bond_micros == 0) return plan;
  // One bond per partition offered: this one, and the others this credential registered.
  int64_t partitions = 1;
  for (const auto& p : client.call("GET", "/og/v1/partitions").value("partitions", nlohmann::json::array()))
    if (p.value("owner", "") == plan.provider && p.value("name", "") != options.partition) ++partitions;
  const int64_t wanted = plan.bond_micros * partitions;
  auto wallet = client.call("GET", "/og/v1/wallet");
  int64_t bond = parse_money_micros(wallet.value("bond", std::string("0")));
  int64_t balance = parse_money_micros(wallet.value("balance", std::string("0")));
  // Posted already (a restart, or this provider's other partition: each asks its own bond,
  // which og-schedd tops up at registration).
  int64_t short_by = wanted - bond - balance;
  if (bond >= wanted || short_by <= 0) return plan;
  const std::string& name = plan.provider;
  if (terms.value("settles_on_chain", false))
    throw UsageError("the bond is " + format_money(wanted) + " and " + name + "'s wallet holds " + format_money(balance) +
                     ": this mesh settles on chain, so fund it there — og-wallet link, then og-chain commit " +
                     format_money(short_by) + " — and run og-worker join again");
  int64_t faucet = parse_money_micros(terms.value("faucet_per_wallet", std::string("0")));
  if (faucet < short_by)
    throw UsageError("the bond is " + format_money(wanted) + " and " + name + "'s wallet holds " + format_money(balance) +
                     ": ask the mesh's operator to fund it (og-wallet deposit " + format_money(short_by) + " --user " + name +
                     ", as admin), then run og-worker join again");
  // A retried join (the same wallet and bond) draws the faucet once; after a slash or an
  // unbond the state differs, and so does the request.
  client.call("POST", "/og/v1/wallet/deposit",
              {{"amount", format_money(short_by)},
               {"request_id", "join-bond-" + name + "-" + std::to_string(bond) + "-" + std::to_string(balance)}});
  plan.deposited_micros = short_by;
  return plan;
}

std::string joined_summary(const WorkerOptions& options, const JoinPlan& plan) {
  const Resources& r = options.resources;
  char memory[32];
  std::snprintf(memory, sizeof memory, "%.1f GiB", static_cast<double>(r.memory_mb) / 1024.0);
  std::string gpus = r.gpus == 0 ? "no GPUs" : std::to_string(r.gpus) + " GPU" + (r.gpus > 1 ? "s" : "") +
                                                   (r.gpu_type.empty() ? "" : " (" + r.gpu_type + ")");
  std::string text = "og-worker: joined " + options.url + " as partition " + options.partition + ": " +
                     std::to_string(r.cpus) + (r.cpus == 1 ? " CPU, " : " CPUs, ") + memory + ", " + gpus + ", at " +
                     format_money(options.price_micros) + " per CPU-hour";
  if (r.gpus > 0) text += " and " + format_money(options.gpu_price_micros) + " per GPU-hour";
  text += ", jobs contained by " + options.isolation + "\n";
  if (plan.payments && plan.bond_micros > 0)
    text += "  bond: " + format_money(plan.bond_micros) + " posted from your wallet" +
            (plan.deposited_micros ? " (" + format_money(plan.deposited_micros) + " drawn from the test faucet first)" : "") +
            "; og-wallet unbond takes it back\n";
  text += "  watch: og-sinfo -p " + options.partition + " · og-squeue -p " + options.partition +
          " · og-wallet earnings · " + options.url + "/#/provider\n";
  return text;
}

}  // namespace og
