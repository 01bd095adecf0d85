// tsc compiles TypeScript only; files the program reads at run time next to its modules are copied here.
import { cpSync, existsSync } from 'node:fs';

const assets = ['db/migrations', 'http/graphiql'];
for (const dir of assets) {
  if (existsSync(`src/${dir}`)) cpSync(`src/${dir}`, `dist/${dir}`, { recursive: true, filter: (f) => !f.endsWith('.ts') });
}
