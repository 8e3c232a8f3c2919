#include "tests/support/admin_cli.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <hiredis/hiredis.h>

#include "common/auth/redis_names.hpp"
#include "common/auth/secret_hash.hpp"
#include "tests/support/libpq_queries.hpp"
#include "tests/support/process.hpp"
#include "tests/support/servers.hpp"

using Catch::Matchers::Contains;
using namespace gpt_adapter::testing;
namespace json = boost::json;

namespace {

// Runs the real gpt-adapter-admin (see run_admin_cli), showing its output when a check fails.
admin_cli_result run_admin(const std::vector<std::string>& args,
                           std::map<std::string, std::string> environment) {
  auto result = run_admin_cli(args, std::move(environment));
  UNSCOPED_INFO("gpt-adapter-admin exited " << result.status << "\nstdout:\n"
                                            << result.out << "\nstderr:\n"
                                            << result.err);
  return result;
}

std::string query_value(const std::string& url, const std::string& sql,
                        const std::vector<std::string>& params = {}) {
  const auto rows = query_rows(url, sql, params);
  REQUIRE(rows.size() == 1);
  REQUIRE(rows[0].at(0));
  return *rows[0][0];
}

// A plain hiredis connection subscribed to the invalidation channel. Published messages wait
// in its socket until read, so the test subscribes, runs the CLI, then reads.
class invalidation_subscriber {
 public:
  explicit invalidation_subscriber(unsigned short port)
      : context_(redisConnect("127.0.0.1", port), redisFree) {
    REQUIRE(context_);
    REQUIRE(context_->err == 0);
    const timeval timeout{10, 0};
    redisSetTimeout(context_.get(), timeout);
    const std::string channel(gpt_adapter::auth::application_invalidation_channel);
    auto* reply = static_cast<redisReply*>(
        redisCommand(context_.get(), "SUBSCRIBE %b", channel.data(), channel.size()));
    REQUIRE(reply != nullptr);
    freeReplyObject(reply);
  }

  // The payload of the next message on the channel; nullopt after 10 s without one.
  std::optional<std::string> next_message() {
    void* raw = nullptr;
    if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr) {
      return std::nullopt;
    }
    std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(static_cast<redisReply*>(raw),
                                                                  freeReplyObject);
    REQUIRE(reply->type == REDIS_REPLY_ARRAY);
    REQUIRE(reply->elements == 3);
    CHECK(std::string(reply->element[0]->str, reply->element[0]->len) == "message");
    return std::string(reply->element[2]->str, reply->element[2]->len);
  }

 private:
  std::unique_ptr<redisContext, decltype(&redisFree)> context_;
};

// A database and a Redis with the schema migrated, and the environment to reach them.
struct admin_fixture {
  postgres_server postgres;
  redis_server redis;
  std::map<std::string, std::string> environment{{"DATABASE_URL", postgres.owner_url()},
                                                 {"DATABASE_ADMIN_URL", postgres.owner_url()},
                                                 {"REDIS_URL", redis.url()}};

  admin_fixture() { REQUIRE(run({"migrate", "up"}).status == 0); }

  admin_cli_result run(const std::vector<std::string>& args) {
    return run_admin(args, environment);
  }

  json::object create(const std::vector<std::string>& extra_args) {
    std::vector<std::string> args{"app", "create", "--json"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    const auto result = run(args);
    REQUIRE(result.status == 0);
    return json::parse(result.out).as_object();
  }

  std::string stored_hash(const std::string& client_id) {
    return query_value(postgres.owner_url(),
                       "SELECT client_secret_hash FROM custom_gpt_applications "
                       "WHERE client_id = $1",
                       {client_id});
  }

  long long token_version(const std::string& client_id) {
    return std::stoll(query_value(postgres.owner_url(),
                                  "SELECT token_version FROM custom_gpt_applications "
                                  "WHERE client_id = $1",
                                  {client_id}));
  }
};

std::string text_of(const json::object& object, std::string_view key) {
  return std::string(object.at(key).as_string());
}

}  // namespace

