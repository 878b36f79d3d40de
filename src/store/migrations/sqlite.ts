/** SQLite's spelling of the store's migrations (schema.ts). */
import { sqliteDialect } from '../dialect.js';
import { migrationsFor } from './schema.js';

export const sqliteMigrations = migrationsFor(sqliteDialect);
