#include "core/job_spec.hpp"

#include "core/money.hpp"

#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "core/error.hpp"
#include "core/gpu_device.hpp"
#include "core/oci_reference.hpp"
#include "core/sha256.hpp"
#include "core/strings.hpp"
#include "core/verify_mode.hpp"

namespace og {

namespace {

constexpr size_t kMaxScriptBytes = 1 << 20;
constexpr uint32_t kMaxReplicas = 16;


[[noreturn]] void invalid(const std::string& message) { throw ApiError(Refusal::Invalid, "invalid_spec", message); }

// The single list of serialised fields: to_json and job_spec_from_json both walk it, so
// a field cannot be written without also being readable (lossless round trip).
template <class Spec, class Visit>
void for_each_field(Spec& s, Visit&& visit) {
  visit("name", s.name);
  visit("partition", s.partition);
  visit("nodes", s.nodes);
  visit("nodes_max", s.nodes_max);
  visit("ntasks", s.ntasks);
  visit("ntasks_per_node", s.ntasks_per_node);
  visit("cpus_per_task", s.cpus_per_task);
  visit("mem_mb", s.mem_mb);
  visit("mem_per_cpu_mb", s.mem_per_cpu_mb);
  visit("mem_per_gpu_mb", s.mem_per_gpu_mb);
  visit("gpus", s.gpus);
  visit("gpus_per_node", s.gpus_per_node);
  visit("gpus_per_task", s.gpus_per_task);
  visit("gpu_type", s.gpu_type);
  visit("gpu_mem_mb", s.gpu_mem_mb);
  visit("cuda", s.cuda);
  visit("time_limit_s", s.time_limit_s);
  visit("output", s.output);
  visit("error", s.error);
  visit("array", s.array);
  visit("dependency", s.dependency);
  visit("export_mode", s.export_mode);
  visit("environment", s.environment);
  visit("chdir", s.chdir);
  visit("begin_time", s.begin_time);
  visit("account", s.account);
  visit("qos", s.qos);
  visit("nice", s.nice);
  visit("comment", s.comment);
  visit("hold", s.hold);
  visit("requeue", s.requeue);
  visit("exclusive", s.exclusive);
  visit("constraint", s.constraint);
  visit("replicas", s.replicas);
  visit("quorum", s.quorum);
  visit("max_price_micros", s.max_price_micros);
  visit("max_gpu_price_micros", s.max_gpu_price_micros);
  visit("network", s.network);
  visit("isolation", s.isolation);
  visit("verify", s.verify);
  visit("exclude_stdio", s.exclude_stdio);
  visit("script", s.script);
  visit("script_args", s.script_args);
  visit("script_name", s.script_name);
  visit("submit_dir", s.submit_dir);
  visit("bundle_sha256", s.bundle_sha256);
  visit("bundle_bytes", s.bundle_bytes);
  visit("signer", s.signer);
  visit("signature", s.signature);
  visit("secrets", s.secrets);
  visit("image", s.image);
  visit("data", s.data);
}

template <class T>
std::string type_name() {
  if constexpr (std::is_same_v<T, bool>)
    return "a boolean";
  else if constexpr (std::is_same_v<T, std::string>)
    return "a string";
  else if constexpr (std::is_same_v<T, std::vector<std::string>>)
    return "an array of strings";
  else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>)
    return "an object of strings";
  else if constexpr (std::is_unsigned_v<T>)
    return "an unsigned " + std::to_string(8 * sizeof(T)) + "-bit integer";
  else
    return "a signed " + std::to_string(8 * sizeof(T)) + "-bit integer";
}

template <class T>
[[noreturn]] void wrong_type(const std::string& key) {
  invalid("field \"" + key + "\" must be " + type_name<T>());
}

template <class T>
T read_integer(const std::string& key, const nlohmann::json& value) {
  // Floats (even 1.0) are refused: counts and ids must be exact.
  if (!value.is_number_integer()) wrong_type<T>(key);
  if (value.is_number_unsigned()) {
    auto v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) wrong_type<T>(key);
    return static_cast<T>(v);
  }
  auto v = value.get<int64_t>();
  if constexpr (std::is_unsigned_v<T>) {
    if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<T>::max()) wrong_type<T>(key);
  } else {
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) wrong_type<T>(key);
  }
  return static_cast<T>(v);
}

