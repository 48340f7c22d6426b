// parseForm / formBool: DIGITS' WTForms semantics (contract §1.3–1.4), table-driven.
import t from 'tap';
import { formBool, parseForm, REQUIRED, type FormFields, type FormSpec, type FormValue } from '../../../apps/gateway/src/forms/index.ts';

/** One field of every kind, with the options DIGITS' forms use. */
const SPEC: FormSpec = {
  name: { kind: 'string', required: true },
  notes: { kind: 'string' },
  width: { kind: 'int', default: 256, required: true },
  count: { kind: 'int', required: true },
  epochs: { kind: 'int', default: 30, min: 1 },
  pct: { kind: 'int', default: 25, min: 0, max: 100 },
  ceiling: { kind: 'int', default: 5, max: 10 },
  per_class: { kind: 'int', default: 2, optional: true, min: 1 },
  max_per_class: { kind: 'int', optional: true, min: 1 },
  momentum: { kind: 'float', default: 0.9 },
  lr_gamma: { kind: 'float', default: 0.1, min: 0, max: 1 },
  shuffle: { kind: 'bool' },
  mode: { kind: 'select', choices: ['crop', 'squash', 'fill', 'half_crop'], default: 'squash' },
  shuffle_int: { kind: 'select', choices: ['1', '0'], default: '1' },
  learning_rate: { kind: 'multi-float', default: [0.01], min: 0 },
  batch_size: { kind: 'multi-int', default: null, optional: true, min: 1 },
  sizes: { kind: 'multi-int', default: [16] },
};

/** The values of SPEC when every field is absent. */
const ABSENT: Record<string, FormValue> = {
  name: '',
  notes: '',
  width: 256,
  count: null,
  epochs: 30,
  pct: 25,
  ceiling: 5,
  per_class: 2,
  max_per_class: null,
  momentum: 0.9,
  lr_gamma: 0.1,
  shuffle: false,
  mode: 'squash',
  shuffle_int: '1',
  learning_rate: [0.01],
  batch_size: null,
  sizes: [16],
};

t.test('absent fields: numbers and selects keep their default, strings are "", booleans false', async (t) => {
  const { values, errors } = parseForm(SPEC, {});
  t.same(values, ABSENT);
  t.same(errors, { name: [REQUIRED], count: [REQUIRED] }, 'only the required fields without a usable default complain');
  t.equal(REQUIRED, 'This field is required.');
});

t.test('a valid submission parses every kind', async (t) => {
  const { values, errors } = parseForm(SPEC, {
    name: ' my job ', notes: 'n', width: ' 28 ', count: '3', epochs: '1', pct: '100', ceiling: '10', per_class: '1',
    max_per_class: '7', momentum: '.5', lr_gamma: '1e-1', shuffle: 'on', mode: 'fill', shuffle_int: '0',
    learning_rate: '0.1, 0.01', batch_size: '[32, 64.7]', sizes: '8',
  });
  t.same(errors, {});
  t.same(values, {
    name: ' my job ', notes: 'n', width: 28, count: 3, epochs: 1, pct: 100, ceiling: 10, per_class: 1, max_per_class: 7,
    momentum: 0.5, lr_gamma: 0.1, shuffle: true, mode: 'fill', shuffle_int: '0', learning_rate: [0.1, 0.01],
    batch_size: [32, 64], sizes: [8],
  });
});

interface Case { field: string; raw: string; value: FormValue; error?: string }

