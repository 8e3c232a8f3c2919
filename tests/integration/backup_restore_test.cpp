#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/queue/keys.hpp"
#include "tests/support/memory_stack.hpp"
#include "tests/support/process.hpp"
#include "tests/support/redis_commands.hpp"

// docs/runbooks/backup-and-restore.md, followed literally: its shell blocks (marked
// `<!-- runbook-test: NAME -->`) run as written, with only DATABASE_ADMIN_URL, REDIS_ADMIN_URL and
// BACKUP_DIR set, against a stack that holds applications, an API key, end users, finished and
// queued jobs. After a wipe of both stores and the restore, all of them are there and work.

using namespace gpt_adapter;
using namespace gpt_adapter::testing;
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> runbook_blocks() {
  std::ifstream in(fs::path(GPT_ADAPTER_SOURCE_DIR) / "docs/runbooks/backup-and-restore.md");
  std::stringstream text;
  text << in.rdbuf();
  const auto page = text.str();
  const std::regex block(R"(<!-- runbook-test: ([a-z-]+) -->\n```sh\n([\s\S]*?)```)");
  std::map<std::string, std::string> blocks;
  for (std::sregex_iterator it(page.begin(), page.end(), block), end; it != end; ++it) {
    blocks[(*it)[1]] = (*it)[2];
  }
  return blocks;
}

// Runs one block with bash -euo pipefail; `prefix` runs first in the same shell (the variables
// an earlier block set, as an operator's shell keeps them).
void run_block(const std::string& name, const std::string& script,
               const std::map<std::string, std::string>& environment, const std::string& prefix,
               const fs::path& work) {
  const auto file = work / (name + ".sh");
  std::ofstream(file) << prefix << script;
  child_process shell({.argv = {"/bin/bash", "-euo", "pipefail", file.string()},
                       .environment = environment,
                       .output_file = work / (name + ".log")});
  const auto status = shell.wait_exit(120s);
  INFO("runbook block " << name << ":\n" << script << "\noutput:\n" << shell.output());
  REQUIRE(status == 0);
}

std::string sorted_rows(const api_stack& stack, const std::string& sql) {
  return stack.value("SELECT coalesce(string_agg(r, '|' ORDER BY r), '') FROM (" + sql +
                     ") AS rows(r)");
}

}  // namespace

TEST_CASE("backup and restore follows its runbook", "[integration][backup]") {
  const auto blocks = runbook_blocks();
  for (const auto* name : {"backup", "restore-postgres", "redis-location", "restore-redis"}) {
    INFO(name);
    REQUIRE(blocks.contains(name));
  }

  memory_stack stack;
  const auto client_id = stack.application.client_id;
  const auto other = stack.create_application("Second GPT", {"--rate-limit", "7"});
  const auto key = std::string(stack
                                   .admin_json({"key", "create", "--app", client_id, "--scopes",
                                                "memories:read", "--name", "backup-check"})
                                   .as_object()
                                   .at("api_key")
                                   .as_string());
  const auto token = stack.token(stack.alice);

  // A finished job (its record in Redis, its history row in PostgreSQL)...
  const auto done = stack.post("/api/v1/memories", token, R"({"content":"likes oolong"})");
  REQUIRE(done.status == 202);
  const auto done_id = std::string(done.json().as_object().at("request_id").as_string());
  REQUIRE(stack.finished_job(done_id, token).at("status").as_string() == "succeeded");
  REQUIRE(wait_until(
      [&] {
        return stack.value("SELECT count(*) FROM custom_gpt_jobs WHERE request_id = $1",
                           {done_id}) == "1";
      },
      20s, 50ms));
  // ...and a queued one, with no worker to run it.
  stack.worker->process().stop();
  const auto queued = stack.post("/api/v1/memories", token, R"({"content":"likes sencha"})");
  REQUIRE(queued.status == 202);
  const auto queued_id = std::string(queued.json().as_object().at("request_id").as_string());

  const auto applications_sql =
      "SELECT client_id || ':' || name || ':' || rate_limit_per_minute FROM "
      "custom_gpt_applications";
  const auto applications = sorted_rows(stack, applications_sql);
  const auto jobs = sorted_rows(stack, "SELECT request_id || ':' || status FROM custom_gpt_jobs");
  redis_commands redis(stack.redis.port());
  const auto stream_length =
      redis.run({"XLEN", std::string(queue::keys::jobs_stream)}).as_integer();
  REQUIRE(stream_length == 1);
  CHECK_THAT(applications, Catch::Matchers::Contains(other.client_id + ":Second GPT:7"));

  temp_dir work("backup-runbook");
  const std::map<std::string, std::string> environment = {
      {"DATABASE_ADMIN_URL", stack.database.owner_url()},
      {"REDIS_ADMIN_URL", stack.redis.url()},
      {"BACKUP_DIR", (work.path() / "backup").string()}};
  run_block("backup", blocks.at("backup"), environment, "", work.path());

  // The disaster: both stores emptied.
  stack.api->process().stop();
  run_sql(stack.database.owner_url(), "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  REQUIRE(redis.run({"FLUSHALL"}).as_string() == "OK");
  REQUIRE(redis.run({"DBSIZE"}).as_integer() == 0);

  run_block("restore-postgres", blocks.at("restore-postgres"), environment, "", work.path());
  // The operator's shell keeps REDIS_DIR and AOF_DIR from the block run before stopping Redis.
  const auto location = work.path() / "location.env";
  run_block("redis-location",
            blocks.at("redis-location") + "printf 'REDIS_DIR=%q\\nAOF_DIR=%q\\n' \"$REDIS_DIR\" " +
                "\"$AOF_DIR\" > " + location.string() + "\n",
            environment, "", work.path());
  stack.redis.stop();
  run_block("restore-redis", blocks.at("restore-redis"), environment,
            ". " + location.string() + "\n", work.path());
  stack.redis.start();

  redis_commands restored(stack.redis.port());
  CHECK(restored.run({"XLEN", std::string(queue::keys::jobs_stream)}).as_integer() ==
        stream_length);
  CHECK(sorted_rows(stack, applications_sql) == applications);
  CHECK(sorted_rows(stack, "SELECT request_id || ':' || status FROM custom_gpt_jobs") == jobs);

  stack.start_api();
  // The API key and the access token verify against the restored rows.
  CHECK(stack.get("/api/v1/me", key).status == 200);
  CHECK(stack.get("/api/v1/me", token).status == 200);
  // The finished job's record came back from the AOF...
  CHECK(stack.finished_job(done_id, token).at("status").as_string() == "succeeded");
  // ...and the queued job runs once a worker is back.
  stack.start_worker();
  CHECK(stack.finished_job(queued_id, token).at("status").as_string() == "succeeded");
}
