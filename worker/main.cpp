// og-worker: offers this machine to an OpenGrid mesh as a partition and runs its leases.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "core/sha256_openssl.hpp"
#include "core/client_config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/money.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"
#include "jobscripts/memory_spec.hpp"
#include "worker/gpu_binding.hpp"
#include "worker/image_store.hpp"
#include "worker/join.hpp"
#include "worker/local_backend.hpp"
#include "worker/resource_probe.hpp"
#include "worker/slurm_backend.hpp"
#include "worker/worker_agent.hpp"

namespace {

constexpr const char* kUsage = R"(usage: og-worker join URL --token-file FILE [--price AMOUNT] [--bond AMOUNT] [options]
       og-worker --dir DIR [options]

Registers this machine with og-schedd as a partition and runs the jobs it is leased.

join URL: the one command a provider runs. Reads the mesh's terms, makes sure the bond it
asks for can be posted (drawing the test faucet where there is one, else saying exactly how
to fund it), registers, prints what it offers and where to watch, then serves. --dir
defaults to /var/lib/og-worker as root, else ~/.local/share/og-worker.
  --bond AMOUNT        the most you agree to post as bond (join refuses a mesh asking more)

options:
  --url URL            og-schedd address (else OG_SCHEDD_URL, else the config file)
  --token-file FILE    this worker's credential (else OG_TOKEN, OG_TOKEN_FILE, config file);
                       an admin creates it with: og-schedd --add-user NAME --role worker
  --ca-file FILE       CA certificate(s) an https:// og-schedd's certificate must chain to
                       (else OG_CA_FILE, the config file's ca_file=, the system's CAs)
  --name NAME          partition name (default: the host name; with join, the credential's name)
  --dir DIR            work directory for jobs (required)
  --cpus N             CPUs to offer (default: all this process may use)
  --memory MB          memory to offer in MiB (default: all physical memory)
  --gpus N             GPUs to offer: the first N nvidia-smi lists (default: all it lists)
  --price AMOUNT       asking price per CPU-hour, e.g. 0.02 (default 0)
  --gpu-price PRICES   asking price per GPU-hour: 1.80 for every model, or per model,
                       h100=2.40,a100=1.60 (with a plain price first for the others)
  --nvidia-smi PROG    the nvidia-smi GPUs are probed with (default: nvidia-smi on PATH)
  --gpu-dev DIR        where the GPUs' device nodes are (default /dev)
  --nvidia-libs DIR    the driver's libraries shown to GPU jobs in images (default: where
                       ldconfig finds libcuda.so.1)
  --operator NAME      who runs this machine; a job's replicas go to distinct operators
  --validator          offer validation instead of running jobs: score other providers'
                       results of --verify=score jobs with each job's own scoring script,
                       in the jail (needs root), paid a share of the job's cost; scores out
                       of line with other validators' are slashed
  --features LIST      features jobs may ask for with -C, e.g. avx512,nvme (default none)
  --isolation LEVEL    how jobs are contained: jail (namespaces, cgroups, a uid per job, no
                       network beyond its own loopback; needs root), rlimit (memory limits
                       only), none (development only); default: jail as root, else rlimit
  --job-uids FIRST-LAST  the uids jailed jobs run as, one per running job
                       (default 3000000-3001023; none of them may own anything here)
  --job-pids N         processes (and threads) per jailed job (default 1024)
  --job-disk MB        what one job's directory may hold on disk (default 16384); beyond,
                       the job is stopped and fails with reason DiskQuota
  --job-files N        entries one job's directory may hold (default 1000000); likewise
  --allow-egress       jobs that ask for --network=egress may reach other hosts
  --allow-registry R   let jobs bring images and data sets from registry R: HOST[:PORT]
                       over HTTPS (--registry-ca's CA, else the system's), http://HOST:PORT over
                       plain HTTP; repeatable. None given: jobs with images run elsewhere
  --registry-ca FILE   CA certificate(s) HTTPS registries' certificates must chain to
  --image-cache DIR    where images and data sets are kept, shared by all jobs
                       (default DIR/images under --dir)
  --image-cache-size SIZE  the cache's cap, e.g. 50G (default 20G); what was used least
                       recently goes first, never what a running job holds
  --allow-unsigned     run jobs without a requester's signature (default: refuse them,
                       reason BadSignature)
  --max-job-output BYTES  outputs of one job past this fail it without being read
                       (default 1073741824, og-schedd's default)
  --kill-wait SEC      grace between SIGTERM and SIGKILL at the time limit (default 5)
  --keep-job-dirs      keep each job's directory after reporting (debugging)
  --quiet              log warnings and errors only

Slurm backend: sell a Slurm cluster's capacity, each lease a Slurm job (--dir must then
be on the cluster's shared file system; CPUs and memory are read from the cluster):
  --backend local|slurm  run leases here (default) or on a Slurm cluster
  --slurmrestd URL     slurmrestd's address (REST API v0.0.38, JWT auth)
  --slurm-user USER    the cluster account jobs run as
  --slurm-token-file F that account's JWT (as `scontrol token` prints it)
  --slurm-token-command CMD  renews the token file when slurmrestd refuses the token
  --slurm-partition P  the Slurm partition to use (default: the cluster's default)
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "og-worker: " << message << "\n\n" << kUsage;
  std::exit(2);
}

uint64_t parse_count(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used != text.size() || v < 0) throw std::invalid_argument(text);
    return static_cast<uint64_t>(v);
  } catch (const std::exception&) {
    usage_error(flag + ": \"" + text + "\" is not a non-negative whole number");
  }
}

}  // namespace

