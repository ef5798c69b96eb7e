#!/usr/bin/env node
// Entry point of the `sftgoc` command: hands argv to oclif, which loads the compiled commands from dist/.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
