// og-tail: the end of a job's output file, as tail prints it; with -f it follows the file
// while the job runs, as sattach or `tail -f slurm-42.out` would on a Slurm cluster. A
// running job's bytes come live from the provider that runs it, through og-schedd (its
// owner only); once the replica has ended, from the file it reported.
#include <unistd.h>

#include <iostream>

#include "cli/cli_common.hpp"
#include "core/error.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-tail [OPTIONS] JOBID[_TASK]

Prints the last lines of a job's output file (slurm-JOBID.out, or its --output); with -f,
goes on printing what the job writes until it ends. While the job runs the bytes come
live from its provider (about twice a second); once it has ended, from the file it
reported (og-fetch brings the verified result).

  -f, --follow            keep printing until the job ends (a pending job is waited for)
  -n, --lines=N           the last N lines (default 10); +N: from line N on (+1: all)
  -e, --error             its --error file instead (when it has one of its own)
      --replica=N         which replica to read, 1 = the first made (default: the accepted
                          one, else one still running)
      --url, --token-file where og-schedd is and the credential
)";

struct Slice {
  std::string data;
  uint64_t lease = 0, start = 0, end = 0;
  bool done = false;
  std::string source, file;
};

uint64_t header_number(const og::HttpResult& r, const char* name) {
  std::string v = r.header(name);
  return v.empty() ? 0 : std::stoull(v);
}

class OutputReader {
 public:
  OutputReader(og::HttpClient& client, uint64_t job, std::string stream, std::string replica)
      : client_(client), base_("/og/v1/jobs/" + std::to_string(job) + "/output?stream=" + stream + replica) {}
  Slice read(const std::string& where, uint64_t wait_ms) {
    auto r = client_.request("GET", base_ + where + "&wait_ms=" + std::to_string(wait_ms), "", wait_ms + 30000);
    if (r.status != 200) {
      // Let the JSON error speak (what, and how to fix).
      client_.call("GET", base_ + where);
      throw std::runtime_error("og-schedd answered " + std::to_string(r.status));
    }
    return Slice{std::move(r.body), header_number(r, "OG-Output-Lease"), header_number(r, "OG-Output-Start"),
                 header_number(r, "OG-Output-End"), r.header("OG-Output-Done") == "1", r.header("OG-Output-Source"),
                 r.header("OG-Output-File")};
  }

 private:
  og::HttpClient& client_;
  std::string base_;
};

// The part of `text` from its last `lines` lines on (a last line without newline counts).
size_t last_lines_start(const std::string& text, size_t lines) {
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (size_t seen = 0; pos > 0; --pos)
    if (text[pos - 1] == '\n' && ++seen == lines) return pos;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-tail", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::Connection conn;
    bool follow = false, error_file = false, from_line = false;
    std::string lines_text = "10", replica, ref;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--help") {
        std::cout << kHelp;
        return 0;
      }
      if (conn.take(args, i)) continue;
      if (args[i] == "-f" || args[i] == "--follow") follow = true;
      else if (args[i] == "-e" || args[i] == "--error") error_file = true;
      else if (og::cli::take_value(args, i, "--lines", "-n", lines_text)) continue;
      else if (og::cli::take_value(args, i, "--replica", "", replica)) continue;
      else if (!args[i].empty() && args[i][0] == '-') throw og::UsageError("unrecognized option " + args[i] + " (see og-tail --help)");
      else if (!ref.empty()) throw og::UsageError("name one job (see og-tail --help)");
      else ref = args[i];
    }
    if (ref.empty()) throw og::UsageError("name the job whose output to print (see og-tail --help)");
    from_line = !lines_text.empty() && lines_text[0] == '+';
    size_t lines = 0;
    try {
      lines = std::stoul(from_line ? lines_text.substr(1) : lines_text);
    } catch (const std::exception&) {
      throw og::UsageError("--lines takes a number, or +N to start at line N (got \"" + lines_text + "\")");
    }
    auto client = conn.connect();
    auto jobs = og::cli::jobs_named(client, ref);
    if (jobs.size() != 1)
      throw og::UsageError(ref + " names " + std::to_string(jobs.size()) + " jobs; name one array task (" + ref + "_N)");
    const uint64_t id = jobs[0].value("job_id", uint64_t{0});
    const std::string shown = og::cli::display_job_id(jobs[0]);
    OutputReader reader(client, id, error_file ? "err" : "out", replica.empty() ? "" : "&replica=" + replica);

    // The first read: the end of the file (or its start, for +N).
    Slice slice = reader.read(from_line ? "&offset=0" : "&last=262144", 0);
    while (slice.lease == 0) {  // not started
      std::string state = jobs[0].value("job_state", std::string("PENDING"));
      if (slice.done) throw std::runtime_error("job " + shown + " ended (" + state + ") without running");
      if (!follow) throw std::runtime_error("job " + shown + " has not started (" + state + "); og-tail -f " + shown + " waits for it");
      jobs[0] = client.call("GET", "/og/v1/jobs/" + std::to_string(id) + "/wait?since=PENDING&timeout_ms=30000")["jobs"][0];
      slice = reader.read(from_line ? "&offset=0" : "&last=262144", 0);
    }
    std::string text = slice.data;
    size_t begin = 0;
    if (from_line) {
      for (size_t n = 1; n < lines && begin < text.size(); ++n) {
        size_t nl = text.find('\n', begin);
        begin = nl == std::string::npos ? text.size() : nl + 1;
      }
    } else {
      begin = lines == 0 ? text.size() : last_lines_start(text, lines);
    }
    std::cout.write(text.data() + begin, static_cast<std::streamsize>(text.size() - begin));
    std::cout.flush();
    uint64_t lease = slice.lease, pos = slice.start + slice.data.size();
    bool reported_gap = false;
    // +N on a file longer than one read: the rest of it, then (with -f) what comes.
    auto at = [&](uint64_t offset) { return "&offset=" + std::to_string(offset) + "&lease=" + std::to_string(lease); };
    while (from_line && pos < slice.end) {
      slice = reader.read(at(pos), 0);
      std::cout.write(slice.data.data(), static_cast<std::streamsize>(slice.data.size()));
      pos = slice.start + slice.data.size();
      if (slice.data.empty()) break;
    }
    if (slice.done && slice.source == "none")
      std::cerr << "og-tail: the replica (lease " << lease << ") ended without reporting this file\n";
    while (follow && !(slice.done && pos >= slice.end)) {
      slice = reader.read(at(pos), 5000);
      if (slice.lease != lease && slice.lease != 0) {
        // The replica followed was lost and another runs the job now: its file from the start.
        std::cerr << "og-tail: job " << shown << " now runs as lease " << slice.lease << "; its output from the start\n";
        lease = slice.lease;
        pos = 0;
        continue;
      }
      if (slice.start > pos && !reported_gap) {
        std::cerr << "og-tail: " << (slice.start - pos) << " bytes skipped (the job wrote faster than they could be sent)\n";
        reported_gap = true;
      }
      std::cout.write(slice.data.data(), static_cast<std::streamsize>(slice.data.size()));
      std::cout.flush();
      pos = std::max(pos, slice.start + slice.data.size());
      if (slice.done && slice.source == "none") break;  // ended, and its files did not come
    }
    return 0;
  });
}
