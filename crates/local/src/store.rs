//! Durable state: the [`Store`] trait the engine commits through, an SQLite implementation
//! (WAL, `synchronous=FULL`, one transaction per commit, versioned schema) and an in-memory
//! one for tests.
//!
//! # Guarantees
//! [`Store::commit`] returns only after the transaction is durable, and the engine answers a
//! call only after its commit returned: a `kill -9` at any moment loses no acknowledged
//! change, and [`Store::load`] after a restart restores every load balancer.
//!
//! The store keeps each load balancer as one JSON document (with its listeners, groups and
//! tags): every mutating call touches exactly one LB, so one row per call keeps writes small
//! and atomic. It does not interpret the documents; the engine owns the rules.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::model::Eip;
use crate::model::{
    Acl, CaCertificate, Instance, LoadBalancer, NetworkInterface, RouteTable, SecurityRecords,
    ServerCertificate,
};

/// The schema version this code writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

/// Everything a store holds, as loaded at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredState {
    /// Load balancers by id.
    pub load_balancers: BTreeMap<String, LoadBalancer>,
    /// ECS instances by id.
    pub instances: BTreeMap<String, Instance>,
    /// ENIs by id.
    pub network_interfaces: BTreeMap<String, NetworkInterface>,
    /// VPC route tables by id.
    pub route_tables: BTreeMap<String, RouteTable>,
    /// ACLs and certificates.
    pub security: SecurityRecords,
    /// Elastic IPs by allocation id.
    pub eips: BTreeMap<String, Eip>,
}

/// One atomic change: everything one API call modified.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Load balancers to insert or replace.
    pub put_load_balancers: Vec<LoadBalancer>,
    /// Load balancer ids to delete.
    pub delete_load_balancers: Vec<String>,
    /// Instances to insert or replace.
    pub put_instances: Vec<Instance>,
    /// Instance ids to delete.
    pub delete_instances: Vec<String>,
    /// ENIs to insert or replace.
    pub put_network_interfaces: Vec<NetworkInterface>,
    /// ENI ids to delete.
    pub delete_network_interfaces: Vec<String>,
    /// Route tables (with their entries) to insert or replace.
    pub put_route_tables: Vec<RouteTable>,
    /// EIPs to insert or replace.
    pub put_eips: Vec<Eip>,
    /// EIP allocation ids to delete.
    pub delete_eips: Vec<String>,
    /// ACLs (with their entries) to insert or replace.
    pub put_acls: Vec<Acl>,
    /// ACL ids to delete.
    pub delete_acls: Vec<String>,
    /// Server certificates to insert or replace.
    pub put_server_certificates: Vec<ServerCertificate>,
    /// Server certificate ids to delete.
    pub delete_server_certificates: Vec<String>,
    /// CA certificates to insert or replace.
    pub put_ca_certificates: Vec<CaCertificate>,
    /// CA certificate ids to delete.
    pub delete_ca_certificates: Vec<String>,
}

impl Change {
    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or configured.
    #[error("opening state database {path}: {source}")]
    Open {
        /// The path.
        path: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer schema.
    #[error(
        "state database has schema version {found}, this build knows up to {SCHEMA_VERSION}; \
         run a newer slb-ccm or point --state at another file"
    )]
    SchemaTooNew {
        /// The version found.
        found: i64,
    },
    /// Reading the state failed.
    #[error("loading state: {0}")]
    Load(#[source] rusqlite::Error),
    /// A stored document does not decode.
    #[error("decoding stored {kind} {id}: {source}")]
    Decode {
        /// The record kind.
        kind: &'static str,
        /// Its id.
        id: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// Writing a change failed; nothing of it was applied.
    #[error("committing change: {0}")]
    Commit(#[source] rusqlite::Error),
    /// Encoding a record failed.
    #[error("encoding record: {0}")]
    Encode(#[source] serde_json::Error),
}

impl StoreError {
    /// A stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Open { .. } => "open",
            Self::SchemaTooNew { .. } => "schema_too_new",
            Self::Load(_) => "load",
            Self::Decode { .. } => "decode",
            Self::Commit(_) => "commit",
            Self::Encode(_) => "encode",
        }
    }
}

/// Durable storage of the engine's records.
pub trait Store: Send {
    /// Everything stored.
    ///
    /// # Errors
    /// [`StoreError`] when the data cannot be read or decoded.
    fn load(&mut self) -> Result<StoredState, StoreError>;

    /// Applies `change` atomically and durably: all of it or none of it.
    ///
    /// # Errors
    /// [`StoreError::Commit`]; the stored state is then unchanged.
    fn commit(&mut self, change: &Change) -> Result<(), StoreError>;
}

// === impl MemoryStore ===

/// A store that keeps everything in memory (tests, and `--state :memory:`).
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: StoredState,
}

