//! Two more counters beside the data domains' generations: `ended`, moved
//! by every write but a collection run's batches and start, and `settled`,
//! moved by those and a run's start too. The read cache compares them to
//! tell a run's batches (after which an answer computed before may be
//! served a bounded while longer, as its successor is computed) from every
//! other write (on the next read); see `db::generations`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ROWS: [&str; 2] = ["ended", "settled"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut insert = Query::insert()
            .into_table(DataGenerations::Table)
            .columns([DataGenerations::Domain, DataGenerations::Generation])
            .to_owned();
        for row in ROWS {
            insert.values_panic([row.into(), 0.into()]);
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let delete = Query::delete()
            .from_table(DataGenerations::Table)
            .and_where(Expr::col(DataGenerations::Domain).is_in(ROWS))
            .to_owned();
        manager.exec_stmt(delete).await
    }
}

#[derive(DeriveIden)]
enum DataGenerations {
    Table,
    Domain,
    Generation,
}
