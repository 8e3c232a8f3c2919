#include "tools/memory-bank-dev/oss_routes.hpp"

#include <algorithm>
#include <array>

#include <boost/beast/core/string.hpp>
#include <boost/json/array.hpp>

#include "common/http/request_id.hpp"
#include "common/text/uuid.hpp"
#include "tools/memory-bank-dev/oss_filters.hpp"

namespace gpt_adapter::memory_bank_dev::oss {
namespace {

namespace net = boost::asio;
namespace json = boost::json;
using boost::beast::http::status;

constexpr int default_top_k = 20;          // Memory.search and Memory.get_all
constexpr int list_ceiling = 1000;         // ALL_MEMORIES_LIMIT, Query(le=1000)
constexpr double default_threshold = 0.1;  // Memory.search

// Identity keys mem0 never takes from metadata (_IDENTITY_KEYS), and the payload keys it
// reports beside the metadata rather than in it.
constexpr std::array<std::string_view, 4> identity_keys{"user_id", "agent_id", "run_id",
                                                        "actor_id"};
constexpr std::array<std::string_view, 7> promoted_keys{
    "user_id", "agent_id", "run_id", "actor_id", "role", "attributed_to", "expiration_date"};

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

http::response detail(const http::request_context& context, status code, std::string text) {
  return json_answer(context, code, json::object{{"detail", std::move(text)}});
}

// FastAPI's answer to a body that does not fit the request model.
http::response unprocessable(const http::request_context& context, json::array location,
                             std::string message) {
  return json_answer(
      context, status::unprocessable_entity,
      json::object{{"detail", json::array{json::object{{"type", "value_error"},
                                                       {"loc", std::move(location)},
                                                       {"msg", std::move(message)}}}}});
}

// server/errors.py: what the server answers when its store or provider fails.
http::response upstream_failure(const http::request_context& context) {
  const auto id = http::generate_request_id().substr(0, 8);
  auto answer = json_answer(
      context, status::bad_gateway,
      json::object{
          {"detail", "Upstream provider error."}, {"code", "unknown"}, {"request_id", id}});
  answer.set("X-Request-ID", id);
  return answer;
}

constexpr std::string_view missing_entity =
    "At least one identifier (user_id, agent_id, run_id) is required.";

// _validate_and_trim_entity_id: the error, or nothing.
std::optional<std::string> entity_id_problem(std::string_view name, std::string_view value) {
  auto trimmed = value;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) {
    trimmed.remove_prefix(1);
  }
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
    trimmed.remove_suffix(1);
  }
  if (trimmed.empty()) {
    return "Invalid " + std::string(name) +
           ": cannot be empty or whitespace-only. Provide a valid identifier.";
  }
  if (std::any_of(trimmed.begin(), trimmed.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
    return "Invalid " + std::string(name) +
           ": cannot contain whitespace. Provide a valid identifier without spaces.";
  }
  return std::nullopt;
}

// The memory's payload as pgvector stores it: what the filters are evaluated over.
json::object payload_of(const stored_memory& memory) {
  json::object payload = memory.metadata;
  payload["data"] = memory.text;
  payload["created_at"] = memory.created_at;
  payload["updated_at"] = memory.updated_at;
  for (const auto& [name, value] :
       {std::pair<std::string_view, const std::string&>{"user_id", memory.owner.user_id},
        {"agent_id", memory.owner.agent_id},
        {"run_id", memory.owner.run_id}}) {
    if (!value.empty()) {
      payload[name] = value;
    }
  }
  return payload;
}

// MemoryItem.model_dump() plus the promoted keys, as Memory.get, get_all and search build it.
json::object memory_json(const stored_memory& memory, std::optional<double> score,
                         bool with_score_field) {
  json::object extras;
  json::object promoted;
  for (const auto& [key, value] : payload_of(memory)) {
    if (listed(promoted_keys, key)) {
      promoted[key] = value;
    } else if (key != "data" && key != "hash" && key != "created_at" && key != "updated_at" &&
               key != "id" && key != "text_lemmatized") {
      extras[key] = value;
    }
  }
  json::object item{{"id", memory.id},
                    {"memory", memory.text},
                    {"hash", nullptr},
                    {"metadata", extras.empty() ? json::value(nullptr) : json::value(extras)},
                    {"created_at", memory.created_at},
                    {"updated_at", memory.updated_at}};
  if (with_score_field) {
    item["score"] = score ? json::value(*score) : json::value(nullptr);
  }
  for (const auto& [key, value] : promoted) {
    item[key] = value;
  }
  return item;
}

bool same_scope(const entity& scope, const entity& owner) {
  return (scope.user_id.empty() || scope.user_id == owner.user_id) &&
         (scope.agent_id.empty() || scope.agent_id == owner.agent_id) &&
         (scope.run_id.empty() || scope.run_id == owner.run_id);
}

// Optional[str] fields of a request model: a non-string is a 422.
std::optional<http::response> read_entity(const http::request_context& context,
                                          const json::object& body, entity& out) {
  for (const auto& [name, target] :
       {std::pair<std::string_view, std::string*>{"user_id", &out.user_id},
        {"agent_id", &out.agent_id},
        {"run_id", &out.run_id}}) {
    const auto* value = body.if_contains(name);
    if (value == nullptr || value->is_null()) {
      continue;
    }
    if (!value->is_string()) {
      return unprocessable(context, json::array{"body", name}, "Input should be a valid string");
    }
    *target = std::string(value->as_string());
  }
  return std::nullopt;
}

std::optional<http::response> entity_problem(const http::request_context& context,
                                             const entity& owner) {
  for (const auto& [name, value] :
       {std::pair<std::string_view, const std::string&>{"user_id", owner.user_id},
        {"agent_id", owner.agent_id},
        {"run_id", owner.run_id}}) {
    if (!value.empty()) {
      if (auto problem = entity_id_problem(name, value)) {
        return detail(context, status::bad_request, *problem);
      }
    }
  }
  return std::nullopt;
}

// The body as the server's request models need it: a JSON object, else nullopt.
std::optional<json::object> dictionary_body(const http::request_context& context) {
  auto parsed = parsed_body(context);
  if (!parsed || !parsed->is_object()) {
    return std::nullopt;
  }
  return std::move(parsed->as_object());
}

// FastAPI's 422 for a body that is no JSON object.
http::response not_a_dictionary(const http::request_context& context) {
  return unprocessable(context, json::array{"body"}, "Input should be a valid dictionary");
}

class oss_server : public std::enable_shared_from_this<oss_server> {
 public:
  explicit oss_server(std::shared_ptr<memory_store> store) : store_(std::move(store)) {}

