-- CreateTable
CREATE TABLE "tickets" (
    "id" UUID NOT NULL,
    "external_id" VARCHAR(255),
    "title" VARCHAR(500) NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "priority" VARCHAR(20) NOT NULL DEFAULT 'MEDIUM',
    "status" VARCHAR(50) NOT NULL DEFAULT 'open',
    "phase_id" VARCHAR(50) NOT NULL DEFAULT 'PHASE_BACKLOG',
    "previous_phase_id" VARCHAR(50),
    "labels" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "acceptance_criteria" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "context" JSONB,
    "context_summary" TEXT,
    "workflow_id" VARCHAR(255) NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tickets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "phase_history" (
    "id" UUID NOT NULL,
    "ticket_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "from_phase" VARCHAR(50),
    "to_phase" VARCHAR(50) NOT NULL,
    "transition_reason" TEXT,
    "transitioned_by" VARCHAR(255),
    "request_id" VARCHAR(255) NOT NULL,
    "artifacts" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "phase_history_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tickets_external_id_key" ON "tickets"("external_id");

-- CreateIndex
CREATE UNIQUE INDEX "tickets_workflow_id_key" ON "tickets"("workflow_id");

-- CreateIndex
CREATE INDEX "idx_tickets_phase" ON "tickets"("phase_id");

-- CreateIndex
CREATE INDEX "idx_tickets_status" ON "tickets"("status");

-- CreateIndex
CREATE INDEX "idx_tickets_priority" ON "tickets"("priority");

-- CreateIndex
CREATE INDEX "idx_phase_history_ticket" ON "phase_history"("ticket_id");

-- CreateIndex
CREATE INDEX "idx_phase_history_created" ON "phase_history"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "phase_history_ticket_id_sequence_key" ON "phase_history"("ticket_id", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "phase_history_ticket_id_request_id_key" ON "phase_history"("ticket_id", "request_id");

-- AddForeignKey
ALTER TABLE "phase_history" ADD CONSTRAINT "phase_history_ticket_id_fkey" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE CASCADE ON UPDATE CASCADE;
