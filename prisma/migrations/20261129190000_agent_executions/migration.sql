-- Issue 10: every agent execution with its usage and cost, and the prompt templates of the coding-agent CLIs.
CREATE TABLE "agent_executions" (
    "id" UUID NOT NULL,
    "task_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "backend" VARCHAR(255) NOT NULL,
    "backend_type" VARCHAR(50) NOT NULL,
    "model" VARCHAR(255),
    "status" VARCHAR(20) NOT NULL,
    "failure_kind" VARCHAR(50),
    "error" TEXT,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "cached_tokens" INTEGER NOT NULL DEFAULT 0,
    "cost_usd" DECIMAL(14,6),
    "cost_source" VARCHAR(20),
    "turns" INTEGER NOT NULL DEFAULT 0,
    "duration_ms" INTEGER NOT NULL,
    "session_id" VARCHAR(255),
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "agent_executions_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "agent_executions_task_id_attempt_key" ON "agent_executions"("task_id", "attempt");

ALTER TABLE "agent_executions" ADD CONSTRAINT "agent_executions_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "prompt_templates" (
    "task_type" VARCHAR(100) NOT NULL,
    "template" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "prompt_templates_pkey" PRIMARY KEY ("task_type")
);