TEST_CASE("admin CLI: --help on every level prints usage to stdout and exits 0",
          "[integration][admin]") {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"},
                                                                {"-h"},
                                                                {"migrate", "--help"},
                                                                {"migrate", "up", "--help"},
                                                                {"migrate", "down", "-h"},
                                                                {"migrate", "status", "--help"},
                                                                {"app", "--help"},
                                                                {"app", "create", "--help"},
                                                                {"app", "list", "--help"},
                                                                {"app", "show", "--help"},
                                                                {"app", "update", "--help"},
                                                                {"app", "delete", "--help"},
                                                                {"app", "reset-secret", "--help"},
                                                                {"app", "stats", "--help"}}) {
    const auto result = run_admin(args, {});
    CHECK(result.status == 0);
    CHECK_THAT(result.out, Contains("Usage: gpt-adapter-admin"));
    CHECK(result.err.empty());
  }
  CHECK_THAT(run_admin({"app", "create", "--help"}, {}).out,
             Contains("--name NAME") && Contains("--redirect-uri URI"));
}

TEST_CASE("admin CLI: bad command lines exit 2 with one line naming the problem",
          "[integration][admin]") {
  const auto unknown = run_admin({"frobnicate"}, {});
  CHECK(unknown.status == 2);
  CHECK_THAT(unknown.err, Contains("unknown command 'frobnicate'"));
  CHECK(unknown.out.empty());

  CHECK(run_admin({}, {}).status == 2);
  const auto flag = run_admin({"app", "list", "--colour"}, {});
  CHECK(flag.status == 2);
  CHECK_THAT(flag.err,
             Contains("unknown option --colour") && Contains("gpt-adapter-admin app list --help"));
  // Argument validation happens before any configuration or connection is needed.
  const auto scope = run_admin({"app", "create", "--name", "x", "--scopes", "memories:admin"}, {});
  CHECK(scope.status == 2);
  CHECK_THAT(scope.err, Contains("--scopes") && Contains("memories:admin"));
}

TEST_CASE("admin CLI: a missing DATABASE_URL is a configuration error, exit 78",
          "[integration][admin]") {
  const auto result = run_admin({"app", "list"}, {});
  CHECK(result.status == 78);
  CHECK_THAT(result.err, Contains("DATABASE_URL"));
}

TEST_CASE("admin CLI: an unreachable database fails with exit 1 and one error line",
          "[integration][admin]") {
  const auto url = "postgresql://postgres@127.0.0.1:" + std::to_string(free_port()) + "/x";
  const auto result = run_admin({"app", "list"}, {{"DATABASE_URL", url}});
  CHECK(result.status == 1);
  CHECK_THAT(result.err, Contains("gpt-adapter-admin:"));
  CHECK(result.out.empty());
}

TEST_CASE("admin CLI: app create prints the secret once and stores only a PBKDF2 hash",
          "[integration][admin]") {
  admin_fixture fixture;
  const auto text = fixture.run({"app", "create", "--name", "Memory GPT", "--scopes", "memory:read",
                                 "--rate-limit", "250", "--redirect-uri",
                                 "https://chatgpt.com/aip/*/oauth/callback"});
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out, Contains("cannot be recovered"));

  const auto created = fixture.create({"--name", "JSON GPT"});
  const auto client_id = text_of(created, "client_id");
  const auto secret = text_of(created, "client_secret");
  CHECK(client_id.starts_with("gpta_"));
  CHECK(secret.size() >= 43);
  CHECK_THAT(fixture.run({"app", "create", "--json", "--name", "n"}).err,
             Contains("cannot be recovered"));

  const auto stored = fixture.stored_hash(client_id);
  CHECK(stored.starts_with("pbkdf2-sha256$600000$"));
  CHECK(gpt_adapter::auth::verify_secret(secret, stored));
  CHECK_FALSE(gpt_adapter::auth::verify_secret(secret + "x", stored));
  CHECK(query_value(fixture.postgres.owner_url(),
                    "SELECT count(*) FROM custom_gpt_applications a "
                    "WHERE strpos(a::text, $1) > 0",
                    {secret}) == "0");
  // Shown once: nothing the CLI prints later contains it.
  CHECK_THAT(fixture.run({"app", "show", client_id, "--json"}).out, !Contains(secret));
  CHECK_THAT(fixture.run({"app", "list"}).out, !Contains(secret));

  const auto shown = json::parse(fixture.run({"app", "show", client_id, "--json"}).out).as_object();
  CHECK(text_of(shown, "name") == "JSON GPT");
  CHECK(text_of(shown, "status") == "active");
  CHECK(shown.at("rate_limit_per_minute").as_int64() == 100);
  CHECK(shown.at("scopes").as_array() == json::array{"memories:read", "memories:write"});
  CHECK(shown.at("last_used_at").is_null());
}

