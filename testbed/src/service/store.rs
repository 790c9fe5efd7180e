//! The data path: PostgreSQL through a connection pool, and cache-aside reads
//! through an in-process L1 (scaletwin's own [`Cache`] on the system clock)
//! and Redis.
//!
//! ```text
//! get:    L1 ──miss──▶ Redis ──miss──▶ PostgreSQL ──▶ fill Redis (TTL) and L1
//! update: PostgreSQL UPDATE ──▶ DEL in Redis, remove from L1
//! list:   PostgreSQL (never cached: a tenant's latest projects change with every update)
//! ```
//!
//! The usual cache-aside race is accepted: a read that misses, loses the race
//! to an update and fills the caches afterwards serves the old row until the
//! TTLs end. A Redis error is counted and the read goes on to PostgreSQL.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;
use scaletwin::algo::cache::{Cache, CacheConfig, CacheStats};
use scaletwin::algo::clock::{Nanos, SystemClock};
use tokio_postgres::{NoTls, Row};

use crate::endpoint::Endpoint;
use crate::service::telemetry;

/// Where the store connects and how it caches.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// libpq-style connection string (`host=127.0.0.1 port=5432 user=.. dbname=..`).
    pub postgres: String,
    /// Connections in the pool.
    pub pool_size: usize,
    /// `redis://127.0.0.1:port`.
    pub redis: String,
    /// Seconds a project stays in Redis.
    pub redis_ttl_s: u64,
    /// Entries in the L1.
    pub l1_capacity: usize,
    /// How long a project stays fresh in the L1.
    pub l1_ttl: Nanos,
}

/// Which tier answered a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The in-process cache.
    L1,
    /// Redis.
    Redis,
    /// PostgreSQL.
    Postgres,
}

/// A failed data operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No connection from the pool, or the query failed.
    #[error("postgres: {0}")]
    Postgres(String),
}

/// The pool's state at one moment.
#[derive(Clone, Copy, Debug)]
pub struct PoolFigures {
    /// Largest number of connections.
    pub max: usize,
    /// Connections open.
    pub open: usize,
    /// Open connections idle in the pool.
    pub idle: usize,
    /// Requests waiting for a connection.
    pub waiting: usize,
}

/// The pool, Redis and the L1.
pub struct Store {
    pool: Pool,
    redis: MultiplexedConnection,
    l1: Mutex<Cache<i64, Arc<str>>>,
    clock: SystemClock,
    redis_ttl_s: u64,
}

const SELECT_PROJECT: &str =
    "SELECT id, tenant_id, name, body, version, updated_at::text FROM projects WHERE id = $1";
const LIST_PROJECTS: &str = "SELECT id, tenant_id, name, body, version, updated_at::text \
     FROM projects WHERE tenant_id = $1 ORDER BY updated_at DESC LIMIT 20";
const UPDATE_PROJECT: &str = "UPDATE projects SET version = version + 1, updated_at = now() \
     WHERE id = $1 RETURNING id, tenant_id, name, body, version, updated_at::text";

impl Store {
    /// Connects to PostgreSQL (opening every pooled connection now, so none is
    /// opened during a measurement) and to Redis.
    pub async fn connect(config: &StoreConfig) -> anyhow::Result<Store> {
        let pg: tokio_postgres::Config = config.postgres.parse()?;
        let manager = Manager::from_config(
            pg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager).max_size(config.pool_size).build()?;
        let mut warm = Vec::with_capacity(config.pool_size);
        for _ in 0..config.pool_size {
            let client = pool.get().await?;
            for sql in [SELECT_PROJECT, LIST_PROJECTS, UPDATE_PROJECT] {
                client.prepare_cached(sql).await?;
            }
            warm.push(client);
        }
        drop(warm);
        let redis = redis::Client::open(config.redis.as_str())?
            .get_multiplexed_async_connection()
            .await?;
        let l1 = Cache::new(CacheConfig::lru(config.l1_capacity).ttl(config.l1_ttl));
        Ok(Store {
            pool,
            redis,
            l1: Mutex::new(l1),
            clock: SystemClock::new(),
            redis_ttl_s: config.redis_ttl_s,
        })
    }

