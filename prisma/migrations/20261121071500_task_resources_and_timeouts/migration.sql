-- AlterTable
ALTER TABLE "task_templates" ADD COLUMN     "resources" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "timeout_seconds" INTEGER;

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "resources" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "timeout_seconds" INTEGER;

-- CreateTable
CREATE TABLE "resource_locks" (
    "resource" VARCHAR(500) NOT NULL,
    "task_id" UUID NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "resource_locks_pkey" PRIMARY KEY ("resource")
);

-- CreateIndex
CREATE INDEX "idx_resource_locks_task" ON "resource_locks"("task_id");
