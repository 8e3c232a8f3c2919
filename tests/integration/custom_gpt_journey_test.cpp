#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/oauth_browser.hpp"
#include "tests/support/problem_checks.hpp"
#include "tests/support/redis_commands.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace gpt_adapter::testing;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

const std::string public_base_url = "https://gpt.example.com";

std::string text_of(const json::object& object, std::string_view key) {
  return std::string(object.at(key).as_string());
}

struct signed_in_user {
  std::string access_token;
  std::string refresh_token;
};

// What ChatGPT and the end user's browser do when the user first calls an action: ChatGPT
// sends the browser to the authorization page, the user signs in, the browser follows the
// redirect to ChatGPT's callback, and ChatGPT exchanges the code at the token endpoint with
// client_secret_post in a form body.
signed_in_user sign_in_as_chatgpt(const api_stack& stack, const registered_application& gpt,
                                  const std::string& username, const std::string& password,
                                  const std::string& end_user_id) {
  INFO("signing in " << username);
  // ChatGPT's state is opaque to the server and must come back byte for byte.
  const auto state = "chatgpt:" + username + ":a/b+c=d?e&f";
  const auto browser = open_authorize_page(stack.port(), authorize_query(gpt, state));
  REQUIRE(browser.page.status == 200);
  CHECK_THAT(browser.page.body, Contains("Memory GPT"));
  const auto signed_in = submit_sign_in(stack.port(), browser, username, password);
  REQUIRE(signed_in.status == 303);
  const auto location = signed_in.header("location");
  CHECK_THAT(location, StartsWith(std::string(chatgpt_callback) + "?"));
  const auto params = query_of(location);
  CHECK(params.at("state") == state);
  REQUIRE(params.count("code") == 1);

  const auto tokens = exchange_code(stack, gpt, params.at("code"), 200);
  CHECK(json_text(tokens, "token_type") == "Bearer");
  CHECK(json_text(tokens, "scope") == "memories:read memories:write");
  CHECK(tokens.at("expires_in").as_int64() > 0);
  signed_in_user user{json_text(tokens, "access_token"), json_text(tokens, "refresh_token")};
  REQUIRE(!user.access_token.empty());
  REQUIRE(!user.refresh_token.empty());
  CHECK(json_text(jwt_claims(user.access_token), "sub") == end_user_id);
  CHECK(json_text(jwt_claims(user.access_token), "client_id") == gpt.client_id);
  return user;
}

json::object search_memories(const api_stack& stack, const std::string& token,
                             const std::string& query) {
  const auto reply = stack.post(
      "/api/v1/search", token,
      json::serialize(json::object{
          {"query", query}, {"limit", 5}, {"context", {{"custom_gpt_id", "g-4f2a9c"}}}}));
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  auto answer = reply.json().as_object();
  CHECK(text_of(answer, "status") == "success");
  CHECK(text_of(answer, "request_id") == reply.header("x-request-id"));
  return answer;
}

}  // namespace

