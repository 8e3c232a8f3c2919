#include "common/postgres/error.hpp"

#include <libpq-fe.h>

namespace gpt_adapter::postgres {

namespace {

std::string field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value != nullptr ? value : "";
}

}  // namespace

error::error(const std::string& message, std::string sqlstate, std::string constraint)
    : std::runtime_error(message),
      sqlstate_(std::move(sqlstate)),
      constraint_(std::move(constraint)) {}

error error::from_result(const PGresult* result) {
  std::string message = field(result, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) {
    message = PQresultErrorMessage(result);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
  }
  return error(message, field(result, PG_DIAG_SQLSTATE), field(result, PG_DIAG_CONSTRAINT_NAME));
}

bool is_connection_failure(const std::string& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

}  // namespace gpt_adapter::postgres
