// Slurm's -t/--time forms and the --mem size syntax.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "core/job_spec.hpp"
#include "jobscripts/memory_spec.hpp"
#include "jobscripts/time_spec.hpp"

namespace og::jobscripts {
namespace {

struct TimeCase {
  const char* text;
  int64_t seconds;
};

TEST(TimeSpec, EverySlurmFormIsAccepted) {
  const TimeCase cases[] = {
      {"30", 30 * 60},                         // M
      {"90", 90 * 60},                         // M above an hour
      {"5:30", 6 * 60},                        // M:S, rounded up to a minute as Slurm does
      {"1:30:00", 90 * 60},                    // H:M:S
      {"01:00:00", 3600},                      // zero-padded, as in most centre docs
      {"72:00:00", 72 * 3600},                 // hours above a day
      {"00:00:45", 60},                        // seconds only: a minute
      {"2-0", 2 * 86400},                      // D-H
      {"1-12", 86400 + 12 * 3600},             // D-H
      {"1-2:30", 86400 + 2 * 3600 + 30 * 60},  // D-H:M
      {"2-00:00:00", 2 * 86400},               // D-H:M:S
      {"0-00:10:05", 11 * 60},                 // D-H:M:S with zero days
      {"7-23:59:59", 8 * 86400},
      {"0:01", 60},                            // one second: one minute, as Slurm shows it
      {"1:00", 60},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_time_limit(c.text), c.seconds) << c.text;
  }
}

TEST(TimeSpec, UnlimitedSpellings) {
  for (const char* text : {"UNLIMITED", "unlimited", "Unlimited", "INFINITE", "infinite", "-1"}) {
    EXPECT_EQ(parse_time_limit(text), kTimeUnlimited) << text;
  }
}

TEST(TimeSpec, ZeroMeansNoLimitAsInSlurm) {
  EXPECT_EQ(parse_time_limit("0"), kTimeUnlimited);
  EXPECT_EQ(parse_time_limit("00:00:00"), kTimeUnlimited);
  EXPECT_EQ(parse_time_limit("0-0"), kTimeUnlimited);
}

TEST(TimeSpec, MalformedTimesAreRejectedWithTheAcceptedForms) {
  for (const char* text : {"", "1:2:3:4", "abc", "1-", "-5", "1:", ":5", "1-2-3", "1.5", " 5", "5 ", "1d",
                           "1h", "1-1:2:3:4", "+5", "9999999999", "--1", "1::2"}) {
    try {
      parse_time_limit(text);
      ADD_FAILURE() << "accepted \"" << text << "\"";
    } catch (const UsageError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("invalid time \"" + std::string(text) + "\""), std::string::npos) << msg;
      EXPECT_NE(msg.find("D-H:M:S"), std::string::npos) << msg;
    }
  }
}

TEST(TimeSpec, ExactMessageForFourFields) {
  try {
    parse_time_limit("1:2:3:4");
    FAIL() << "accepted 1:2:3:4";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "invalid time \"1:2:3:4\" (use M, M:S, H:M:S, D-H, D-H:M, D-H:M:S or UNLIMITED)");
  }
}

struct MemoryCase {
  const char* text;
  uint64_t mb;
};

TEST(MemorySpec, SuffixesAndDefaultUnit) {
  const MemoryCase cases[] = {
      {"100", 100},     {"0", 0},        {"100M", 100},   {"100m", 100},  {"4G", 4096}, {"4g", 4096},
      {"32000", 32000}, {"1T", 1048576}, {"2t", 2097152}, {"1024K", 1},   {"1025K", 2}, {"1k", 1},
      {"0K", 0},        {"2048k", 2},    {"16G", 16384},  {"007G", 7168},
      // A B after the unit, as HPC centres' documentation writes it (Slurm takes it too).
      {"4GB", 4096},    {"512gb", 524288}, {"8192MB", 8192}, {"10000mb", 10000}, {"2048KB", 2}, {"1TB", 1048576},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_memory_mb(c.text), c.mb) << c.text;
  }
}

TEST(MemorySpec, GarbageIsRejected) {
  for (const char* text : {"", "G", "GB", "4B", "4b", "4GBB", "B", "-1", "1.5G", "4X", "4 G", " 4G", "G4", "99999999999999999999",
                           "18446744073709551615T", "1e3"}) {
    EXPECT_THROW(parse_memory_mb(text), UsageError) << text;
  }
}

TEST(MemorySpec, ErrorNamesTheValue) {
  try {
    parse_memory_mb("4XB");
    FAIL() << "accepted 4XB";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("\"4XB\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace og::jobscripts
