/** Jest global teardown: stops the embedded PostgreSQL the global set-up started (if any). */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { stopTestDatabase?: () => Promise<void> }).stopTestDatabase?.();
}