template <class T>
T read_field(const std::string& key, const nlohmann::json& value) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!value.is_boolean()) wrong_type<T>(key);
    return value.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    return read_integer<T>(key, value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!value.is_string()) wrong_type<T>(key);
    return value.get<std::string>();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (!value.is_array()) wrong_type<T>(key);
    T out;
    for (const auto& item : value) {
      if (!item.is_string()) wrong_type<T>(key);
      out.push_back(item.get<std::string>());
    }
    return out;
  } else {
    static_assert(std::is_same_v<T, std::map<std::string, std::string>>);
    if (!value.is_object()) wrong_type<T>(key);
    T out;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!it->is_string()) wrong_type<T>(key);
      out.emplace(it.key(), it->template get<std::string>());
    }
    return out;
  }
}

constexpr int64_t kMaxBeginTime = 253402300799;           // 9999-12-31T23:59:59Z
constexpr int64_t kMaxTimeLimit = 100LL * 365 * 24 * 3600;  // 100 years

void validate(const JobSpec& s) {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) invalid(message);
  };
  require(s.nodes >= 1, "field \"nodes\" must be at least 1");
  require(s.nodes_max == 0 || s.nodes_max >= s.nodes, "field \"nodes_max\" must not be below \"nodes\"");
  require(s.ntasks >= 1, "field \"ntasks\" must be at least 1");
  require(s.cpus_per_task >= 1, "field \"cpus_per_task\" must be at least 1");
  require(s.replicas >= 1 && s.replicas <= kMaxReplicas,
          "field \"replicas\" must be between 1 and " + std::to_string(kMaxReplicas));
  require(s.quorum <= s.replicas, "field \"quorum\" must not exceed \"replicas\"");
  require(s.network == "none" || s.network == "loopback" || s.network == "egress",
          "field \"network\" must be \"none\", \"loopback\" or \"egress\"");
  require(s.isolation.empty() || s.isolation == "none" || s.isolation == "rlimit" || s.isolation == "jail",
          "field \"isolation\" must be \"none\", \"rlimit\" or \"jail\"");
  require(s.bundle_sha256.empty() || is_sha256_hex(s.bundle_sha256),
          "field \"bundle_sha256\" must be 64 lower-case hex digits");
  require(s.signer.empty() || (s.signer.size() == 64 && is_lower_hex(s.signer)),
          "field \"signer\" must be an Ed25519 public key (64 hex digits)");
  require(s.signature.empty() || (s.signature.size() == 128 && is_lower_hex(s.signature)),
          "field \"signature\" must be 128 hex digits");
  require(s.secrets.size() <= 32, "field \"secrets\" names at most 32 secrets");
  for (const auto& name : s.secrets)
    require(is_secret_name(name), "secret name \"" + name + "\" must be 1-64 letters, digits, '_', '-' or '.', not starting with '.'");
  auto pinned = [](const std::string& ref) {
    try {
      OciReference parsed = parse_oci_reference(ref);
      return !parsed.digest.empty() && parsed.pinned() == ref;
    } catch (const std::exception&) {
      return false;
    }
  };
  require(s.image.empty() || pinned(s.image),
          "field \"image\" must be pinned by digest: REGISTRY/REPOSITORY@sha256:HEX (og-sbatch resolves tags)");
  require(s.data.size() <= 16, "field \"data\" names at most 16 data sets");
  for (const auto& [name, ref] : s.data) {
    require(is_secret_name(name), "data set name \"" + name + "\" must be 1-64 letters, digits, '_', '-' or '.', not starting with '.'");
    require(pinned(ref) || result_job_of(ref),
            "data set \"" + name + "\" must be pinned by digest, REGISTRY/REPOSITORY@sha256:HEX, or name a job's result, job:ID");
  }
  require(s.export_mode == "ALL" || s.export_mode == "NONE",
          "field \"export_mode\" must be \"ALL\" or \"NONE\"");
  require(!s.script.empty(), "field \"script\" must not be empty");
  require(s.script.size() <= kMaxScriptBytes, "field \"script\" must not be larger than 1 MiB");
  require(s.time_limit_s >= kTimeUnlimited,
          "field \"time_limit_s\" must be -1 (unlimited), 0 (default) or positive");
  require(s.begin_time >= 0 && s.begin_time <= kMaxBeginTime,
          "field \"begin_time\" must be between 0 and the year 9999");
  // Bounds that keep CPU counts and microsecond arithmetic far from overflow.
  require(s.ntasks <= 1'000'000 && s.cpus_per_task <= 100'000 && s.nodes <= 100'000,
          "fields \"ntasks\", \"cpus_per_task\" and \"nodes\" are too large");
  require(uint64_t{s.ntasks} * s.cpus_per_task <= 1'000'000,
          "the job asks for more than 1,000,000 CPUs (ntasks x cpus_per_task)");
  require(s.time_limit_s <= kMaxTimeLimit, "field \"time_limit_s\" must be at most 100 years");
  require(s.max_price_micros >= 0 && s.max_price_micros <= kMaxAmountMicros,
          "field \"max_price_micros\" must be from 0 to " + std::to_string(kMaxAmountMicros) + " (the ceiling on any amount)");
  require(s.max_gpu_price_micros >= 0 && s.max_gpu_price_micros <= kMaxAmountMicros,
          "field \"max_gpu_price_micros\" must be from 0 to " + std::to_string(kMaxAmountMicros) + " (the ceiling on any amount)");
  require(s.cuda.empty() || is_version(s.cuda), "field \"cuda\" must be MAJOR.MINOR, e.g. 12.4");
  require(s.gpu_mem_mb <= (uint64_t{1} << 40), "field \"gpu_mem_mb\" is too large");
  require(parse_verify_mode(s.verify).has_value(),
          std::string("field \"verify\" must be ") + kVerifyModes);
}

}  // namespace

