import { dbBackupCommand, dbRestoreCommand } from './backup-commands.js';
import type { Command } from './command.js';
import {
  dbMigrateCommand,
  dbResetCommand,
  dbRolesCommand,
  dbRollbackCommand,
  dbStatusCommand,
} from './db-commands.js';
import { exportCommand } from './export-command.js';
import { dbSeedCommand } from './seed-command.js';
import { serveCommand } from './serve-command.js';
import { workerCommand } from './worker-command.js';

/** Every `todo` command, in the order `todo --help` lists them. */
export const commands: readonly Command[] = [
  serveCommand,
  workerCommand,
  dbMigrateCommand,
  dbRollbackCommand,
  dbStatusCommand,
  dbResetCommand,
  dbRolesCommand,
  dbSeedCommand,
  dbBackupCommand,
  dbRestoreCommand,
  exportCommand,
];
