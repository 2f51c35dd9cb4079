"""A small FastAPI app to build images of; the service rules package real services."""

import os

import uvicorn
from fastapi import FastAPI

app = FastAPI(title="image_app")


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": "1"}


@app.get("/whoami")
async def whoami() -> dict[str, int]:
    return {"uid": os.getuid(), "gid": os.getgid()}


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=int(os.environ.get("PORT", "8000")), log_level="warning")
