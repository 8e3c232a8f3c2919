#include "tools/memory-bank-dev/platform_routes.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/json/array.hpp>

#include "common/text/uuid.hpp"
#include "tools/memory-bank-dev/platform_filters.hpp"

namespace gpt_adapter::memory_bank_dev::platform {
namespace {

namespace net = boost::asio;
namespace json = boost::json;
using boost::beast::http::status;

constexpr int default_top_k = 10;
constexpr int max_top_k = 1000;
constexpr double default_threshold = 0.1;
constexpr int default_page_size = 100;
constexpr int max_page_size = 200;

http::response error_answer(const http::request_context& context, status code, std::string text) {
  return json_answer(context, code, json::object{{"error", std::move(text)}});
}

http::response invalid_input(const http::request_context& context) {
  return json_answer(
      context, status::bad_request,
      json::object{{"error", "400 Bad Request"},
                   {"details",
                    {{"message",
                      "Invalid input data. Please refer to the memory creation documentation at "
                      "https://docs.mem0.ai/platform/quickstart#4-1-create-memories for correct "
                      "formatting and required fields."}}}});
}

json::value nullable(const std::string& text) {
  return text.empty() ? json::value(nullptr) : json::value(text);
}

// A memory as GET /v1/memories/{id}/ and POST /v3/memories/ answer it.
json::object memory_json(const stored_memory& memory) {
  return {{"id", memory.id},
          {"memory", memory.text},
          {"user_id", nullable(memory.owner.user_id)},
          {"agent_id", nullable(memory.owner.agent_id)},
          {"app_id", nullable(memory.owner.app_id)},
          {"session_id", nullable(memory.owner.run_id)},
          {"metadata", memory.metadata},
          {"categories", json::array{}},
          {"created_at", memory.created_at},
          {"updated_at", memory.updated_at},
          {"expiration_date", nullptr},
          {"structured_attributes", nullptr},
          {"replaced_by", nullptr},
          {"synthesized", false},
          {"lifecycle_state", "active"}};
}

// A search result: the same, with score, and the run id named run_id.
json::object search_json(const scored_memory& found) {
  return {{"id", found.memory.id},
          {"memory", found.memory.text},
          {"user_id", nullable(found.memory.owner.user_id)},
          {"agent_id", nullable(found.memory.owner.agent_id)},
          {"app_id", nullable(found.memory.owner.app_id)},
          {"run_id", nullable(found.memory.owner.run_id)},
          {"score", found.score},
          {"metadata", found.memory.metadata},
          {"categories", json::array{}},
          {"expiration_date", nullptr},
          {"created_at", found.memory.created_at},
          {"updated_at", found.memory.updated_at}};
}

bool same_owner(const entity& a, const entity& b) {
  return a.user_id == b.user_id && a.agent_id == b.agent_id && a.app_id == b.app_id &&
         a.run_id == b.run_id;
}

// Entity ids given at the top level of a body: the add takes them, search and list refuse them.
std::optional<entity> top_level_entity(const json::object& body) {
  entity owner;
  for (const auto& [name, target] :
       {std::pair<std::string_view, std::string*>{"user_id", &owner.user_id},
        {"agent_id", &owner.agent_id},
        {"app_id", &owner.app_id},
        {"run_id", &owner.run_id}}) {
    const auto* value = body.if_contains(name);
    if (value == nullptr || value->is_null()) {
      continue;
    }
    if (!value->is_string()) {
      return std::nullopt;
    }
    *target = std::string(value->as_string());
  }
  return owner;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> found;
  std::string word;
  for (const char c : text + " ") {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!word.empty()) {
        found.push_back(std::move(word));
        word.clear();
      }
    } else {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return found;
}

// The dev stand-in for the Platform's extraction, which may rewrite what it is sent: a text the
// owner already has is NONE; a text that starts with the same two words as one of the owner's
// memories (both of three words or more) replaces it, UPDATE ("Prefers green tea" after
// "Prefers coffee"); anything else is ADD.
json::object infer_one(memory_store& store, const entity& owner, const std::string& text,
                       const json::object& metadata) {
  const auto mine =
      store.list([&](const stored_memory& memory) { return same_owner(owner, memory.owner); });
  const auto new_words = words(text);
  for (const auto& memory : mine) {
    if (words(memory.text) == new_words) {
      return {{"id", memory.id},
              {"event", "NONE"},
              {"memory", memory.text},
              {"user_id", nullable(owner.user_id)}};
    }
  }
  for (const auto& memory : mine) {
    const auto old_words = words(memory.text);
    if (new_words.size() >= 3 && old_words.size() >= 3 && new_words[0] == old_words[0] &&
        new_words[1] == old_words[1]) {
      store.update(memory.id, text, metadata, true);
      return {{"id", memory.id},
              {"event", "UPDATE"},
              {"memory", text},
              {"previous_memory", memory.text},
              {"user_id", nullable(owner.user_id)}};
    }
  }
  const auto added = store.add(owner, text, metadata);
  return {{"id", added.id},
          {"event", "ADD"},
          {"memory", added.text},
          {"user_id", nullable(owner.user_id)}};
}

// What an add with infer does once the Platform gets to it.
struct inference {
  std::shared_ptr<memory_store> store;
  entity owner;
  std::vector<std::pair<std::string, std::string>> turns;  // role, content
  json::object metadata;

