// learningRateAt / learningRateCurve against the §8.5 formulas (and §8.6's multistep stepping),
// evaluated independently here for every policy and several parameter sets.
import t from 'tap';
import { learningRateAt, learningRateCurve, LR_POLICIES, type LrPolicy } from '@digits-ts/contracts';

const POINTS = Array.from({ length: 101 }, (_, p) => p);

/** Equal within 1e-12 relative (exact when the expected value is 0). */
function close(actual: number, expected: number): boolean {
  return actual === expected || Math.abs(actual - expected) <= 1e-12 * Math.abs(expected);
}

/** base · γ^n by repeated multiplication, not `**`. */
function times(base: number, gamma: number, n: number): number {
  let value = base;
  for (let i = 0; i < n; i++) value *= gamma;
  return value;
}

/** §8.5's table at percent `p`, with multistep's k = the step values already reached (p ≥ v). */
function formula(base: number, lr: LrPolicy, p: number): number {
  switch (lr.policy) {
    case 'fixed': return base;
    case 'step': return times(base, lr.gamma, Math.floor(p / lr.stepSize));
    case 'multistep': return times(base, lr.gamma, lr.stepValues.filter((v) => p >= v).length);
    case 'exp': return lr.gamma === 1 ? base : base * Math.exp(p * Math.log(lr.gamma));
    case 'inv': return base * Math.exp(-lr.power * Math.log1p(lr.gamma * p));
    case 'poly': return lr.power === 0 ? base : p === 100 ? 0 : base * Math.exp(lr.power * Math.log1p(-p / 100));
    case 'sigmoid': return base / (1 + Math.exp(lr.gamma * (p - lr.stepSize)));
  }
}

/**
 * §8.6's multistep curve: at most one step per integer point. The i-th step (ascending values)
 * is taken at point t_i = max(ceil(v_i), t_{i-1} + 1); k(p) counts the steps with t_i ≤ p.
 */
function curveSteps(stepValues: readonly number[], p: number): number {
  let previous = -1;
  let k = 0;
  for (const v of stepValues) {
    const at = Math.max(Math.ceil(v), previous + 1);
    if (at <= p) k++;
    previous = at;
  }
  return k;
}

function curveFormula(base: number, lr: LrPolicy, p: number): number {
  return lr.policy === 'multistep' ? times(base, lr.gamma, curveSteps(lr.stepValues, p)) : formula(base, lr, p);
}

const policy = (p: LrPolicy['policy'], params: Partial<Omit<LrPolicy, 'policy'>> = {}): LrPolicy =>
  ({ policy: p, stepSize: 0, gamma: 0, stepValues: [], power: 0, ...params });

