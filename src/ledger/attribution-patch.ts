/**
 * Agent and task learned for an event after it was acknowledged: an OTLP `invoke_agent` / `invoke_workflow` span is
 * exported when it ends, after the inference spans under it were already recorded (docs/otel/README.md). A patch only
 * fills what the event left null, never overwrites what its source said, so applying one twice, or one that came
 * too late for anything, changes nothing.
 */
export interface AttributionPatch {
  /** The event's id and time: together they name one stored event, as they do for deduplication. */
  event_id: string;
  ts: number;
  /** Null: nothing to fill. */
  agent: string | null;
  task_id: string | null;
}

/**
 * Patches merged per event in the order given, each field taking the first non-null value: what applying them one
 * by one, each filling only nulls, would leave.
 */
export function mergePatches(patches: readonly AttributionPatch[]): AttributionPatch[] {
  const byEvent = new Map<string, AttributionPatch>();
  for (const p of patches) {
    if (p.agent === null && p.task_id === null) continue;
    const k = `${p.event_id}@${p.ts}`;
    const had = byEvent.get(k);
    if (had === undefined) byEvent.set(k, { ...p });
    else {
      had.agent ??= p.agent;
      had.task_id ??= p.task_id;
    }
  }
  return [...byEvent.values()];
}