TEST_CASE(
    "Custom GPT journey: two end users sign in through OAuth as ChatGPT does, store, find and "
    "delete memories, and never see each other's",
    "[integration][journey]") {
  api_stack stack(
      {.environment = {{"PUBLIC_BASE_URL", public_base_url}}, .memory_bank = true, .worker = true});

  // The operator registers the GPT and its end users with the admin CLI.
  const auto gpt = stack.create_application(
      "Memory GPT",
      {"--scopes", "memories:read,memories:write", "--redirect-uri", chatgpt_redirect_pattern});
  CHECK(gpt.client_id.starts_with("gpta_"));
  CHECK(gpt.client_secret.size() >= 32);
  const auto alice_id = stack.create_end_user("alice", "alice's long password");
  const auto bob_id = stack.create_end_user("bob", "bob's long password");
  REQUIRE(alice_id != bob_id);

  auto alice = sign_in_as_chatgpt(stack, gpt, "alice", "alice's long password", alice_id);
  const auto bob = sign_in_as_chatgpt(stack, gpt, "bob", "bob's long password", bob_id);

  // Alice stores a memory. The caller's X-Request-ID names the job from end to end.
  const std::string content =
      "Alice prefers green tea in the morning and never drinks coffee after noon";
  const std::string request_id = "journey-create-1";
  const auto created =
      stack.post("/api/v1/memories", alice.access_token,
                 json::serialize(json::object{
                     {"content", content}, {"categories", {"preferences"}}, {"priority", "high"}}),
                 {{"X-Request-ID", request_id}});
  REQUIRE(created.status == 202);
  CHECK(created.header("content-type") == "application/json");
  CHECK(created.header("x-request-id") == request_id);
  const auto accepted = created.json().as_object();
  CHECK(text_of(accepted, "status") == "accepted");
  CHECK(text_of(accepted, "request_id") == request_id);
  CHECK(text_of(accepted, "status_url") == public_base_url + "/api/v1/jobs/" + request_id);
  CHECK_FALSE(text_of(accepted, "message").empty());

  // Bob cannot see Alice's job: exactly as if it did not exist.
  check_problem(stack.get("/api/v1/jobs/" + request_id, bob.access_token), 404);
  check_problem(stack.get("/api/v1/jobs/no-such-job", alice.access_token), 404);

  const auto job = stack.finished_job(request_id, alice.access_token);
  CHECK(text_of(job, "status") == "succeeded");
  CHECK(text_of(job, "operation") == "create");
  CHECK(text_of(job, "request_id") == request_id);
  CHECK(job.at("attempts").as_int64() == 1);
  CHECK(job.contains("created_at"));
  CHECK(job.contains("completed_at"));
  REQUIRE(job.at("result").as_array().size() == 1);
  const auto memory_id = text_of(job.at("result").at(0).as_object(), "memory_id");
  CHECK(stack.bank->calls("add") == 1);

  // The request id is the key of the job record, which belongs to Alice of this GPT; the
  // worker sent it on to the Memory Bank and wrote it into the job history.
  redis_commands redis(stack.redis.port());
  CHECK(redis.run({"HGET", "{gpt-adapter}:job:" + request_id, "application_id"}).as_string() ==
        gpt.id);
  CHECK(redis.run({"HGET", "{gpt-adapter}:job:" + request_id, "end_user_id"}).as_string() ==
        alice_id);
  bool seen_by_memory_bank = false;
  const auto bank_stats = stack.bank->stats();
  for (const auto& call : bank_stats.at("recent").as_array()) {
    seen_by_memory_bank = seen_by_memory_bank || (call.at("operation").as_string() == "add" &&
                                                  call.at("request_id").as_string() == request_id);
  }
  CHECK(seen_by_memory_bank);
  CHECK(wait_until(
      [&] {
        return stack.value("SELECT count(*) FROM custom_gpt_jobs WHERE request_id = $1",
                           {request_id}) == "1";
      },
      20s, 50ms));
  CHECK(stack.value("SELECT end_user_id || ' ' || operation || ' ' || application_id::text FROM "
                    "custom_gpt_jobs WHERE request_id = $1",
                    {request_id}) == alice_id + " create " + gpt.id);

  // Alice finds it, with a relevance score.
  const auto found = search_memories(stack, alice.access_token, "green tea");
  CHECK(found.at("total_found").as_int64() == 1);
  CHECK(found.at("truncated").as_bool() == false);
  CHECK(found.at("processing_time_ms").as_double() >= 0);
  REQUIRE(found.at("results").as_array().size() == 1);
  const auto& hit = found.at("results").at(0).as_object();
  CHECK(text_of(hit, "content") == content);
  CHECK(text_of(hit, "memory_id") == memory_id);
  CHECK(hit.at("relevance_score").to_number<double>() > 0);

  // Halfway through, ChatGPT refreshes Alice's access token; the new one works, the refresh
  // token has rotated.
  const auto refreshed = refresh(stack, gpt, alice.refresh_token, 200);
  CHECK(json_text(refreshed, "refresh_token") != alice.refresh_token);
  CHECK(json_text(jwt_claims(json_text(refreshed, "access_token")), "sub") == alice_id);
  alice = {json_text(refreshed, "access_token"), json_text(refreshed, "refresh_token")};
  CHECK(search_memories(stack, alice.access_token, "green tea").at("total_found").as_int64() == 1);

  // Bob's namespace is empty: his search, list and reads never reach Alice's memory.
  const auto bobs_search = search_memories(stack, bob.access_token, "green tea");
  CHECK(bobs_search.at("results").as_array().empty());
  CHECK(bobs_search.at("total_found").as_int64() == 0);
  const auto bobs_list = stack.get("/api/v1/memories", bob.access_token);
  REQUIRE(bobs_list.status == 200);
  CHECK(bobs_list.json().at("results").as_array().empty());
  check_problem(stack.get("/api/v1/memories/" + memory_id, bob.access_token), 404);

  const auto listed = stack.get("/api/v1/memories?limit=1", alice.access_token);
  REQUIRE(listed.status == 200);
  REQUIRE(listed.json().at("results").as_array().size() == 1);
  // Alice has exactly one memory: a full page, and no next cursor that would lead nowhere.
  CHECK_FALSE(listed.json().as_object().contains("next_cursor"));
  const auto read = stack.get("/api/v1/memories/" + memory_id, alice.access_token);
  REQUIRE(read.status == 200);
  CHECK(text_of(read.json().at("memory").as_object(), "content") == content);

  // Bob's delete of Alice's id is accepted as a job (deletes are asynchronous), which finds
  // nothing of his to delete: the job fails with not_found and the memory stays.
  const auto bobs_delete =
      stack.call(bhttp::verb::delete_, "/api/v1/memories/" + memory_id, bob.access_token);
  REQUIRE(bobs_delete.status == 202);
  const auto bobs_job =
      stack.finished_job(text_of(bobs_delete.json().as_object(), "request_id"), bob.access_token);
  CHECK(text_of(bobs_job, "status") == "failed");
  CHECK_THAT(text_of(bobs_job, "error"), Contains("not_found"));
  CHECK(stack.get("/api/v1/memories/" + memory_id, alice.access_token).status == 200);
  CHECK(search_memories(stack, alice.access_token, "green tea").at("total_found").as_int64() == 1);

  // Alice deletes it; it is gone from her searches and reads.
  const auto deleted =
      stack.call(bhttp::verb::delete_, "/api/v1/memories/" + memory_id, alice.access_token);
  REQUIRE(deleted.status == 202);
  CHECK(text_of(deleted.json().as_object(), "status") == "accepted");
  const auto delete_job =
      stack.finished_job(text_of(deleted.json().as_object(), "request_id"), alice.access_token);
  CHECK(text_of(delete_job, "status") == "succeeded");
  CHECK(text_of(delete_job, "operation") == "delete");
  const auto after = search_memories(stack, alice.access_token, "green tea");
  CHECK(after.at("results").as_array().empty());
  CHECK(after.at("total_found").as_int64() == 0);
  check_problem(stack.get("/api/v1/memories/" + memory_id, alice.access_token), 404);

  // Every call left an audit event with its request id, status and sanitised data: the
  // content only as a short prefix.
  const auto create_event = stack.wait_for_audit_event(request_id);
  CHECK(create_event.at("operation_type") == "create");
  CHECK(create_event.at("application_id") == gpt.id);
  CHECK(create_event.at("end_user_id") == alice_id);
  CHECK(create_event.at("response_status") == "202");
  CHECK(create_event.count("processing_time_ms") == 1);
  CHECK(create_event.at("request_data").find(content) == std::string::npos);
  const auto request_data = json::parse(create_event.at("request_data")).as_object();
  CHECK(request_data.at("content_chars").as_int64() == static_cast<std::int64_t>(content.size()));
  CHECK(text_of(request_data, "priority") == "high");
  CHECK_THAT(text_of(request_data, "content_prefix"), Contains("Alice prefers"));
  const auto search_event = stack.wait_for_audit_event(text_of(found, "request_id"));
  CHECK(search_event.at("operation_type") == "search");
  CHECK(search_event.at("response_status") == "200");
  CHECK(search_event.count("memory_service_request_id") == 1);
  const auto refused_event = stack.wait_for_audit_event(bobs_delete.header("x-request-id"));
  CHECK(refused_event.at("operation_type") == "delete");
  CHECK(refused_event.at("end_user_id") == bob_id);

  // No password, secret or token reached the logs of the API or the worker.
  for (const auto* service : {stack.api.get(), stack.worker.get()}) {
    const auto output = service->output();
    CHECK(output.find("alice's long password") == std::string::npos);
    CHECK(output.find(gpt.client_secret) == std::string::npos);
    CHECK(output.find(alice.refresh_token) == std::string::npos);
    CHECK(output.find(bob.access_token) == std::string::npos);
  }
}