  json::array operator()() const {
    json::array results;
    for (const auto& turn : turns) {
      if (turn.first != "system" && !turn.second.empty()) {
        results.push_back(infer_one(*store, owner, turn.second, metadata));
      }
    }
    return results;
  }
};

// Deletes what a delete-all names once the Platform gets to it ("*": every value of that id).
struct bulk_deletion {
  std::shared_ptr<memory_store> store;
  entity scope;

  json::array operator()() const {
    const auto one = [](const std::string& wanted, const std::string& have) {
      return wanted.empty() || (wanted == "*" ? !have.empty() : wanted == have);
    };
    store->remove_all([&](const stored_memory& memory) {
      return one(scope.user_id, memory.owner.user_id) &&
             one(scope.agent_id, memory.owner.agent_id) && one(scope.app_id, memory.owner.app_id) &&
             one(scope.run_id, memory.owner.run_id);
    });
    return {};
  }
};

class platform_server : public std::enable_shared_from_this<platform_server> {
 public:
  platform_server(std::shared_ptr<memory_store> store, settings options)
      : store_(std::move(store)), options_(options) {}

  void add(http::router& routes, const route_guard& guard) {
    using http::verb;
    auto bind = [self = shared_from_this()](auto member) { return bind_route(self, member); };
    routes.add(verb::post, "/v3/memories/add/", guard("add", bind(&platform_server::add_memory)));
    routes.add(verb::post, "/v3/memories/search/", guard("search", bind(&platform_server::search)));
    routes.add(verb::post, "/v3/memories/", guard("list", bind(&platform_server::list)));
    routes.add(verb::get, "/v1/event/{event_id}/", guard("event", bind(&platform_server::event)));
    routes.add(verb::get, "/v1/memories/{memory_id}/", guard("get", bind(&platform_server::get)));
    routes.add(verb::put, "/v1/memories/{memory_id}/",
               guard("update", bind(&platform_server::update)));
    routes.add(verb::delete_, "/v1/memories/{memory_id}/",
               guard("delete", bind(&platform_server::remove)));
    routes.add(verb::get, "/v1/memories/{memory_id}/history/",
               guard("history", bind(&platform_server::history)));
    routes.add(verb::delete_, "/v1/memories/",
               guard("delete_all", bind(&platform_server::delete_all)));
  }

 private:
  struct event_record {
    std::string event_type;
    std::string status = "PENDING";
    json::object payload;
    json::array results;
    std::string created_at;
    std::string started_at;
    std::string completed_at;
  };

  std::string new_event(std::string type, json::object payload) {
    const auto id = text::uuid_v4();
    std::lock_guard lock(mutex_);
    events_[id] = event_record{
        .event_type = std::move(type), .payload = std::move(payload), .created_at = store_->now()};
    return id;
  }

