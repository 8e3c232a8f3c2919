#include <chrono>
#include <set>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/text/rfc3339.hpp"
#include "tests/support/memory_stack.hpp"
#include "tests/support/problem_checks.hpp"
#include "tests/support/redis_acl.hpp"
#include "tests/support/redis_commands.hpp"
#include "tests/support/tls_test_server.hpp"

// The journey a GPT makes through the API, the queue and the worker to each mem0 dialect (the dev
// Memory Bank speaking the open-source server's contract, then the Platform's): create, see what
// mem0 did, search with the filters, list every page, get, update, history, delete, and forget.
using namespace gpt_adapter;
using namespace gpt_adapter::testing;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

std::string text_of(const json::object& object, std::string_view key) {
  return std::string(object.at(key).as_string());
}

// The changes mem0 reported for a create, once its job finished.
json::array created(const memory_stack& stack, const std::string& token, const json::object& body) {
  const auto accepted = stack.post("/api/v1/memories", token, json::serialize(body));
  REQUIRE(accepted.status == 202);
  const auto job = stack.finished_job(text_of(accepted.json().as_object(), "request_id"), token);
  INFO(json::serialize(job));
  REQUIRE(job.at("status") == "succeeded");
  return job.at("result").as_array();
}

json::object search(const memory_stack& stack, const std::string& token, const json::object& body) {
  const auto reply = stack.post("/api/v1/search", token, json::serialize(body));
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  return reply.json().as_object();
}

std::set<std::string> ids_in(const json::object& answer) {
  std::set<std::string> ids;
  for (const auto& item : answer.at("results").as_array()) {
    ids.insert(text_of(item.as_object(), "memory_id"));
  }
  return ids;
}

std::string iso(std::chrono::system_clock::time_point when) {
  return text::format_rfc3339(std::chrono::floor<std::chrono::milliseconds>(when));
}

void journey(memory_stack& stack, const std::string& dialect) {
  const auto alice = stack.token(stack.alice);
  const auto bob = stack.token(stack.bob);
  const bool platform = dialect == "mem0-platform";

  const auto coffee =
      created(stack, alice, {{"content", "Alice prefers coffee"}, {"categories", {"Drinks"}}});
  REQUIRE(coffee.size() == 1);
  CHECK(coffee[0].at("event") == "ADD");
  const auto coffee_id = text_of(coffee[0].as_object(), "memory_id");

  // The Platform decides that the new preference replaces the old one; the open-source
  // server's additive extraction stores it beside it. Either way the GPT is told.
  const auto tea =
      created(stack, alice, {{"content", "Alice prefers green tea"}, {"categories", {"drinks"}}});
  REQUIRE(tea.size() == 1);
  const auto tea_id = text_of(tea[0].as_object(), "memory_id");
  if (platform) {
    CHECK(tea[0].at("event") == "UPDATE");
    CHECK(tea_id == coffee_id);
    CHECK(tea[0].at("previous_content") == "Alice prefers coffee");
  } else {
    CHECK(tea[0].at("event") == "ADD");
    CHECK(tea_id != coffee_id);
  }
  const auto verbatim = created(
      stack, alice,
      {{"content", "Locker code: 4711, exactly"}, {"categories", {"codes"}}, {"infer", false}});
  REQUIRE(verbatim.size() == 1);
  CHECK(verbatim[0].at("content") == "Locker code: 4711, exactly");
  for (const auto* word : {"Alpha", "Bravo", "Charlie", "Delta"}) {
    created(stack, alice, {{"content", std::string(word) + " is a note about tea"}});
  }
  created(stack, bob, {{"content", "Bob prefers green tea"}, {"categories", {"drinks"}}});
  const std::size_t alices = platform ? 6 : 7;

  // Search: the categories and dates mean the same on both backends; limit is exact.
  const auto drinks =
      search(stack, alice, {{"query", "green tea"}, {"filters", {{"categories", {"DRINKS"}}}}});
  CHECK(ids_in(drinks).contains(tea_id));
  for (const auto& id : ids_in(drinks)) {
    CHECK((id == tea_id || id == coffee_id));
  }
  const auto now = std::chrono::system_clock::now();
  CHECK(ids_in(search(stack, alice,
                      {{"query", "tea"},
                       {"filters",
                        {{"categories", {"drinks"}},
                         {"date_range", {{"start", iso(now - std::chrono::hours(1))}}}}}}))
            .contains(tea_id));
  CHECK(search(stack, alice,
               {{"query", "tea"},
                {"filters", {{"date_range", {{"end", iso(now - std::chrono::hours(1))}}}}}})
            .at("results")
            .as_array()
            .empty());
  CHECK(search(stack, alice, {{"query", "tea"}, {"limit", 2}}).at("results").as_array().size() ==
        2);
  CHECK(ids_in(search(stack, alice,
                      {{"query", "locker code"}, {"filters", {{"categories", {"codes"}}}}}))
            .size() == 1);

  // List every page, following next_cursor until there is none.
  std::set<std::string> listed;
  std::string target = "/api/v1/memories?limit=2";
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < 10);
    const auto page = stack.get(target, alice);
    REQUIRE(page.status == 200);
    const auto body = page.json().as_object();
    for (const auto& id : ids_in(body)) {
      CHECK(listed.insert(id).second);
    }
    if (!body.contains("next_cursor")) {
      break;
    }
    target = "/api/v1/memories?limit=2&cursor=" + text_of(body, "next_cursor");
  }
  CHECK(listed.size() == alices);

  const auto read = stack.get("/api/v1/memories/" + tea_id, alice);
  REQUIRE(read.status == 200);
  CHECK(read.json().at("memory").at("content") == "Alice prefers green tea");
  CHECK_FALSE(
      read.json().at("memory").at("metadata").as_object().contains("gpt_adapter_request_id"));

  const auto update = stack.call(bhttp::verb::put, "/api/v1/memories/" + tea_id, alice,
                                 R"({"content":"Alice loves matcha"})");
  REQUIRE(update.status == 202);
  const auto updated = stack.finished_job(text_of(update.json().as_object(), "request_id"), alice);
  REQUIRE(updated.at("status") == "succeeded");
  CHECK(updated.at("result").at("content") == "Alice loves matcha");
  // The update kept the categories: the memory is still found as a drink.
  CHECK(
      ids_in(search(stack, alice, {{"query", "matcha"}, {"filters", {{"categories", {"drinks"}}}}}))
          .contains(tea_id));

  const auto history = stack.get("/api/v1/memories/" + tea_id + "/history", alice);
  REQUIRE(history.status == 200);
  const auto events = history.json().at("history").as_array();
  REQUIRE(events.size() >= 2);
  CHECK(events.front().at("event") == "ADD");
  CHECK(events.back().at("event") == "UPDATE");
  CHECK(events.back().at("new_content") == "Alice loves matcha");
  check_problem(stack.get("/api/v1/memories/" + tea_id + "/history", bob), 404);

  const auto removal = stack.call(bhttp::verb::delete_, "/api/v1/memories/" + tea_id, alice);
  REQUIRE(removal.status == 202);
  CHECK(stack.finished_job(text_of(removal.json().as_object(), "request_id"), alice).at("status") ==
        "succeeded");
  check_problem(stack.get("/api/v1/memories/" + tea_id, alice), 404);
  // An id mem0 cannot have is answered at once.
  check_problem(stack.get("/api/v1/memories/not-a-mem0-id", alice), 404);

  // Forget me: everything of Alice goes, nothing of Bob's, and the request is audited.
  const auto forget = stack.call(bhttp::verb::delete_, "/api/v1/memories", alice);
  REQUIRE(forget.status == 202);
  const auto forget_id = text_of(forget.json().as_object(), "request_id");
  const auto forgotten = stack.finished_job(forget_id, alice);
  REQUIRE(forgotten.at("status") == "succeeded");
  CHECK(forgotten.at("operation") == "forget");
  const auto empty = stack.get("/api/v1/memories", alice);
  REQUIRE(empty.status == 200);
  CHECK(empty.json().at("results").as_array().empty());
  CHECK(search(stack, bob, {{"query", "green tea"}}).at("results").as_array().size() == 1);
  CHECK(stack.wait_for_audit_event(forget_id).at("operation_type") == "forget");
}

}  // namespace

