// A provider's day: one command joins the mesh (the bond posted, or how to fund it said
// exactly), the summary says what is offered and where to watch, and og-wallet earnings
// shows what its replicas were paid, per day.
#include <gtest/gtest.h>

#include <fstream>

#include "core/money.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

int64_t wallet_micros(Mesh& mesh, const std::string& user, const char* field) {
  return parse_money_micros(mesh.client(user).call("GET", "/og/v1/wallet").value(field, std::string("0")));
}

TEST(Provider, JoinsInOneCommandAndSeesWhatItEarned) {
  Mesh mesh;
  mesh.start_schedd({"--faucet", "2000"});
  mesh.token("alice");  // the requester has her test money
  mesh.join_workers = true;
  mesh.fund_new_users = false;  // a provider with an empty wallet: join draws the faucet
  std::string name = mesh.start_worker(1, {"--price", "36"});
  mesh.await_workers(1);
  const std::string log = mesh.dir() + "/" + name + ".log";
  ASSERT_TRUE(await([&] { return read_file(log).find("watch:") != std::string::npos; })) << read_file(log);
  std::string said = read_file(log);
  EXPECT_NE(said.find("og-worker: joined " + mesh.url() + " as partition " + name + ": 1 CPU, "), std::string::npos) << said;
  EXPECT_NE(said.find("at 36.000000 per CPU-hour"), std::string::npos) << said;
  EXPECT_NE(said.find("bond: 10.000000 posted from your wallet (10.000000 drawn from the test faucet first)"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("og-wallet earnings"), std::string::npos) << said;
  EXPECT_EQ(wallet_micros(mesh, name, "bond"), 10'000'000);
  EXPECT_EQ(wallet_micros(mesh, name, "balance"), 0);

  // Earn something: alice's job runs there and is paid for.
  uint64_t id = mesh.sbatch({mesh.write_script("paid.sh", "#!/bin/bash\n#SBATCH --time=5 --max-price=36 --replicas=1\necho hi\n")});
  ASSERT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");
  ASSERT_TRUE(await([&] { return mesh.job(id).value("settled", false); }));
  int64_t paid = wallet_micros(mesh, name, "balance");
  EXPECT_GT(paid, 0);

  auto earnings = mesh.run({"og-wallet", "earnings"}, name);
  ASSERT_EQ(earnings.exit_code, 0) << earnings.err;
  EXPECT_NE(earnings.out.find("earned " + format_money(paid) + " from 1 job in the last 30 days; slashed 0.000000"),
            std::string::npos)
      << earnings.out;
  EXPECT_NE(earnings.out.find(format_money(paid) + " "), std::string::npos) << "today's line: " << earnings.out;
  auto json = nlohmann::json::parse(mesh.run({"og-wallet", "earnings", "--days", "7", "--json"}, name).out);
  EXPECT_EQ(json["days"].size(), 7u);
  EXPECT_EQ(json["jobs"], 1);
  EXPECT_EQ(json["days"].back()["earned"], format_money(paid));
  // A requester earns nothing; another's earnings are an admin's to read.
  EXPECT_NE(mesh.run({"og-wallet", "earnings"}, "alice").out.find("earned 0.000000 from 0 jobs"), std::string::npos);
  EXPECT_NE(mesh.run({"og-wallet", "earnings", "-u", name}, "alice").exit_code, 0);
}

TEST(Provider, JoinSaysHowToFundTheBondAndKeepsToTheMostItAgreed) {
  Mesh mesh;
  mesh.start_schedd({"--faucet", "0"});
  mesh.fund_new_users = false;
  const std::string token_file = mesh.dir() + "/w.token";
  std::ofstream(token_file) << mesh.token("w", "worker");
  auto refused = mesh.exec({"og-worker", "join", mesh.url(), "--token-file", token_file, "--name", "w", "--dir",
                            mesh.dir() + "/w", "--isolation", "none"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("cannot join " + mesh.url() + ": the bond is 10.000000 and w's wallet holds 0.000000: "
                             "ask the mesh's operator to fund it (og-wallet deposit 10.000000 --user w, as admin)"),
            std::string::npos)
      << refused.err;

  auto too_much = mesh.exec({"og-worker", "join", mesh.url(), "--token-file", token_file, "--bond", "5", "--dir",
                             mesh.dir() + "/w", "--isolation", "none"});
  EXPECT_EQ(too_much.exit_code, 1);
  EXPECT_NE(too_much.err.find("this mesh asks a bond of 10.000000 for each partition, more than --bond 5.000000 allows"),
            std::string::npos)
      << too_much.err;

  // A user's credential is not a provider's.
  std::ofstream(mesh.dir() + "/alice.token") << mesh.token("alice");
  auto user = mesh.exec({"og-worker", "join", mesh.url(), "--token-file", mesh.dir() + "/alice.token", "--dir",
                         mesh.dir() + "/a", "--isolation", "none"});
  EXPECT_EQ(user.exit_code, 1);
  EXPECT_NE(user.err.find("a provider joins with a worker credential"), std::string::npos) << user.err;

  // A plain og-worker without its bond stops and says the same instead of retrying for ever.
  auto plain = mesh.exec({"og-worker", "--url", mesh.url(), "--token-file", token_file, "--name", "w", "--dir",
                          mesh.dir() + "/w", "--isolation", "none"});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_NE(plain.err.find("og-wallet deposit 10.000000 as w"), std::string::npos) << plain.err;
}

}  // namespace
}  // namespace og::test
