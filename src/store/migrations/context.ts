import type { ColumnDataType, ColumnDefinitionBuilder } from 'kysely';

export type Engine = 'sqlite' | 'postgres';

/** The few column definitions that differ between SQLite and PostgreSQL. */
export interface MigrationContext {
  engine: Engine;
  id: { type: ColumnDataType; build: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder };
  /** 64-bit integer: money in cents must never overflow (SQLite's integer is already 64-bit). */
  bigint: ColumnDataType;
}

export function migrationContext(engine: Engine): MigrationContext {
  if (engine === 'postgres') {
    return {
      engine,
      id: { type: 'integer', build: (c) => c.primaryKey().generatedByDefaultAsIdentity() },
      bigint: 'bigint',
    };
  }
  return { engine, id: { type: 'integer', build: (c) => c.primaryKey().autoIncrement() }, bigint: 'integer' };
}