TEST_CASE("admin CLI: list and show find applications by id and client_id",
          "[integration][admin]") {
  admin_fixture fixture;
  const auto empty = fixture.run({"app", "list", "--json"});
  REQUIRE(empty.status == 0);
  CHECK(json::parse(empty.out).as_array().empty());

  const auto first = fixture.create({"--name", "First", "--scopes", "memories:read,memory:write",
                                     "--redirect-uri", "https://example.com/callback",
                                     "--redirect-uri", "http://localhost:3000/cb"});
  const auto second = fixture.create({"--name", "Second", "--rate-limit", "5"});

  const auto listed = json::parse(fixture.run({"app", "list", "--json"}).out).as_array();
  REQUIRE(listed.size() == 2);
  CHECK(text_of(listed[0].as_object(), "client_id") == text_of(first, "client_id"));
  CHECK(text_of(listed[1].as_object(), "name") == "Second");
  CHECK(listed[1].as_object().at("rate_limit_per_minute").as_int64() == 5);
  CHECK_FALSE(listed[0].as_object().contains("client_secret"));

  const auto table = fixture.run({"app", "list"});
  REQUIRE(table.status == 0);
  CHECK_THAT(table.out, Contains("CLIENT_ID") && Contains("RATE LIMIT") &&
                            Contains(text_of(second, "client_id")) && Contains("5/min") &&
                            Contains("never"));

  const auto by_id =
      json::parse(fixture.run({"app", "show", text_of(first, "id"), "--json"}).out).as_object();
  CHECK(text_of(by_id, "client_id") == text_of(first, "client_id"));
  CHECK(by_id.at("redirect_uris").as_array() ==
        json::array{"https://example.com/callback", "http://localhost:3000/cb"});

  const auto text = fixture.run({"app", "show", text_of(second, "client_id")});
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out, Contains("name:") && Contains("Second") && Contains("5 requests/minute"));

  const auto missing = fixture.run({"app", "show", "gpta_nobody"});
  CHECK(missing.status == 1);
  CHECK_THAT(missing.err, Contains("gpta_nobody"));
}

TEST_CASE("admin CLI: update changes fields, validates arguments and publishes an invalidation",
          "[integration][admin]") {
  admin_fixture fixture;
  const auto app = fixture.create({"--name", "Updatable"});
  const auto client_id = text_of(app, "client_id");
  invalidation_subscriber subscriber(fixture.redis.port());

  const auto updated = fixture.run({"app", "update", client_id, "--rate-limit", "42", "--scopes",
                                    "memories:read", "--name", "Renamed", "--json"});
  REQUIRE(updated.status == 0);
  CHECK(subscriber.next_message() == text_of(app, "id"));
  const auto shown = json::parse(fixture.run({"app", "show", client_id, "--json"}).out).as_object();
  CHECK(shown.at("rate_limit_per_minute").as_int64() == 42);
  CHECK(shown.at("scopes").as_array() == json::array{"memories:read"});
  CHECK(text_of(shown, "name") == "Renamed");
  CHECK(shown.at("token_version").as_int64() == app.at("token_version").as_int64());

  const auto bad_scope = fixture.run({"app", "update", client_id, "--scopes", "memories:delete"});
  CHECK(bad_scope.status == 2);
  CHECK_THAT(bad_scope.err, Contains("--scopes") && Contains("memories:delete"));
  const auto bad_limit = fixture.run({"app", "update", client_id, "--rate-limit", "0"});
  CHECK(bad_limit.status == 2);
  CHECK_THAT(bad_limit.err, Contains("--rate-limit"));
  const auto bad_uri =
      fixture.run({"app", "update", client_id, "--redirect-uri", "http://evil.example/cb"});
  CHECK(bad_uri.status == 2);
  CHECK_THAT(bad_uri.err, Contains("--redirect-uri"));
  CHECK(fixture.run({"app", "update", client_id}).status == 2);
  CHECK(fixture.token_version(client_id) == app.at("token_version").as_int64());
  CHECK(fixture.run({"app", "update", "gpta_nobody", "--name", "x"}).status == 1);
}

TEST_CASE("admin CLI: disabling an application bumps its token version", "[integration][admin]") {
  admin_fixture fixture;
  const auto app = fixture.create({"--name", "Disable me"});
  const auto client_id = text_of(app, "client_id");
  const auto before = fixture.token_version(client_id);

  REQUIRE(fixture.run({"app", "update", client_id, "--status", "disabled"}).status == 0);
  CHECK(fixture.token_version(client_id) == before + 1);
  CHECK(query_value(fixture.postgres.owner_url(),
                    "SELECT status FROM custom_gpt_applications WHERE client_id = $1",
                    {client_id}) == "disabled");

  REQUIRE(fixture.run({"app", "update", client_id, "--status", "active"}).status == 0);
  CHECK(fixture.token_version(client_id) == before + 1);
  CHECK(fixture.run({"app", "update", client_id, "--status", "paused"}).status == 2);
}

