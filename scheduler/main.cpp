// og-schedd: the OpenGrid scheduler daemon.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "chain/chain_config.hpp"
#include "core/sha256_openssl.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/money.hpp"
#include "core/sha256.hpp"
#include "core/strings.hpp"
#include "scheduler/api.hpp"
#include "scheduler/controller.hpp"
#include "verify/manifest.hpp"

namespace {

constexpr const char* kUsage = R"(usage: og-schedd --state DIR [options]
       og-schedd --state DIR --add-user NAME [--role user|worker|admin]

Runs the OpenGrid scheduler, keeping its state (SQLite database, artifacts, the admin
credential) in DIR.

options:
  --listen HOST:PORT        address to serve on (default 127.0.0.1:6820; port 0 picks one)
  --port-file FILE          write the port actually bound to FILE once serving
  --heartbeat-timeout SEC   a worker silent this long is DOWN and its jobs requeued (30)
  --default-time MIN        time limit for jobs that set none (60)
  --min-job-age SEC         finished jobs stay in og-squeue this long (300)
  --max-requeue N           requeues after node failures before NODE_FAIL (3)
  --max-replicas N          replicas that disagree get one more, up to N in all (5)
  --second-opinion P        --verify=score: the share of jobs a second validator scores, at
                            random (0.1); a score below the threshold always gets one
  --score-tolerance D       --verify=score: validators whose scores differ by more than D
                            disagree (a third decides; who strays from the median is
                            slashed) (0.15)
  --validation-wait SEC     --verify=score: a job with no validator at work on it this long
                            after its replicas reported (or its last validation ended)
                            ends ValidationFailed, its replicas paid (3600)
  --ledger NAME             embedded (payments in state/ledger.db, the default), evm (the
                            same book, settled on an EVM chain) or none
  --chain-rpc URL           evm: the node's JSON-RPC endpoint (or $OG_CHAIN_RPC)
  --chain-deployment FILE   evm: the contracts, as og-chain deploy --out wrote them (or
                            $OG_CHAIN_DEPLOYMENT)
  --chain-key-file FILE     evm: the settlement key, hex (or $OG_CHAIN_KEY; never argv)
  --confirmations N         evm: blocks a settlement waits for (1)
  --settle-batch N          evm: jobs per settlement transaction (100)
  --settle-delay MS         evm: how long a payment may wait for a fuller batch (2000)
  --fee-bps N               protocol fee, in hundredths of a percent of each payment (100 = 1%)
  --default-max-price AMT   max price per CPU-hour of jobs that give none (0.10)
  --default-max-gpu-price AMT  ... per GPU-hour (2.00)
  --min-bond AMT            bond a provider posts to register (10.00; 0: none)
  --slash AMT               taken from the bond of a provider proven wrong (10.00)
  --placement weighted|cheapest  replicas of a replicated job: drawn among offers within
                            its price, weighted by reputation (default), or cheapest first
  --slash-witnesses N       a slash needs the result confirmed by N established providers
                            (2; 0: any quorum proves a dissenter wrong, as in tests)
  --dispute-window SEC      how long after its end a requester may dispute a job (86400)
  --established-after K     confirmed results in a row that make a provider established (10)
  --faucet LIMIT            test money: og-wallet deposit credits each wallet up to LIMIT
                            in all (default: no faucet; only an admin deposits)
  --unbond-delay SEC        a withdrawn bond stays slashable this long (604800: 7 days)
  --reputation-half-life SEC  reputations fade toward neutral with this half-life (7 days)
  --trust-after N           confirmed results in a row that make a provider trusted (10)
  --spot-check P            chance a trusted provider's single replica is checked (0.1)
  --no-adaptive             every job gets every replica it asked for
  --scheduler NAME          backfill (EASY, the default) or fifo (strict priority order)
  --priority-weights LIST   multifactor weights, e.g. age=1000,jobsize=1000,fairshare=10000,qos=1000
  --priority-max-age SEC    pending time at which the age factor reaches 1 (604800)
  --fairshare-half-life SEC usage half-life for fair-share (604800)
  --qos LIST                QOS priorities, e.g. normal=0,high=100
  --tls-cert FILE           serve HTTPS with this PEM certificate chain (server first)...
  --tls-key FILE            ...and its PEM private key (clients verify against their CA:
                            og-worker --ca-file, OG_CA_FILE, or ca_file= in client.conf)
  --io-timeout SEC          close a connection stalled this long mid-request (30)
  --max-connections N       connections served at once; beyond, 503 (1024)
  --max-connections-per-address N   of those from one client address (an IPv6 /64); 256
  --max-body BYTES          largest JSON request body (1048576)
  --rate-limit N            requests a second per credential after a burst; beyond: 429
                            with Retry-After (default 2000; 0: no limit)
  --rate-burst N            requests a credential may make at once (default 10000)
  --max-upload BYTES        largest job output file accepted (268435456); a job with a
                            larger one fails
  --max-job-output BYTES    most output one replica may upload and report (1073741824)
  --max-bundle BYTES        largest job bundle (input files) a requester may upload (67108864)
  --max-user-bundles BYTES  bundles one user may hold at once; one no unfinished job of its
                            uploader names --bundle-grace SEC (600) after upload is collected
                            (1073741824)
  --allow-unsigned          accept jobs without a requester's signature (default: refuse them)
  --sync full|normal        SQLite durability: normal survives a killed daemon, full also
                            a power cut (normal)
  --quiet                   log warnings and errors only
  --add-user NAME           create a credential, print its token and exit
  --role ROLE               with --add-user: user (default), worker or admin
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "og-schedd: " << message << "\n\n" << kUsage;
  std::exit(2);
}