impl Store for MemoryStore {
    fn load(&mut self) -> Result<StoredState, StoreError> {
        Ok(self.state.clone())
    }

    fn commit(&mut self, change: &Change) -> Result<(), StoreError> {
        let s = &mut self.state;
        for lb in &change.put_load_balancers {
            s.load_balancers.insert(lb.id.clone(), lb.clone());
        }
        for id in &change.delete_load_balancers {
            s.load_balancers.remove(id);
        }
        for i in &change.put_instances {
            s.instances.insert(i.instance_id.clone(), i.clone());
        }
        for id in &change.delete_instances {
            s.instances.remove(id);
        }
        for e in &change.put_network_interfaces {
            s.network_interfaces
                .insert(e.network_interface_id.clone(), e.clone());
        }
        for id in &change.delete_network_interfaces {
            s.network_interfaces.remove(id);
        }
        for t in &change.put_route_tables {
            s.route_tables.insert(t.route_table_id.clone(), t.clone());
        }
        s.security.apply(change);
        apply_eips(&mut s.eips, change);
        Ok(())
    }
}

impl SecurityRecords {
    /// Applies the ACL and certificate parts of `change` (the memory store and the engine's
    /// in-memory state share this).
    pub(crate) fn apply(&mut self, change: &Change) {
        for a in &change.put_acls {
            self.acls.insert(a.id.clone(), a.clone());
        }
        for id in &change.delete_acls {
            self.acls.remove(id);
        }
        for c in &change.put_server_certificates {
            self.server_certificates.insert(c.id.clone(), c.clone());
        }
        for id in &change.delete_server_certificates {
            self.server_certificates.remove(id);
        }
        for c in &change.put_ca_certificates {
            self.ca_certificates.insert(c.id.clone(), c.clone());
        }
        for id in &change.delete_ca_certificates {
            self.ca_certificates.remove(id);
        }
    }
}

/// Applies the EIP part of `change` (the memory store and the engine share this).
pub(crate) fn apply_eips(eips: &mut BTreeMap<String, Eip>, change: &Change) {
    for e in &change.put_eips {
        eips.insert(e.allocation_id.clone(), e.clone());
    }
    for id in &change.delete_eips {
        eips.remove(id);
    }
}

// === impl SqliteStore ===

/// The durable SQLite store.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
}

const TABLES: [(&str, &str); 4] = [
    ("load_balancers", "load balancer"),
    ("instances", "instance"),
    ("network_interfaces", "network interface"),
    ("route_tables", "route table"),
];

/// The EIP table, added after schema 1 like `route_tables`.
const EIP_TABLE: &str = "eips";

/// Tables added after schema 1 the same way as `route_tables` (older builds ignore them).
const SECURITY_TABLES: [&str; 3] = ["acls", "server_certificates", "ca_certificates"];

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates its schema.
    ///
    /// # Errors
    /// [`StoreError::Open`] or [`StoreError::SchemaTooNew`].
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        // WAL lets readers run beside the writer; FULL fsyncs the WAL on every commit so an
        // acknowledged change survives even a power loss, not only a process kill.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(open_err)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew { found: version });
        }
        if version < 1 {
            let mut ddl = String::from("BEGIN;");
            for (table, _) in TABLES {
                ddl.push_str(&format!(
                    "CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
                ));
            }
            ddl.push_str(&format!("PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"));
            conn.execute_batch(&ddl).map_err(open_err)?;
        }
        // Added after schema 1 without a version bump: older builds ignore the table, and a
        // database they wrote simply gains it here.
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS route_tables (id TEXT PRIMARY KEY, doc TEXT NOT NULL);",
        )
        .map_err(open_err)?;
        for table in SECURITY_TABLES.iter().chain([&EIP_TABLE]) {
            conn.execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
            ))
            .map_err(open_err)?;
        }
        Ok(Self { conn })
    }

    fn load_table<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        kind: &'static str,
    ) -> Result<BTreeMap<String, T>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT id, doc FROM {table}"))
            .map_err(StoreError::Load)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(StoreError::Load)?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (id, doc) = row.map_err(StoreError::Load)?;
            let value = serde_json::from_str(&doc).map_err(|source| StoreError::Decode {
                kind,
                id: id.clone(),
                source,
            })?;
            out.insert(id, value);
        }
        Ok(out)
    }

    /// The number of stored load balancers (a cheap check for tools and tests).
    ///
    /// # Errors
    /// [`StoreError::Load`].
    pub fn count_load_balancers(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM load_balancers", [], |r| r.get(0))
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(StoreError::Load)
    }
}

