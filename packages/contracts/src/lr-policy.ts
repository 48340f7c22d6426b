/**
 * DIGITS' learning-rate policies (contract §8.5) on training progress in percent, shared by the
 * trainer (per iteration) and `POST /models/visualize-lr` (101 points).
 */
import { Type, type Static } from 'typebox';

export const LR_POLICIES = ['fixed', 'step', 'multistep', 'exp', 'inv', 'poly', 'sigmoid'] as const;
export type LrPolicyName = (typeof LR_POLICIES)[number];

/** A policy with the parameters it uses; unused ones are kept at their form defaults. */
export const LrPolicy = Type.Object({
  policy: Type.Enum([...LR_POLICIES]),
  /** step: percent of training per step; sigmoid: the midpoint in percent. */
  stepSize: Type.Number(),
  gamma: Type.Number(),
  /** multistep: percents at which the rate is multiplied by gamma, ascending. */
  stepValues: Type.Array(Type.Number()),
  /** inv and poly. */
  power: Type.Number(),
}, { additionalProperties: false });
export type LrPolicy = Static<typeof LrPolicy>;

/** Multistep steps reached at `percent`: the step values not above it. */
function stepsReached(stepValues: readonly number[], percent: number): number {
  return stepValues.filter((v) => percent >= v).length;
}

/**
 * The learning rate after `percent` (0..100) of training, by the §8.5 table.
 * `steps` overrides multistep's reached-step count (visualize-lr advances one step per point).
 */
export function learningRateAt(base: number, policy: LrPolicy, percent: number, steps?: number): number {
  const { gamma, stepSize, power } = policy;
  switch (policy.policy) {
    case 'fixed': return base;
    case 'step': return base * gamma ** Math.floor(percent / stepSize);
    case 'multistep': return base * gamma ** (steps ?? stepsReached(policy.stepValues, percent));
    case 'exp': return base * gamma ** percent;
    case 'inv': return base * (1 + gamma * percent) ** -power;
    case 'poly': return base * (1 - percent / 100) ** power;
    case 'sigmoid': return base / (1 + Math.exp(gamma * (percent - stepSize)));
    default: throw new Error(`Expected a learning-rate policy but received ${String(policy.policy)}`);
  }
}

/**
 * The 101-point curve visualize-lr draws (p = 0..100). For multistep it advances at most one
 * step per point, as DIGITS does, so two step values inside one percent take two points.
 */
export function learningRateCurve(base: number, policy: LrPolicy): number[] {
  const curve: number[] = [];
  let steps = 0;
  for (let p = 0; p <= 100; p++) {
    if (policy.policy === 'multistep' && steps < policy.stepValues.length && p >= policy.stepValues[steps]!) steps++;
    curve.push(learningRateAt(base, policy, p, steps));
  }
  return curve;
}