  void set_event(const std::string& id, std::string status, json::array results = {}) {
    std::lock_guard lock(mutex_);
    auto& record = events_.at(id);
    record.status = std::move(status);
    if (record.status == "RUNNING") {
      record.started_at = store_->now();
    } else {
      record.completed_at = store_->now();
      record.results = std::move(results);
    }
  }

  // Runs `work` in the background after the processing delay, as the Platform's queue does.
  void process_later(net::any_io_executor executor, std::string event_id,
                     std::function<json::array()> work) {
    net::co_spawn(executor, processed(shared_from_this(), std::move(event_id), std::move(work)),
                  net::detached);
  }

  // A coroutine's parameters live in its frame, unlike a lambda's captures.
  static net::awaitable<void> processed(std::shared_ptr<platform_server> self, std::string event_id,
                                        std::function<json::array()> work) {
    net::steady_timer timer(co_await net::this_coro::executor, self->options_.processing_delay / 2);
    co_await timer.async_wait(net::use_awaitable);
    self->set_event(event_id, "RUNNING");
    timer.expires_after(self->options_.processing_delay / 2);
    co_await timer.async_wait(net::use_awaitable);
    self->set_event(event_id, "SUCCEEDED", work());
  }

  net::awaitable<http::response> add_memory(http::request_context& context, const caller&) {
    const auto parsed = parsed_body(context);
    if (!parsed || !parsed->is_object()) {
      co_return invalid_input(context);
    }
    const auto& body = parsed->as_object();
    const auto* messages = body.if_contains("messages");
    if (messages == nullptr || !messages->is_array() || messages->as_array().empty()) {
      co_return invalid_input(context);
    }
    std::vector<std::pair<std::string, std::string>> turns;
    for (const auto& message : messages->as_array()) {
      const auto role = message.is_object() ? string_at(message.as_object(), "role") : std::nullopt;
      const auto content =
          message.is_object() ? string_at(message.as_object(), "content") : std::nullopt;
      if (!role || !content || (*role != "user" && *role != "assistant" && *role != "system")) {
        co_return invalid_input(context);
      }
      turns.emplace_back(*role, *content);
    }
    const auto owner = top_level_entity(body);
    if (!owner) {
      co_return invalid_input(context);
    }
    if (!owner->any()) {
      co_return error_answer(context, status::bad_request,
                             "At least one of user_id, agent_id, app_id or run_id is required.");
    }
    json::object metadata;
    if (const auto* given = body.if_contains("metadata"); given != nullptr && !given->is_null()) {
      if (!given->is_object()) {
        co_return invalid_input(context);
      }
      metadata = given->as_object();
    }
    bool infer = true;
    if (const auto* given = body.if_contains("infer"); given != nullptr) {
      if (!given->is_bool()) {
        co_return invalid_input(context);
      }
      infer = given->as_bool();
    }
    if (!infer) {
      // Direct import: synchronous, each non-system message stored verbatim, an exact repeat in
      // the same scope stored once.
      json::array results;
      for (const auto& [role, content] : turns) {
        if (role == "system" || content.empty()) {
          continue;
        }
        const auto known = store_->list([&](const stored_memory& memory) {
          return same_owner(*owner, memory.owner) && memory.text == content;
        });
        if (!known.empty()) {
          continue;
        }
        const auto memory = store_->add(*owner, content, metadata);
        results.push_back(
            json::object{{"id", memory.id}, {"data", {{"memory", memory.text}}}, {"event", "ADD"}});
      }
      const auto event_id = new_event("ADD", body);
      set_event(event_id, "SUCCEEDED", results);
      co_return json_answer(context, status::ok,
                            json::object{{"message", "Memories stored successfully"},
                                         {"status", "SUCCEEDED"},
                                         {"event_id", event_id},
                                         {"results", std::move(results)}});
    }
    const auto event_id = new_event("ADD", body);
    // co_await in a call's arguments confuses GCC 12 about the other arguments' lifetimes.
    const auto executor = co_await net::this_coro::executor;
    process_later(executor, event_id,
                  inference{store_, *owner, std::move(turns), std::move(metadata)});
    co_return json_answer(context, status::ok,
                          json::object{{"event_id", event_id}, {"status", "PENDING"}});
  }

