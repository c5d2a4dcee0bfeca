// og-scontrol: administrative actions on jobs and partitions, as scontrol does.
#include <iostream>

#include "cli/cli_common.hpp"
#include "core/error.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-scontrol COMMAND ...

  hold JOBID[,JOBID...]            keep pending jobs from starting
  release JOBID[,JOBID...]         let held jobs start
  show job JOBID                   a job in full, with its replicas (JSON)
  drain PARTITION / resume PARTITION   stop / restart giving a partition new work
  add-user NAME [user|worker|admin]    create a credential (admin only); prints the token
  --url, --token-file
)";

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-scontrol", [&]() -> int {
    std::vector<std::string> args, raw(argv + 1, argv + argc);
    og::cli::Connection conn;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (conn.take(raw, i)) continue;
      if (raw[i] == "-h" || raw[i] == "--help") {
        std::cout << kHelp;
        return 0;
      }
      args.push_back(raw[i]);
    }
    if (args.size() < 2) throw og::UsageError("missing command (see og-scontrol --help)");
    auto client = conn.connect();
    const std::string& cmd = args[0];
    if (cmd == "hold" || cmd == "release") {
      for (const auto& id : og::cli::split_list(args[1]))
        client.call("POST", "/og/v1/jobs/" + og::url_encode(id) + "/" + cmd);
      return 0;
    }
    if (cmd == "show" && args.size() == 3 && args[1] == "job") {
      std::cout << client.call("GET", "/og/v1/jobs/" + og::url_encode(args[2])).dump(2) << "\n";
      return 0;
    }
    if (cmd == "drain" || cmd == "resume") {
      client.call("POST", "/og/v1/partitions/" + og::url_encode(args[1]) + "/" + cmd);
      return 0;
    }
    if (cmd == "add-user") {
      std::string role = args.size() > 2 ? args[2] : "user";
      std::cout << client.call("POST", "/og/v1/users", {{"name", args[1]}, {"role", role}})["token"].get<std::string>() << "\n";
      return 0;
    }
    throw og::UsageError("unknown command \"" + cmd + "\" (see og-scontrol --help)");
  });
}
