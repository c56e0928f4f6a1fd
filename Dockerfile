# syntax=docker/dockerfile:1
# ringlock daemon image: `docker build -t ghcr.io/OWNER/ringlock:0.1.0 .`
#
# Stages: build (all deps, bundle dist/) → deps (production node_modules only) → runtime (git + node, non-root).
# Base images are pinned to a major version and a Debian release; for reproducible builds pin a digest as well
# (node:20-bookworm-slim@sha256:…) and let Renovate/Dependabot bump it.
#
# Git driver: the runtime stage installs Debian's git because the native driver (the default whenever a `git`
# binary is on PATH) is the fastest and the lightest on memory. For a git-less image, delete `git` from the
# apt-get line below and run with RINGLOCK_GIT_DRIVER=isomorphic: the pure-JavaScript isomorphic-git driver
# (a production dependency, so it is already in node_modules) then does the clone and fetch over HTTPS.
# Trade-off: a slower first clone and noticeably more memory during clone/fetch (raise the memory limit, e.g. to
# 512Mi), in exchange for a smaller image with no git/perl/openssh attack surface. Keep ca-certificates either way:
# both drivers and the HTTPS registry verify TLS against it.

# ---- build: npm ci (with devDependencies: esbuild, typescript) and the esbuild bundle ---------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run the build before the sources are copied; it runs explicitly below, so
# the dependency layer stays cached until package-lock.json changes.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY schemas/ schemas/
COPY bin/ bin/
COPY src/ src/
RUN npm run build

# ---- deps: production node_modules only (the bundle still requires ajv's runtime helpers, pino, …) -------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime ----------------------------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# A passwd entry for uid 10001 (git and ssh look the current user up); the only writable place is the volume.
RUN groupadd --system --gid 10001 ringlock \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/ringlock --no-create-home \
      --shell /usr/sbin/nologin ringlock \
 && mkdir -p /var/lib/ringlock \
 && chown 10001:10001 /var/lib/ringlock
WORKDIR /app
ENV NODE_ENV=production \
    RINGLOCK_LISTEN=0.0.0.0:8080 \
    RINGLOCK_TARGET=/var/lib/ringlock/target \
    RINGLOCK_CACHE_DIR=/var/lib/ringlock/cache/git \
    HOME=/var/lib/ringlock
# Application files stay owned by root: the daemon can read its code but never rewrite it.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY --from=build /src/schemas ./schemas
USER 10001:10001
VOLUME ["/var/lib/ringlock"]
EXPOSE 8080
# For `docker run`; Kubernetes ignores HEALTHCHECK and uses the probes in examples/kubernetes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM goes straight to node (exec form, no shell in between): the daemon finishes the module operation in
# flight and exits 0; give it a stop timeout that covers a hook + health check (`docker stop -t 120`).
ENTRYPOINT ["node", "/app/bin/ringlock.js"]
CMD ["daemon"]