  net::awaitable<http::response> event(http::request_context& context, const caller&) {
    const std::string id(context.path_param("event_id"));
    std::lock_guard lock(mutex_);
    const auto found = events_.find(id);
    if (found == events_.end()) {
      co_return error_answer(context, status::not_found,
                             "Event not found or you don't have permission to access it.");
    }
    const auto& record = found->second;
    co_return json_answer(
        context, status::ok,
        json::object{
            {"id", id},
            {"event_type", record.event_type},
            {"status", record.status},
            {"payload", record.payload},
            {"metadata", nullptr},
            {"results", record.results},
            {"created_at", record.created_at},
            {"updated_at", record.completed_at.empty() ? record.created_at : record.completed_at},
            {"started_at", nullable(record.started_at)},
            {"completed_at", nullable(record.completed_at)},
            {"latency", nullptr},
            {"graph_status", nullptr},
            {"error", nullptr}});
  }

  // Search and list refuse entity ids outside `filters`; both require the filters.
  std::variant<memory_predicate, http::response> body_filters(const http::request_context& context,
                                                              const json::object& body,
                                                              filter_use use) {
    for (const std::string_view name : {"user_id", "agent_id", "app_id", "run_id"}) {
      if (body.contains(name)) {
        return error_answer(context, status::bad_request,
                            "Entity IDs (" + std::string(name) +
                                ") must be passed inside filters, not at the top level.");
      }
    }
    const auto* filters = body.if_contains("filters");
    if (filters == nullptr || !filters->is_object()) {
      return error_answer(context, status::bad_request,
                          "filters is required and must be an object.");
    }
    auto predicate = compile_platform_filters(filters->as_object(), use);
    if (!predicate) {
      return error_answer(context, static_cast<status>(predicate.error().status),
                          predicate.error().error);
    }
    return std::move(predicate).value();
  }

  net::awaitable<http::response> search(http::request_context& context, const caller&) {
    const auto parsed = parsed_body(context);
    if (!parsed || !parsed->is_object()) {
      co_return error_answer(context, status::bad_request, "The body must be a JSON object.");
    }
    const auto& body = parsed->as_object();
    const auto query = string_at(body, "query");
    if (!query || query->find_first_not_of(" \t\r\n") == std::string::npos) {
      co_return error_answer(context, status::bad_request, "query is required.");
    }
    auto filtered = body_filters(context, body, filter_use::search);
    if (auto* refused = std::get_if<http::response>(&filtered)) {
      co_return std::move(*refused);
    }
    int top_k = default_top_k;
    if (const auto* given = body.if_contains("top_k"); given != nullptr) {
      if (!given->is_int64() || given->as_int64() < 1 || given->as_int64() > max_top_k) {
        co_return error_answer(context, status::bad_request,
                               "top_k must be an integer from 1 to 1000.");
      }
      top_k = static_cast<int>(given->as_int64());
    }
    double threshold = default_threshold;
    if (const auto* given = body.if_contains("threshold"); given != nullptr) {
      if (!given->is_number() || given->to_number<double>() < 0.0 ||
          given->to_number<double>() > 1.0) {
        co_return error_answer(context, status::bad_request,
                               "threshold must be a number from 0 to 1.");
      }
      threshold = given->to_number<double>();
    }
    json::array results;
    for (const auto& found : store_->search(*query, std::get<memory_predicate>(filtered), threshold,
                                            static_cast<std::size_t>(top_k))) {
      results.push_back(search_json(found));
    }
    co_return json_answer(context, status::ok, json::object{{"results", std::move(results)}});
  }

