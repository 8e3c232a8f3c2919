#include "tests/support/servers.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <libpq-fe.h>

namespace gpt_adapter::testing {
namespace {

namespace fs = std::filesystem;

std::string postgres_bin_dir() {
  std::string best;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql")) {
    const auto candidate = entry.path() / "bin";
    if (fs::exists(candidate / "postgres") && candidate.string() > best) {
      best = candidate.string();
    }
  }
  if (best.empty()) {
    throw std::runtime_error("no PostgreSQL server under /usr/lib/postgresql");
  }
  return best;
}

bool tcp_accepts(unsigned short port) {
  boost::asio::io_context context;
  boost::asio::ip::tcp::socket socket(context);
  boost::system::error_code error;
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, error);
  return !error;
}

void run_command(const std::vector<std::string>& argv, const std::optional<std::string>& user) {
  child_process command({.argv = argv, .run_as_user = user});
  const auto status = command.wait_exit(60s);
  if (status != 0) {
    throw std::runtime_error("command failed: " + argv.front());
  }
}

}  // namespace

redis_server::redis_server() : redis_server(redis_server_options{}) {}

redis_server::redis_server(redis_server_options options)
    : options_(std::move(options)), dir_("gpt-adapter-redis"), port_(free_port()) {
  if (options_.tls) {
    tls_port_ = free_port();
  }
  start();
}

redis_server::~redis_server() {
  kill();
}

std::string redis_server::url() const {
  const std::string credentials =
      options_.password.empty() ? "" : options_.username + ":" + options_.password + "@";
  return (options_.tls ? "rediss://" : "redis://") + credentials +
         "127.0.0.1:" + std::to_string(options_.tls ? tls_port_ : port_) + "/0";
}

std::map<std::string, std::string> redis_server::environment() const {
  std::map<std::string, std::string> values{{"REDIS_URL", url()}};
  if (options_.tls) {
    values["REDIS_TLS_CA_FILE"] = options_.tls->ca_certificate.string();
  }
  return values;
}

void redis_server::start() {
  process_options launch{.argv = {"/usr/bin/redis-server",
                                  "--port",
                                  std::to_string(port_),
                                  "--bind",
                                  "127.0.0.1",
                                  "--dir",
                                  dir_.path().string(),
                                  "--appendonly",
                                  "yes",
                                  "--appendfsync",
                                  "always",
                                  "--maxmemory-policy",
                                  "noeviction",
                                  "--save",
                                  "",
                                  "--protected-mode",
                                  "no",
                                  "--daemonize",
                                  "no",
                                  "--enable-debug-command",
                                  "local"},
                         .output_file = dir_.path() / "redis.log"};
  if (!options_.password.empty() && options_.username.empty()) {
    launch.argv.insert(launch.argv.end(), {"--requirepass", options_.password});
  }
  if (const auto& tls = options_.tls) {
    launch.argv.insert(
        launch.argv.end(),
        {"--tls-port", std::to_string(tls_port_), "--tls-cert-file",
         tls->server_certificate.string(), "--tls-key-file", tls->server_key.string(),
         "--tls-ca-cert-file", tls->ca_certificate.string(), "--tls-auth-clients",
         options_.require_client_certificate ? "yes" : "no"});
  }
  launch.argv.insert(launch.argv.end(), options_.arguments.begin(), options_.arguments.end());
  process_ = std::make_unique<child_process>(std::move(launch));
  if (!wait_until(
          [this] { return tcp_accepts(port_) && (tls_port_ == 0 || tcp_accepts(tls_port_)); },
          10s)) {
    throw std::runtime_error("redis-server did not start:\n" + process_->output());
  }
}

void redis_server::stop() {
  if (process_) {
    process_->stop();
    process_.reset();
  }
}

void redis_server::kill() {
  if (process_) {
    process_->signal(SIGKILL);
    process_->wait_exit(10s);
    process_.reset();
  }
}

postgres_server::postgres_server() : dir_("gpt-adapter-postgres"), port_(free_port()) {
  const char* template_dir = std::getenv("GPT_ADAPTER_TEST_POSTGRES_TEMPLATE");
  if (template_dir == nullptr || !fs::exists(fs::path(template_dir) / "PG_VERSION")) {
    throw std::runtime_error(
        "GPT_ADAPTER_TEST_POSTGRES_TEMPLATE does not name an initialised cluster: run the tests "
        "through ctest, whose postgres_template fixture creates it");
  }
  data_dir_ = (dir_.path() / "data").string();
  // cp -a keeps the ownership by the postgres user that initdb ran as.
  run_command({"/bin/cp", "-a", template_dir, data_dir_}, std::nullopt);
  start();
  const std::string admin = owner_url();
  run_sql(admin, "CREATE DATABASE gpt_adapter");
  run_sql(admin,
          "CREATE ROLE gpt_adapter_app LOGIN PASSWORD 'app-password' NOSUPERUSER NOBYPASSRLS");
  run_sql(admin,
          "CREATE ROLE gpt_adapter_bypass LOGIN PASSWORD 'bypass-password' NOSUPERUSER BYPASSRLS");
}

postgres_server::~postgres_server() {
  if (process_) {
    // SIGQUIT: immediate shutdown, the data folder is thrown away anyway.
    process_->signal(SIGQUIT);
    process_->wait_exit(10s);
  }
}

std::string postgres_server::owner_url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/gpt_adapter";
}

std::string postgres_server::runtime_url() const {
  return "postgresql://gpt_adapter_app:app-password@127.0.0.1:" + std::to_string(port_) +
         "/gpt_adapter";
}

std::string postgres_server::bypass_rls_url() const {
  return "postgresql://gpt_adapter_bypass:bypass-password@127.0.0.1:" + std::to_string(port_) +
         "/gpt_adapter";
}

void postgres_server::start() {
  process_ = std::make_unique<child_process>(process_options{
      .argv = {postgres_bin_dir() + "/postgres", "-D", data_dir_, "-p", std::to_string(port_), "-c",
               "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off",
               "-c", "max_connections=100"},
      .output_file = dir_.path() / "postgres.log",
      .run_as_user = "postgres"});
  wait_ready();
}

void postgres_server::stop() {
  if (process_) {
    // SIGINT: fast shutdown, the way an operator restarts a database.
    process_->signal(SIGINT);
    process_->wait_exit(30s);
    process_.reset();
  }
}

void postgres_server::wait_ready() {
  const std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
  if (!wait_until([&] { return PQping(conninfo.c_str()) == PQPING_OK; }, 30s, 20ms)) {
    throw std::runtime_error("postgres did not start:\n" + process_->output());
  }
}

void run_sql(const std::string& url, const std::string& sql) {
  std::string target = url;
  if (sql.rfind("CREATE DATABASE", 0) == 0) {
    // CREATE DATABASE runs from the maintenance database.
    target = url.substr(0, url.rfind('/')) + "/postgres";
  }
  PGconn* connection = PQconnectdb(target.c_str());
  if (PQstatus(connection) != CONNECTION_OK) {
    std::string message = PQerrorMessage(connection);
    PQfinish(connection);
    throw std::runtime_error("connect " + target + ": " + message);
  }
  PGresult* result = PQexec(connection, sql.c_str());
  const auto status = PQresultStatus(result);
  std::string message = PQresultErrorMessage(result);
  PQclear(result);
  PQfinish(connection);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("SQL failed: " + sql + ": " + message);
  }
}

}  // namespace gpt_adapter::testing
