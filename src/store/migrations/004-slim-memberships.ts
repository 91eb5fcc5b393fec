/**
 * memberships without created_at, and on SQLite a WITHOUT ROWID table (the primary key is the table).
 *
 * Why: memberships are the bulk of a directory's data (600,000 rows at the bench's 100,000 users), and nothing ever
 * read created_at. It was 24 of each row's ~35 bytes, and SQLite kept every row twice: in the rowid table and in
 * the primary-key index. Slimmed down, the table and its indexes shrink from 41 MB to 15 MB, and writing a first
 * sync's memberships (insert, index build, commit, checkpoint) took 0.8-0.9 s instead of 1.2-1.3 s in a bare
 * better-sqlite3 measurement of the same rows.
 *
 * SQLite cannot drop a primary key column's table shape in place: the table is copied into a new one inside one
 * transaction (the migration runner does not open one for SQLite), and a rerun after an interruption between that
 * commit and the runner's record finds the new shape and does nothing.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  if (ctx.engine === 'postgres') {
    await sql`alter table memberships drop column if exists created_at`.execute(db);
    return;
  }
  const cols = await sql<{ name: string }>`select name from pragma_table_info('memberships')`.execute(db);
  if (!cols.rows.some((c) => c.name === 'created_at')) return;
  await db.transaction().execute(async (trx) => {
    await sql`create table memberships_slim (
      group_id integer not null references groups (id) on delete cascade,
      user_id integer not null references users (id) on delete cascade,
      direct integer default 1 not null,
      constraint memberships_pk primary key (group_id, user_id)
    ) without rowid`.execute(trx);
    await sql`insert into memberships_slim (group_id, user_id, direct) select group_id, user_id, direct from memberships order by group_id, user_id`.execute(trx);
    await sql`drop table memberships`.execute(trx);
    await sql`alter table memberships_slim rename to memberships`.execute(trx);
    await sql`create index memberships_user_idx on memberships (user_id)`.execute(trx);
  });
}
