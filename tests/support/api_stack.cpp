#include "tests/support/api_stack.hpp"

#include <algorithm>
#include <iostream>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "common/audit/keys.hpp"
#include "common/auth/secret_hash.hpp"
#include "tests/support/libpq_queries.hpp"
#include "tests/support/prometheus_text.hpp"
#include "tests/support/redis_commands.hpp"

namespace gpt_adapter::testing {
namespace {

namespace json = boost::json;
using rows = std::vector<std::vector<std::string>>;

// NULL cells read as empty text.
rows query(const std::string& url, const std::string& sql, const std::vector<std::string>& params) {
  rows found;
  for (const auto& cells : query_rows(url, sql, params)) {
    auto& row = found.emplace_back();
    for (const auto& cell : cells) {
      row.push_back(cell.value_or(""));
    }
  }
  return found;
}

std::string text_of(const json::object& object, std::string_view key) {
  return std::string(object.at(key).as_string());
}

}  // namespace

std::string fast_secret_hash(const std::string& secret) {
  return auth::hash_secret(secret, auth::min_iterations);
}

double scraped_metric(unsigned short port, const std::string& name,
                      const std::map<std::string, std::string>& labels) {
  return parse_prometheus_text(http_get(port, "/metrics").body).value(name, labels).value_or(0);
}

api_stack::api_stack(api_stack_options options)
    : redis(options.redis), options_(std::move(options)) {
  REQUIRE(admin({"migrate", "up"}).status == 0);
  // Deployments grant the runtime privileges to the services' login role.
  run_sql(database.owner_url(), "GRANT gpt_adapter_runtime TO gpt_adapter_app, gpt_adapter_bypass");
  if (options_.memory_bank) {
    bank = std::make_unique<memory_bank_dev>(
        std::vector<std::string>{"--dialect", options_.memory_bank_dialect, "--api-key",
                                 options_.memory_bank_api_key, "--processing-delay-ms", "50"});
  }
  if (options_.worker) {
    start_worker();
  }
  if (options_.api) {
    start_api();
  }
}

api_stack::~api_stack() {
  if (api && !api->process().running()) {
    std::cerr << "the API exited during the test; its output:\n" << api->output() << '\n';
  }
  if (worker && !worker->process().running()) {
    std::cerr << "the worker exited during the test; its output:\n" << worker->output() << '\n';
  }
}

std::map<std::string, std::string> api_stack::environment(
    const std::map<std::string, std::string>& overrides) const {
  auto values = service_environment(database, redis);
  if (options_.rls_bypassing_role) {
    values["DATABASE_URL"] = database.bypass_rls_url();
    values["DATABASE_ALLOW_RLS_BYPASS"] = "true";
  }
  if (bank) {
    values["MEMORY_BANK_API_URL"] = bank->url();
    values["MEMORY_BANK_DIALECT"] = options_.memory_bank_dialect;
    values["MEMORY_BANK_API_KEY"] = options_.memory_bank_api_key;
    // Platform events are polled quickly within a test's patience.
    values["MEMORY_BANK_EVENT_POLL_MS"] = "50";
    values["MEMORY_BANK_EVENT_POLL_MAX_MS"] = "200";
  }
  if (bank || options_.worker) {
    // Retries and new jobs picked up within a test's patience.
    values["WORKER_SCHEDULER_INTERVAL_MS"] = "20";
    values["WORKER_READ_BLOCK_MS"] = "200";
  }
  for (const auto& [name, value] : options_.environment) {
    values[name] = value;
  }
  for (const auto& [name, value] : overrides) {
    values[name] = value;
  }
  return values;
}

void api_stack::start_api(const std::map<std::string, std::string>& overrides) {
  api.reset();
  api = std::make_unique<service_process>(api_binary, environment(overrides), "API_PORT");
  REQUIRE(api->wait_healthy(30s));
}

void api_stack::start_worker(const std::map<std::string, std::string>& overrides) {
  worker.reset();
  worker =
      std::make_unique<service_process>(worker_binary, environment(overrides), "WORKER_OPS_PORT");
  REQUIRE(worker->wait_healthy(30s));
}

admin_cli_result api_stack::admin(const std::vector<std::string>& args,
                                  std::optional<std::string> stdin_text) const {
  auto environment = redis.environment();
  environment["DATABASE_URL"] = database.owner_url();
  auto result = run_admin_cli(args, environment, std::move(stdin_text));
  UNSCOPED_INFO("gpt-adapter-admin " << (args.empty() ? "" : args[0]) << " exited " << result.status
                                     << "\nstdout:\n"
                                     << result.out << "\nstderr:\n"
                                     << result.err);
  return result;
}

json::value api_stack::admin_json(std::vector<std::string> args,
                                  std::optional<std::string> stdin_text) const {
  args.emplace_back("--json");
  const auto result = admin(args, std::move(stdin_text));
  REQUIRE(result.status == 0);
  return json::parse(result.out);
}

registered_application api_stack::create_application(
    const std::string& name, const std::vector<std::string>& options) const {
  std::vector<std::string> args{"app", "create", "--name", name};
  args.insert(args.end(), options.begin(), options.end());
  const auto created = admin_json(std::move(args)).as_object();
  return {.id = text_of(created, "id"),
          .client_id = text_of(created, "client_id"),
          .client_secret = text_of(created, "client_secret"),
          .token_version = created.at("token_version").as_int64()};
}

registered_application api_stack::insert_application(const std::string& name,
                                                     const std::string& scopes,
                                                     const std::string& redirect_uri,
                                                     bool refresh_for_client_credentials) const {
  registered_application application{.client_id = "gpta_" + auth::random_token(12),
                                     .client_secret = auth::random_token(32)};
  const auto row =
      query(database.owner_url(),
            "INSERT INTO custom_gpt_applications (name, client_id, client_secret_hash, scopes, "
            "redirect_uris, issue_refresh_for_client_credentials) VALUES ($1, $2, $3, "
            "string_to_array($4, ','), ARRAY[$5], $6::boolean) RETURNING id::text, token_version",
            {name, application.client_id, fast_secret_hash(application.client_secret), scopes,
             redirect_uri, refresh_for_client_credentials ? "true" : "false"});
  application.id = row.at(0).at(0);
  application.token_version = std::stoll(row.at(0).at(1));
  return application;
}

std::string api_stack::create_end_user(const std::string& username,
                                       const std::string& password) const {
  const auto created =
      admin_json({"user", "create", "--username", username, "--password-stdin"}, password);
  return text_of(created.as_object(), "id");
}

std::string api_stack::insert_end_user(const std::string& username,
                                       const std::string& password) const {
  return query(database.owner_url(),
               "INSERT INTO custom_gpt_end_users (username, password_hash) VALUES ($1, $2) "
               "RETURNING id::text",
               {username, fast_secret_hash(password)})
      .at(0)
      .at(0);
}

std::string api_stack::value(const std::string& sql, const std::vector<std::string>& params) const {
  const auto found = query(database.owner_url(), sql, params);
  REQUIRE(found.size() == 1);
  return found.front().at(0);
}

double api_stack::metric(const std::string& name,
                         const std::map<std::string, std::string>& labels) const {
  return scraped_metric(port(), name, labels);
}

std::vector<std::map<std::string, std::string>> api_stack::audit_stream() const {
  const auto answer =
      redis_commands(redis.port()).run({"XRANGE", std::string(audit::keys::stream), "-", "+"});
  std::vector<std::map<std::string, std::string>> entries;
  for (const auto& entry : answer.as_array()) {
    auto& fields = entries.emplace_back();
    const auto& pairs = entry.as_array().at(1).as_array();
    for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
      fields[pairs[i].as_string()] = pairs[i + 1].as_string();
    }
  }
  return entries;
}

