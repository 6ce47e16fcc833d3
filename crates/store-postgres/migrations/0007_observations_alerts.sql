-- Observations, observed fields of ledger devices and alerts (issues #5 and #7), PostgreSQL: the
-- same tables as SQLite. Every change is audited by mdsec in the same transaction.
CREATE TABLE observed_devices (
    id BIGINT PRIMARY KEY,
    obs_key TEXT NOT NULL UNIQUE,
    ip TEXT,
    mac TEXT,
    hostname TEXT,
    manufacturer TEXT,
    model TEXT,
    software_version TEXT,
    protocols TEXT NOT NULL,
    identifiers TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX observed_devices_ip ON observed_devices (ip);

CREATE TABLE external_flows (
    id BIGINT PRIMARY KEY,
    device_ip TEXT NOT NULL,
    peer TEXT NOT NULL,
    outbound BIGINT NOT NULL,
    transport TEXT NOT NULL,
    port BIGINT NOT NULL,
    service TEXT,
    server_name TEXT,
    packets BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    source TEXT NOT NULL,
    UNIQUE (device_ip, peer, transport, port)
);

CREATE TABLE device_observed_fields (
    device_id BIGINT NOT NULL REFERENCES devices (id),
    field TEXT NOT NULL,
    observed_value TEXT NOT NULL,
    filled BIGINT NOT NULL CHECK (filled IN (0, 1)),
    observed_at TEXT NOT NULL,
    PRIMARY KEY (device_id, field)
);

CREATE TABLE alerts (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('unknown_device', 'external_connection', 'cleartext_patient_protocol', 'smbv1', 'telnet', 'remote_line_outside_window', 'unregistered_external_endpoint', 'remote_line_retirement')),
    severity TEXT NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
    subject TEXT NOT NULL,
    device_id BIGINT REFERENCES devices (id),
    address TEXT NOT NULL,
    message TEXT NOT NULL,
    details TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    count BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged')),
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    note TEXT,
    emailed_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (kind, subject, address)
);
CREATE INDEX alerts_status ON alerts (status, id);