TEST_CASE("Memory Bank journey through the API to the mem0 open-source server",
          "[integration][memory_bank_journey]") {
  memory_stack stack({}, true, "mem0-oss");
  journey(stack, "mem0-oss");
}

TEST_CASE("Memory Bank journey through the API to the mem0 Platform",
          "[integration][memory_bank_journey]") {
  memory_stack stack({}, true, "mem0-platform");
  journey(stack, "mem0-platform");
}

TEST_CASE("the journey with Redis as production runs it: TLS, as the documented ACL user",
          "[integration][memory_bank_journey][redis][tls][acl]") {
  const temp_dir dir("gpt-adapter-journey-redis");
  const std::string password = "journey-acl-password";
  // The test's own view of Redis (plain port, default user) may read everything; the API, the
  // worker and gpt-adapter-admin sign in as the documented user over TLS.
  const auto aclfile = write_documented_acl(dir, password, "user default on nopass ~* &* +@all");
  memory_stack stack({}, true, "mem0-platform",
                     {.password = password,
                      .username = documented_acl_user,
                      .tls = make_test_certificates(dir.path(), {}, {"127.0.0.1"}),
                      .arguments = {"--aclfile", aclfile}});
  REQUIRE(stack.environment().at("REDIS_URL").starts_with("rediss://gpt-adapter:"));
  journey(stack, "mem0-platform");
  // Every command the adapter sent was allowed: Redis logs each refusal.
  const auto refusals = redis_commands(stack.redis.port()).run({"ACL", "LOG"});
  std::string refused;
  for (const auto& entry : refusals.as_array()) {
    for (std::size_t i = 0; i + 1 < entry.elements.size(); i += 2) {
      refused += entry.elements[i].text + "=" + entry.elements[i + 1].text + " ";
    }
    refused += "\n";
  }
  INFO(refused);
  CHECK(refusals.as_array().empty());
}