int main(int argc, char** argv) {
  og::use_openssl_sha256();  // it hashes gigabytes: SHA-NI's speed is worth OpenSSL's start
  std::string url, token_file, ca_file, name, dir, price = "0", gpu_price = "0", operator_name, features;
  std::string nvidia_smi = "nvidia-smi", gpu_dev = "/dev";
  std::optional<std::string> nvidia_libs;
  std::optional<uint32_t> gpus_offered;
  int64_t kill_wait_s = 5;
  og::JobDiskLimits job_disk{16384ull << 20, 1'000'000};
  uint64_t max_output = 1ull << 30;
  bool keep = false, validator = false, allow_egress = false, allow_unsigned = false, cpus_given = false, memory_given = false;
  std::string backend_kind = "local";
  std::vector<std::string> registries;
  std::string image_cache, image_cache_size = "20G", registry_ca;
  og::SlurmBackendOptions slurm;
  og::SandboxOptions sandbox_options;
  og::Resources offered = og::probe_resources();
  const bool join = argc > 1 && std::string(argv[1]) == "join";
  std::optional<int64_t> max_bond;
  if (join) {
    if (argc < 3 || argv[2][0] == '-') usage_error("join needs og-schedd's address: og-worker join URL --token-file FILE");
    url = argv[2];
    const char* home = std::getenv("HOME");
    dir = geteuid() == 0 || !home ? "/var/lib/og-worker" : std::string(home) + "/.local/share/og-worker";
  }
  for (int i = join ? 3 : 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      auto eq = a.find('=');
      if (eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    std::string flag = a.substr(0, a.find('='));
    if (flag == "--url") url = value();
    else if (flag == "--token-file") token_file = value();
    else if (flag == "--ca-file") ca_file = value();
    else if (flag == "--name") name = value();
    else if (flag == "--dir") dir = value();
    else if (flag == "--cpus") offered.cpus = static_cast<uint32_t>(parse_count(flag, value())), cpus_given = true;
    else if (flag == "--memory") offered.memory_mb = parse_count(flag, value()), memory_given = true;
    else if (flag == "--backend") backend_kind = value();
    else if (flag == "--slurmrestd") slurm.rest_url = value();
    else if (flag == "--slurm-user") slurm.user = value();
    else if (flag == "--slurm-token-file") slurm.token_file = value();
    else if (flag == "--slurm-token-command") slurm.token_command = value();
    else if (flag == "--slurm-partition") slurm.slurm_partition = value();
    else if (flag == "--gpus") gpus_offered = static_cast<uint32_t>(parse_count(flag, value()));
    else if (flag == "--nvidia-smi") nvidia_smi = value();
    else if (flag == "--gpu-dev") gpu_dev = value();
    else if (flag == "--nvidia-libs") nvidia_libs = value();
    else if (flag == "--price") price = value();
    else if (flag == "--bond" && join) {
      try {
        max_bond = og::parse_money_micros(value());
      } catch (const std::exception& e) {
        usage_error(std::string("--bond: ") + e.what());
      }
    }
    else if (flag == "--features") features = value();
    else if (flag == "--gpu-price") gpu_price = value();
    else if (flag == "--operator") operator_name = value();
    else if (flag == "--max-job-output") max_output = parse_count(flag, value());
    else if (flag == "--kill-wait") kill_wait_s = static_cast<int64_t>(parse_count(flag, value()));
    else if (flag == "--keep-job-dirs") keep = true;
    else if (flag == "--isolation") sandbox_options.level = value();
    else if (flag == "--job-uids") {
      std::string range = value();
      auto dash = range.find('-');
      if (dash == std::string::npos) usage_error("--job-uids: \"" + range + "\" is not FIRST-LAST");
      uint64_t first = parse_count(flag, range.substr(0, dash)), last = parse_count(flag, range.substr(dash + 1));
      if (first == 0 || last < first || last > UINT32_MAX - 1)
        usage_error("--job-uids: \"" + range + "\" must be FIRST-LAST with 0 < FIRST <= LAST");
      sandbox_options.uid_first = static_cast<uint32_t>(first);
      sandbox_options.uid_count = static_cast<uint32_t>(last - first + 1);
    } else if (flag == "--job-pids") sandbox_options.max_pids = static_cast<uint32_t>(parse_count(flag, value()));
    else if (flag == "--job-disk") job_disk.bytes = parse_count(flag, value()) << 20;
    else if (flag == "--job-files") job_disk.files = parse_count(flag, value());
    else if (flag == "--allow-egress") allow_egress = true;
    else if (flag == "--validator") validator = true;
    else if (flag == "--allow-unsigned") allow_unsigned = true;
    else if (flag == "--allow-registry") registries.push_back(value());
    else if (flag == "--image-cache") image_cache = value();
    else if (flag == "--registry-ca") registry_ca = value();
    else if (flag == "--image-cache-size") image_cache_size = value();
    else if (flag == "--quiet") og::set_log_quiet(true);
    else if (flag == "-h" || flag == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (flag == "--version") {
      std::cout << "og-worker " OG_VERSION " (OpenGrid)\n";
      return 0;
    } else usage_error("unknown option " + a);
  }
  if (dir.empty()) usage_error("--dir DIR is required");
  if (backend_kind != "local" && backend_kind != "slurm") usage_error("--backend takes local or slurm");
  if (backend_kind == "slurm" && (slurm.rest_url.empty() || slurm.user.empty() || slurm.token_file.empty()))
    usage_error("--backend slurm needs --slurmrestd URL, --slurm-user USER and --slurm-token-file FILE");
  if (offered.cpus == 0) usage_error("--cpus must be at least 1");
  const og::GpuInventory found = og::probe_gpus(nvidia_smi);
  og::offer_gpus(offered, found, gpus_offered);
  if (offered.gpus > found.gpus.size())
    og::log_warn("gpus_not_detected", {{"offered", std::to_string(offered.gpus)},
                                       {"detected", std::to_string(found.gpus.size())},
                                       {"effect", "offered as a bare count: jobs see every GPU device"}});
  const bool name_given = !name.empty();
  if (name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    name = host;
  }
  try {
    og::WorkerOptions options;
    auto cfg = og::resolve_client_config(url, token_file);
    options.url = cfg.url;
    options.token = cfg.token;
    options.ca_file = ca_file.empty() ? cfg.ca_file : ca_file;
    options.partition = name;
    options.resources = offered;
    options.price_micros = og::parse_money_micros(price);
    og::GpuPrices gpu_prices = og::parse_gpu_prices(gpu_price);
    options.gpu_price_micros = gpu_prices.every_micros;
    options.gpu_prices = gpu_prices.by_model;
    options.operator_name = operator_name;
    options.validator = validator;
    options.keep_job_dirs = keep;
    options.features = og::split_list(features);
    for (const auto& g : offered.gpu_devices)  // -C h100 finds GPUs by model, as sites name node features
      if (std::find(options.features.begin(), options.features.end(), g.model) == options.features.end())
        options.features.push_back(g.model);
    std::optional<og::JoinPlan> plan;
    if (join) {
      try {
        plan = og::prepare_to_join(options, max_bond);
        if (!name_given) name = options.partition = plan->provider;
      } catch (const std::exception& e) {
        std::cerr << "og-worker: cannot join " << options.url << ": " << e.what() << "\n";
        return 1;
      }
      // Printed at the first registration, with what was finally offered (a cluster's size).
      options.on_registered = [&options, &plan, printed = false]() mutable {
        if (!printed) std::cout << og::joined_summary(options, *plan) << std::flush;
        printed = true;
      };
    }

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    std::filesystem::create_directories(dir);
    // Earlier jobs' results fetched for running leases: none survive a restart.
    options.results_dir = std::filesystem::absolute(dir + "/results").string();
    std::filesystem::remove_all(options.results_dir);
    std::filesystem::create_directories(options.results_dir);
    ::chmod(options.results_dir.c_str(), 0700);
    std::unique_ptr<og::ImageStore> images;
    if (!registries.empty()) {
      if (backend_kind != "local") throw og::UsageError("--allow-registry: images run with the local backend only");
      og::ImageStoreOptions image_options;
      image_options.dir = image_cache.empty() ? dir + "/images" : image_cache;
      image_options.cap_bytes = og::jobscripts::parse_memory_mb(image_cache_size) << 20;
      image_options.ca_file = registry_ca;
      for (const auto& r : registries) image_options.registries.push_back(og::parse_allowed_registry(r));
      images = std::make_unique<og::ImageStore>(image_options);
      options.images = images.get();
    }
    std::unique_ptr<og::Sandbox> sandbox;
    std::unique_ptr<og::Backend> backend;
    if (backend_kind == "slurm") {
      // The cluster contains its jobs its own way (its users, cgroups): OpenGrid does not.
      slurm.jobs_dir = std::filesystem::absolute(dir + "/jobs").string();
      slurm.partition = name;
      auto cluster_backend = std::make_unique<og::SlurmBackend>(slurm);
      og::SlurmCluster cluster = cluster_backend->discover();
      options.resources.nodes = cluster.nodes;  // jobs of up to this many nodes may come
      if (!cpus_given) options.resources.cpus = cluster.cpus;
      if (!memory_given) options.resources.memory_mb = cluster.memory_mb;
      options.resources.gpus = 0;  // the cluster's GPUs are not offered yet: not this host's either
      options.resources.gpu_devices.clear();
      options.resources.gpu_type = options.resources.cuda_version = options.resources.driver_version = "";
      options.isolation = "none";
      options.max_poll_wait_ms = 1000;
      og::log_info("slurm_cluster", {{"nodes", std::to_string(cluster.nodes)}, {"cpus", std::to_string(cluster.cpus)},
                                     {"memory_mb", std::to_string(cluster.memory_mb)}});
      backend = std::move(cluster_backend);
    } else {
      try {
        sandbox = og::make_sandbox(sandbox_options);
      } catch (const std::runtime_error& e) {
        throw og::UsageError(e.what());
      }
      options.isolation = sandbox->level();
      if (images && options.isolation != "jail")
        throw og::UsageError("--allow-registry: images and data sets are mounted by the jail only (run og-worker as "
                             "root with --isolation jail)");
      og::LocalBackendOptions backend_options{dir + "/jobs", name, kill_wait_s * 1000};
      backend_options.sandbox = sandbox.get();
      backend_options.memory_mb = offered.memory_mb;
      backend_options.allow_egress = allow_egress;
      backend_options.disk = job_disk;
      backend_options.gpus.devices = offered.gpu_devices;
      const bool bare_count = offered.gpus > 0 && offered.gpu_devices.empty();  // jobs see every GPU anyway
      for (const auto& g : found.gpus)  // left out by --gpus N: no job may open them
        if (!bare_count && std::none_of(offered.gpu_devices.begin(), offered.gpu_devices.end(),
                                        [&](const og::GpuDevice& o) { return o.index == g.index; }))
          backend_options.gpus.unoffered_minors.push_back(g.minor);
      backend_options.gpus.dev_dir = gpu_dev;
      if (offered.gpus > 0) {
        backend_options.gpus.driver_lib_dir = nvidia_libs ? *nvidia_libs : og::find_driver_lib_dir();
        backend_options.gpus.nvidia_smi = og::find_program(nvidia_smi);
      }
      backend_options.srun_program = og::executable_dir() + "/og-srun";
      if (::access(backend_options.srun_program.c_str(), X_OK) != 0) {
        og::log_warn("srun_missing", {{"path", backend_options.srun_program},
                                      {"effect", "jobs that call srun fail; build og-srun with make"}});
        backend_options.srun_program.clear();
      }
      backend = std::make_unique<og::LocalBackend>(backend_options);
    }
    options.allow_egress = allow_egress;
    options.allow_unsigned = allow_unsigned;
    options.max_output_bytes = max_output;
    og::WorkerAgent agent(options, *backend);
    // The backend calls back into the agent: stop it while the agent still exists.
    struct StopBackendFirst {
      og::Backend& backend;
      ~StopBackendFirst() { backend.shutdown(); }
    } stop_backend_first{*backend};
    // A signal ends the worker: its jobs are killed and og-schedd requeues them.
    std::thread([&] {
      int sig = 0;
      sigwait(&signals, &sig);
      og::log_info("stopping", {{"signal", strsignal(sig)}});
      backend->cancel_all();
      std::_Exit(0);
    }).detach();
    return agent.run();
  } catch (const og::UsageError& e) {
    std::cerr << "og-worker: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    og::log_error("fatal", {{"error", e.what()}});
    return 1;
  }
}
