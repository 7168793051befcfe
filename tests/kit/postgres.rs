//! A fresh PostgreSQL database for a benchmark, on the server of an admin URL (the one
//! `scripts/with-postgres.sh` puts in `IARSS_TEST_DATABASE_URL`). Benchmarks include this
//! file with `#[path]`; the tests through the kit.

/// Drops and creates the database `name` and returns its URL.
pub async fn fresh_postgres(admin: &str, name: &str) -> String {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::postgres::PgConnection::connect(admin)
        .await
        .expect("connect to PostgreSQL");
    conn.execute(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .await
    .expect("drop");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create");
    let mut url = url::Url::parse(admin).expect("admin URL");
    url.set_path(name);
    url.to_string()
}
