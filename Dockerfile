# syntax=docker/dockerfile:1
# One image for both binaries: `api` (the default command; serves the frontend too) and
# `worker`. See docker-compose.yml and the README's "Running with Docker".

# --- the frontend ---------------------------------------------------------------------
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- the binaries ---------------------------------------------------------------------
FROM rust:1.95-bookworm AS build
WORKDIR /src
# The whole workspace: every member (bench too) must be present for cargo to resolve it,
# and sqlx::migrate! embeds migrations/ at compile time.
COPY Cargo.toml Cargo.lock ./
# The options SQLite is compiled with (its [env]).
COPY .cargo/config.toml .cargo/config.toml
COPY api/ api/
COPY worker/ worker/
COPY shared/ shared/
COPY db/ db/
COPY queue/ queue/
COPY runtime/ runtime/
COPY testkit/ testkit/
COPY bench/ bench/
COPY migrations/ migrations/
# The registry and target folders are build caches (BuildKit), so a rebuild after a
# source change recompiles only the workspace crates; the binaries are copied out of it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p api -p worker \
    && mkdir -p /out \
    && cp target/release/api target/release/worker /out/

# --- the runtime ----------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app \
    && mkdir -p /app /data \
    && chown app:app /data
COPY --from=build /out/api /out/worker /app/
COPY --from=frontend /src/frontend/dist /app/frontend
WORKDIR /app
# /data holds the SQLite file (sqlite:///data/... is an absolute path; sqlite://data/...
# would be relative to /app). Mount a volume there; a new named volume takes this
# folder's ownership. PostgreSQL deployments override DATABASE_URL.
# No demo accounts unless SEED_DEMO=true is passed; the session cookie is Secure (serve
# over HTTPS; browsers accept it on http://localhost too).
ENV DATABASE_URL=sqlite:///data/bookings.db \
    BIND_ADDR=0.0.0.0:8080 \
    COOKIE_SECURE=true \
    FRONTEND_DIR=/app/frontend \
    PATH=/app:$PATH
USER app
EXPOSE 8080
# Both binaries stop gracefully on SIGTERM (the worker finishes what runs, gives back
# what it claimed but never started).
STOPSIGNAL SIGTERM
CMD ["/app/api"]