/** [label, base, policy]: every policy, several parameter sets, and the degenerate ones. */
const CASES: Array<[string, number, LrPolicy]> = [
  ['fixed 0.01', 0.01, policy('fixed')],
  ['fixed 0.5', 0.5, policy('fixed', { gamma: 0.3, stepSize: 10, power: 2 })],
  ['step defaults (33, 0.1)', 0.01, policy('step', { stepSize: 33, gamma: 0.1 })],
  ['step 10, 0.5', 0.1, policy('step', { stepSize: 10, gamma: 0.5 })],
  ['step 25.5, 0.9', 0.02, policy('step', { stepSize: 25.5, gamma: 0.9 })],
  ['step 100 (one step at the end)', 0.01, policy('step', { stepSize: 100, gamma: 0.1 })],
  ['step gamma 1', 0.01, policy('step', { stepSize: 7, gamma: 1 })],
  ['multistep defaults (50,85 × 0.5)', 0.01, policy('multistep', { stepValues: [50, 85], gamma: 0.5 })],
  ['multistep 10,20,30 × 0.1', 0.1, policy('multistep', { stepValues: [10, 20, 30], gamma: 0.1 })],
  ['multistep fractional 12.5,66.6', 0.05, policy('multistep', { stepValues: [12.5, 66.6], gamma: 0.3 })],
  ['multistep 50,50.5 (second step one point later)', 0.01, policy('multistep', { stepValues: [50, 50.5], gamma: 0.5 })],
  ['multistep 50.2,50.5 (two values inside one percent)', 0.01, policy('multistep', { stepValues: [50.2, 50.5], gamma: 0.5 })],
  ['multistep 0,0,0 (three steps from p=0)', 0.01, policy('multistep', { stepValues: [0, 0, 0], gamma: 0.5 })],
  ['multistep 99.5,100 (last step never drawn)', 0.01, policy('multistep', { stepValues: [99.5, 100], gamma: 0.5 })],
  ['multistep gamma 1', 0.01, policy('multistep', { stepValues: [20, 40], gamma: 1 })],
  ['exp default 0.95', 0.01, policy('exp', { gamma: 0.95 })],
  ['exp 0.99', 0.2, policy('exp', { gamma: 0.99 })],
  ['exp 1.01 (growing)', 0.001, policy('exp', { gamma: 1.01 })],
  ['exp gamma 1', 0.01, policy('exp', { gamma: 1 })],
  ['inv defaults (0.1, 0.5)', 0.01, policy('inv', { gamma: 0.1, power: 0.5 })],
  ['inv 0.0001, 0.75', 0.1, policy('inv', { gamma: 0.0001, power: 0.75 })],
  ['inv 2, 3', 0.5, policy('inv', { gamma: 2, power: 3 })],
  ['inv power 0', 0.01, policy('inv', { gamma: 0.1, power: 0 })],
  ['poly default 3', 0.01, policy('poly', { power: 3 })],
  ['poly 0.5', 0.1, policy('poly', { power: 0.5 })],
  ['poly 1 (linear)', 0.3, policy('poly', { power: 1 })],
  ['poly power 0', 0.01, policy('poly', { power: 0 })],
  ['sigmoid defaults (50, 0.1)', 0.01, policy('sigmoid', { stepSize: 50, gamma: 0.1 })],
  ['sigmoid 30, 0.25', 0.1, policy('sigmoid', { stepSize: 30, gamma: 0.25 })],
  ['sigmoid 70, -0.2 (rising)', 0.1, policy('sigmoid', { stepSize: 70, gamma: -0.2 })],
  ['sigmoid gamma 0', 0.02, policy('sigmoid', { stepSize: 50, gamma: 0 })],
];

t.test('the cases cover every policy', async (t) => {
  t.same([...new Set(CASES.map(([, , lr]) => lr.policy))].sort(), [...LR_POLICIES].sort());
});

t.test('learningRateCurve: 101 points equal to §8.5 (multistep stepping as §8.6)', async (t) => {
  for (const [label, base, lr] of CASES) {
    const curve = learningRateCurve(base, lr);
    t.equal(curve.length, 101, `${label}: 101 points`);
    const wrong = POINTS.filter((p) => !close(curve[p]!, curveFormula(base, lr, p))).map((p) => ({ p, got: curve[p], want: curveFormula(base, lr, p) }));
    t.same(wrong, [], `${label}: every point matches`);
  }
});

t.test('learningRateAt: §8.5 at every integer point and in between', async (t) => {
  const percents = [...POINTS, 0.25, 12.5, 32.99, 33, 33.01, 49.9, 50.2, 50.5, 66.6, 85.5, 99.75];
  for (const [label, base, lr] of CASES) {
    const wrong = percents.filter((p) => !close(learningRateAt(base, lr, p), formula(base, lr, p))).map((p) => ({ p, got: learningRateAt(base, lr, p), want: formula(base, lr, p) }));
    t.same(wrong, [], label);
  }
});

