import { z } from 'zod';
import { blocksJson, ledgerBlocks } from '../../blocks/ledger-blocks.js';
import { TokenledgerError } from '../../errors.js';
import { badParam } from './api-error.js';
import { endpoint } from './endpoint.js';
import { rangeParams } from './params.js';
import { parseRange, requestFilters } from './query-input.js';

/**
 * One person's five-hour usage windows per coding agent, as `tokenledger blocks --format json` prints them
 * (blocks/ledger-blocks.ts): the windows Claude's and ChatGPT's plans meter a coding agent in, and the open one's
 * pace. The range defaults to the last 7 days, as the command's does; a viewer sees the windows of the calls their
 * scope allows.
 */
export const blocksEndpoint = endpoint({
  method: 'GET',
  path: '/api/blocks',
  summary:
    "One person's five-hour usage windows per coding agent, and the open one's pace (tokenledger blocks)",
  params: rangeParams,
  response: z.object({
    user: z.string().nullable(),
    blocks: z.array(z.record(z.string(), z.unknown())),
    without_agent: z.number().int(),
  }),
  async handle(c, p, who) {
    const now = c.now();
    const { since, until } = parseRange({ ...p, since: p.since ?? '7d' }, now);
    // A range that ends now holds a call made at this very microsecond, as the command's does.
    const range = { since, until: p.until === undefined ? until + 1 : until };
    try {
      return blocksJson(await ledgerBlocks(c.store, requestFilters(p.where, c.pricer, who), range, now));
    } catch (e) {
      // Several people's calls in the range: the request must name one, as the command asks for --where user=.
      if (e instanceof TokenledgerError && e.code === 'BLOCKS_SEVERAL_PEOPLE')
        throw badParam('where', e.message.replace('--where user=NAME', 'where=user=NAME'));
      throw e;
    }
  },
});
