// The error catalogue (errors.ts) and compiled checkers (validate.ts).
import t from 'tap';
import { Type } from 'typebox';
import { AppError, assert, compileChecker, Errors, expected, isAppError, JobRecord } from '@digits-ts/contracts';

t.test('every catalogued factory makes an AppError with its code and status', async (t) => {
  const codes = new Set<string>();
  for (const [key, factory] of Object.entries(Errors)) {
    const err = factory('boom', { details: { x: 1 } });
    t.ok(err instanceof AppError && err instanceof Error, `${key} is an AppError`);
    t.equal(err.code, key, `${key}: code equals its catalogue key`);
    t.equal(factory.code, key);
    t.equal(err.statusCode, factory.statusCode);
    t.ok(err.statusCode >= 400 && err.statusCode < 600, `${key}: an HTTP error status`);
    t.equal(err.message, 'boom');
    t.equal(err.name, 'AppError');
    t.same(err.details, { x: 1 });
    t.ok(isAppError(err));
    codes.add(err.code);
  }
  t.equal(codes.size, Object.keys(Errors).length, 'codes are unique');
});

t.test('statuses and retryability of the errors clients and workers rely on', async (t) => {
  const table: Array<[keyof typeof Errors, number, boolean]> = [
    ['VALIDATION_FAILED', 400, false],
    ['LOGIN_REQUIRED', 401, false],
    ['AUTH_TOKEN_REQUIRED', 401, false],
    ['AUTH_TOKEN_INVALID', 401, false],
    ['USERNAME_MISMATCH', 403, false],
    ['FORBIDDEN', 403, false],
    ['JOB_NOT_FOUND', 404, false],
    ['UPLOAD_TOO_LARGE', 413, false],
    ['QUEUE_UNAVAILABLE', 503, true],
    ['STORAGE_FAILED', 500, true],
    ['INTERNAL', 500, false],
  ];
  for (const [code, status, retryable] of table) {
    const err = Errors[code]('x');
    t.equal(err.statusCode, status, `${code} status`);
    t.equal(err.retryable, retryable, `${code} retryable`);
  }
});

t.test('cause and details are optional', async (t) => {
  const cause = new Error('root');
  const err = Errors.INTERNAL('wrapped', { cause });
  t.equal(err.cause, cause);
  t.equal(err.details, undefined, 'no details when none given');
  t.equal(Errors.INTERNAL('bare').cause, undefined, 'no cause when none given');
});

t.test('isAppError', async (t) => {
  t.ok(isAppError({ name: 'AppError', code: 'X' }), 'a structurally cloned AppError (across realms)');
  t.notOk(isAppError(new Error('x')));
  t.notOk(isAppError({ name: 'AppError' }), 'needs a string code');
  t.notOk(isAppError({ name: 'AppError', code: 1 }));
  t.notOk(isAppError(null));
  t.notOk(isAppError(undefined));
  t.notOk(isAppError('AppError'));
});

t.test('assert and expected', async (t) => {
  t.doesNotThrow(() => assert(1, () => 'never'));
  let called = false;
  assert(true, () => { called = true; return 'x'; });
  t.notOk(called, 'the message is lazy');
  t.throws(() => assert(0, () => expected('positive integer', 'width', -1)), {
    code: 'VALIDATION_FAILED',
    statusCode: 400,
    message: 'Expected positive integer for width but received -1 of type number',
  });
  t.equal(expected('a string', 'name', null), 'Expected a string for name but received null of type object');
});

t.test('compileChecker', async (t) => {
  const checker = compileChecker(Type.Object({ a: Type.Integer({ minimum: 1 }), b: Type.String() }, { additionalProperties: false }));
  t.ok(checker.check({ a: 1, b: '' }));
  t.same(checker.parse({ a: 2, b: 'x' }, 'thing'), { a: 2, b: 'x' });
  const table: unknown[] = [{ a: 0, b: '' }, { a: 1 }, { a: 1.5, b: '' }, { a: 1, b: '', c: 1 }, null, 'x', []];
  for (const value of table) {
    t.notOk(checker.check(value), `check ${JSON.stringify(value)}`);
    t.throws(() => checker.parse(value, 'thing'), { code: 'INVALID_PAYLOAD', statusCode: 400, message: /^thing is invalid: / }, `parse ${JSON.stringify(value)}`);
  }
  try {
    checker.parse({ a: 0, b: 1 }, 'thing');
  } catch (err) {
    t.match((err as Error).message, /\/a/, 'the message names the offending path');
    t.ok(Array.isArray((err as AppError).details) && ((err as AppError).details as unknown[]).length <= 3, 'at most 3 problems in details');
  }
});

t.test('JobRecord schema', async (t) => {
  const checker = compileChecker(JobRecord);
  const good = {
    v: 1, rev: 0, id: '20240102-030405-abcd', kind: 'dataset', type: 'Image Classification Dataset', name: 'n', group: '',
    username: 'alice', notes: null, created: 1_700_000_000.5, status: 'I', statusHistory: [['I', 1_700_000_000.5]], progress: 0,
    error: null, form: {}, queueJob: null, datasetId: null, dataset: null, params: null,
  };
  t.ok(checker.check(good), 'a minimal record');
  const bad: Array<[string, Record<string, unknown>]> = [
    ['id with uppercase hex', { id: '20240102-030405-ABCD' }],
    ['id with 3 hex digits', { id: '20240102-030405-abc' }],
    ['id with a path', { id: '../20240102-030405-abcd' }],
    ['v 2', { v: 2 }],
    ['negative rev', { rev: -1 }],
    ['unknown status', { status: 'X' }],
    ['progress > 1', { progress: 1.5 }],
    ['bad history entry', { statusHistory: [['I']] }],
    ['unknown queue', { queueJob: { queue: 'gpu', id: 'x' } }],
    ['kind', { kind: 'inference' }],
  ];
  for (const [why, change] of bad) t.notOk(checker.check({ ...good, ...change }), why);
});
