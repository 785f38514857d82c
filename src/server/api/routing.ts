import { z } from 'zod';
import { routingSavings, savingsJson } from '../../router/savings.js';
import { ApiError, badParam } from './api-error.js';
import { endpoint } from './endpoint.js';
import { rangeParams } from './params.js';
import { parseRange, requestFilters } from './query-input.js';

const money = z.string().describe('USD, decimal string with 12 fractional digits');

export const routingSavingsEndpoint = endpoint({
  method: 'GET',
  path: '/api/routing/savings',
  summary:
    "what each router's calls cost, model by model, against the same calls (same tokens) priced as the router's " +
    "strongest model or as `versus` (docs/router.md, What routing saved); a team viewer sees its team's calls",
  params: {
    ...rangeParams,
    versus: z
      .string()
      .min(1)
      .optional()
      .describe("compare with this model instead of each router's strongest"),
  },
  response: z.object({
    routers: z.array(
      z.object({
        router: z.string(),
        versus: z
          .string()
          .nullable()
          .describe(
            "the model compared with: the router file's strongest, or `versus`; for a router the config does not " +
              'name, the priciest model it chose (`versus_inferred`); null where none of those has a price',
          ),
        versus_inferred: z
          .boolean()
          .describe('true where no router file or `versus` named the model compared with'),
        calls: z.number().int(),
        cost_usd: money,
        versus_cost_usd: money,
        saved_usd: money.describe('negative where routing cost more'),
        unpriced: z
          .number()
          .int()
          .describe('calls left out: no price as they ran, or as the model compared with'),
        models: z.array(
          z.object({
            model: z.string(),
            calls: z.number().int(),
            cost_usd: money,
            versus_cost_usd: money,
            saved_usd: money,
          }),
        ),
      }),
    ),
  }),
  async handle(c, p, who) {
    const pricer = c.pricer;
    if (pricer === null) throw new ApiError('API_INTERNAL', 'this server has no prices loaded');
    const versus = p.versus;
    if (versus !== undefined && pricer.resolve(versus) === null)
      throw badParam('versus', `no price is known for ${JSON.stringify(versus)}`);
    const { since, until } = parseRange(p, c.now());
    const filters = requestFilters(p.where, pricer, who);
    const versusOf = (router: string) => versus ?? c.strongest?.get(router) ?? null;
    const savings = await routingSavings(c.store, pricer, versusOf, { filters, since, until });
    return { routers: savings.map(savingsJson) };
  },
});
