// usernameProblem: DIGITS' username rules (contract §2.1).
import t from 'tap';
import { usernameProblem } from '@digits-ts/contracts';

const REQUIRED = 'username is required';
const START = 'Must start with a lowercase letter';
const CHARS = 'Only lowercase letters, numbers, periods, dashes and underscores allowed';

const TABLE: Array<[string, string | null]> = [
  ['a', null],
  ['alice', null],
  ['bob.smith', null],
  ['carol-2', null],
  ['dave_', null],
  ['e.-_09', null],
  ['z9', null],
  [`a${'b'.repeat(10_000)}`, null], // no length limit
  ['', REQUIRED],
  ['Alice', START],
  ['ALICE', START],
  ['9lives', START],
  ['_alice', START],
  ['.alice', START],
  ['-alice', START],
  [' alice', START],
  ['éva', START],
  ['\nalice', START],
  ['aliCe', CHARS],
  ['bob smith', CHARS],
  ['alice ', CHARS],
  ['a@b', CHARS],
  ['a/b', CHARS],
  ['a+b', CHARS],
  ['aé', CHARS],
  ['alice\n', CHARS],
  ['a\u0000', CHARS],
  ['a:b', CHARS],
];

t.test('username rules', async (t) => {
  for (const [username, problem] of TABLE) t.equal(usernameProblem(username), problem, JSON.stringify(username.slice(0, 20)));
});
