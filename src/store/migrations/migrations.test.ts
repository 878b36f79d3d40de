import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkMigrations, type Migration } from './migration.js';
import { postgresMigrations } from './postgres.js';
import { sqliteMigrations } from './sqlite.js';

/** Every migration as released, dialect by dialect: written from the two hand-kept lists before they became one. */
const released = JSON.parse(readFileSync(new URL('./fixtures/released.json', import.meta.url), 'utf8')) as Record<
  'sqlite' | 'postgres',
  Migration[]
>;

describe('store migrations', () => {
  it('spell every released migration, statement for statement, as it was released in each dialect', () => {
    expect(sqliteMigrations.slice(0, released.sqlite.length)).toEqual(released.sqlite);
    expect(postgresMigrations.slice(0, released.postgres.length)).toEqual(released.postgres);
  });

  it('give both dialects the same versions and names, in ascending order', () => {
    checkMigrations(sqliteMigrations);
    const names = (list: readonly Migration[]) => list.map((m) => `${m.version} ${m.name}`);
    expect(names(postgresMigrations)).toEqual(names(sqliteMigrations));
  });
});
