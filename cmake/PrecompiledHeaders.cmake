# Most of a file's compile time is spent parsing Boost.Asio, Beast and JSON. Precompiling them once
# per build, instead of once per file, keeps a clean build (what CI does) short. Build with
# -DGPT_ADAPTER_PCH=OFF to check that every file still includes what it uses.
option(GPT_ADAPTER_PCH "Precompile the Boost and standard headers most files include" ON)

set(gpt_adapter_precompiled_headers
  <algorithm> <chrono> <cstdint> <functional> <map> <memory> <optional> <string>
  <string_view> <unordered_map> <utility> <variant> <vector>
  <boost/asio/as_tuple.hpp> <boost/asio/awaitable.hpp> <boost/asio/co_spawn.hpp>
  <boost/asio/experimental/awaitable_operators.hpp> <boost/asio/io_context.hpp>
  <boost/asio/ip/tcp.hpp> <boost/asio/post.hpp> <boost/asio/ssl.hpp>
  <boost/asio/steady_timer.hpp> <boost/asio/strand.hpp> <boost/asio/use_awaitable.hpp>
  <boost/beast/core.hpp> <boost/beast/http.hpp> <boost/beast/ssl.hpp>
  <boost/json.hpp>)

# `target` compiles the shared headers (plus `extra`) itself.
function(gpt_adapter_precompile target)
  if(GPT_ADAPTER_PCH)
    target_precompile_headers(${target} PRIVATE ${gpt_adapter_precompiled_headers} ${ARGN})
  endif()
endfunction()

# `target` uses `owner`'s precompiled headers; both must share compile flags and definitions.
function(gpt_adapter_reuse_precompiled target owner)
  if(GPT_ADAPTER_PCH)
    target_precompile_headers(${target} REUSE_FROM ${owner})
  endif()
endfunction()
