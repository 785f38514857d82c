import type { Reservation } from '../../budgets/enforcer.js';
import { type CallContext, type Outcome, recordCall } from '../call.js';
import { errorAnswer } from '../error-answer.js';
import { socketErrorEvent } from '../errors.js';
import type { GatewayDeps } from '../pipeline.js';

/** What the WebSocket sessions (Responses, Realtime) share about their calls: recording, refusing, giving back. */

/** Records a socket's call; false when it could not be (its reservation is then given back). */
export function recordSocketCall(call: CallContext, o: Outcome): Promise<boolean> {
  return recordCall(call, o).then(
    () => true,
    (e: Error) => {
      process.stderr.write(`gateway: recording a WebSocket call failed: ${e.message}\n`);
      const r = call.reservation;
      if (r !== null && !r.done) releaseReservation(call.deps, r);
      return false;
    },
  );
}

/** Gives a reservation back; a failure is logged (the counters' next rebuild from the ledger corrects them). */
export function releaseReservation(d: GatewayDeps, r: Reservation): void {
  d.enforcer?.release(r).catch((e: Error) => {
    process.stderr.write(`gateway: releasing a budget reservation failed: ${e.message}\n`);
  });
}

/**
 * The `error` event that tells a socket's client why something was not done (a refusal, a message that is not
 * JSON, or a fault of the gateway's own, logged), on its lane; counted in the metrics as an HTTP answer is.
 */
export function refusalEvent(d: GatewayDeps, e: unknown, lane: string | null): string {
  const a = errorAnswer(e);
  d.metrics.recordError(a.code);
  if (a.code === 'GW_INTERNAL') process.stderr.write(`gateway: ${(e as Error)?.stack ?? String(e)}\n`);
  return socketErrorEvent(a.status, a.code, a.message, lane, a.refusal?.fields());
}

/** What the client gets in place of an event whose call could not be recorded. */
export function notRecordedEvent(lane: string | null): string {
  return socketErrorEvent(
    503,
    'GW_NOT_RECORDED',
    'the call could not be written to the ledger; see the server log',
    lane,
  );
}
