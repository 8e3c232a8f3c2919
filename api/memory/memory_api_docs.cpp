#include "api/memory/memory_api_docs.hpp"

#include <stdexcept>

#include "api/memory/memory_requests.hpp"
#include "common/auth/scopes.hpp"

namespace gpt_adapter::api::memory {
namespace {

namespace json = boost::json;
using openapi::operation_doc;
using openapi::parameter_doc;
using openapi::response_doc;

json::object string_schema(std::size_t max_chars, std::string description,
                           std::size_t min_chars = 1) {
  return {{"type", "string"},
          {"minLength", min_chars},
          {"maxLength", max_chars},
          {"description", std::move(description)}};
}

json::object ref(std::string_view name) {
  return {{"$ref", "#/components/schemas/" + std::string(name)}};
}

json::object context_schema() {
  return {{"type", "object"},
          {"description", "Where the call comes from; recorded for the audit trail only."},
          {"properties",
           {{"custom_gpt_id", string_schema(max_context_id_chars, "The calling GPT's id.")},
            {"conversation_id",
             string_schema(max_context_id_chars, "The conversation the call belongs to.")}}}};
}

json::object categories_schema(std::string description) {
  return {{"type", "array"},
          {"maxItems", max_categories},
          {"items", string_schema(max_category_chars, "A category name.")},
          {"description", std::move(description)}};
}

json::object schemas() {
  const json::object timestamp{{"type", "string"}, {"format", "date-time"}};
  const json::object metadata{{"type", "object"},
                              {"additionalProperties", true},
                              {"description", "Free-form key/value data stored with the memory."}};
  json::object job_status{
      {"type", "string"},
      {"enum", json::array{"queued", "running", "succeeded", "failed", "dead"}},
      {"description",
       "queued and running: not finished yet; succeeded: see result; failed and "
       "dead: see error."}};
  return {
      {"SearchRequest",
       {{"type", "object"},
        {"required", json::array{"query"}},
        {"properties",
         {{"query", string_schema(max_query_chars, "What to look for, in natural language.")},
          {"limit",
           {{"type", "integer"},
            {"minimum", 1},
            {"maximum", max_search_limit},
            {"default", default_search_limit},
            {"description", "The most results to return."}}},
          {"filters",
           {{"type", "object"},
            {"properties",
             {{"categories", categories_schema("Only memories in any of these categories.")},
              {"date_range",
               {{"type", "object"},
                {"description", "Only memories created within this range (inclusive)."},
                {"properties", {{"start", timestamp}, {"end", timestamp}}}}}}}}},
          {"context", context_schema()}}}}},
      {"CreateMemoryRequest",
       {{"type", "object"},
        {"required", json::array{"content"}},
        {"properties",
         {{"content", string_schema(max_content_chars, "The fact or note to remember.")},
          {"metadata", metadata},
          {"categories", categories_schema("Categories to file the memory under.")},
          {"priority", {{"type", "string"}, {"enum", json::array{"low", "normal", "high"}}}},
          {"infer",
           {{"type", "boolean"},
            {"default", true},
            {"description",
             "false stores the content exactly as given. By default the memory service "
             "extracts the facts and may merge them with, or change, memories it has."}}},
          {"context", context_schema()},
          {"idempotency_key",
           string_schema(
               max_idempotency_key_chars,
               "Send the same key when retrying the same request: it is stored once.")}}}}},
      {"UpdateMemoryRequest",
       {{"type", "object"},
        {"required", json::array{"content"}},
        {"properties",
         {{"content", string_schema(max_content_chars, "The new text of the memory.")},
          {"metadata", metadata}}}}},
      {"Memory",
       {{"type", "object"},
        {"required", json::array{"memory_id", "content"}},
        {"properties",
         {{"memory_id", {{"type", "string"}}},
          {"content", {{"type", "string"}}},
          {"relevance_score",
           {{"type", "number"}, {"description", "Higher is more relevant (search only)."}}},
          {"metadata", metadata},
          {"created_at", timestamp},
          {"updated_at", timestamp}}}}},
      {"MemoryChange",
       {{"type", "object"},
        {"required", json::array{"memory_id", "content", "event"}},
        {"properties",
         {{"memory_id", {{"type", "string"}}},
          {"content", {{"type", "string"}}},
          {"event",
           {{"type", "string"},
            {"enum", json::array{"ADD", "UPDATE", "DELETE", "NONE"}},
            {"description",
             "ADD: stored as a new memory; UPDATE: an existing memory was changed instead; "
             "DELETE: an existing memory was removed as contradicted; NONE: already known."}}},
          {"previous_content", {{"type", "string"}}}}}}},
      {"HistoryEntry",
       {{"type", "object"},
        {"required", json::array{"event"}},
        {"properties",
         {{"event", {{"type", "string"}, {"enum", json::array{"ADD", "UPDATE", "DELETE"}}}},
          {"old_content", {{"type", {"string", "null"}}}},
          {"new_content", {{"type", {"string", "null"}}}},
          {"created_at", {{"type", {"string", "null"}}}},
          {"updated_at", {{"type", {"string", "null"}}}}}}}},
      {"MemoryHistory",
       {{"type", "object"},
        {"required", json::array{"status", "request_id", "memory_id", "history"}},
        {"properties",
         {{"status", {{"type", "string"}, {"enum", json::array{"success"}}}},
          {"request_id", {{"type", "string"}}},
          {"memory_id", {{"type", "string"}}},
          {"history", {{"type", "array"}, {"items", ref("HistoryEntry")}}}}}}},
      {"SearchResult",
       {{"type", "object"},
        {"required", json::array{"status", "request_id", "results", "total_found"}},
        {"properties",
         {{"status", {{"type", "string"}, {"enum", json::array{"success"}}}},
          {"request_id", {{"type", "string"}}},
          {"results", {{"type", "array"}, {"items", ref("Memory")}}},
          {"total_found", {{"type", "integer"}}},
          {"truncated",
           {{"type", "boolean"},
            {"description", "True when results or contents were cut to fit the size limit."}}},
          {"processing_time_ms", {{"type", "number"}}}}}}},
      {"MemoryPage",
       {{"type", "object"},
        {"required", json::array{"status", "request_id", "results"}},
        {"properties",
         {{"status", {{"type", "string"}, {"enum", json::array{"success"}}}},
          {"request_id", {{"type", "string"}}},
          {"results", {{"type", "array"}, {"items", ref("Memory")}}},
          {"next_cursor",
           {{"type", "string"}, {"description", "Pass as cursor to get the next page."}}},
          {"listing_capped",
           {{"type", "boolean"},
            {"description",
             "True when the memory service cannot list past this page although the user may "
             "have more memories (a self-hosted mem0 server lists at most 1,000): search to "
             "reach the others."}}},
          {"truncated", {{"type", "boolean"}}}}}}},
      {"MemoryResult",
       {{"type", "object"},
        {"required", json::array{"status", "request_id", "memory"}},
        {"properties",
         {{"status", {{"type", "string"}, {"enum", json::array{"success"}}}},
          {"request_id", {{"type", "string"}}},
          {"memory", ref("Memory")}}}}},
      {"JobAccepted",
       {{"type", "object"},
        {"required", json::array{"status", "request_id", "status_url"}},
        {"properties",
         {{"status", {{"type", "string"}, {"enum", json::array{"accepted", "pending"}}}},
          {"request_id", {{"type", "string"}}},
          {"message", {{"type", "string"}}},
          {"status_url",
           {{"type", "string"},
            {"description", "Call getJob with request_id to learn the outcome."}}}}}}},
      {"Job",
       {{"type", "object"},
        {"required", json::array{"request_id", "operation", "status", "attempts", "created_at"}},
        {"properties",
         {{"request_id", {{"type", "string"}}},
          {"operation",
           {{"type", "string"},
            {"enum", json::array{"search", "create", "get", "list", "update", "delete", "history",
                                 "forget"}}}},
          {"status", job_status},
          {"attempts", {{"type", "integer"}}},
          {"created_at", timestamp},
          {"completed_at", timestamp},
          {"result",
           {{"description",
             "The operation's result, when it succeeded. For create, the changes the memory "
             "service made (MemoryChange items): it may have changed an existing memory "
             "instead of adding one, or found it already known."}}},
          {"error", {{"type", "string"}}}}}}},
      {"Caller",
       {{"type", "object"},
        {"properties",
         {{"application", {{"type", "object"}}},
          {"end_user", {{"type", {"object", "null"}}}},
          {"scopes", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"credential", {{"type", "string"}}},
          {"rate_limit", {{"type", "object"}}}}}}},
      {"Problem",
       {{"type", "object"},
        {"description", "RFC 9457 problem details."},
        {"properties",
         {{"type", {{"type", "string"}}},
          {"title", {{"type", "string"}}},
          {"status", {{"type", "integer"}}},
          {"detail", {{"type", "string"}}},
          {"instance", {{"type", "string"}}},
          {"request_id", {{"type", "string"}}},
          {"errors",
           {{"type", "array"},
            {"items",
             {{"type", "object"},
              {"properties",
               {{"pointer", {{"type", "string"}}}, {"detail", {{"type", "string"}}}}}}}}}}}}},
  };
}

parameter_doc memory_id_parameter() {
  return {.name = "memory_id",
          .in = "path",
          .required = true,
          .description = "The memory_id from a search or list result.",
          .schema = string_schema(max_memory_id_chars, "A memory id.")};
}

// The errors any protected operation may answer with.
std::vector<response_doc> with_common_errors(std::vector<response_doc> responses) {
  for (auto error : std::initializer_list<response_doc>{
           {401, "Missing, invalid or expired credentials.", "Problem", true},
           {403, "The credentials lack the scope this operation needs.", "Problem", true},
           {429, "Too many requests; retry after the Retry-After header's seconds.", "Problem",
            true},
           {503, "The memory service is unavailable; retry later.", "Problem", true}}) {
    responses.push_back(std::move(error));
  }
  return responses;
}

std::vector<operation_doc> build_operations() {
  const std::string read(auth::memories_read_scope);
  const std::string write(auth::memories_write_scope);
  const response_doc invalid{422, "A field is invalid; errors lists each one.", "Problem", true};
  const response_doc pending{202, "Still running: call getJob with request_id later.",
                             "JobAccepted"};
  const response_doc accepted{202, "Accepted: the change is applied in the background.",
                              "JobAccepted"};
  const response_doc not_found{404, "No such memory for this user.", "Problem", true};
  return {
      {.method = http::verb::post,
       .path = "/api/v1/search",
       .operation_id = std::string(operation_ids::search),
       .summary = "Search the user's memories",
       .description = "Finds stored memories relevant to a natural-language query. Use before "
                      "answering anything that may depend on what the user said earlier.",
       .required_scope = read,
       .request_schema = "SearchRequest",
       .responses = with_common_errors(
           {{200, "Matching memories, most relevant first.", "SearchResult"}, pending, invalid}),
       .read_only = true,
       .idempotent = true},
      {.method = http::verb::post,
       .path = "/api/v1/memories",
       .operation_id = std::string(operation_ids::create),
       .summary = "Remember something",
       .description = "Stores a fact, preference or note about the user for later "
                      "conversations. Answers at once; the memory is saved in the background.",
       .required_scope = write,
       .request_schema = "CreateMemoryRequest",
       .responses = with_common_errors({accepted, invalid})},
      {.method = http::verb::get,
       .path = "/api/v1/memories",
       .operation_id = std::string(operation_ids::list),
       .summary = "List the user's memories",
       .description = "Lists every stored memory page by page, in the memory service's order.",
       .required_scope = read,
       .parameters = {{.name = "limit",
                       .in = "query",
                       .description = "How many memories per page (1 to 100, default 20).",
                       .schema = {{"type", "integer"},
                                  {"minimum", 1},
                                  {"maximum", max_list_limit},
                                  {"default", default_list_limit}}},
                      {.name = "cursor",
                       .in = "query",
                       .description =
                           "The next_cursor of the previous page; omit for the first page.",
                       .schema = {{"type", "string"}}}},
       .responses =
           with_common_errors({{200, "One page of memories.", "MemoryPage"}, pending, invalid}),
       .read_only = true,
       .idempotent = true},
      {.method = http::verb::get,
       .path = "/api/v1/memories/{memory_id}",
       .operation_id = std::string(operation_ids::get),
       .summary = "Read one memory",
       .description = "Reads one stored memory by its id.",
       .required_scope = read,
       .parameters = {memory_id_parameter()},
       .responses =
           with_common_errors({{200, "The memory.", "MemoryResult"}, pending, not_found, invalid}),
       .read_only = true,
       .idempotent = true},
      {.method = http::verb::put,
       .path = "/api/v1/memories/{memory_id}",
       .operation_id = std::string(operation_ids::update),
       .summary = "Change a memory",
       .description = "Replaces the text (and optionally the metadata) of a stored memory.",
       .required_scope = write,
       .parameters = {memory_id_parameter()},
       .request_schema = "UpdateMemoryRequest",
       .responses = with_common_errors({accepted, invalid}),
       .consequential = true,
       .idempotent = true},
      {.method = http::verb::delete_,
       .path = "/api/v1/memories/{memory_id}",
       .operation_id = std::string(operation_ids::remove),
       .summary = "Forget a memory",
       .description = "Deletes a stored memory for good. Only when the user asks to forget it.",
       .required_scope = write,
       .parameters = {memory_id_parameter()},
       .responses = with_common_errors({accepted, invalid}),
       .consequential = true,
       .idempotent = true},
      {.method = http::verb::get,
       .path = "/api/v1/memories/{memory_id}/history",
       .operation_id = std::string(operation_ids::history),
       .summary = "Show how a memory changed",
       .description = "Lists what happened to one memory: when it was added and each change.",
       .required_scope = read,
       .parameters = {memory_id_parameter()},
       .responses =
           with_common_errors({{200, "The memory's history, oldest first.", "MemoryHistory"},
                               pending,
                               not_found,
                               invalid}),
       .read_only = true,
       .idempotent = true},
      {.method = http::verb::delete_,
       .path = "/api/v1/memories",
       .operation_id = std::string(operation_ids::forget),
       .summary = "Forget everything about the user",
       .description = "Deletes every memory of the signed-in user for good. Only when the user "
                      "explicitly asks to be forgotten entirely.",
       .required_scope = write,
       .responses = with_common_errors({accepted}),
       .consequential = true,
       .idempotent = true},
      {.method = http::verb::get,
       .path = "/api/v1/jobs/{request_id}",
       .operation_id = std::string(operation_ids::job),
       .summary = "Check a background request",
       .description = "Tells whether an accepted or pending request has finished, and its "
                      "result or error. Use the request_id from a 202 answer.",
       .parameters = {{.name = "request_id",
                       .in = "path",
                       .required = true,
                       .description = "The request_id of a 202 answer.",
                       .schema = string_schema(128, "A request id.")}},
       .responses =
           with_common_errors({{200, "The request's state.", "Job"},
                               {404, "No such request for this caller.", "Problem", true}}),
       .read_only = true,
       .idempotent = true},
      {.method = http::verb::get,
       .path = "/api/v1/me",
       .operation_id = std::string(operation_ids::me),
       .summary = "Who am I connected as",
       .description = "Shows the application, signed-in user, scopes and rate limit of the "
                      "current credentials. Use to check the connection.",
       .responses = with_common_errors({{200, "The caller.", "Caller"}}),
       .read_only = true,
       .idempotent = true},
  };
}

}  // namespace

const std::vector<operation_doc>& api_operations() {
  static const std::vector<operation_doc> operations = build_operations();
  return operations;
}

const operation_doc& api_operation(std::string_view operation_id) {
  for (const auto& operation : api_operations()) {
    if (operation.operation_id == operation_id)
      return operation;
  }
  throw std::out_of_range("no operation " + std::string(operation_id));
}

openapi::document_settings api_document_settings(const std::string& public_base_url,
                                                 std::string version) {
  return {
      .title = "Memory Bank for Custom GPTs",
      .version = std::move(version),
      .description =
          "Long-term memory for this GPT's users. Search it before answering questions that may "
          "depend on earlier conversations (preferences, facts, plans); store new facts the "
          "user shares and would want remembered; forget what the user asks to forget. Every "
          "user has a private memory: nothing is shared between users. Writes are accepted at "
          "once and applied in the background; a 202 answer carries a request_id to check with "
          "getJob.",
      .server_url = public_base_url,
      .authorization_url = public_base_url + "/oauth/authorize",
      .token_url = public_base_url + "/oauth/token",
      .scopes = {{std::string(auth::memories_read_scope), "Search and read memories."},
                 {std::string(auth::memories_write_scope), "Store, change and delete memories."}},
      .schemas = schemas(),
  };
}

}  // namespace gpt_adapter::api::memory
