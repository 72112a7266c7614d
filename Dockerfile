# syntax=docker/dockerfile:1
# lvsfleet: one image for the server, the agents, lvsctl and the demo setup (the command picks the program).
#   docker build -t lvsfleet .
#   docker run --rm lvsfleet node packages/cli/dist/lvsctl.js --help

# ---- build: every workspace's dependencies, the bundles, then only production dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && node scripts/build.mjs \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: the bundles, the proto files and production node_modules; no sources, no dev tools.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    LVSFLEET_DATA_DIR=/var/lib/lvsfleet/server
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/proto ./proto
COPY --from=build /src/server/dist ./server/dist
COPY --from=build /src/agents/director/dist ./agents/director/dist
COPY --from=build /src/agents/realserver/dist ./agents/realserver/dist
COPY --from=build /src/packages/cli/dist ./packages/cli/dist
COPY --from=build /src/packages/devfleet/dist ./packages/devfleet/dist
COPY deploy/docker ./deploy/docker
# State lives under /var/lib/lvsfleet (a volume), owned by the unprivileged user every program runs as.
RUN mkdir -p /var/lib/lvsfleet/server /enroll \
 && chown -R node:node /var/lib/lvsfleet /enroll \
 && ln -s /app/packages/cli/dist/lvsctl.js /usr/local/bin/lvsctl
USER node
EXPOSE 8080
CMD ["node", "server/dist/main.js"]