int64_t money(const std::string& flag, const std::string& text) {
  try {
    return og::parse_money_micros(text);
  } catch (const std::exception& e) {
    usage_error(flag + ": " + e.what());
  }
}

// A share or a score difference: a number in [0, 1].
double parse_share(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= 0 && v <= 1)) usage_error(flag + " takes a number from 0 to 1, not \"" + text + "\"");
  return v;
}

int64_t parse_number(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used != text.size() || v < 0) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    usage_error(flag + ": \"" + text + "\" is not a non-negative whole number");
  }
}

// "a=1,b=2" → {{"a",1},{"b",2}}
std::vector<std::pair<std::string, int64_t>> parse_pairs(const std::string& flag, const std::string& text) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& item : og::split_list(text)) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) usage_error(flag + ": \"" + item + "\" is not NAME=NUMBER");
    out.emplace_back(item.substr(0, eq), parse_number(flag, item.substr(eq + 1)));
  }
  return out;
}

void write_private_file(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << content << "\n";
  }
  chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
  og::use_openssl_sha256();  // it hashes gigabytes: SHA-NI's speed is worth OpenSSL's start
  std::string state_dir, listen = "127.0.0.1:6820", port_file, add_user, role = "user", ledger = "embedded";
  og::HttpServerOptions http;
  double rate_limit = 2000, rate_burst = 10000;
  og::ControllerOptions options;
  og::EvmLedgerOptions chain;
  auto env = [](const char* name) { return std::string(std::getenv(name) ? std::getenv(name) : ""); };
  std::string chain_rpc = env("OG_CHAIN_RPC"), chain_deployment = env("OG_CHAIN_DEPLOYMENT"), chain_key_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      auto eq = a.find('=');
      if (eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    std::string flag = a.substr(0, a.find('='));
    if (flag == "--state") state_dir = value();
    else if (flag == "--listen") listen = value();
    else if (flag == "--port-file") port_file = value();
    else if (flag == "--heartbeat-timeout") options.heartbeat_timeout_us = parse_number(flag, value()) * 1000000;
    else if (flag == "--heartbeat-timeout-ms") options.heartbeat_timeout_us = parse_number(flag, value()) * 1000;
    else if (flag == "--default-time") options.default_time_limit_s = parse_number(flag, value()) * 60;
    else if (flag == "--min-job-age") options.min_job_age_us = parse_number(flag, value()) * 1000000;
    else if (flag == "--max-requeue") options.max_requeue = static_cast<uint32_t>(parse_number(flag, value()));
    else if (flag == "--max-replicas") options.max_replicas = static_cast<uint32_t>(parse_number(flag, value()));
    else if (flag == "--second-opinion") options.validation.second_opinion = parse_share(flag, value());
    else if (flag == "--score-tolerance") options.validation.tolerance = parse_share(flag, value());
    else if (flag == "--validation-wait") options.validation.wait_s = parse_number(flag, value());
    else if (flag == "--sync") {
      std::string v = value();
      if (v != "full" && v != "normal") usage_error("--sync takes full or normal");
      options.synchronous_full = v == "full";
    } else if (flag == "--quiet") og::set_log_quiet(true);
    else if (flag == "--priority-weights" || flag == "--qos") {
      for (const auto& [key, number] : parse_pairs(flag, value())) {
        if (flag == "--qos") options.priority.qos_priority[key] = number;
        else if (key == "age") options.priority.age = number;
        else if (key == "jobsize") options.priority.job_size = number;
        else if (key == "fairshare") options.priority.fairshare = number;
        else if (key == "qos") options.priority.qos = number;
        else usage_error("--priority-weights: unknown factor \"" + key + "\" (age, jobsize, fairshare, qos)");
      }
    }
    else if (flag == "--scheduler") {
      options.scheduler = value();
      if (options.scheduler != "backfill" && options.scheduler != "fifo")
        usage_error("--scheduler takes backfill or fifo");
    }
    else if (flag == "--ledger") {
      ledger = value();
      if (ledger != "embedded" && ledger != "evm" && ledger != "none") usage_error("--ledger takes embedded, evm or none");
    }
    else if (flag == "--fee-bps") options.economics.fee_bps = parse_number(flag, value());
    else if (flag == "--chain-rpc") chain_rpc = value();
    else if (flag == "--chain-deployment") chain_deployment = value();
    else if (flag == "--chain-key-file") chain_key_file = value();
    else if (flag == "--confirmations") chain.client.confirmations = static_cast<uint64_t>(parse_number(flag, value()));
    else if (flag == "--settle-batch") chain.batch_size = static_cast<size_t>(parse_number(flag, value()));
    else if (flag == "--settle-delay") chain.batch_delay = std::chrono::milliseconds(parse_number(flag, value()));
    else if (flag == "--default-max-price") options.economics.default_max_price_micros = money(flag, value());
    else if (flag == "--default-max-gpu-price") options.economics.default_max_gpu_price_micros = money(flag, value());
    else if (flag == "--min-bond") options.economics.min_bond_micros = money(flag, value());
    else if (flag == "--slash") options.economics.slash_micros = money(flag, value());
    else if (flag == "--faucet") options.faucet_limit_micros = money(flag, value());
    else if (flag == "--placement") {
      options.placement = value();
      if (options.placement != "weighted" && options.placement != "cheapest")
        usage_error("--placement takes weighted or cheapest");
    }
    else if (flag == "--slash-witnesses") options.economics.slash_witnesses = static_cast<uint32_t>(parse_number(flag, value()));
    else if (flag == "--established-after") options.economics.established_after = static_cast<uint32_t>(parse_number(flag, value()));
    else if (flag == "--unbond-delay") options.economics.unbond_delay_s = parse_number(flag, value());
    else if (flag == "--trust-after") options.adaptive.trust_after = static_cast<uint32_t>(parse_number(flag, value()));
    else if (flag == "--spot-check") {
      std::string v = value();
      char* end = nullptr;
      double p = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || p < 0 || p > 1) usage_error("--spot-check takes a probability, 0 to 1");
      options.adaptive.spot_check = p;
    }
    else if (flag == "--no-adaptive") options.adaptive.enabled = false;
    else if (flag == "--reputation-half-life") options.reputation.half_life_s = parse_number(flag, value());
    else if (flag == "--priority-max-age") options.priority.max_age_s = parse_number(flag, value());
    else if (flag == "--fairshare-half-life") options.priority.usage_half_life_s = parse_number(flag, value());
    else if (flag == "--tls-cert") http.tls_cert_file = value();
    else if (flag == "--tls-key") http.tls_key_file = value();
    else if (flag == "--max-connections") http.max_connections = static_cast<size_t>(parse_number(flag, value()));
    else if (flag == "--max-connections-per-address")
      http.max_connections_per_address = static_cast<size_t>(parse_number(flag, value()));
    else if (flag == "--io-timeout") http.io_timeout_s = static_cast<int>(parse_number(flag, value()));
    else if (flag == "--max-body") http.body_limit = static_cast<size_t>(parse_number(flag, value()));
    else if (flag == "--rate-limit") rate_limit = static_cast<double>(parse_number(flag, value()));
    else if (flag == "--rate-burst") rate_burst = static_cast<double>(parse_number(flag, value()));
    else if (flag == "--max-upload") http.upload_body_limit = static_cast<size_t>(parse_number(flag, value()));
    else if (flag == "--max-job-output") options.max_job_output = static_cast<uint64_t>(parse_number(flag, value()));
    else if (flag == "--max-bundle") options.max_bundle = static_cast<uint64_t>(parse_number(flag, value()));
    else if (flag == "--max-user-bundles") options.max_user_bundles = static_cast<uint64_t>(parse_number(flag, value()));
    else if (flag == "--bundle-grace") options.bundle_grace_s = parse_number(flag, value());
    else if (flag == "--dispute-window") options.dispute_window_s = parse_number(flag, value());
    else if (flag == "--allow-unsigned") options.require_signed = false;
    else if (flag == "--add-user") add_user = value();
    else if (flag == "--role") role = value();
    else if (flag == "-h" || flag == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (flag == "--version") {
      std::cout << "og-schedd " OG_VERSION " (OpenGrid)\n";
      return 0;
    } else usage_error("unknown option " + a);
  }
  if (state_dir.empty()) usage_error("--state DIR is required");
  if (options.economics.fee_bps > 10'000) usage_error("--fee-bps takes 0 to 10000 (basis points of each payment)");
  if (options.heartbeat_timeout_us < 300000) usage_error("--heartbeat-timeout must be at least 0.3 s");

  try {
    std::filesystem::create_directories(state_dir);
    chmod(state_dir.c_str(), 0700);
    options.database_path = state_dir + "/schedd.db";
    if (ledger == "embedded" || ledger == "evm") options.ledger_path = state_dir + "/ledger.db";
    if (ledger != "evm" && add_user.empty() && std::filesystem::exists(state_dir + "/ledger.db") &&
        og::EvmLedger::settles_on_chain(state_dir + "/ledger.db"))
      usage_error("the ledger in " + state_dir + " settles on chain: start og-schedd with --ledger evm and its chain options");
    if (ledger == "embedded" && !add_user.empty()) options.ledger_path.clear();  // adding a user moves no money
    if (ledger == "evm") {
      // JobEscrow takes gross / 100 of every payment: the book must agree to the unit.
      if (options.economics.fee_bps != 100) usage_error("--ledger evm settles with JobEscrow's fixed fee: --fee-bps 100");
      if (chain_rpc.empty()) usage_error("--ledger evm needs --chain-rpc URL (or OG_CHAIN_RPC)");
      if (chain_deployment.empty()) usage_error("--ledger evm needs --chain-deployment FILE (or OG_CHAIN_DEPLOYMENT)");
      if (chain.batch_size == 0 || chain.batch_size > 1000) usage_error("--settle-batch takes 1 to 1000");
      if (chain.client.confirmations == 0) usage_error("--confirmations takes 1 or more");
      og::evm::Deployment d;
      try {
        d = og::evm::read_deployment(chain_deployment);
        chain.client.private_key = og::evm::read_chain_key(chain_key_file);
      } catch (const og::UsageError& e) {
        usage_error(e.what());
      }
      chain.client.url = chain_rpc;
      chain.escrow = d.escrow;
      chain.from_block = d.block;
      options.evm_ledger = chain;
    }
    if (!add_user.empty()) og::set_log_quiet(true);
    og::Controller controller(options);

    if (!add_user.empty()) {
      std::cout << controller.credentials().add_user(add_user, role) << "\n";
      return 0;
    }
    // First start: create the admin credential, readable by this account only.
    std::string admin_path = state_dir + "/admin.token";
    if (!std::filesystem::exists(admin_path)) {
      try {
        write_private_file(admin_path, controller.credentials().add_user("admin", "admin"));
        og::log_info("admin_credential_created", {{"path", admin_path}});
      } catch (const og::ApiError& e) {
        og::log_warn("admin_credential_missing",
                     {{"path", admin_path}, {"hint", "create one with --add-user NAME --role admin"}});
      }
    }

    auto colon = listen.rfind(':');
    if (colon == std::string::npos) usage_error("--listen takes HOST:PORT");
    http.host = listen.substr(0, colon);
    http.port = static_cast<uint16_t>(parse_number("--listen", listen.substr(colon + 1)));
    http.upload_prefix = "/og/v1/artifacts/";
    bool tls = !http.tls_cert_file.empty();
    if (!tls && http.host != "127.0.0.1" && http.host != "localhost" && http.host != "::1")
      og::log_warn("listening_beyond_loopback",
                   {{"host", http.host}, {"hint", "the API is not encrypted: serve HTTPS with --tls-cert and --tls-key"}});

    // Signals are taken by sigwait below, so block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    og::ArtifactStore artifacts(state_dir + "/artifacts");
    // Fuzzy verification compares numeric outputs as uploaded (the empty blob is implicit).
    controller.set_blob_reader([&artifacts](const std::string& sha) -> std::optional<std::string> {
      if (sha == kEmptySha256) return std::string();
      return artifacts.get(sha);
    });
    og::ArtifactStore bundles(state_dir + "/bundles");
    og::Api api(controller.services(), artifacts, bundles, rate_limit, rate_burst);
    og::HttpServer server(http, [&api](const og::HttpRequest& r) { return api.handle(r); });
    server.start();
    controller.start();
    if (!port_file.empty()) write_private_file(port_file, std::to_string(server.port()));
    og::log_info("serving", {{"address", http.host + ":" + std::to_string(server.port())},
                             {"scheme", tls ? "https" : "http"},
                             {"state", state_dir},
                             {"pid", std::to_string(getpid())}});
    int sig = 0;
    sigwait(&signals, &sig);
    og::log_info("stopping", {{"signal", strsignal(sig)}});
    controller.stop();
    server.stop();
    // Everything acknowledged is committed. Connection threads may still be parked in a
    // read until their deadline: leave without unwinding objects they use.
    std::fflush(stderr);
    std::_Exit(0);
  } catch (const std::exception& e) {
    og::log_error("fatal", {{"error", e.what()}});
    return 1;
  }
}
