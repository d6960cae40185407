#!/usr/bin/env node
import { CliError } from './command.js';
import { commands } from './commands.js';
import { runCli } from './runner.js';

// `todo`: a one-line reason and a non-zero exit on failure, never a stack trace.
runCli(commands, process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`todo: ${message.split('\n')[0]}\n`);
    if (!(error instanceof CliError) && process.env.TODO_DEBUG) console.error(error);
    process.exitCode = 1;
  },
);