TEST_CASE("admin CLI: reset-secret replaces the hash, bumps the token version, publishes",
          "[integration][admin]") {
  admin_fixture fixture;
  const auto app = fixture.create({"--name", "Rotate me"});
  const auto client_id = text_of(app, "client_id");
  const auto old_secret = text_of(app, "client_secret");
  const auto old_hash = fixture.stored_hash(client_id);
  const auto before = fixture.token_version(client_id);
  invalidation_subscriber subscriber(fixture.redis.port());

  const auto reset = fixture.run({"app", "reset-secret", client_id, "--json"});
  REQUIRE(reset.status == 0);
  const auto new_secret = text_of(json::parse(reset.out).as_object(), "client_secret");
  CHECK(new_secret != old_secret);
  CHECK(subscriber.next_message() == text_of(app, "id"));

  const auto new_hash = fixture.stored_hash(client_id);
  CHECK(new_hash != old_hash);
  CHECK(gpt_adapter::auth::verify_secret(new_secret, new_hash));
  CHECK_FALSE(gpt_adapter::auth::verify_secret(old_secret, new_hash));
  CHECK(fixture.token_version(client_id) == before + 1);

  const auto text = fixture.run({"app", "reset-secret", text_of(app, "id")});
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out, Contains("client_secret:") && Contains("cannot be recovered"));
  CHECK(fixture.token_version(client_id) == before + 2);
}

TEST_CASE("admin CLI: delete refuses without --yes and deletes with it", "[integration][admin]") {
  admin_fixture fixture;
  const auto app = fixture.create({"--name", "Delete me"});
  const auto client_id = text_of(app, "client_id");

  const auto refused = fixture.run({"app", "delete", client_id});
  CHECK(refused.status == 2);
  CHECK_THAT(refused.err, Contains("--yes"));
  CHECK(fixture.run({"app", "show", client_id}).status == 0);

  invalidation_subscriber subscriber(fixture.redis.port());
  const auto deleted = fixture.run({"app", "delete", client_id, "--yes"});
  REQUIRE(deleted.status == 0);
  CHECK(subscriber.next_message() == text_of(app, "id"));
  CHECK(fixture.run({"app", "show", client_id}).status == 1);
  CHECK(query_value(fixture.postgres.owner_url(), "SELECT count(*) FROM custom_gpt_applications") ==
        "0");
  CHECK(fixture.run({"app", "delete", client_id, "--yes"}).status == 1);
}

TEST_CASE("admin CLI: without Redis a change still succeeds, with a warning",
          "[integration][admin]") {
  admin_fixture fixture;
  const auto app = fixture.create({"--name", "No Redis"});
  const auto client_id = text_of(app, "client_id");

  fixture.environment.erase("REDIS_URL");
  const auto unset = fixture.run({"app", "update", client_id, "--rate-limit", "7"});
  CHECK(unset.status == 0);
  CHECK_THAT(unset.err, Contains("warning") && Contains("REDIS_URL is not set"));

  fixture.environment["REDIS_URL"] = "redis://127.0.0.1:" + std::to_string(free_port());
  const auto unreachable = fixture.run({"app", "update", client_id, "--rate-limit", "8"});
  CHECK(unreachable.status == 0);
  CHECK_THAT(unreachable.err, Contains("warning") && Contains("could not publish"));
  CHECK(json::parse(fixture.run({"app", "show", client_id, "--json"}).out)
            .as_object()
            .at("rate_limit_per_minute")
            .as_int64() == 8);
}

