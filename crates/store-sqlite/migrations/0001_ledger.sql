-- mdsec SQLite schema, version 1. Timestamps are RFC 3339 UTC text; ids are assigned by mdsec under
-- the write lock so the same statements run on PostgreSQL. Integer keys are INTEGER PRIMARY KEY so
-- they are the rowid: indexes then end in the id and can serve ORDER BY ..., id without sorting.
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    management_number TEXT,
    name TEXT NOT NULL CHECK (length(name) > 0),
    device_type TEXT,
    manufacturer TEXT,
    model TEXT,
    serial TEXT,
    software_version TEXT,
    department TEXT,
    location TEXT,
    ip TEXT,
    mac TEXT,
    os TEXT,
    protocols TEXT,
    purpose TEXT,
    remote_line TEXT NOT NULL DEFAULT 'unknown',
    remote_method TEXT,
    maintenance_contract TEXT,
    owner TEXT,
    install_date TEXT,
    eol_date TEXT,
    eos_date TEXT,
    udi_di TEXT,
    network_segment TEXT,
    device_class TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    criticality TEXT,
    notes TEXT,
    custom TEXT
);
CREATE INDEX devices_management_number ON devices (management_number);
CREATE INDEX devices_mac ON devices (mac);
CREATE INDEX devices_serial ON devices (serial);
CREATE INDEX devices_department ON devices (department);
CREATE INDEX devices_manufacturer ON devices (manufacturer);

CREATE TABLE device_history (
    id INTEGER PRIMARY KEY,
    device_id BIGINT NOT NULL REFERENCES devices (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX device_history_device ON device_history (device_id);

CREATE TABLE manufacturer_aliases (
    alias TEXT PRIMARY KEY,
    canonical TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    department TEXT,
    manufacturer TEXT,
    totp_secret TEXT,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    verified BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);

-- One row that every write transaction updates first: it serialises writers (across processes too)
-- so the audit chain head cannot move under a writer.
CREATE TABLE write_lock (id INTEGER PRIMARY KEY, taken_at TEXT);
INSERT INTO write_lock (id, taken_at) VALUES (1, NULL);

-- The audit log: append-only and hash-chained (see crates/store/src/audit.rs).
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    before_state TEXT,
    after_state TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
