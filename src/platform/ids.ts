/** Row identifiers. Pure module. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` is a UUID (row IDs are; anything else cannot name a row and is "not found"). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