TEST_CASE("admin CLI: migrate up, status and down against a fresh database",
          "[integration][admin]") {
  postgres_server postgres;
  const std::map<std::string, std::string> environment{
      {"DATABASE_URL", postgres.runtime_url()}, {"DATABASE_ADMIN_URL", postgres.owner_url()}};

  const auto pending = run_admin({"migrate", "status"}, environment);
  REQUIRE(pending.status == 0);
  CHECK_THAT(pending.out, Contains("VERSION") && Contains("0001") && Contains("pending"));

  const auto up = run_admin({"migrate", "up", "--to", "1"}, environment);
  REQUIRE(up.status == 0);
  CHECK_THAT(up.out, Contains("Applied 0001") && !Contains("Applied 0002"));
  CHECK(query_value(postgres.owner_url(),
                    "SELECT to_regclass('custom_gpt_applications') IS NOT NULL") == "t");
  const auto partly = run_admin({"migrate", "status"}, environment);
  CHECK_THAT(partly.out, Contains("0002") && Contains("pending"));

  const auto rest = run_admin({"migrate", "up"}, environment);
  REQUIRE(rest.status == 0);
  CHECK_THAT(rest.out, Contains("Applied 0002") && !Contains("Applied 0001"));
  const auto applied = run_admin({"migrate", "status"}, environment);
  CHECK_THAT(applied.out, Contains("0001") && !Contains("pending"));
  CHECK_THAT(run_admin({"migrate", "up"}, environment).out, Contains("Nothing to apply"));

  CHECK(run_admin({"migrate", "down", "0"}, environment).status == 2);
  CHECK(run_admin({"migrate", "up", "--to", "x"}, environment).status == 2);

  // One step back by default: the newest migration only.
  const auto down = run_admin({"migrate", "down"}, environment);
  REQUIRE(down.status == 0);
  CHECK_THAT(down.out, Contains("Reverted") && !Contains("Reverted 0001"));
  CHECK(query_value(postgres.owner_url(),
                    "SELECT to_regclass('custom_gpt_applications') IS NOT NULL") == "t");
  CHECK_THAT(run_admin({"migrate", "status"}, environment).out, Contains("pending"));

  const auto all_down = run_admin({"migrate", "down", "100"}, environment);
  REQUIRE(all_down.status == 0);
  CHECK_THAT(all_down.out, Contains("Reverted 0001"));
  CHECK(query_value(postgres.owner_url(),
                    "SELECT to_regclass('custom_gpt_applications') IS NULL") == "t");
  CHECK_THAT(run_admin({"migrate", "down"}, environment).out, Contains("Nothing to revert"));

  REQUIRE(run_admin({"migrate", "up"}, environment).status == 0);
  CHECK_THAT(run_admin({"migrate", "status"}, environment).out, !Contains("pending"));
}

TEST_CASE(
    "admin CLI: stats counts an application's audit log under row-level security, delete keeps the "
    "log",
    "[integration][admin]") {
  admin_fixture fixture;
  const auto counted = fixture.create({"--name", "Counted"});
  const auto other = fixture.create({"--name", "Other"});
  const auto id = text_of(counted, "id");
  run_sql(fixture.postgres.owner_url(),
          "INSERT INTO custom_gpt_audit_logs (application_id, operation_type, response_status, "
          "created_at) VALUES "
          "('" +
              id +
              "', 'search', 200, now()), "
              "('" +
              id +
              "', 'search', 200, now() - interval '1 hour'), "
              "('" +
              id +
              "', 'search', 429, now()), "
              "('" +
              id +
              "', 'create', 202, now()), "
              "('" +
              id +
              "', 'create', 503, now() - interval '3 days'), "
              "('" +
              text_of(other, "id") + "', 'search', 200, now())");

  // As the runtime role, which sees audit rows only through the application's RLS policy.
  run_sql(fixture.postgres.owner_url(), "GRANT gpt_adapter_runtime TO gpt_adapter_app");
  const std::map<std::string, std::string> runtime{
      {"DATABASE_URL", fixture.postgres.runtime_url()}};
  const auto day = run_admin({"app", "stats", text_of(counted, "client_id"), "--json"}, runtime);
  REQUIRE(day.status == 0);
  const auto stats = json::parse(day.out).as_object();
  CHECK(stats.at("total").as_int64() == 4);
  CHECK(stats.at("counts") ==
        json::parse(R"([{"operation_type":"create","status_class":"2xx","requests":1},
                        {"operation_type":"search","status_class":"2xx","requests":2},
                        {"operation_type":"search","status_class":"4xx","requests":1}])"));

  const auto week = fixture.run({"app", "stats", id, "--since", "7d", "--json"});
  REQUIRE(week.status == 0);
  CHECK(json::parse(week.out).as_object().at("total").as_int64() == 5);

  const auto text = fixture.run({"app", "stats", id, "--since", "30m"});
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out, Contains("in the last 30m: 3") && Contains("OPERATION") && Contains("4xx"));
  CHECK(fixture.run({"app", "stats", id, "--since", "forever"}).status == 2);

  // Deleting the application keeps its audit trail.
  REQUIRE(fixture.run({"app", "delete", id, "--yes"}).status == 0);
  CHECK(query_value(fixture.postgres.owner_url(),
                    "SELECT count(*) FROM custom_gpt_audit_logs WHERE application_id = $1",
                    {id}) == "5");
}
