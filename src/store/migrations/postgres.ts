/** PostgreSQL's spelling of the store's migrations (schema.ts). */
import { postgresDialect } from '../dialect.js';
import { migrationsFor } from './schema.js';

export const postgresMigrations = migrationsFor(postgresDialect);