t.test('hand-checked points', async (t) => {
  const cases: Array<[string, number, LrPolicy, number, number]> = [
    ['step 33 just before the first step', 0.01, policy('step', { stepSize: 33, gamma: 0.1 }), 32, 0.01],
    ['step 33 at the first step', 0.01, policy('step', { stepSize: 33, gamma: 0.1 }), 33, 0.001],
    ['step 33 at the end (3 steps)', 0.01, policy('step', { stepSize: 33, gamma: 0.1 }), 100, 0.00001],
    ['multistep at a step value counts it', 0.01, policy('multistep', { stepValues: [50, 85], gamma: 0.5 }), 50, 0.005],
    ['multistep after both', 0.01, policy('multistep', { stepValues: [50, 85], gamma: 0.5 }), 85, 0.0025],
    ['exp at 0 is the base', 0.01, policy('exp', { gamma: 0.95 }), 0, 0.01],
    ['inv at 10', 1, policy('inv', { gamma: 0.1, power: 0.5 }), 10, Math.SQRT1_2],
    ['poly 3 halfway', 0.01, policy('poly', { power: 3 }), 50, 0.00125],
    ['poly at 100 is 0', 0.01, policy('poly', { power: 3 }), 100, 0],
    ['poly 0.5 at 100 is 0', 0.01, policy('poly', { power: 0.5 }), 100, 0],
    ['poly power 0 at 100 is the base (0^0 = 1, as math.pow)', 0.01, policy('poly', { power: 0 }), 100, 0.01],
    ['sigmoid at its step is half the base', 0.01, policy('sigmoid', { stepSize: 50, gamma: 0.1 }), 50, 0.005],
  ];
  for (const [label, base, lr, p, want] of cases) t.ok(close(learningRateAt(base, lr, p), want), `${label}: ${learningRateAt(base, lr, p)} vs ${want}`);
  t.equal(learningRateCurve(0.01, policy('poly', { power: 3 }))[100], 0, 'the curve ends at 0 for poly');
});

t.test('multistep: the curve advances one step per point, learningRateAt counts every value reached', async (t) => {
  const cases: Array<[string, number[], number, number, number]> = [
    // [label, step values, p, steps in the curve at p, steps learningRateAt counts at p]
    ['50,50.5 at 50', [50, 50.5], 50, 1, 1],
    ['50,50.5 at 51', [50, 50.5], 51, 2, 2],
    ['50.2,50.5 at 51: the curve takes the first', [50.2, 50.5], 51, 1, 2],
    ['50.2,50.5 at 52: the curve takes the second', [50.2, 50.5], 52, 2, 2],
    ['50,50 at 50', [50, 50], 50, 1, 2],
    ['50,50 at 51', [50, 50], 51, 2, 2],
    ['0,0,0 at 0', [0, 0, 0], 0, 1, 3],
    ['0,0,0 at 1', [0, 0, 0], 1, 2, 3],
    ['0,0,0 at 2', [0, 0, 0], 2, 3, 3],
    ['99.5,100 at 100: the curve never reaches the second', [99.5, 100], 100, 1, 2],
  ];
  for (const [label, stepValues, p, curveSteps, atSteps] of cases) {
    const lr = policy('multistep', { stepValues, gamma: 0.5 });
    t.equal(learningRateCurve(1, lr)[p], 0.5 ** curveSteps, `${label}: curve`);
    t.equal(learningRateAt(1, lr, p), 0.5 ** atSteps, `${label}: learningRateAt`);
  }
});

t.test('non-multistep curves are learningRateAt at each point', async (t) => {
  for (const [label, base, lr] of CASES.filter(([, , lr]) => lr.policy !== 'multistep')) {
    t.same(learningRateCurve(base, lr), POINTS.map((p) => learningRateAt(base, lr, p)), label);
  }
});

t.test('an unknown policy throws', async (t) => {
  t.throws(() => learningRateAt(0.01, { ...policy('fixed'), policy: 'cosine' as LrPolicy['policy'] }, 10), /Expected a learning-rate policy but received cosine/);
});