  net::awaitable<http::response> list(http::request_context& context, const caller&) {
    const auto parameters = query_parameters(context.query);
    int page = 1;
    int page_size = default_page_size;
    if (const auto found = parameters.find("page"); found != parameters.end()) {
      const auto parsed = parse_int(found->second);
      if (!parsed || *parsed < 1) {
        co_return error_answer(context, status::bad_request, "page must be a positive integer.");
      }
      page = *parsed;
    }
    if (const auto found = parameters.find("page_size"); found != parameters.end()) {
      const auto parsed = parse_int(found->second);
      if (!parsed || *parsed < 1 || *parsed > max_page_size) {
        co_return error_answer(context, status::bad_request,
                               "page_size must be an integer from 1 to 200.");
      }
      page_size = *parsed;
    }
    const auto parsed = parsed_body(context);
    if (!parsed || !parsed->is_object()) {
      co_return error_answer(context, status::bad_request, "The body must be a JSON object.");
    }
    auto filtered = body_filters(context, parsed->as_object(), filter_use::list);
    if (auto* refused = std::get_if<http::response>(&filtered)) {
      co_return std::move(*refused);
    }
    const auto all = store_->list(std::get<memory_predicate>(filtered));
    const auto count = all.size();
    const auto first = static_cast<std::size_t>(page - 1) * static_cast<std::size_t>(page_size);
    if (page > 1 && first >= count) {
      co_return json_answer(context, status::not_found, json::object{{"detail", "Invalid page."}});
    }
    const auto last = std::min(count, first + static_cast<std::size_t>(page_size));
    json::array results;
    for (auto i = first; i < last; ++i) {
      results.push_back(memory_json(all[i]));
    }
    const auto page_url = [&](int number) {
      return "http://" + std::string(context.message[boost::beast::http::field::host]) +
             "/v3/memories/?page=" + std::to_string(number) +
             "&page_size=" + std::to_string(page_size);
    };
    co_return json_answer(
        context, status::ok,
        json::object{{"count", count},
                     {"next", last < count ? json::value(page_url(page + 1)) : nullptr},
                     {"previous", page > 1 ? json::value(page_url(page - 1)) : nullptr},
                     {"results", std::move(results)}});
  }

  // The memory a v1 route names: a 400 for an id that is not a UUID, 404 when absent.
  std::variant<stored_memory, http::response> addressed(const http::request_context& context) {
    const std::string id(context.path_param("memory_id"));
    if (!text::is_uuid(id)) {
      return error_answer(context, status::bad_request, "memory_id should be a valid UUID");
    }
    auto found = store_->get(id);
    if (!found) {
      return error_answer(context, status::not_found, "Memory not found!");
    }
    return std::move(*found);
  }

  net::awaitable<http::response> get(http::request_context& context, const caller&) {
    auto found = addressed(context);
    if (auto* refused = std::get_if<http::response>(&found)) {
      co_return std::move(*refused);
    }
    co_return json_answer(context, status::ok, memory_json(std::get<stored_memory>(found)));
  }

  net::awaitable<http::response> update(http::request_context& context, const caller&) {
    auto found = addressed(context);
    if (auto* refused = std::get_if<http::response>(&found)) {
      co_return std::move(*refused);
    }
    const auto parsed = parsed_body(context);
    if (!parsed || !parsed->is_object()) {
      co_return error_answer(context, status::bad_request, "The body must be a JSON object.");
    }
    const auto& body = parsed->as_object();
    std::optional<std::string> text;
    std::optional<json::object> metadata;
    if (const auto* given = body.if_contains("text"); given != nullptr) {
      if (!given->is_string()) {
        co_return error_answer(context, status::bad_request, "text must be a string.");
      }
      text = std::string(given->as_string());
    }
    if (const auto* given = body.if_contains("metadata"); given != nullptr) {
      if (!given->is_object()) {
        co_return error_answer(context, status::bad_request, "metadata must be an object.");
      }
      metadata = given->as_object();
    }
    if (!text && !metadata && !body.contains("expiration_date")) {
      co_return error_answer(
          context, status::bad_request,
          "At least one of text, metadata, or expiration_date must be provided.");
    }
    // The Platform takes the metadata sent as the memory's new metadata.
    const auto changed = store_->update(std::get<stored_memory>(found).id, text, metadata, false);
    co_return json_answer(context, status::ok, memory_json(*changed));
  }