nlohmann::json to_json(const JobSpec& spec) {
  nlohmann::json j = nlohmann::json::object();
  for_each_field(spec, [&](const char* key, const auto& value) { j[key] = value; });
  // Newer size fields are left out where unused, so workers that predate them still read
  // every job that does not need them.
  for (const char* newer : {"nodes_max", "gpus_per_node", "gpus_per_task", "mem_per_gpu_mb", "gpu_mem_mb"})
    if (j[newer] == 0) j.erase(newer);
  if (spec.cuda.empty()) j.erase("cuda");
  return j;
}

JobSpec job_spec_from_json(const nlohmann::json& j) {
  if (!j.is_object()) invalid("job spec must be a JSON object");
  JobSpec spec;
  for (const auto& item : j.items()) {
    // Named copies: lambdas cannot capture structured bindings before clang 16.
    const std::string& key = item.key();
    const nlohmann::json& value = item.value();
    bool known = false;
    for_each_field(spec, [&](const char* name, auto& field) {
      if (key != name) return;
      field = read_field<std::remove_cvref_t<decltype(field)>>(key, value);
      known = true;
    });
    if (!known) invalid("unknown field \"" + key + "\" in job spec");
  }
  validate(spec);
  return spec;
}

int isolation_rank(std::string_view level) {
  if (level.empty() || level == "none") return 0;
  if (level == "rlimit") return 1;
  if (level == "jail") return 2;
  return -1;
}

bool is_secret_name(std::string_view name) {
  return is_plain_name(name) && name[0] != '.';
}

std::optional<uint64_t> result_job_of(std::string_view ref) {
  constexpr std::string_view prefix = "job:";
  if (ref.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view digits = ref.substr(prefix.size());
  if (digits.empty() || digits.size() > 18 || digits[0] == '0' ||
      digits.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return std::stoull(std::string(digits));
}

}  // namespace og
