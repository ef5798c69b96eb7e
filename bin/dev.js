#!/usr/bin/env node
// Development entry point: like run.js, but the commands come from the TypeScript sources in src/
// through tsx, so nothing needs building first (the CLI tests use it when they run from sources).
// oclif's own development mode cannot register this tsx version, so the root and the command
// folder are handed to oclif directly.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
import { execute } from '@oclif/core';

register();
const root = fileURLToPath(new URL('..', import.meta.url));
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
pjson.oclif = { ...pjson.oclif, commands: './src/commands' };
await execute({ loadOptions: { root, pjson } });
