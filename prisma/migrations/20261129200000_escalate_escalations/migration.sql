-- Issue 11, stalled tickets: one row per escalation (a phase entry that overstayed its SLA), with its webhook delivery attempts.
CREATE TABLE "escalations" (
    "id" UUID NOT NULL,
    "ticket_id" UUID NOT NULL,
    "phase" VARCHAR(50) NOT NULL,
    "phase_entry" INTEGER NOT NULL,
    "kind" VARCHAR(50) NOT NULL,
    "sla_ms" BIGINT NOT NULL,
    "overdue_ms" BIGINT NOT NULL,
    "entered_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),
    "deliveries" JSONB NOT NULL DEFAULT '[]',

    CONSTRAINT "escalations_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "escalations_ticket_id_phase_entry_kind_key" ON "escalations"("ticket_id", "phase_entry", "kind");

CREATE INDEX "idx_escalations_created" ON "escalations"("created_at");

ALTER TABLE "escalations" ADD CONSTRAINT "escalations_ticket_id_fkey" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE CASCADE ON UPDATE CASCADE;
