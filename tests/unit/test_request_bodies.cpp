// Request bodies og-schedd decodes: what is accepted, and that anything else is a 400
// naming the field (never another exception, which would be a 500).
#include <gtest/gtest.h>

#include <functional>

#include "scheduler/request_bodies.hpp"

namespace og {
namespace {

using json = nlohmann::json;

// The ApiError a decoder throws for text (a failure when it throws none or another).
ApiError refusal(const std::function<void()>& decode) {
  try {
    decode();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted";
  return ApiError(Refusal::Internal, "", "");
}

TEST(RequestBodiesTest, AWorkersOfferIsDecoded) {
  Partition p = decode_partition_offer(
      "gpu-box", json::parse(R"({"cpus": 8, "memory_mb": 16000, "gpus": 1, "price_micros": 36000000,
                                 "features": ["avx512"], "isolation": "jail", "operator": "op@example"})"));
  EXPECT_EQ(p.name, "gpu-box");
  EXPECT_EQ(p.cpus, 8u);
  EXPECT_EQ(p.gpus, 1u);
  EXPECT_EQ(p.price_micros, 36000000);
  EXPECT_EQ(p.features, std::vector<std::string>{"avx512"});
  EXPECT_EQ(p.isolation, "jail");
  EXPECT_EQ(p.operator_name, "op@example");
}

TEST(RequestBodiesTest, IntegersOutOfTheirFieldsRangeAreRefusedNotWrapped) {
  // 2^32 + 1 CPUs used to become 1 CPU.
  auto e = refusal([] { decode_partition_offer("p", json::parse(R"({"cpus": 4294967297})")); });
  EXPECT_EQ(e.kind(), Refusal::Invalid);
  EXPECT_NE(std::string(e.what()).find("\"cpus\" must be an integer from 0 to 4294967295"), std::string::npos)
      << e.what();
  EXPECT_EQ(refusal([] { decode_partition_offer("p", json::parse(R"({"cpus": 2.5})")); }).code(), "invalid_field");
  EXPECT_EQ(refusal([] { decode_job_update(json::parse(R"({"time_limit_s": 1e300})")); }).code(), "invalid_field");
}

TEST(RequestBodiesTest, ListsOfLeaseIdsHoldOnlyLeaseIds) {
  PollRequest poll = decode_poll(json::parse(R"({"running": [3, 1, 3], "wait_ms": 99999999, "instance": 7})"));
  EXPECT_EQ(poll.running, (std::set<uint64_t>{1, 3}));
  EXPECT_EQ(poll.wait_ms, 3'600'000);  // at most an hour
  EXPECT_EQ(poll.instance, 7u);
  // Found by fuzzing (tests/fuzz): a number beyond 2^64 (parsed as a double) was converted
  // with undefined behaviour; -1 and 1.5 became other lease ids.
  for (const char* running : {"[18446744073709551665]", "[-1]", "[1.5]", "[\"1\"]", "7"}) {
    auto e = refusal([&] { decode_poll(json::parse(std::string(R"({"running": )") + running + "}")); });
    EXPECT_EQ(e.code(), "invalid_field") << running;
    EXPECT_NE(std::string(e.what()).find("\"running\" must be a list of integers"), std::string::npos) << e.what();
  }
}

TEST(RequestBodiesTest, ACompletionCarriesAManifestUnlessCancelled) {
  CompletionBody cancelled = decode_completion(json::parse(R"({"outcome": "CANCELLED"})"));
  EXPECT_FALSE(cancelled.manifest);
  EXPECT_EQ(cancelled.report.outcome, Outcome::Cancelled) << "an older og-worker's word, still taken";
  CompletionBody back = decode_completion(json::parse(R"({"outcome": "HANDED_BACK", "handback_reason": "its worker stopped"})"));
  EXPECT_FALSE(back.manifest);
  EXPECT_EQ(back.report.outcome, Outcome::HandedBack);
  EXPECT_EQ(back.report.handback_reason, "its worker stopped");
  EXPECT_EQ(refusal([] { decode_completion(json::parse(R"({"outcome": "COMPLETED", "manifest": {"version": 1, "files": [], "root": ""}, "handback_reason": "x"})")); }).code(),
            "invalid_field");
  EXPECT_EQ(refusal([] { decode_completion(json::parse(R"({"outcome": "COMPLETED"})")); }).code(), "missing_field");
  EXPECT_EQ(refusal([] { decode_completion(json::parse(R"({"outcome": "DONE", "manifest": {}})")); }).code(),
            "invalid_field");
  EXPECT_EQ(refusal([] { decode_completion(json::parse(R"({"outcome": "COMPLETED", "reason": "BadBundle"})")); })
                .code(),
            "invalid_field");
}

TEST(RequestBodiesTest, UnknownFieldsAndNonObjectsAreRefused) {
  EXPECT_EQ(refusal([] { decode_milestone(json::parse(R"({"index": 1, "digets": "x"})")); }).code(), "unknown_field");
  EXPECT_EQ(refusal([] { parse_body("[1, 2]"); }).code(), "malformed_json");
  EXPECT_EQ(refusal([] { parse_body("{\"a\": "); }).code(), "malformed_json");
  EXPECT_TRUE(parse_body("").is_object());
  EXPECT_EQ(refusal([] { decode_partition_offer("no spaces", json::object({{"cpus", 1}})); }).code(), "invalid_name");
}

}  // namespace
}  // namespace og