    /// A tenant's 20 most recently updated projects, as a JSON array.
    pub async fn list_projects(&self, tenant: i32) -> Result<String, StoreError> {
        let rows = self
            .query(Endpoint::ListProjects, LIST_PROJECTS, &[&tenant])
            .await?;
        let list: Vec<serde_json::Value> = rows.iter().map(project_json).collect();
        Ok(serde_json::Value::Array(list).to_string())
    }

    /// One project as JSON, through L1, Redis and PostgreSQL; `None` if it does not exist.
    pub async fn get_project(&self, id: i64) -> Result<Option<(Arc<str>, Source)>, StoreError> {
        if let Some(v) = self.l1.lock().expect("l1").get(&self.clock, &id).value() {
            return Ok(Some((v.clone(), Source::L1)));
        }
        let key = redis_key(id);
        let mut redis = self.redis.clone();
        match redis.get::<_, Option<String>>(&key).await {
            Ok(Some(json)) => {
                telemetry::redis_lookup(true);
                let json: Arc<str> = json.into();
                self.fill_l1(id, json.clone());
                return Ok(Some((json, Source::Redis)));
            }
            Ok(None) => telemetry::redis_lookup(false),
            Err(_) => telemetry::redis_error(),
        }
        let rows = self
            .query(Endpoint::GetProject, SELECT_PROJECT, &[&id])
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let json: Arc<str> = project_json(row).to_string().into();
        if redis
            .set_ex::<_, _, ()>(&key, json.as_ref(), self.redis_ttl_s)
            .await
            .is_err()
        {
            telemetry::redis_error();
        }
        self.fill_l1(id, json.clone());
        Ok(Some((json, Source::Postgres)))
    }

    /// Bumps a project's version and invalidates both caches; the new row as
    /// JSON, or `None` if it does not exist.
    pub async fn update_project(&self, id: i64) -> Result<Option<String>, StoreError> {
        let rows = self
            .query(Endpoint::UpdateProject, UPDATE_PROJECT, &[&id])
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let mut redis = self.redis.clone();
        if redis.del::<_, ()>(redis_key(id)).await.is_err() {
            telemetry::redis_error();
        }
        self.l1.lock().expect("l1").remove(&id);
        Ok(Some(project_json(row).to_string()))
    }

    /// The pool's state now.
    pub fn pool_figures(&self) -> PoolFigures {
        let s = self.pool.status();
        PoolFigures {
            max: s.max_size,
            open: s.size,
            idle: s.available,
            waiting: s.waiting,
        }
    }

    /// The L1's counters and its number of entries.
    pub fn l1_figures(&self) -> (CacheStats, usize) {
        let l1 = self.l1.lock().expect("l1");
        (l1.stats(), l1.len())
    }

    fn fill_l1(&self, id: i64, json: Arc<str>) {
        self.l1.lock().expect("l1").insert(&self.clock, id, json);
    }

    /// Runs one prepared statement on a pooled connection, timing the wait
    /// for the connection and the query apart.
    async fn query(
        &self,
        endpoint: Endpoint,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let asked = Instant::now();
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| StoreError::Postgres(e.to_string()))?;
        let got = Instant::now();
        telemetry::pool_wait(endpoint, got - asked);
        let stmt = client
            .prepare_cached(sql)
            .await
            .map_err(|e| StoreError::Postgres(e.to_string()))?;
        let rows = client
            .query(&stmt, params)
            .await
            .map_err(|e| StoreError::Postgres(e.to_string()))?;
        telemetry::db_query(endpoint, got.elapsed());
        Ok(rows)
    }
}

fn redis_key(id: i64) -> String {
    format!("project:{id}")
}

fn project_json(row: &Row) -> serde_json::Value {
    serde_json::json!({
        "id": row.get::<_, i64>(0),
        "tenant": row.get::<_, i32>(1),
        "name": row.get::<_, String>(2),
        "body": row.get::<_, String>(3),
        "version": row.get::<_, i32>(4),
        "updated_at": row.get::<_, String>(5),
    })
}
