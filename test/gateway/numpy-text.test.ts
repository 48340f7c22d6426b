// The Raw Data view's text (apps/gateway/src/pages/numpy-text.ts): NumPy's str() of the output
// arrays, as DIGITS' page prints them (§10.6).
import t from 'tap';
import { numpyText } from '../../apps/gateway/src/pages/numpy-text.ts';

t.test('NumPy text form of outputs', async (t) => {
  t.equal(numpyText([0.5, 0.25]), '[0.5  0.25]', 'decimal points line up');
  t.equal(numpyText([1.5, -0.25]), '[ 1.5  -0.25]', 'a sign column when one is negative');
  t.equal(numpyText([1, 2, 3]), '[1. 2. 3.]', 'integral floats keep their point');
  t.equal(numpyText([Math.fround(0.30000001192092896), Math.fround(-0.2)]), '[ 0.3 -0.2]', 'float32 values at their shortest');
  t.equal(numpyText([[0.1, 0.2], [0.3, 0.4]]), '[[0.1 0.2]\n [0.3 0.4]]', 'rows on their own lines');
  t.equal(numpyText([[[1, 2]], [[3, 4]]]), '[[[1. 2.]]\n\n [[3. 4.]]]', 'a blank line between blocks');
  t.equal(numpyText([0.00001, 0.5]), '[1.e-05 5.e-01]', 'scientific when the range calls for it');
  t.equal(numpyText([null, 1]), '[nan  1.]', 'NaN (null in JSON) reads nan');
  t.equal(numpyText(2.5), '2.5', 'a scalar');
  const long = numpyText(Array.from({ length: 2000 }, (_, i) => i));
  t.equal(long, '[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]', 'over 1 000 values: the first and last 3');
  const wrapped = numpyText(Array.from({ length: 30 }, (_, i) => i / 10 + 0.05));
  t.ok(wrapped.split('\n').length > 1 && wrapped.split('\n').every((line) => line.length <= 75), 'lines wrap at 75 characters');
  t.match(wrapped.split('\n')[1], /^ \d/, 'continuation lines indented under the bracket');
});