std::optional<std::map<std::string, std::string>> api_stack::audit_event(
    const std::string& request_id) const {
  for (auto& fields : audit_stream()) {
    if (fields["request_id"] == request_id) {
      return fields;
    }
  }
  const auto delivered = query(
      database.owner_url(),
      "SELECT application_id::text, coalesce(end_user_id, ''), operation_type, "
      "request_data::text, response_status::text, coalesce(memory_service_request_id, ''), "
      "coalesce(processing_time_ms::text, '') FROM custom_gpt_audit_logs WHERE request_id = $1",
      {request_id});
  if (delivered.size() != 1) {
    return std::nullopt;
  }
  std::map<std::string, std::string> fields{{"request_id", request_id}};
  const char* names[] = {"application_id",    "end_user_id",     "operation_type",
                         "request_data",      "response_status", "memory_service_request_id",
                         "processing_time_ms"};
  for (std::size_t column = 0; column < std::size(names); ++column) {
    if (!delivered[0][column].empty()) {
      fields[names[column]] = delivered[0][column];
    }
  }
  return fields;
}

std::map<std::string, std::string> api_stack::wait_for_audit_event(
    const std::string& request_id) const {
  std::optional<std::map<std::string, std::string>> found;
  REQUIRE(wait_until([&] { return (found = audit_event(request_id)).has_value(); }, 20s));
  return *found;
}

http_reply api_stack::call(boost::beast::http::verb method, const std::string& target,
                           const std::string& credential, const std::string& body,
                           std::vector<std::pair<std::string, std::string>> headers) const {
  headers.emplace_back("Authorization", "Bearer " + credential);
  if (!body.empty() && std::none_of(headers.begin(), headers.end(), [](const auto& header) {
        return header.first == "Content-Type";
      })) {
    headers.emplace_back("Content-Type", "application/json");
  }
  return http_request(port(), {.method = method,
                               .target = target,
                               .body = body,
                               .headers = std::move(headers),
                               .timeout = std::chrono::seconds(30)});
}

http_reply api_stack::post(const std::string& target, const std::string& credential,
                           const std::string& body,
                           std::vector<std::pair<std::string, std::string>> headers) const {
  return call(boost::beast::http::verb::post, target, credential, body, std::move(headers));
}

http_reply api_stack::get(const std::string& target, const std::string& credential) const {
  return call(boost::beast::http::verb::get, target, credential);
}

json::object api_stack::finished_job(const std::string& request_id,
                                     const std::string& credential) const {
  json::object last;
  const bool finished = wait_until(
      [&] {
        const auto reply = get("/api/v1/jobs/" + request_id, credential);
        if (reply.status != 200) {
          return false;
        }
        last = reply.json().as_object();
        const auto status = last.at("status").as_string();
        return status == "succeeded" || status == "failed" || status == "dead";
      },
      20s);
  if (!finished) {
    UNSCOPED_INFO("worker log:\n" << (worker ? worker->output() : std::string()));
  }
  REQUIRE(finished);
  return last;
}

}  // namespace gpt_adapter::testing
