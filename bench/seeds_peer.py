"""The seeds' Python stack on the create path, as the peer bench/hot-path.sh measures the API
against: FastAPI on uvicorn (uvloop, httptools), redis-py's asyncio client, PyJWT. Per request:
HS256 bearer check (issuer, audience, exp), a fixed-window rate-limit counter in Redis
(INCR + EXPIRE), body validation, XADD of the job to a stream, 202 with the job id. The
seeds' own code path (stories 1.1-1.3): no Celery hop, since the job is only queued here.
Configured by the environment: REDIS_URL, JWT_SECRET_KEY, JWT_ISSUER, JWT_AUDIENCE.
Not part of the test suite.
"""
import os
import uuid

import jwt
import redis.asyncio as redis
from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

SECRET = os.environ["JWT_SECRET_KEY"]
ISSUER = os.environ["JWT_ISSUER"]
AUDIENCE = os.environ["JWT_AUDIENCE"]
LIMIT_PER_MINUTE = 1_000_000_000

app = FastAPI()
redis_client = redis.from_url(os.environ["REDIS_URL"], max_connections=64, decode_responses=True)


class MemoryCreate(BaseModel):
    content: str = Field(min_length=1, max_length=10_000)
    categories: list[str] = []


def claims_of(authorization: str) -> dict:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(status_code=401, detail="missing bearer token")
    try:
        return jwt.decode(token, SECRET, algorithms=["HS256"], issuer=ISSUER, audience=AUDIENCE,
                          options={"require": ["exp", "iat", "sub"]})
    except jwt.InvalidTokenError as refused:
        raise HTTPException(status_code=401, detail=str(refused)) from refused


async def within_limit(client_id: str) -> bool:
    key = f"peer:ratelimit:{client_id}"
    async with redis_client.pipeline(transaction=False) as pipe:
        count, _ = await pipe.incr(key).expire(key, 60, nx=True).execute()
    return count <= LIMIT_PER_MINUTE


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.post("/api/v1/memories", status_code=202)
async def create_memory(body: MemoryCreate, authorization: str = Header(default="")):
    claims = claims_of(authorization)
    if not await within_limit(claims["sub"]):
        raise HTTPException(status_code=429, detail="rate limit exceeded")
    job_id = str(uuid.uuid4())
    await redis_client.xadd("peer:jobs", {
        "job_id": job_id, "operation": "create", "client_id": claims["sub"],
        "content": body.content, "categories": ",".join(body.categories),
    })
    return JSONResponse({"job_id": job_id, "status": "queued"}, status_code=202)