  void add(http::router& routes, const route_guard& guard) {
    using http::verb;
    auto bind = [self = shared_from_this()](auto member) { return bind_route(self, member); };
    routes.add(verb::post, "/memories", guard("add", bind(&oss_server::add_memory)));
    routes.add(verb::get, "/memories", guard("list", bind(&oss_server::list)));
    routes.add(verb::delete_, "/memories", guard("delete_all", bind(&oss_server::delete_all)));
    routes.add(verb::get, "/memories/{memory_id}", guard("get", bind(&oss_server::get)));
    routes.add(verb::put, "/memories/{memory_id}", guard("update", bind(&oss_server::update)));
    routes.add(verb::delete_, "/memories/{memory_id}", guard("delete", bind(&oss_server::remove)));
    routes.add(verb::get, "/memories/{memory_id}/history",
               guard("history", bind(&oss_server::history)));
    routes.add(verb::post, "/search", guard("search", bind(&oss_server::search)));
    routes.add(verb::post, "/reset", guard("reset", bind(&oss_server::reset)));
  }

 private:
  net::awaitable<http::response> add_memory(http::request_context& context, const caller&) {
    const auto parsed = dictionary_body(context);
    if (!parsed) {
      co_return not_a_dictionary(context);
    }
    const auto& body = *parsed;
    const auto* messages = body.if_contains("messages");
    if (messages == nullptr) {
      co_return unprocessable(context, json::array{"body", "messages"}, "Field required");
    }
    if (!messages->is_array()) {
      co_return unprocessable(context, json::array{"body", "messages"},
                              "Input should be a valid list");
    }
    for (std::size_t i = 0; i < messages->as_array().size(); ++i) {
      const auto& message = messages->as_array()[i];
      for (const std::string_view field : {"role", "content"}) {
        const auto* value = message.is_object() ? message.as_object().if_contains(field) : nullptr;
        if (value == nullptr || !value->is_string()) {
          co_return unprocessable(
              context, json::array{"body", "messages", i, field},
              value == nullptr ? "Field required" : "Input should be a valid string");
        }
      }
    }
    entity owner;
    if (auto refused = read_entity(context, body, owner)) {
      co_return std::move(*refused);
    }
    json::object metadata;
    if (const auto* given = body.if_contains("metadata"); given != nullptr && !given->is_null()) {
      if (!given->is_object()) {
        co_return unprocessable(context, json::array{"body", "metadata"},
                                "Input should be a valid dictionary");
      }
      metadata = given->as_object();
    }
    bool infer = true;
    if (const auto* given = body.if_contains("infer"); given != nullptr && !given->is_null()) {
      if (!given->is_bool()) {
        co_return unprocessable(context, json::array{"body", "infer"},
                                "Input should be a valid boolean");
      }
      infer = given->as_bool();
    }
    if (!owner.any()) {
      co_return detail(context, status::bad_request, std::string(missing_entity));
    }
    if (auto refused = entity_problem(context, owner)) {
      co_return std::move(*refused);
    }
    // _build_filters_and_metadata: scope comes from the entity params only.
    for (const auto key : identity_keys) {
      metadata.erase(key);
    }
    json::array results;
    for (const auto& message : messages->as_array()) {
      const auto role = *string_at(message.as_object(), "role");
      const auto content = *string_at(message.as_object(), "content");
      if (role == "system" || content.empty()) {
        continue;
      }
      if (!infer) {
        auto stored = metadata;
        stored["role"] = role;
        const auto memory = store_->add(owner, content, stored);
        results.push_back(json::object{{"id", memory.id},
                                       {"memory", memory.text},
                                       {"event", "ADD"},
                                       {"actor_id", nullptr},
                                       {"role", role}});
        continue;
      }
      // The stand-in for the additive extraction: each message is one fact, and a fact the
      // owner already has is not extracted again (the LLM is shown the existing memories).
      const auto known = store_->list([&](const stored_memory& memory) {
        return same_scope(owner, memory.owner) && memory.text == content;
      });
      if (!known.empty()) {
        continue;
      }
      const auto memory = store_->add(owner, content, metadata);
      results.push_back(json::object{{"id", memory.id}, {"memory", memory.text}, {"event", "ADD"}});
    }
    co_return json_answer(context, status::ok, json::object{{"results", std::move(results)}});
  }

