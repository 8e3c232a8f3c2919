#include <string>

#include <catch2/catch.hpp>

#include "common/postgres/conninfo.hpp"
#include "common/postgres/error.hpp"

namespace postgres = gpt_adapter::postgres;

TEST_CASE("postgres conninfo: URLs and key=value strings parse as libpq reads them", "[postgres]") {
  const auto url = postgres::parse_conninfo(
      "postgresql://app:s3cret@db.example:6432/adapter?sslmode=require&application_name=api");
  CHECK(postgres::setting(url, "user") == "app");
  CHECK(postgres::setting(url, "password") == "s3cret");
  CHECK(postgres::setting(url, "host") == "db.example");
  CHECK(postgres::setting(url, "port") == "6432");
  CHECK(postgres::setting(url, "sslmode") == "require");
  CHECK(postgres::setting(url, "hostaddr").empty());

  const auto pairs = postgres::parse_conninfo("host=10.0.0.7 dbname=adapter user=worker");
  CHECK(postgres::setting(pairs, "host") == "10.0.0.7");
  CHECK(postgres::describe_target(pairs) == "worker@10.0.0.7/adapter");
}

TEST_CASE("postgres conninfo: the logged target never contains the password", "[postgres]") {
  const auto settings = postgres::parse_conninfo("postgresql://app:s3cret@db.example:6432/adapter");
  const auto target = postgres::describe_target(settings);
  CHECK(target == "app@db.example:6432/adapter");
  CHECK(target.find("s3cret") == std::string::npos);
}

TEST_CASE("postgres conninfo: a string libpq cannot parse is refused without being echoed",
          "[postgres]") {
  try {
    postgres::parse_conninfo("host=db password hunter2");
    FAIL("parse_conninfo accepted a malformed string");
  } catch (const postgres::error& e) {
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
  }
  CHECK_THROWS_AS(postgres::parse_conninfo("host=db no_such_option=1"), postgres::error);
}

TEST_CASE("postgres conninfo: set_default adds a setting only when absent", "[postgres]") {
  auto settings = postgres::parse_conninfo("host=db client_encoding=LATIN1");
  postgres::set_default(settings, "client_encoding", "UTF8");
  postgres::set_default(settings, "application_name", "gpt-adapter");
  CHECK(postgres::setting(settings, "client_encoding") == "LATIN1");
  CHECK(postgres::setting(settings, "application_name") == "gpt-adapter");
}

TEST_CASE("postgres conninfo: only host names need a lookup, not addresses or socket paths",
          "[postgres]") {
  using names = std::vector<std::string>;
  CHECK(postgres::hosts_to_resolve(postgres::parse_conninfo(
            "host=db.internal,10.0.0.5,/var/run/postgresql,db.internal,::1")) ==
        names{"db.internal"});
  CHECK(postgres::hosts_to_resolve(postgres::parse_conninfo("postgresql://[::1]:5432/x")).empty());
  CHECK(postgres::hosts_to_resolve(postgres::parse_conninfo("dbname=x")).empty());
  // Addresses pinned already: libpq will not look anything up.
  CHECK(postgres::hosts_to_resolve(postgres::parse_conninfo("host=db.internal hostaddr=10.0.0.9"))
            .empty());
}

TEST_CASE("postgres conninfo: looked-up addresses are pinned with hostaddr, one entry per address",
          "[postgres]") {
  const std::map<std::string, std::vector<std::string>> addresses = {
      {"db", {"10.1.1.1", "fd00::2"}}};

  SECTION("with a port per host") {
    const auto pinned = postgres::with_resolved_addresses(
        postgres::parse_conninfo("host=db,10.0.0.5 port=5432,5433 dbname=x"), addresses);
    CHECK(postgres::setting(pinned, "host") == "db,db,10.0.0.5");
    CHECK(postgres::setting(pinned, "hostaddr") == "10.1.1.1,fd00::2,");
    CHECK(postgres::setting(pinned, "port") == "5432,5432,5433");
    CHECK(postgres::setting(pinned, "dbname") == "x");
  }

  SECTION("with one port for every host") {
    const auto pinned = postgres::with_resolved_addresses(
        postgres::parse_conninfo("postgresql://u:p@db:6432/x"), addresses);
    CHECK(postgres::setting(pinned, "host") == "db,db");
    CHECK(postgres::setting(pinned, "hostaddr") == "10.1.1.1,fd00::2");
    CHECK(postgres::setting(pinned, "port") == "6432");
    CHECK(postgres::setting(pinned, "password") == "p");
  }

  SECTION("nothing looked up leaves the settings as they were") {
    const auto settings = postgres::parse_conninfo("host=10.0.0.5 port=5432");
    CHECK(postgres::with_resolved_addresses(settings, {}) == settings);
  }
}
