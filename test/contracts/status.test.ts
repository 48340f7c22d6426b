// Job status codes, names and history rules (contract §3.2).
import t from 'tap';
import { appendStatus, isRunningStatus, STATUS, statusName, type StatusCode, type StatusHistoryEntry } from '@digits-ts/contracts';

t.test('names, css and running flags match the contract table', async (t) => {
  const table: Array<[string, string, string, boolean]> = [
    ['I', 'Initialized', 'warning', true],
    ['W', 'Waiting', 'warning', true],
    ['R', 'Running', 'info', true],
    ['D', 'Done', 'success', false],
    ['A', 'Aborted', 'warning', false],
    ['E', 'Error', 'danger', false],
  ];
  t.same(Object.keys(STATUS).sort(), table.map(([code]) => code).sort(), 'exactly the six codes');
  for (const [code, name, css, running] of table) {
    t.equal(statusName(code), name, `${code} name`);
    t.equal(STATUS[code as StatusCode].css, css, `${code} css`);
    t.equal(isRunningStatus(code), running, `${code} running`);
  }
  t.equal(statusName('A'), 'Aborted', 'Aborted, not Abort');
});

t.test('unknown codes', async (t) => {
  // including names of Object.prototype members, which a plain lookup would find
  for (const code of ['', 'X', 'd', 'Done', 'Running', '__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
    t.equal(statusName(code), '?', `statusName(${JSON.stringify(code)})`);
    t.equal(isRunningStatus(code), false, `isRunningStatus(${JSON.stringify(code)})`);
  }
});

interface Case { name: string; history: StatusHistoryEntry[]; code: StatusCode; now: number; expected: StatusHistoryEntry[] | null }

const T0 = 1_700_000_000;

const CASES: Case[] = [
  { name: 'first entry', history: [], code: 'I', now: T0, expected: [['I', T0]] },
  { name: 'same status is a no-op', history: [['I', T0]], code: 'I', now: T0 + 5, expected: null },
  { name: 'same status after others is a no-op', history: [['I', T0], ['R', T0 + 1]], code: 'R', now: T0 + 9, expected: null },
  { name: 'a change appends', history: [['I', T0]], code: 'R', now: T0 + 1, expected: [['I', T0], ['R', T0 + 1]] },
  { name: 'W then R within 1 s drops W', history: [['I', T0], ['W', T0 + 1]], code: 'R', now: T0 + 1.5, expected: [['I', T0], ['R', T0 + 1.5]] },
  { name: 'W then R at the same instant drops W', history: [['W', T0]], code: 'R', now: T0, expected: [['R', T0]] },
  { name: 'W then R just under 1 s drops W', history: [['W', T0]], code: 'R', now: T0 + 0.999, expected: [['R', T0 + 0.999]] },
  { name: 'W then R after exactly 1 s keeps W', history: [['W', T0]], code: 'R', now: T0 + 1, expected: [['W', T0], ['R', T0 + 1]] },
  { name: 'W then R after 1 s keeps W', history: [['I', T0], ['W', T0 + 1]], code: 'R', now: T0 + 10, expected: [['I', T0], ['W', T0 + 1], ['R', T0 + 10]] },
  { name: 'W then D within 1 s keeps W', history: [['W', T0]], code: 'D', now: T0 + 0.1, expected: [['W', T0], ['D', T0 + 0.1]] },
  { name: 'I then R within 1 s keeps I', history: [['I', T0]], code: 'R', now: T0 + 0.1, expected: [['I', T0], ['R', T0 + 0.1]] },
  { name: 'R then W appends', history: [['R', T0]], code: 'W', now: T0 + 0.1, expected: [['R', T0], ['W', T0 + 0.1]] },
  { name: 'a finished job can change again (no terminal rule here)', history: [['D', T0]], code: 'E', now: T0 + 1, expected: [['D', T0], ['E', T0 + 1]] },
];

t.test('appendStatus', async (t) => {
  for (const { name, history, code, now, expected } of CASES) {
    const before = structuredClone(history);
    const next = appendStatus(history, code, now);
    t.same(next, expected, name);
    t.same(history, before, `${name}: input not changed`);
    if (next) t.not(next, history, `${name}: a new array`);
  }
});

t.test('a full life cycle', async (t) => {
  let history: StatusHistoryEntry[] = [];
  const steps: Array<[StatusCode, number]> = [['I', T0], ['I', T0 + 0.5], ['W', T0 + 1], ['R', T0 + 1.2], ['R', T0 + 3], ['D', T0 + 60]];
  for (const [code, now] of steps) history = appendStatus(history, code, now) ?? history;
  t.same(history, [['I', T0], ['R', T0 + 1.2], ['D', T0 + 60]]);
});
