-- Issue 9: repositories, and each ticket's repository, branch and commits.
CREATE TABLE "repositories" (
    "name" VARCHAR(100) NOT NULL,
    "url" TEXT NOT NULL,
    "default_branch" VARCHAR(255) NOT NULL DEFAULT 'main',
    "setup" JSONB,
    "test" JSONB NOT NULL,
    "coverage" JSONB,
    "test_paths" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "integration" VARCHAR(20) NOT NULL DEFAULT 'merge',
    "keep_branches" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "repositories_pkey" PRIMARY KEY ("name")
);

ALTER TABLE "tickets" ADD COLUMN "source_url" TEXT,
ADD COLUMN "repository_name" VARCHAR(100),
ADD COLUMN "branch" VARCHAR(255),
ADD COLUMN "base_commit" VARCHAR(64),
ADD COLUMN "head_commit" VARCHAR(64),
ADD COLUMN "merge_commit" VARCHAR(64);

CREATE INDEX "idx_tickets_repository" ON "tickets"("repository_name");

ALTER TABLE "tickets" ADD CONSTRAINT "tickets_repository_name_fkey" FOREIGN KEY ("repository_name") REFERENCES "repositories"("name") ON DELETE RESTRICT ON UPDATE CASCADE;