fn put_rows<T: serde::Serialize>(
    tx: &rusqlite::Transaction<'_>,
    table: &str,
    rows: impl Iterator<Item = (String, T)>,
) -> Result<(), StoreError> {
    let mut stmt = tx
        .prepare_cached(&format!(
            "INSERT INTO {table} (id, doc) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc"
        ))
        .map_err(StoreError::Commit)?;
    for (id, value) in rows {
        let doc = serde_json::to_string(&value).map_err(StoreError::Encode)?;
        stmt.execute(params![id, doc]).map_err(StoreError::Commit)?;
    }
    Ok(())
}

fn delete_rows(
    tx: &rusqlite::Transaction<'_>,
    table: &str,
    ids: &[String],
) -> Result<(), StoreError> {
    let mut stmt = tx
        .prepare_cached(&format!("DELETE FROM {table} WHERE id = ?1"))
        .map_err(StoreError::Commit)?;
    for id in ids {
        stmt.execute(params![id]).map_err(StoreError::Commit)?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn load(&mut self) -> Result<StoredState, StoreError> {
        Ok(StoredState {
            load_balancers: self.load_table(TABLES[0].0, TABLES[0].1)?,
            instances: self.load_table(TABLES[1].0, TABLES[1].1)?,
            network_interfaces: self.load_table(TABLES[2].0, TABLES[2].1)?,
            route_tables: self.load_table(TABLES[3].0, TABLES[3].1)?,
            security: SecurityRecords {
                acls: self.load_table(SECURITY_TABLES[0], "acl")?,
                server_certificates: self.load_table(SECURITY_TABLES[1], "server certificate")?,
                ca_certificates: self.load_table(SECURITY_TABLES[2], "CA certificate")?,
            },
            eips: self.load_table(EIP_TABLE, "EIP")?,
        })
    }

    fn commit(&mut self, change: &Change) -> Result<(), StoreError> {
        if change.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction().map_err(StoreError::Commit)?;
        put_rows(
            &tx,
            "load_balancers",
            change
                .put_load_balancers
                .iter()
                .map(|lb| (lb.id.clone(), lb)),
        )?;
        delete_rows(&tx, "load_balancers", &change.delete_load_balancers)?;
        put_rows(
            &tx,
            "instances",
            change
                .put_instances
                .iter()
                .map(|i| (i.instance_id.clone(), i)),
        )?;
        delete_rows(&tx, "instances", &change.delete_instances)?;
        put_rows(
            &tx,
            "network_interfaces",
            change
                .put_network_interfaces
                .iter()
                .map(|e| (e.network_interface_id.clone(), e)),
        )?;
        delete_rows(&tx, "network_interfaces", &change.delete_network_interfaces)?;
        put_rows(
            &tx,
            "route_tables",
            change
                .put_route_tables
                .iter()
                .map(|t| (t.route_table_id.clone(), t)),
        )?;
        commit_security(&tx, change)?;
        put_rows(
            &tx,
            EIP_TABLE,
            change.put_eips.iter().map(|e| (e.allocation_id.clone(), e)),
        )?;
        delete_rows(&tx, EIP_TABLE, &change.delete_eips)?;
        // Dropping `tx` without commit rolls back, so an early `?` above leaves no trace.
        tx.commit().map_err(StoreError::Commit)
    }
}

fn commit_security(tx: &rusqlite::Transaction<'_>, change: &Change) -> Result<(), StoreError> {
    let [acls, server, ca] = SECURITY_TABLES;
    put_rows(tx, acls, change.put_acls.iter().map(|a| (a.id.clone(), a)))?;
    delete_rows(tx, acls, &change.delete_acls)?;
    put_rows(
        tx,
        server,
        change
            .put_server_certificates
            .iter()
            .map(|c| (c.id.clone(), c)),
    )?;
    delete_rows(tx, server, &change.delete_server_certificates)?;
    put_rows(
        tx,
        ca,
        change.put_ca_certificates.iter().map(|c| (c.id.clone(), c)),
    )?;
    delete_rows(tx, ca, &change.delete_ca_certificates)
}

#[cfg(test)]
mod tests;
