// Every command module registers itself on import; the order is the order of `todo --help`.
import './serve-command.js';
import './db-commands.js';
import './seed-command.js';
import './backup-commands.js';
import './export-command.js';
