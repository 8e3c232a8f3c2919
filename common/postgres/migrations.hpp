#pragma once

#include <string>
#include <vector>

namespace gpt_adapter::postgres {

// One numbered schema change with its inverse, compiled in from schema/migrations.
struct migration {
  int version;
  std::string name;
  std::string up_sql;
  std::string down_sql;
};

// Every migration in schema/migrations, ordered by version.
const std::vector<migration>& embedded_migrations();

}  // namespace gpt_adapter::postgres
