// The page helpers' number text: pyFloat writes a float as Python does, the way DIGITS' templates
// print confidences (the expected texts are Python 3's repr of the same numbers).
import t from 'tap';
import { pyFloat } from '../../../apps/gateway/src/pages/helpers.ts';

t.test('pyFloat writes what Python writes', async (t) => {
  const cases: [number, string][] = [
    [98.9, '98.9'], [100, '100.0'], [0, '0.0'], [-0, '-0.0'], [0.01, '0.01'], [97.31, '97.31'],
    [1e-5, '1e-05'], [1.5e-5, '1.5e-05'], [0.0001, '0.0001'], [1e16, '1e+16'], [1e22, '1e+22'],
    [1234567890123456, '1234567890123456.0'], [-2.5, '-2.5'], [12345.678, '12345.678'],
    [0.1 + 0.2, '0.30000000000000004'], [NaN, 'nan'], [Infinity, 'inf'], [-Infinity, '-inf'],
  ];
  for (const [x, text] of cases) t.equal(pyFloat(x), text, String(x));
});
