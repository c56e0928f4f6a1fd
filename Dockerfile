# ringlock daemon image.
#   docker build -t ghcr.io/acme/ringlock:0.1.0 --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
# (`ghcr.io/acme/ringlock` is a placeholder: use your registry and organisation, lowercase as image names must be.)
#
# Stages: build (all deps, bundle dist/) → runtime (Node 24 + git + tini, non-root, no node_modules).
# No `# syntax=` line: the builder's built-in Dockerfile frontend is enough, so a build pulls nothing but the base
# image. Base images are pinned to a Node major and a Debian release (trixie, Debian's stable); for reproducible
# builds pin a digest as well (node:24-trixie-slim@sha256:…) and let Renovate/Dependabot bump it.
#
# Git driver: the runtime stage installs Debian's git because the native driver (the default whenever a `git`
# binary is on PATH) is the fastest and the lightest on memory. For a git-less image, delete `git` from the
# apt-get line below and run with RINGLOCK_GIT_DRIVER=isomorphic: the pure-JavaScript isomorphic-git driver
# (bundled into dist/ like every other dependency) then does the clone and fetch over HTTPS.
# Trade-off: a slower first clone and noticeably more memory during clone/fetch (raise the memory limit, e.g. to
# 512Mi), in exchange for a smaller image with no git/perl/openssh attack surface. Keep ca-certificates either way:
# both drivers and the HTTPS registry verify TLS against it.

# ---- build: npm ci (with devDependencies: esbuild, typescript) and the esbuild bundle ---------------------------
FROM node:24-trixie-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency's install script runs (esbuild needs none); the build runs explicitly below, once
# the sources are copied, so the dependency layer stays cached until package-lock.json changes.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY schemas/ schemas/
COPY bin/ bin/
COPY src/ src/
# Source maps are not built (5 MB that node reads only with --enable-source-maps): stack traces in the image name
# the bundle's file:line. To read one as source, run the same version from a checkout with `node --enable-source-maps`.
RUN node scripts/build.mjs --no-source-maps && rm -rf dist/action

# ---- runtime ----------------------------------------------------------------------------------------------------
FROM node:24-trixie-slim AS runtime
# The version and commit of the build, for the labels (the release workflow passes them).
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="ringlock" \
      org.opencontainers.image.description="GitOps reconciler for modular platforms: ring locks, promotion, verified atomic installs" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/acme/ringlock" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# tini is PID 1: it forwards SIGTERM/SIGINT to node and reaps every orphan a hook leaves behind (the kernel hands
# orphans to PID 1; node never waits for processes it did not start, so without tini they stay zombies). Kubernetes
# has no `docker run --init`, hence tini in the image.
# npm and corepack come with the base image; the daemon never runs them (dist/ needs no install), so they go: less
# for scanners to flag, nothing for a compromised process to install with.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
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
# Application files stay owned by root: the daemon can read its code but never rewrite it. No node_modules: dist/
# is one esbuild bundle that loads only Node's built-ins (test/dockerfile.test.ts runs a copy of exactly these paths).
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
# Exec form, no shell: tini passes SIGTERM to node, the daemon finishes the module operation in flight and exits 0;
# give it a stop timeout that covers a hook + health check (`docker stop -t 120`, terminationGracePeriodSeconds).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/ringlock.js"]
CMD ["daemon"]