  net::awaitable<http::response> list(http::request_context& context, const caller& who) {
    const auto parameters = query_parameters(context.query);
    entity owner;
    for (const auto& [name, target] :
         {std::pair<std::string_view, std::string*>{"user_id", &owner.user_id},
          {"agent_id", &owner.agent_id},
          {"run_id", &owner.run_id}}) {
      if (const auto found = parameters.find(std::string(name)); found != parameters.end()) {
        *target = found->second;
      }
    }
    int top_k = default_top_k;
    if (const auto found = parameters.find("top_k"); found != parameters.end()) {
      const auto parsed = parse_int(found->second);
      if (!parsed) {
        co_return unprocessable(context, json::array{"query", "top_k"},
                                "Input should be a valid integer");
      }
      if (*parsed < 0 || *parsed > list_ceiling) {
        co_return unprocessable(context, json::array{"query", "top_k"},
                                "Input should be less than or equal to 1000");
      }
      top_k = *parsed;
    }
    if (!owner.any()) {
      if (!who.admin) {
        co_return detail(context, status::forbidden, "Admin role required to list all memories.");
      }
      owner = {};
    } else if (entity_problem(context, owner)) {
      co_return upstream_failure(context);  // get_all's ValueError is not caught as a 400
    }
    json::array results;
    for (const auto& memory :
         store_->list([&](const stored_memory& one) { return same_scope(owner, one.owner); })) {
      if (results.size() >= static_cast<std::size_t>(top_k)) {
        break;
      }
      results.push_back(memory_json(memory, std::nullopt, false));
    }
    co_return json_answer(context, status::ok, json::object{{"results", std::move(results)}});
  }

  net::awaitable<http::response> get(http::request_context& context, const caller&) {
    const std::string id(context.path_param("memory_id"));
    if (!text::is_uuid(id)) {
      co_return upstream_failure(context);  // the uuid column refuses the text
    }
    const auto found = store_->get(id);
    if (!found) {
      co_return json_answer(context, status::ok, nullptr);
    }
    co_return json_answer(context, status::ok, memory_json(*found, std::nullopt, true));
  }