  net::awaitable<http::response> remove(http::request_context& context, const caller&) {
    auto found = addressed(context);
    if (auto* refused = std::get_if<http::response>(&found)) {
      co_return std::move(*refused);
    }
    store_->remove(std::get<stored_memory>(found).id);
    co_return json_answer(context, status::ok,
                          json::object{{"message", "Memory deleted successfully!"}});
  }

  net::awaitable<http::response> history(http::request_context& context, const caller&) {
    const std::string id(context.path_param("memory_id"));
    if (!text::is_uuid(id)) {
      co_return error_answer(context, status::bad_request, "memory_id should be a valid UUID");
    }
    if (!store_->ever_held(id)) {
      co_return error_answer(context, status::not_found, "Memory not found!");
    }
    json::array entries;
    for (const auto& entry : store_->history(id)) {
      entries.push_back(
          json::object{{"id", entry.id},
                       {"memory_id", entry.memory_id},
                       {"input", json::array{}},
                       {"old_memory", entry.old_memory ? json::value(*entry.old_memory) : nullptr},
                       {"new_memory", entry.new_memory ? json::value(*entry.new_memory) : nullptr},
                       {"user_id", entry.owner.user_id},
                       {"agent_id", nullable(entry.owner.agent_id)},
                       {"app_id", nullable(entry.owner.app_id)},
                       {"session_id", nullable(entry.owner.run_id)},
                       {"categories", json::array{}},
                       {"event", entry.event},
                       {"metadata", nullptr},
                       {"created_at", entry.created_at},
                       {"updated_at", entry.updated_at}});
    }
    co_return json_answer(context, status::ok, entries);
  }

  net::awaitable<http::response> delete_all(http::request_context& context, const caller&) {
    const auto parameters = query_parameters(context.query);
    entity scope;
    for (const auto& [name, target] :
         {std::pair<std::string_view, std::string*>{"user_id", &scope.user_id},
          {"agent_id", &scope.agent_id},
          {"app_id", &scope.app_id},
          {"run_id", &scope.run_id}}) {
      if (const auto found = parameters.find(std::string(name)); found != parameters.end()) {
        *target = found->second;
      }
    }
    if (!scope.any()) {
      co_return error_answer(context, status::bad_request,
                             "At least one filter is required to delete memories.");
    }
    const auto event_id = new_event("DELETE", json::object{});
    const auto executor = co_await net::this_coro::executor;
    process_later(executor, event_id, bulk_deletion{store_, scope});
    co_return json_answer(context, status::ok,
                          json::object{{"message", "Delete in progress. This may take some time."},
                                       {"event_id", event_id}});
  }

  std::shared_ptr<memory_store> store_;
  settings options_;
  std::mutex mutex_;  // guards events_
  std::map<std::string, event_record> events_;
};

}  // namespace

void add_routes(http::router& routes, std::shared_ptr<memory_store> store, const route_guard& guard,
                settings options) {
  std::make_shared<platform_server>(std::move(store), options)->add(routes, guard);
}

std::variant<caller, http::response> authenticate(const std::optional<std::string>& key,
                                                  const http::request_context& context) {
  const auto authorization = context.message[boost::beast::http::field::authorization];
  const auto space = authorization.find(' ');
  if (space == std::string_view::npos ||
      !boost::beast::iequals(authorization.substr(0, space), "Token") ||
      authorization.substr(space + 1).empty()) {
    return json_answer(context, status::unauthorized,
                       json::object{{"detail", "Authentication credentials were not provided."}});
  }
  if (key && authorization.substr(space + 1) != *key) {
    return json_answer(context, status::unauthorized, json::object{{"detail", "Invalid API key."}});
  }
  return caller{.admin = true};
}

}  // namespace gpt_adapter::memory_bank_dev::platform
