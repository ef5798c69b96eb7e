// oclif's command_not_found hook (package.json "oclif.hooks"): a mistyped command gets the nearest
// command's name, by the same edit distance as the compiler's did-you-mean (src/diagnostics/suggest.ts).
// oclif 4 has no suggestion of its own without @oclif/plugin-not-found, which sftgoc does not depend on.
import { Errors, type Hook } from '@oclif/core';
import { nearest } from '../../diagnostics/suggest.js';
import { ExitCode } from '../exit-codes.js';

const hook: Hook<'command_not_found'> = async function (options) {
  // With spaces between topics oclif joins the arguments that follow into the id (`chekc:a.sftgo`).
  const id = options.id.split(':')[0]!;
  const commands = options.config.commandIDs;
  const guess = nearest(id, commands);
  const hint = guess !== undefined ? `did you mean \`${options.config.bin} ${guess}\`?` : `the commands are ${commands.join(', ')}`;
  throw new Errors.CLIError(`unknown command \`${id}\`: ${hint} (\`${options.config.bin} --help\` lists them)`, { exit: ExitCode.Usage });
};

export default hook;
