-- AlterTable
ALTER TABLE "tickets" ADD COLUMN     "blocked_reason" TEXT,
ADD COLUMN     "cancel_reason" TEXT,
ADD COLUMN     "policy" VARCHAR(20) NOT NULL DEFAULT 'auto';

-- CreateTable
CREATE TABLE "tasks" (
    "id" UUID NOT NULL,
    "ticket_id" UUID NOT NULL,
    "phase_id" VARCHAR(50) NOT NULL,
    "phase_entry" INTEGER NOT NULL,
    "task_type" VARCHAR(100) NOT NULL,
    "description" TEXT NOT NULL,
    "priority" VARCHAR(20) NOT NULL DEFAULT 'MEDIUM',
    "status" VARCHAR(50) NOT NULL DEFAULT 'pending',
    "required_capabilities" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "dependencies" UUID[] DEFAULT ARRAY[]::UUID[],
    "result" JSONB,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "assigned_agent" VARCHAR(255),
    "task_token" BYTEA,
    "callback_at" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "task_templates" (
    "id" UUID NOT NULL,
    "phase_id" VARCHAR(50) NOT NULL,
    "task_type" VARCHAR(100) NOT NULL,
    "template_description" TEXT NOT NULL,
    "default_priority" VARCHAR(20) NOT NULL DEFAULT 'MEDIUM',
    "required_capabilities" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "dependencies_template" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "task_templates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "phase_gate_artifacts" (
    "id" UUID NOT NULL,
    "ticket_id" UUID NOT NULL,
    "phase_id" VARCHAR(50) NOT NULL,
    "phase_entry" INTEGER NOT NULL,
    "artifact_type" VARCHAR(100) NOT NULL,
    "artifact_path" TEXT NOT NULL DEFAULT '',
    "artifact_content" JSONB,
    "task_id" UUID,
    "collected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "collected_by" VARCHAR(255),

    CONSTRAINT "phase_gate_artifacts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "phase_gate_results" (
    "id" UUID NOT NULL,
    "ticket_id" UUID NOT NULL,
    "phase_id" VARCHAR(50) NOT NULL,
    "phase_entry" INTEGER NOT NULL,
    "attempt" INTEGER NOT NULL,
    "gate_status" VARCHAR(50) NOT NULL,
    "validation_result" JSONB,
    "validated_at" TIMESTAMPTZ(3),
    "validated_by" VARCHAR(255) NOT NULL DEFAULT 'workflow',
    "blocking_reasons" TEXT[] DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "phase_gate_results_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "phase_context" (
    "id" UUID NOT NULL,
    "ticket_id" UUID NOT NULL,
    "phase_id" VARCHAR(50) NOT NULL,
    "phase_entry" INTEGER NOT NULL,
    "context_data" JSONB NOT NULL,
    "context_summary" TEXT,
    "summary_tokens" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "phase_context_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "idx_tasks_ticket_phase" ON "tasks"("ticket_id", "phase_id");

-- CreateIndex
CREATE INDEX "idx_tasks_status" ON "tasks"("status");

-- CreateIndex
CREATE UNIQUE INDEX "tasks_ticket_id_phase_id_phase_entry_task_type_key" ON "tasks"("ticket_id", "phase_id", "phase_entry", "task_type");

-- CreateIndex
CREATE INDEX "idx_task_templates_phase" ON "task_templates"("phase_id");

-- CreateIndex
CREATE UNIQUE INDEX "task_templates_phase_id_task_type_key" ON "task_templates"("phase_id", "task_type");

-- CreateIndex
CREATE INDEX "idx_gate_artifacts_ticket_phase" ON "phase_gate_artifacts"("ticket_id", "phase_id");

-- CreateIndex
CREATE UNIQUE INDEX "phase_gate_artifacts_ticket_id_phase_id_phase_entry_artifac_key" ON "phase_gate_artifacts"("ticket_id", "phase_id", "phase_entry", "artifact_type", "artifact_path");

-- CreateIndex
CREATE INDEX "idx_gate_results_ticket_phase" ON "phase_gate_results"("ticket_id", "phase_id");

-- CreateIndex
CREATE UNIQUE INDEX "phase_gate_results_ticket_id_phase_id_phase_entry_validated_key" ON "phase_gate_results"("ticket_id", "phase_id", "phase_entry", "validated_by", "attempt");

-- CreateIndex
CREATE INDEX "idx_phase_context_ticket" ON "phase_context"("ticket_id");

-- CreateIndex
CREATE UNIQUE INDEX "phase_context_ticket_id_phase_id_phase_entry_key" ON "phase_context"("ticket_id", "phase_id", "phase_entry");

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_ticket_id_fkey" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "phase_gate_artifacts" ADD CONSTRAINT "phase_gate_artifacts_ticket_id_fkey" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "phase_gate_results" ADD CONSTRAINT "phase_gate_results_ticket_id_fkey" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "phase_context" ADD CONSTRAINT "phase_context_ticket_id_fkey" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE CASCADE ON UPDATE CASCADE;