  net::awaitable<http::response> search(http::request_context& context, const caller&) {
    const auto parsed = dictionary_body(context);
    if (!parsed) {
      co_return not_a_dictionary(context);
    }
    const auto& body = *parsed;
    const auto* query = body.if_contains("query");
    if (query == nullptr || !query->is_string()) {
      co_return unprocessable(
          context, json::array{"body", "query"},
          query == nullptr ? "Field required" : "Input should be a valid string");
    }
    json::object filters;
    if (const auto* given = body.if_contains("filters"); given != nullptr && !given->is_null()) {
      if (!given->is_object()) {
        co_return unprocessable(context, json::array{"body", "filters"},
                                "Input should be a valid dictionary");
      }
      filters = given->as_object();
    }
    // Deprecated top-level ids are moved into the filters.
    entity top_level;
    if (auto refused = read_entity(context, body, top_level)) {
      co_return std::move(*refused);
    }
    for (const auto& [name, value] :
         {std::pair<std::string_view, const std::string&>{"user_id", top_level.user_id},
          {"agent_id", top_level.agent_id},
          {"run_id", top_level.run_id}}) {
      if (!value.empty()) {
        filters[name] = value;
      }
    }
    int top_k = default_top_k;
    if (const auto* given = body.if_contains("top_k"); given != nullptr && !given->is_null()) {
      if (!given->is_int64()) {
        co_return unprocessable(context, json::array{"body", "top_k"},
                                "Input should be a valid integer");
      }
      if (given->as_int64() < 0) {
        co_return detail(context, status::bad_request,
                         "Invalid top_k: " + std::to_string(given->as_int64()) +
                             ". Must be a non-negative integer.");
      }
      top_k = static_cast<int>(std::min<std::int64_t>(given->as_int64(), 1'000'000));
    }
    double threshold = default_threshold;
    if (const auto* given = body.if_contains("threshold"); given != nullptr && !given->is_null()) {
      if (!given->is_number()) {
        co_return unprocessable(context, json::array{"body", "threshold"},
                                "Input should be a valid number");
      }
      threshold = given->to_number<double>();
      if (threshold < 0.0 || threshold > 1.0) {
        co_return detail(context, status::bad_request,
                         "Invalid threshold: must be between 0 and 1 (inclusive).");
      }
    }
    auto text = std::string(query->as_string());
    text.erase(0, text.find_first_not_of(" \t\r\n"));
    text.erase(text.find_last_not_of(" \t\r\n") + 1);
    if (text.empty()) {
      co_return detail(context, status::bad_request,
                       "Invalid query: cannot be empty or whitespace-only.");
    }
    if (!filters.contains("user_id") && !filters.contains("agent_id") &&
        !filters.contains("run_id")) {
      co_return detail(context, status::bad_request,
                       "filters must contain at least one of: user_id, agent_id, run_id. "
                       "Example: filters={'user_id': 'u1'}");
    }
    for (const std::string_view name : {"user_id", "agent_id", "run_id"}) {
      if (const auto* value = filters.if_contains(name); value != nullptr) {
        const auto as_text =
            value->is_string() ? std::string(value->as_string()) : python_str(*value);
        if (auto problem = entity_id_problem(name, as_text)) {
          co_return detail(context, status::bad_request, *problem);
        }
      }
    }
    auto predicate = compile_oss_filters(filters);
    if (!predicate) {
      co_return detail(context, status::bad_request, predicate.error().detail);
    }
    try {
      json::array results;
      for (const auto& found : store_->search(
               text,
               [&](const stored_memory& memory) { return predicate.value()(payload_of(memory)); },
               threshold, static_cast<std::size_t>(top_k))) {
        results.push_back(memory_json(found.memory, found.score, true));
      }
      co_return json_answer(context, status::ok, json::object{{"results", std::move(results)}});
    } catch (const store_failure&) {
    }
    co_return upstream_failure(context);
  }

  net::awaitable<http::response> update(http::request_context& context, const caller&) {
    const auto parsed = dictionary_body(context);
    if (!parsed) {
      co_return not_a_dictionary(context);
    }
    const auto& body = *parsed;
    std::optional<std::string> text;
    std::optional<json::object> metadata;
    if (const auto* given = body.if_contains("text"); given != nullptr && !given->is_null()) {
      if (!given->is_string()) {
        co_return unprocessable(context, json::array{"body", "text"},
                                "Input should be a valid string");
      }
      text = std::string(given->as_string());
    }
    if (const auto* given = body.if_contains("metadata"); given != nullptr && !given->is_null()) {
      if (!given->is_object()) {
        co_return unprocessable(context, json::array{"body", "metadata"},
                                "Input should be a valid dictionary");
      }
      metadata = given->as_object();
      for (const auto key : identity_keys) {
        metadata->erase(key);
      }
    }
    if (!text && !metadata && !body.contains("expiration_date")) {
      co_return detail(context, status::bad_request,
                       "At least one of text, metadata, or expiration_date must be provided.");
    }
    const std::string id(context.path_param("memory_id"));
    if (!text::is_uuid(id)) {
      co_return upstream_failure(context);
    }
    // Memory.update merges the metadata into the memory's payload.
    if (!store_->update(id, text, metadata, true)) {
      co_return detail(context, status::not_found,
                       "Memory with id " + id + " not found. Please provide a valid 'memory_id'");
    }
    co_return json_answer(context, status::ok,
                          json::object{{"message", "Memory updated successfully!"}});
  }

