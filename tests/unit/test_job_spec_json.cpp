// JobSpec <-> JSON: lossless round trips and strict rejection of bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/error.hpp"
#include "core/job_spec.hpp"

namespace og {
namespace {

using nlohmann::json;

JobSpec minimal_spec() {
  JobSpec spec;
  spec.script = "#!/bin/sh\necho hi\n";
  return spec;
}

// Every field differs from its default, so a field dropped by either side shows up.
JobSpec full_spec() {
  JobSpec s;
  s.name = "big job";
  s.partition = "gpu";
  s.nodes = 4;
  s.ntasks = 64;
  s.ntasks_per_node = 16;
  s.cpus_per_task = 2;
  s.mem_mb = 1u << 20;
  s.mem_per_cpu_mb = 2048;
  s.gpus = 8;
  s.gpu_type = "a100";
  s.time_limit_s = 2 * 86400;
  s.output = "out-%A_%a.txt";
  s.error = "err-%j.txt";
  s.array = "0-99%10";
  s.dependency = "afterok:12:13?singleton";
  s.export_mode = "NONE";
  s.environment = {{"OMP_NUM_THREADS", "4"}, {"EMPTY", ""}, {"UNICODE", "h\xC3\xA9llo = \"x\""}};
  s.chdir = "runs/1";
  s.begin_time = 1735115415;
  s.account = "proj42";
  s.qos = "long";
  s.nice = -2147483645;
  s.comment = "line1\nline2\ttab";
  s.hold = true;
  s.requeue = false;
  s.replicas = 16;
  s.quorum = 9;
  s.max_price_micros = 999'999'999'999'999;  // near the ceiling on amounts
  s.bundle_bytes = 9'007'199'254'740'993;     // above 2^53: must not pass through a double
  s.network = "none";
  s.script = "#!/bin/bash\n#SBATCH -N 4\nprintf '\\0%s' \"$@\"\n";
  s.script_args = {"a b", "", "--flag"};
  s.script_name = "big.sh";
  s.submit_dir = "/home/alice/work";
  return s;
}

void expect_invalid(const json& j, const std::string& needle) {
  try {
    job_spec_from_json(j);
    ADD_FAILURE() << "accepted " << j.dump();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), Refusal::Invalid);
    EXPECT_EQ(e.code(), "invalid_spec");
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

json with(const JobSpec& spec, const std::string& key, const json& value) {
  json j = to_json(spec);
  j[key] = value;
  return j;
}

TEST(JobSpecJson, KeysAreTheFieldNames) {
  const std::set<std::string> expected = {"name",
                                          "partition",
                                          "nodes",
                                          "ntasks",
                                          "ntasks_per_node",
                                          "cpus_per_task",
                                          "mem_mb",
                                          "mem_per_cpu_mb",
                                          "gpus",
                                          "gpu_type",
                                          "time_limit_s",
                                          "output",
                                          "error",
                                          "array",
                                          "dependency",
                                          "export_mode",
                                          "environment",
                                          "chdir",
                                          "begin_time",
                                          "account",
                                          "qos",
                                          "nice",
                                          "comment",
                                          "hold",
                                          "requeue",
                                          "exclusive",
                                          "constraint",
                                          "replicas",
                                          "quorum",
                                          "max_price_micros",
                                          "max_gpu_price_micros",
                                          "network",
                                          "isolation",
                                          "verify",
                                          "exclude_stdio",
                                          "script",
                                          "script_args",
                                          "script_name",
                                          "submit_dir",
                                          "bundle_sha256",
                                          "bundle_bytes",
                                          "signer",
                                          "signature",
                                          "secrets",
                                          "image",
                                          "data"};
  std::set<std::string> keys;
  const json j = to_json(minimal_spec());  // items() must not outlive the json it walks
  for (const auto& item : j.items()) keys.insert(item.key());
  EXPECT_EQ(keys, expected);
}

TEST(JobSpecJson, FullSpecRoundTripsThroughText) {
  const JobSpec original = full_spec();
  const std::string text = to_json(original).dump();
  const JobSpec back = job_spec_from_json(json::parse(text));
  EXPECT_EQ(to_json(back), to_json(original));
  EXPECT_EQ(back.max_price_micros, original.max_price_micros);
  EXPECT_EQ(back.environment, original.environment);
  EXPECT_EQ(back.script_args, original.script_args);
  EXPECT_EQ(back.script, original.script);
  EXPECT_EQ(back.nice, original.nice);
  EXPECT_FALSE(back.requeue);
  EXPECT_TRUE(back.hold);
}

TEST(JobSpecJson, DefaultsRoundTrip) {
  const JobSpec back = job_spec_from_json(to_json(minimal_spec()));
  EXPECT_EQ(to_json(back), to_json(minimal_spec()));
  EXPECT_EQ(back.time_limit_s, kTimeUnset);
}

TEST(JobSpecJson, UnlimitedTimeRoundTrips) {
  JobSpec spec = minimal_spec();
  spec.time_limit_s = kTimeUnlimited;
  EXPECT_EQ(job_spec_from_json(to_json(spec)).time_limit_s, kTimeUnlimited);
}

TEST(JobSpecJson, MissingFieldsTakeDefaults) {
  const JobSpec spec = job_spec_from_json(json{{"script", "#!/bin/sh\n"}, {"ntasks", 3}});
  EXPECT_EQ(spec.ntasks, 3u);
  EXPECT_EQ(spec.nodes, 1u);
  EXPECT_EQ(spec.cpus_per_task, 1u);
  EXPECT_EQ(spec.replicas, 1u);
  EXPECT_EQ(spec.quorum, 0u);
  EXPECT_TRUE(spec.requeue);
  EXPECT_EQ(spec.network, "loopback");
  EXPECT_EQ(spec.export_mode, "ALL");
  EXPECT_TRUE(spec.environment.empty());
}

TEST(JobSpecJson, NonObjectIsRejected) {
  for (const json& j : {json::array(), json("spec"), json(nullptr), json(5), json::array({1, 2})}) {
    expect_invalid(j, "JSON object");
  }
}

TEST(JobSpecJson, UnknownFieldIsRejectedByName) {
  expect_invalid(with(minimal_spec(), "time_limit", 60), "\"time_limit\"");
  expect_invalid(with(minimal_spec(), "Nodes", 2), "\"Nodes\"");
}

TEST(JobSpecJson, WrongTypesNameFieldAndType) {
  const JobSpec s = minimal_spec();
  expect_invalid(with(s, "nodes", "2"), "\"nodes\" must be an unsigned 32-bit integer");
  expect_invalid(with(s, "nodes", -1), "\"nodes\" must be an unsigned 32-bit integer");
  expect_invalid(with(s, "nodes", 4294967296ULL), "\"nodes\" must be an unsigned 32-bit integer");
  expect_invalid(with(s, "nodes", 2.0), "\"nodes\" must be an unsigned 32-bit integer");
  expect_invalid(with(s, "mem_mb", -5), "\"mem_mb\" must be an unsigned 64-bit integer");
  expect_invalid(with(s, "nice", 2147483648LL), "\"nice\" must be a signed 32-bit integer");
  expect_invalid(with(s, "time_limit_s", 18446744073709551615ULL),
                 "\"time_limit_s\" must be a signed 64-bit integer");
  expect_invalid(with(s, "hold", 1), "\"hold\" must be a boolean");
  expect_invalid(with(s, "requeue", "true"), "\"requeue\" must be a boolean");
  expect_invalid(with(s, "name", 5), "\"name\" must be a string");
  expect_invalid(with(s, "name", nullptr), "\"name\" must be a string");
  expect_invalid(with(s, "environment", json{{"A", 1}}), "\"environment\" must be an object of strings");
  expect_invalid(with(s, "environment", json::array()), "\"environment\" must be an object of strings");
  expect_invalid(with(s, "script_args", json::array({"a", 2})),
                 "\"script_args\" must be an array of strings");
  expect_invalid(with(s, "script_args", "a"), "\"script_args\" must be an array of strings");
}

TEST(JobSpecJson, InvalidValuesAreRejected) {
  const JobSpec s = minimal_spec();
  expect_invalid(with(s, "replicas", 0), "\"replicas\"");
  expect_invalid(with(s, "replicas", 17), "\"replicas\"");
  json quorum = with(s, "replicas", 3);
  quorum["quorum"] = 4;
  expect_invalid(quorum, "\"quorum\"");
  expect_invalid(with(s, "nodes", 0), "\"nodes\"");
  expect_invalid(with(s, "ntasks", 0), "\"ntasks\"");
  expect_invalid(with(s, "cpus_per_task", 0), "\"cpus_per_task\"");
  expect_invalid(with(s, "script", ""), "\"script\"");
  expect_invalid(with(s, "script", "#!/bin/sh\n" + std::string(1 << 20, 'x')), "\"script\"");
  expect_invalid(with(s, "network", "host"), "\"network\"");
  expect_invalid(with(s, "export_mode", "SOME"), "\"export_mode\"");
  expect_invalid(with(s, "time_limit_s", -2), "\"time_limit_s\"");
  expect_invalid(with(s, "max_price_micros", -1), "\"max_price_micros\"");
  expect_invalid(with(s, "begin_time", -1), "\"begin_time\"");
}

TEST(JobSpecJson, BoundaryValuesAreAccepted) {
  JobSpec s = minimal_spec();
  s.replicas = 16;
  s.quorum = 16;
  s.script = "#!/bin/sh\n" + std::string((1 << 20) - 10, 'x');
  EXPECT_EQ(job_spec_from_json(to_json(s)).quorum, 16u);
  EXPECT_EQ(job_spec_from_json(to_json(s)).script.size(), size_t{1} << 20);
}

TEST(JobSpecJson, DataNamesARegistryDataSetByDigestOrAnEarlierJobsResult) {
  EXPECT_EQ(result_job_of("job:42"), 42u);
  for (const char* not_a_job : {"job:", "job:0", "job:042", "job:4x", "job:-1", "Job:4", "jobs:4", " job:4",
                                "job:1234567890123456789", "127.0.0.1:5000/me/data@sha256:" })
    EXPECT_FALSE(result_job_of(not_a_job)) << not_a_job;
  JobSpec s = minimal_spec();
  s.data["prev"] = "job:7";
  s.data["set"] = "127.0.0.1:5000/me/data@sha256:" + std::string(64, 'a');
  EXPECT_EQ(job_spec_from_json(to_json(s)).data, s.data);
  s.data["bad"] = "job:x";
  expect_invalid(to_json(s), "data set \"bad\" must be pinned by digest");
}

}  // namespace
}  // namespace og