// Each row submits one field (others absent) and checks that field's value and message.
const CASES: Case[] = [
  // strings: present values are kept verbatim; a required one that is blank is missing
  { field: 'notes', raw: '', value: '' },
  { field: 'notes', raw: '  x ', value: '  x ' },
  { field: 'name', raw: '', value: '', error: REQUIRED },
  { field: 'name', raw: '   ', value: '   ', error: REQUIRED },
  { field: 'name', raw: 'a', value: 'a' },
  // integers
  { field: 'epochs', raw: '12', value: 12 },
  { field: 'epochs', raw: '+12', value: 12 },
  { field: 'epochs', raw: ' 12 ', value: 12 },
  { field: 'epochs', raw: '1.5', value: null, error: 'Not a valid integer value' },
  { field: 'epochs', raw: 'abc', value: null, error: 'Not a valid integer value' },
  { field: 'epochs', raw: '12abc', value: null, error: 'Not a valid integer value' },
  { field: 'epochs', raw: '0x10', value: null, error: 'Not a valid integer value' },
  { field: 'epochs', raw: '1e3', value: null, error: 'Not a valid integer value' },
  { field: 'epochs', raw: '', value: null, error: 'Not a valid integer value' },
  { field: 'epochs', raw: '0', value: 0, error: 'Number must be at least 1.' },
  { field: 'epochs', raw: '-3', value: -3, error: 'Number must be at least 1.' },
  { field: 'pct', raw: '0', value: 0 },
  { field: 'pct', raw: '100', value: 100 },
  { field: 'pct', raw: '101', value: 101, error: 'Number must be between 0 and 100.' },
  { field: 'pct', raw: '-1', value: -1, error: 'Number must be between 0 and 100.' },
  { field: 'ceiling', raw: '11', value: 11, error: 'Number must be at most 10.' },
  // required integers: DataRequired rejects falsy data, so 0 reads as missing
  { field: 'width', raw: '0', value: 0, error: REQUIRED },
  { field: 'width', raw: '-0', value: 0, error: REQUIRED },
  { field: 'width', raw: '', value: null, error: REQUIRED },
  { field: 'width', raw: '  ', value: null, error: REQUIRED },
  { field: 'width', raw: '64', value: 64 },
  { field: 'count', raw: '0', value: 0, error: REQUIRED },
  { field: 'count', raw: '2', value: 2 },
  // optional integers: blank means "no value", not the default
  { field: 'per_class', raw: '', value: null },
  { field: 'per_class', raw: ' ', value: null },
  { field: 'per_class', raw: '0', value: 0, error: 'Number must be at least 1.' },
  { field: 'per_class', raw: '5', value: 5 },
  { field: 'max_per_class', raw: 'x', value: null, error: 'Not a valid integer value' },
  // floats
  { field: 'momentum', raw: '0.95', value: 0.95 },
  { field: 'momentum', raw: '1', value: 1 },
  { field: 'momentum', raw: '.5', value: 0.5 },
  { field: 'momentum', raw: '5.', value: 5 },
  { field: 'momentum', raw: '-2.5e-3', value: -0.0025 },
  { field: 'momentum', raw: 'abc', value: null, error: 'Not a valid float value' },
  { field: 'momentum', raw: '1.2.3', value: null, error: 'Not a valid float value' },
  { field: 'momentum', raw: '', value: null, error: 'Not a valid float value' },
  { field: 'lr_gamma', raw: '1.5', value: 1.5, error: 'Number must be between 0 and 1.' },
  // booleans (false only for "" and exactly "false")
  { field: 'shuffle', raw: '', value: false },
  { field: 'shuffle', raw: 'false', value: false },
  { field: 'shuffle', raw: 'y', value: true },
  { field: 'shuffle', raw: 'True', value: true },
  { field: 'shuffle', raw: 'on', value: true },
  { field: 'shuffle', raw: '1', value: true },
  { field: 'shuffle', raw: '0', value: true },
  { field: 'shuffle', raw: 'off', value: true },
  { field: 'shuffle', raw: 'no', value: true },
  // selects: exact, case-sensitive choices
  { field: 'mode', raw: 'crop', value: 'crop' },
  { field: 'mode', raw: 'half_crop', value: 'half_crop' },
  { field: 'mode', raw: 'Crop', value: 'Crop', error: 'Not a valid choice' },
  { field: 'mode', raw: '', value: '', error: 'Not a valid choice' },
  { field: 'mode', raw: 'bogus', value: 'bogus', error: 'Not a valid choice' },
  { field: 'shuffle_int', raw: '0', value: '0' },
  { field: 'shuffle_int', raw: '1', value: '1' },
  { field: 'shuffle_int', raw: 'true', value: 'true', error: 'Not a valid choice' },
  // multi-value numbers: `[`/`]` stripped, comma-separated, ints parsed as float then truncated
  { field: 'batch_size', raw: '[32, 64.7]', value: [32, 64] },
  { field: 'batch_size', raw: '32,64', value: [32, 64] },
  { field: 'batch_size', raw: ' [ 16 ] ', value: [16] },
  { field: 'batch_size', raw: '1.9', value: [1] },
  { field: 'batch_size', raw: '', value: null },
  { field: 'batch_size', raw: '[]', value: null },
  { field: 'batch_size', raw: '0', value: null, error: 'Number must be at least 1.' },
  { field: 'batch_size', raw: '0.5', value: null, error: 'Number must be at least 1.' },
  { field: 'batch_size', raw: '32,abc', value: null, error: 'Not a valid integer value' },
  { field: 'batch_size', raw: '32,', value: null, error: 'Not a valid integer value' },
  { field: 'sizes', raw: '', value: [16] },
  { field: 'sizes', raw: '[8,4]', value: [8, 4] },
  { field: 'learning_rate', raw: '[0.1, 0.01, 1e-3]', value: [0.1, 0.01, 0.001] },
  { field: 'learning_rate', raw: '0', value: [0] },
  { field: 'learning_rate', raw: '', value: [0.01] },
  { field: 'learning_rate', raw: '-0.1', value: null, error: 'Number must be at least 0.' },
  { field: 'learning_rate', raw: '0.1,,0.2', value: null, error: 'Not a valid float value' },
  { field: 'learning_rate', raw: 'fast', value: null, error: 'Not a valid float value' },
];