  net::awaitable<http::response> remove(http::request_context& context, const caller&) {
    const std::string id(context.path_param("memory_id"));
    if (!text::is_uuid(id)) {
      co_return upstream_failure(context);
    }
    if (!store_->remove(id)) {
      co_return detail(context, status::not_found, "Memory with id " + id + " not found");
    }
    co_return json_answer(context, status::ok,
                          json::object{{"message", "Memory deleted successfully"}});
  }

  net::awaitable<http::response> history(http::request_context& context, const caller&) {
    json::array entries;
    for (const auto& entry : store_->history(std::string(context.path_param("memory_id")))) {
      entries.push_back(
          json::object{{"id", entry.id},
                       {"memory_id", entry.memory_id},
                       {"old_memory", entry.old_memory ? json::value(*entry.old_memory) : nullptr},
                       {"new_memory", entry.new_memory ? json::value(*entry.new_memory) : nullptr},
                       {"event", entry.event},
                       {"created_at", entry.created_at},
                       {"updated_at", entry.updated_at},
                       {"is_deleted", entry.event == "DELETE"},
                       {"actor_id", nullptr},
                       {"role", nullptr}});
    }
    co_return json_answer(context, status::ok, entries);
  }

  net::awaitable<http::response> delete_all(http::request_context& context, const caller& who) {
    if (!who.admin) {
      co_return detail(context, status::forbidden, "Admin role required.");
    }
    const auto parameters = query_parameters(context.query);
    entity owner;
    for (const auto& [name, target] :
         {std::pair<std::string_view, std::string*>{"user_id", &owner.user_id},
          {"agent_id", &owner.agent_id},
          {"run_id", &owner.run_id}}) {
      if (const auto found = parameters.find(std::string(name)); found != parameters.end()) {
        *target = found->second;
      }
    }
    if (!owner.any()) {
      co_return detail(context, status::bad_request, "At least one identifier is required.");
    }
    if (entity_problem(context, owner)) {
      co_return upstream_failure(context);
    }
    store_->remove_all(
        [&](const stored_memory& memory) { return same_scope(owner, memory.owner); });
    co_return json_answer(context, status::ok,
                          json::object{{"message", "All relevant memories deleted"}});
  }

  net::awaitable<http::response> reset(http::request_context& context, const caller& who) {
    if (!who.admin) {
      co_return detail(context, status::forbidden, "Admin role required.");
    }
    store_->reset();
    co_return json_answer(context, status::ok, json::object{{"message", "All memories reset"}});
  }

  std::shared_ptr<memory_store> store_;
};

}  // namespace

void add_routes(http::router& routes, std::shared_ptr<memory_store> store,
                const route_guard& guard) {
  std::make_shared<oss_server>(std::move(store))->add(routes, guard);
}

std::variant<caller, http::response> authenticate(const credentials& keys,
                                                  const http::request_context& context) {
  const auto authorization = context.message[boost::beast::http::field::authorization];
  const auto space = authorization.find(' ');
  if (space != std::string_view::npos &&
      boost::beast::iequals(authorization.substr(0, space), "Bearer")) {
    return detail(context, status::unauthorized, "Invalid or expired token.");
  }
  const auto key = context.message["X-API-Key"];
  if (context.message.find("X-API-Key") != context.message.end()) {
    if (keys.admin_key && key == *keys.admin_key) {
      return caller{.admin = true};
    }
    if (keys.user_key && key == *keys.user_key) {
      return caller{.admin = false};
    }
    return detail(context, status::unauthorized, "Invalid API key.");
  }
  if (!keys.admin_key && !keys.user_key) {
    return caller{.admin = true};  // AUTH_DISABLED
  }
  auto refused = detail(context, status::unauthorized,
                        "Authentication required. Provide a Bearer token or X-API-Key header.");
  refused.set(boost::beast::http::field::www_authenticate, "Bearer");
  return refused;
}

}  // namespace gpt_adapter::memory_bank_dev::oss
