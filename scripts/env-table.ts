/** Prints the README's environment-variable table from the config schemas (`npx tsx scripts/env-table.ts`). */
import { ALL_VARS } from '@digits-ts/config';

const rows = Object.entries(ALL_VARS).map(([name, def]) => `| \`${name}\` | ${def.defaultText === '' ? '(empty)' : `\`${def.defaultText}\``} | ${def.doc} |`);
process.stdout.write(['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n') + '\n');