t.test('one field at a time', async (t) => {
  for (const { field, raw, value, error } of CASES) {
    const fields: FormFields = { name: 'job', count: '1', [field]: raw };
    const { values, errors } = parseForm(SPEC, fields);
    const label = `${field}=${JSON.stringify(raw)}`;
    t.same(values[field], value, `${label}: value`);
    t.same(errors, error ? { [field]: [error] } : {}, `${label}: errors`);
  }
});

t.test('every bad field is reported, one message each, and values still come back', async (t) => {
  const { values, errors } = parseForm(SPEC, { name: '', count: '0', epochs: 'x', pct: '200', mode: 'nope', batch_size: '0' });
  t.same(errors, {
    name: [REQUIRED],
    count: [REQUIRED],
    epochs: ['Not a valid integer value'],
    pct: ['Number must be between 0 and 100.'],
    mode: ['Not a valid choice'],
    batch_size: ['Number must be at least 1.'],
  });
  t.equal(values.width, 256, 'untouched fields keep their defaults');
  t.same(Object.keys(values), Object.keys(SPEC), 'one value per declared field, nothing else');
});

t.test('fields the spec does not declare are ignored', async (t) => {
  const { values, errors } = parseForm(SPEC, { name: 'x', count: '1', extra: 'y' });
  t.same(errors, {});
  t.notOk('extra' in values);
});

t.test('a required int whose default is 0 is missing when absent', async (t) => {
  const { values, errors } = parseForm({ n: { kind: 'int', default: 0, required: true } }, {});
  t.same(values, { n: 0 });
  t.same(errors, { n: [REQUIRED] });
});

t.test('formBool', async (t) => {
  const table: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['', false],
    ['false', false],
    ['y', true],
    ['True', true],
    ['true', true],
    ['on', true],
    ['1', true],
    ['0', true],
    [' ', true],
    ['no', true],
  ];
  for (const [raw, expected] of table) t.equal(formBool(raw), expected, JSON.stringify(raw));
});

// Contract §1.4: "any other non-empty value (`y`, `True`, `on`, `1`, even `False`) means true".
// WTForms' BooleanField false_values are exactly (False, 'false', '') — case-sensitive.
// form.ts lowercases before comparing, so "False" and "FALSE" read as false.
t.test('formBool: "False" and "FALSE" mean true (contract §1.4)', async (t) => {
  t.equal(formBool('False'), true, '"False"');
  t.equal(formBool('FALSE'), true, '"FALSE"');
  t.equal(parseForm(SPEC, { shuffle: 'False' }).values.shuffle, true, 'through parseForm');
});
