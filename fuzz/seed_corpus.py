#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the test suite's own inputs (tools/fuzz.sh seed runs this).

Raw string literals R"(...)" of the unit tests named below become seeds of the target that reads
such input, plus a few hand-written protocol messages that the tests build in code. Files are
named by the SHA-1 of their content, as libFuzzer names its own, so re-seeding is idempotent.
"""
import hashlib
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"
raw_literal = re.compile(r'R"\((.*?)\)"', re.S)

sources = {
    "fuzz_json_body": ["memory_requests_test.cpp", "memory_routes_test.cpp",
                       "memory_bank_operation_input_test.cpp"],
    "fuzz_memory_bank_answer": ["memory_bank_dialect_test.cpp"],
    "fuzz_token_request": ["token_endpoint_request_test.cpp", "token_management_request_test.cpp"],
}

hand_written = {
    "fuzz_http_request": [
        b"GET /api/v1/memories?limit=10&cursor=abc HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer gpta_key\r\nX-Request-ID: req-1\r\n\r\n",
        b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 29\r\n\r\ngrant_type=client_credentials",
        b"POST /api/v1/memories HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nOrigin: https://chat.openai.com\r\n\r\n"
        b"b\r\n{\"content\":1\r\n1\r\n}\r\n0\r\n\r\n",
        b"GET /oauth/authorize?response_type=code&client_id=c&redirect_uri=https%3A%2F%2Fchatgpt.com"
        b"%2Faip%2Fg-1%2Foauth%2Fcallback&state=s&code_challenge=abc&code_challenge_method=S256 "
        b"HTTP/1.1\r\nHost: x\r\n\r\n",
        b"DELETE /api/v1/memories/mem-1 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"OPTIONS /api/v1/search HTTP/1.1\r\nHost: x\r\nOrigin: https://chatgpt.com\r\n"
        b"Access-Control-Request-Method: POST\r\n\r\n",
    ],
    "fuzz_token_request": [
        b"application/x-www-form-urlencoded\0grant_type=authorization_code&code=abc&redirect_uri="
        b"https%3A%2F%2Fchatgpt.com%2Faip%2Fg%2Foauth%2Fcallback&code_verifier=" + b"v" * 43 +
        b"\0Basic Y2xpZW50OnNlY3JldA==",
        b"application/json\0{\"grant_type\":\"refresh_token\",\"refresh_token\":\"r\","
        b"\"client_id\":\"c\",\"client_secret\":\"s\",\"scope\":\"memories:read\"}",
        b"application/x-www-form-urlencoded; charset=UTF-8\0token=abc&token_type_hint=refresh_token"
        b"\0Basic Y2xpZW50JTNBMTpzZWNyZXQ=",
    ],
    "fuzz_access_token": [
        b"\x00eyJhbGciOiJIUzI1NiIsImtpZCI6ImhzLTEiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiJ4In0.c2ln",
        b"\x00eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        b"\x01at+jwt\n{\"iss\":\"https://gpt.example.com\",\"sub\":\"user-42\",\"aud\":"
        b"\"https://gpt.example.com\",\"client_id\":\"client-1\",\"scope\":\"memories:read\","
        b"\"iat\":1800000000,\"exp\":1800003600,\"jti\":\"j\",\"ver\":3,\"token_use\":\"access\"}",
        b"\x01JWT\n{\"iss\":\"https://gpt.example.com\",\"sub\":\"u\",\"aud\":[\"x\","
        b"\"https://gpt.example.com\"],\"client_id\":\"c\",\"scope\":\"\",\"iat\":1800000000,"
        b"\"nbf\":1799999990,\"exp\":1800000060,\"jti\":\"j\",\"ver\":0,\"token_use\":\"access\"}",
    ],
    "fuzz_api_key": [
        b"gpta_0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
        b"memories:read memories:write",
        b"Y2xpZW50OnNlY3JldA==",
    ],
    "fuzz_redis_reply": [
        b"*1\r\n*2\r\n$13\r\n{gpt}:jobs:in\r\n*1\r\n*2\r\n$15\r\n1700000000000-0\r\n*4\r\n"
        b"$10\r\nrequest_id\r\n$5\r\nreq-1\r\n$2\r\nop\r\n$6\r\nsearch\r\n",
        b"*3\r\n$3\r\n0-0\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$3\r\n2-2\r\n",
        b"*1\r\n*4\r\n$3\r\n1-1\r\n$1\r\nc\r\n:1000\r\n:3\r\n",
        b"*6\r\n$4\r\nname\r\n$1\r\ng\r\n$3\r\nlag\r\n$-1\r\n$7\r\npending\r\n:2\r\n",
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        b"+OK\r\n:42\r\n$-1\r\n*-1\r\n",
    ],
}



def write(target, data):
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main():
    for target, files in sources.items():
        for name in files:
            path = root / "tests" / "unit" / name
            if not path.exists():
                continue
            for literal in raw_literal.findall(path.read_text()):
                data = literal.encode()
                if target == "fuzz_memory_bank_answer":
                    write(target, b"\x00" + data)  # mem0 Platform
                    write(target, b"\x01" + data)  # the open-source server
                elif target == "fuzz_token_request":
                    write(target, b"application/json\0" + data)
                else:
                    write(target, data)
    for target, seeds in hand_written.items():
        for data in seeds:
            write(target, data)
    for target in sorted(p.name for p in corpus.iterdir()):
        print(f"{target}: {len(list((corpus / target).iterdir()))} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
